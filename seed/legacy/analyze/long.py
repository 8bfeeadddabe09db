"""The long files of an export (millions of rows): readings, balances and payments, each row read as the
load reads it, and checked over many rows at once as compact columns per meter or account."""

from __future__ import annotations

import datetime as dt
from array import array
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from seed.legacy.analyze import bulk
from seed.legacy.analyze.examiner import Examiner, day_number, iso_day
from seed.legacy.analyze.findings import Finding, Where
from seed.legacy.analyze.money import BalanceMoney, closed_with_balance, month_keys, part_count, part_of
from seed.legacy.analyze.scratch import Parts
from seed.legacy.analyze.series import Capacity, GroupedColumns, carry_over, reading_series, repeated_payments
from seed.legacy.analyze.spill import Cause
from seed.legacy.blocks import Block
from seed.legacy.interpret import (
    FIVE_AMOUNTS,
    FIVE_KOPECK_AMOUNTS,
    NOT_A_PERIOD,
    NULL,
    PLAIN_IDENT,
    SERVICE_IDS,
    Refused,
    kopecks,
    month_number,
)
from seed.legacy.mapping import service_given
from seed.legacy.rows import BALANCE_MEASURES, ServiceOf, balance_amounts, payment_fields, reading_reader
from seed.period import month_label, month_start
from seed.words.messages import Message

NAN = float("nan")  # a zone the reading does not have


def check_readings(ex: Examiner) -> None:
    """Readings are checked per meter as compact columns, a batch of complete meters at a time."""
    meters = ex.meters
    capacity = Capacity(np.frombuffer(meters.digits, dtype=np.int8)) if len(meters) else np.zeros(1)
    water = np.frombuffer(meters.water, dtype=np.int8).astype(bool) if len(meters) else np.zeros(1, dtype=bool)
    path = ex.path("readings")
    found = ((meters.find(*key), cause) for key, cause in ex.repeated_meters.items())
    repeated = {mid: cause for mid, cause in found if mid is not None}
    caused: dict[int, Cause] = {}  # lines of readings of a repeated meter -> the repeat

    def check(columns: list[Any]) -> list[Finding]:
        ex.report.months_of(columns[1])
        return reading_series(path, capacity, water, *columns)

    latest = -1
    inferred = _inferred(ex, "readings")  # read once, though the file may be read twice

    def read(columns: GroupedColumns) -> None:
        nonlocal latest
        f, items = ex.blocks("readings")
        if f is None:
            return
        ix = f.index
        i_serial, i_service = ix["serial"], ix.get("service", -1)
        service_of = inferred.of_serial if inferred is not None else None
        report, service, ident, reading = ex.report, ex.service, ex.ident, reading_reader(f)
        current: int | None = None
        store: list[Any] = columns.columns  # the arrays of the current batch (columns.add may start another)
        last_key, mid, installed, removed = ("", ""), None, NULL, NULL  # the meter of the row before
        same: Any = None  # the serial and service as written on the row before, when plain and known

        def one(row: Where, rec: list[Any]) -> None:
            nonlocal latest, current, store, last_key, mid, installed, removed, same
            raw_serial, raw_service = rec[i_serial], rec[i_service]
            if same is None or raw_serial != same[0] or raw_service != same[1]:  # a meter's rows come together
                same = None
                plain = type(raw_serial) is str and PLAIN_IDENT(raw_serial)
                serial = raw_serial.strip() if plain else ident(row, "serial", raw_serial)
                if service_of is None:
                    code = service(row, raw_service)
                else:  # no service column: the meter's, by its serial
                    try:
                        code = service_of(serial) or ""
                    except Refused as why:
                        report.refused(row, why)
                        return
                if (code, serial) != last_key:  # found once
                    last_key, mid = (code, serial), meters.find(code, serial)
                    if mid is not None:
                        installed, removed = meters.dates(mid)
                if mid is None:
                    report.add("unknown_meter", row, "serial", serial)
                    return
                if plain and code in SERVICE_IDS:  # nothing of it is reported on every row: read once
                    same = (raw_serial, raw_service)
            try:
                month, values, taken = reading(rec)
            except Refused as why:
                report.refused(row, why)
                return
            cause = None
            if repeated and mid in repeated:  # its readings and the repeat's are read as one meter's
                cause = caused[row.line] = repeated[mid]
            if taken != NULL and removed != NULL and taken > removed:
                said = Message.of("removed", day=removed)
                report.add("reading_after_removal", row, "taken_on", taken, said, cause=cause)
            if taken != NULL and installed != NULL and taken < installed:
                said = Message.of("installed", day=installed)
                report.add("reading_before_install", row, "taken_on", taken, said, cause=cause)
            if month > latest:
                latest = month
            v1, v2, v3 = values
            z2, z3 = NAN if v2 == NULL else float(v2), NAN if v3 == NULL else float(v3)
            if mid == current:  # the same meter as the row before: straight into the columns
                store[0].append(mid)
                store[1].append(month)
                store[2].append(float(v1))
                store[3].append(row.line)
                store[4].append(z2)
                store[5].append(z3)
            else:
                assert mid is not None  # an unknown meter's rows are left above
                columns.add(mid, mid, month, float(v1), row.line, z2, z3)
                current, store = mid, columns.columns

        fast = bulk.ReadingRows(ex, f) if service_of is None else None
        for item in items:
            if type(item) is tuple:
                one(*item)
                continue
            assert isinstance(item, Block)
            for lo, hi, plain in fast.runs(item) if fast is not None else [(0, len(item), False)]:
                if not plain:
                    for i in range(lo, hi):
                        one(Where(path, int(item.lines[i])), item.record(i))
                    continue
                assert fast is not None  # a run of usual rows is only found by it
                latest = max(latest, fast.take(lo, hi, columns, repeated, caused))
                current, store, same = columns.current, columns.columns, None

    ex.grouped("iididd", check, read, caused)
    if latest < 0:
        return
    end = month_start(latest).toordinal()
    due = np.frombuffer(meters.next, dtype=np.int32)
    past = (due != 0) & (np.frombuffer(meters.removed, dtype=np.int32) == 0) & (due <= end)
    for i in np.flatnonzero(past).tolist():
        where, said = Where(ex.meters_file, meters.lines[i]), Message.of("still_in_use")
        ex.report.add("meter_past_verification", where, "next_verification", iso_day(meters.next[i]), said)


def _inferred(ex: Examiner, entity: str) -> ServiceOf | None:
    """How the rows of a file with no service are told theirs; None when the file says it."""
    fm = ex.mapping.files.get(entity)
    return ServiceOf(ex.mapping, entity) if fm is not None and not service_given(fm) else None


def check_balances(ex: Examiner, folder: Path) -> Parts:
    """Balances are checked per account as compact columns, a batch of complete accounts at a time;
    the control totals are summed on the way, and what the balances the load keeps pay per account and
    month (returned: spilled into ``folder`` in parts of accounts) and close at in each account's last month."""
    path = ex.path("balances")
    account_index = ex.accounts  # known accounts first, in order
    unknown: dict[str, int] = {}  # the positions of accounts the accounts file has not, after the known ones
    service_index: dict[str, int] = {}
    paying = Parts(folder, "balances", part_count(len(account_index)))
    closed = np.frombuffer(ex.account_closed, dtype=np.int32) != 0
    money = BalanceMoney(len(account_index), service_index, paying, closed)
    sums: dict[tuple[str, int], list[int]] = {}  # (service, month) -> opening, charged, paid, closing
    repeated = ex.repeated_accounts
    caused: dict[int, Cause] = {}  # lines of balances of a repeated account number -> the repeat

    inferred = _inferred(ex, "balances")

    def check(columns: list[Any]) -> list[Finding]:
        ac, sv, mo, op, cl, ln, paid = columns
        ex.report.months_of(mo)
        money.add(ac, sv, mo, ln, paid, cl)
        return carry_over(path, ac, sv, mo, op, cl, ln)

    def read(columns: GroupedColumns) -> None:
        money.reset()
        f, items = ex.blocks("balances")
        if f is None:
            return
        ix = f.index
        i_acc, i_svc, i_per = ix["account"], ix.get("service", -1), ix["period"]
        service_of = inferred.of_account if inferred is not None else None
        i_o, i_c, i_r, i_p, i_z = (ix.get(m, -1) for m in BALANCE_MEASURES)
        services: dict[Any, tuple[str, int, bool]] = {}  # the service as written -> (code, index, known)
        months: dict[Any, int | None] = {}  # a period as written -> its month
        current, store = None, columns.columns
        report = ex.report
        last_raw: Any = None  # the account as written on the row before, when plain and known
        account, a = "", None

        def one(row: Where, rec: list[Any]) -> None:
            nonlocal current, store, last_raw, account, a
            raw = rec[i_acc]
            if raw != last_raw:  # rows of an account come together: it is read and found once
                plain = type(raw) is str and PLAIN_IDENT(raw)
                account = raw.strip() if plain else ex.ident(row, "account", raw)
                a = account_index.get(account)
                if a is None:
                    ex.known_account(row, account)  # reported on every row
                last_raw = raw if plain and a is not None else None
            known = a is not None
            if repeated and account in repeated:  # its rows and the repeat's are read as one account's
                caused[row.line] = repeated[account]
            if service_of is None:
                written = rec[i_svc]
            else:  # no service column: the account's only one
                try:
                    written = service_of(account)
                except Refused as why:
                    if known:  # an unknown account is reported as that
                        report.refused(row, why)
                    return
            found = services.get(written)
            if found is None:  # services are indexed by code: two spellings of one service are one service
                code = ex.service(row, written)
                sv = service_index.setdefault(code, len(service_index))
                found = services[written] = (code, sv, code in SERVICE_IDS)
            elif not found[2]:
                ex.service(row, written)  # an unknown service is reported on every row
            service, sv, _ = found
            month = months.get(raw_period := rec[i_per], -1)
            if month == -1:
                month = months[raw_period] = month_number(raw_period)
            if month is None:
                report.refused(row, Refused(NOT_A_PERIOD, "period", rec[i_per]))
            recalc = rec[i_r] if i_r >= 0 and rec[i_r] else "0,00"
            joined = f"{rec[i_o]}\t{rec[i_c]}\t{recalc}\t{rec[i_p]}\t{rec[i_z]}".replace(",", ".")
            if FIVE_KOPECK_AMOUNTS(joined):  # the usual row: five amounts with kopecks, read at once
                o, c, r, p, z = map(int, joined.replace(".", "").split("\t"))
            elif FIVE_AMOUNTS(joined):
                o, c, r, p, z = map(kopecks, joined.split("\t"))
            else:
                try:
                    o, c, r, p, z = map(kopecks, balance_amounts(f, rec))
                except Refused as why:
                    report.refused(row, why)
                    return
            if month is None:
                return
            if a is None:
                a = unknown.setdefault(account, len(account_index) + len(unknown))
            if a == current:  # the same account as the row before: straight into the columns
                store[0].append(a)
                store[1].append(sv)
                store[2].append(month)
                store[3].append(o)
                store[4].append(z)
                store[5].append(row.line)
                store[6].append(p)
            else:
                columns.add(a, a, sv, month, o, z, row.line, p)
                current, store = a, columns.columns
            if columns.whole:
                return
            if o + c + r - p != z:
                expected = Decimal(o + c + r - p) / 100
                report.add(
                    "balance_not_reconciling", row, "closing", Decimal(z) / 100, Message.of("expected", amount=expected)
                )
            total = sums.get((service, month))
            if total is None:
                total = sums[(service, month)] = [0, 0, 0, 0]
            total[0] += o
            total[1] += c + r
            total[2] += p
            total[3] += z

        fast = bulk.BalanceRows(ex, f, services, service_index, sums) if service_of is None else None
        for item in items:
            if type(item) is tuple:
                one(*item)
                continue
            assert isinstance(item, Block)
            for lo, hi, plain in fast.runs(item, account_index) if fast is not None else [(0, len(item), False)]:
                if not plain:
                    for i in range(lo, hi):
                        one(Where(path, int(item.lines[i])), item.record(i))
                    continue
                assert fast is not None  # a run of usual rows is only found by it
                fast.take(lo, hi, columns, repeated, caused)
                current, store, last_raw = columns.current, columns.columns, None

    ex.grouped("iiiqqiq", check, read, caused)
    for (service, month), (o, c, p, z) in sums.items():
        ex.report.totals[(service, month_label(month))] = {
            "opening": Decimal(o) / 100, "charged": Decimal(c) / 100, "paid": Decimal(p) / 100,
            "closing": Decimal(z) / 100,
        }  # fmt: skip
    _paid, last = money.result()
    closed_with_balance(ex.report, ex.path("accounts"), ex.account_lines, ex.account_closed, last, ex.caused_by())
    check_totals(ex)
    return paying


REPORTED_MEASURES = ("opening", "charged", "paid", "closing")


def check_totals(ex: Examiner) -> None:
    """The old system's own control totals, to compare with the export's, each with its file and line.

    The export's charged is the balances' «Начислено» and «Перерасчёт» together; a totals file with a
    «Перерасчёт» of its own (its «Начислено» leaves the recalculations out) is compared by its two together."""
    f, rows = ex.open("totals")
    recalculated = f is not None and "recalculated" in f.index
    for row, rec in rows:
        assert f is not None
        service = ex.service(row, f.raw(rec, "service"))
        period: dt.date | None = ex.value("period", row, "period", f.raw(rec, "period"))
        if period is None:
            continue
        key = (service, period.strftime("%Y-%m"))
        reported = ex.report.reported_totals[key] = {
            m: ex.value("decimal", row, m, f.raw(rec, m)) or Decimal(0) for m in REPORTED_MEASURES
        }
        if recalculated:
            reported["charged"] += ex.value("decimal", row, "recalculated", f.raw(rec, "recalculated")) or Decimal(0)
        ex.report.reported_at[key] = row


def check_payments(ex: Examiner, folder: Path) -> Parts:
    """Repeated payments; returns what the payments the load keeps add up to per account and the month
    the load gives them, spilled into ``folder`` in parts of accounts (:func:`~.money.part_of`)."""
    count = part_count(len(ex.accounts))
    paying, hashed = Parts(folder, "payments", count), Parts(folder, "payment-keys", count)
    # 32 bytes a payment, PAYMENTS_AT_ONCE at a time: the hash of its account and its day number (the key of
    # its repeats, with the amount: :func:`payment_keys`), its line, its amount in kopecks, and the position of
    # its account (-1: not loaded) and its month
    columns = _payment_columns()
    account_index = ex.accounts
    repeated = ex.repeated_accounts
    caused: dict[int, Cause] = {}  # lines of payments to a repeated account number -> the repeat
    f, items = ex.blocks("payments")
    path = ex.path("payments")
    last_raw: Any = None  # the account as written on the row before, when plain and known
    account, account_hash, position = "", 0, -1

    def one(row: Where, rec: list[Any]) -> None:
        nonlocal last_raw, account, account_hash, position
        assert f is not None
        raw = f.raw(rec, "account")
        if raw != last_raw:  # an account's payments come together: it is read and found once
            plain = type(raw) is str and PLAIN_IDENT(raw)
            account = ex.ident(row, "account", raw)
            account_hash = hash(account)
            known = account_index.get(account)
            if known is None:
                ex.known_account(row, account)  # reported on every row
            position = -1 if known is None else known
            last_raw = raw if plain and known is not None else None
        if repeated and account in repeated:
            caused[row.line] = repeated[account]
        try:
            day, amount, month = payment_fields(f, rec)
        except Refused as why:
            ex.report.refused(row, why)
            return
        values = (account_hash, day_number(day), row.line, kopecks(amount), position, month)
        for column, value in zip(columns, values, strict=True):
            column.append(value)

    fast = bulk.PaymentRows(f) if f is not None else None
    for item in items:
        if type(item) is tuple:
            one(*item)
        else:
            assert isinstance(item, Block)
            assert fast is not None  # blocks come only of a file opened
            for lo, hi, plain in fast.runs(item, account_index):
                if not plain:
                    for i in range(lo, hi):
                        one(Where(path, int(item.lines[i])), item.record(i))
                    continue
                for column, values in zip(columns, fast.take(lo, hi, repeated, caused), strict=True):
                    column.frombytes(np.ascontiguousarray(values, dtype=column.typecode).tobytes())
                last_raw = None
        if len(columns[0]) >= PAYMENTS_AT_ONCE:
            _spill_payments(paying, hashed, *columns)
            columns = _payment_columns()
    _spill_payments(paying, hashed, *columns)
    found = repeated_payments(ex.path("payments"), hashed)
    for kind, where, fld, value, message in found:
        ex.report.add(kind, where, fld, value, message, cause=caused.get(where.line))
    return paying


PAYMENTS_AT_ONCE = 500_000  # payments read before they go to their parts on disk


def _payment_columns() -> list[array[int]]:
    return [array("q"), array("i"), array("i"), array("q"), array("i"), array("i")]


def payment_keys(accounts: Any, days: Any, kopecks: Any) -> Any:
    """The key of each payment's (account, day, amount): the hash of its account mixed with its day number and
    its kopecks (splitmix64's finalizer, 64 bits), computed for many payments at once."""

    def mix(x: Any) -> Any:
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))

    x = mix(accounts.astype(np.uint64) ^ days.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    return mix(x ^ kopecks.astype(np.uint64)).view(np.int64)


def _spill_payments(paying: Parts, hashed: Parts, *columns: array[int]) -> None:
    """Payments read so far into their parts: by account for the money, by hash for the repeats."""
    accounts, days, lines, amounts, positions, months = (np.frombuffer(c, dtype=c.typecode) for c in columns)
    if not len(accounts):
        return
    keys = payment_keys(accounts, days, amounts)
    hashed.add(keys % hashed.count, keys, amounts, lines)
    loaded = positions >= 0
    at = month_keys(positions[loaded], months[loaded])
    paying.add(part_of(at), at, amounts[loaded], lines[loaded])
