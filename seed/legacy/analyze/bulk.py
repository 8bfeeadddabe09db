"""The usual rows of the long files (balances, readings, payments) a block at a time
(:mod:`seed.legacy.blocks`): whole columns converted at once, and rows taken into the grouped columns in
runs, where reading them one at a time would cost a few microseconds a row.

A row is usual when nothing about it is reported but what the checks find over many rows, or over the run
at once in row order (a balance that does not add up, a reading taken outside its meter's dates): a plain
identifier known to the analysis, a known service, a period, plain amounts. Every other row goes the way
it always went, one at a time, in its turn: a block is cut into runs of usual rows and single other rows,
in file order, so that every problem is counted, and its first examples kept, as before.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np

from seed.legacy.analyze.examiner import Examiner, day_number, iso_day
from seed.legacy.analyze.findings import Where
from seed.legacy.analyze.series import GroupedColumns
from seed.legacy.analyze.spill import Cause
from seed.legacy.blocks import Block, decimal_column, kopeck_column
from seed.legacy.interpret import (
    NULL,
    PLAIN_IDENT,
    SERVICE_IDS,
    EntityFile,
    Refused,
    iso_date,
    month_number,
    service_code,
)
from seed.legacy.rows import BALANCE_MEASURES
from seed.period import iso_month_number
from seed.words.messages import Message

DAYS_KEPT = 200_000  # dates as written read once each: a file of all different ones does not grow memory
RUN_ROWS = 32  # runs of usual rows shorter than this on average: the block is read a row at a time


def runs(usual: Any) -> list[tuple[int, int, bool]]:
    """The block cut into (start, end, usual) runs in order; one run of rows read singly when the usual ones
    come in runs too short to pay for themselves."""
    n = len(usual)
    cuts = np.flatnonzero(usual[1:] != usual[:-1]) + 1
    bounds = [0, *cuts.tolist(), n]
    found = [(lo, hi, bool(usual[lo])) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True) if hi > lo]
    if not usual.any() or int(usual.sum()) < RUN_ROWS * sum(1 for r in found if r[2]):
        return [(0, n, False)]
    return found


class Distinct:
    """A column's distinct values (decoded) with, per row, the index of its value and, per value, its first row."""

    def __init__(self, block: Block, k: int) -> None:
        values, self.first, self.index = np.unique(block.column(k), return_index=True, return_inverse=True)
        self.values = [block.text(v) for v in values.tolist()]


def account_positions(block: Block, k: int, accounts: Any) -> tuple[Any, list[tuple[int, int, str]]]:
    """Each row's account position among the known ones (-1 where the number is not plain or not known),
    and the runs of rows of one number (start, end, number as stripped)."""
    column = block.column(k)
    starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
    ends = np.r_[starts[1:], len(column)]
    found, numbers = np.full(len(starts), -1, dtype=np.int64), []
    for j, (lo, hi, raw) in enumerate(zip(starts.tolist(), ends.tolist(), column[starts].tolist(), strict=True)):
        written = block.text(raw)
        number = written.strip()
        numbers.append((lo, hi, number))
        if PLAIN_IDENT(written):
            at = accounts.get(number)
            if at is not None:
                found[j] = at
    return np.repeat(found, ends - starts), numbers


class BalanceRows:
    """The balances' usual rows of a block: known account, known service, a period, five plain amounts."""

    def __init__(
        self,
        ex: Examiner,
        f: EntityFile,
        services: dict[Any, tuple[str, int, bool]],
        service_index: dict[str, int],
        sums: dict[tuple[str, int], list[int]],
    ) -> None:
        self.ex, self.services, self.service_index, self.sums = ex, services, service_index, sums
        self.path = str(f.mapping.path)
        ix = f.index
        self.i_acc, self.i_svc, self.i_per = ix["account"], ix["service"], ix["period"]
        self.measures = [ix.get(m, -1) for m in BALANCE_MEASURES]

    def runs(self, block: Block, accounts: Any) -> list[tuple[int, int, bool]]:
        """Read the block's columns; its runs (:func:`runs`)."""
        self.block = block
        self.account, self.numbers = account_positions(block, self.i_acc, accounts)
        self.service = Distinct(block, self.i_svc)
        known = np.array([service_code(v) in SERVICE_IDS for v in self.service.values], dtype=bool)
        period = Distinct(block, self.i_per)
        months = np.array([-1 if (m := month_number(v)) is None else m for v in period.values], dtype=np.int64)
        self.month = months[period.index]
        usual = (self.account >= 0) & known[self.service.index] & (self.month >= 0)
        amounts = []
        for measure, k in zip(BALANCE_MEASURES, self.measures, strict=True):
            if k < 0:
                amounts.append(np.zeros(len(block), dtype=np.int64))  # only the recalculation may be left out
                continue
            value, plain = kopeck_column(block, k, empty_zero=measure == "recalculated")
            amounts.append(value)
            usual &= plain
        self.amounts = amounts
        return runs(usual)

    def take(
        self, lo: int, hi: int, columns: GroupedColumns, repeated: dict[str, Cause], caused: dict[int, Cause]
    ) -> None:
        """Rows ``lo`` to ``hi`` of the block, all usual, as the row-at-a-time reading takes them."""
        block, ex, services = self.block, self.ex, self.services
        lines = block.lines[lo:hi]
        # a service written so for the first time here: known in the order first written, as row by row
        first, index = self.service.first, self.service.index
        for u in np.argsort(first).tolist():
            written = self.service.values[u]
            if lo <= first[u] < hi and written not in services:
                code = ex.service(Where(self.path, int(block.lines[first[u]])), written)
                services[written] = (code, self.service_index.setdefault(code, len(self.service_index)), True)
        sv_of = np.array([services[w][1] if w in services else -1 for w in self.service.values], dtype=np.int64)
        sv = sv_of[index[lo:hi]]
        if repeated:
            for start, end, number in self.numbers:
                if number in repeated and start < hi and end > lo:
                    for line in block.lines[max(start, lo) : min(end, hi)].tolist():
                        caused[line] = repeated[number]
        ac, mo = self.account[lo:hi], self.month[lo:hi]
        o, c, r, p, z = (a[lo:hi] for a in self.amounts)
        columns.extend(ac, [ac, sv, mo, o, z, lines, p])
        if columns.whole:
            return
        report, path = ex.report, self.path
        expected = o + c + r - p
        for i in np.flatnonzero(expected != z).tolist():
            said = Message.of("expected", amount=Decimal(int(expected[i])) / 100)
            report.add("balance_not_reconciling", Where(path, int(lines[i])), "closing", Decimal(int(z[i])) / 100, said)
        keys = (sv << 32) | mo
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        summed = [np.add.reduceat(v[order], starts).tolist() for v in (o, c + r, p, z)]
        codes = list(self.service_index)
        for j in np.argsort(order[starts], kind="stable").tolist():  # in the order first met, as the dict has them
            key = int(sorted_keys[starts[j]])
            at = (codes[key >> 32], key & 0xFFFFFFFF)
            total = self.sums.get(at)
            if total is None:
                total = self.sums[at] = [0, 0, 0, 0]
            for m in range(4):
                total[m] += summed[m][j]


class ReadingRows:
    """The readings' usual rows of a block: a plain serial of a known meter of a known service, a period, one
    plain value (no other zone), a date taken that is a date (or none)."""

    def __init__(self, ex: Examiner, f: EntityFile) -> None:
        self.ex, self.path = ex, str(f.mapping.path)
        ix = f.index
        self.i_serial, self.i_service, self.i_period = ix["serial"], ix["service"], ix["period"]
        self.i_taken, self.i_value = ix.get("taken_on", -1), ix["value1"]
        self.zones = [ix.get(z, -1) for z in ("value2", "value3")]
        meters = ex.meters
        # day numbers, 0 for none: views of the meters' own arrays (the meters file is read), not copies
        self.installed = np.frombuffer(meters.installed, dtype=np.int32)
        self.removed = np.frombuffer(meters.removed, dtype=np.int32)
        self.days: dict[str, tuple[int, str]] = {}  # a date taken as written -> (day number, ISO), -1 for none

    def runs(self, block: Block) -> list[tuple[int, int, bool]]:
        """Read the block's columns; its runs (:func:`runs`)."""
        ex, n = self.ex, len(block)
        self.block = block
        service = Distinct(block, self.i_service)
        codes = [service_code(v) for v in service.values]
        for u in np.argsort(service.first).tolist():  # its spellings named in the order met, as row by row
            if codes[u] in SERVICE_IDS:
                ex.service(Where(self.path, int(block.lines[service.first[u]])), service.values[u])
        serial = block.column(self.i_serial)
        starts = np.flatnonzero(np.r_[True, (serial[1:] != serial[:-1]) | (service.index[1:] != service.index[:-1])])
        ends = np.r_[starts[1:], n]
        mids = np.full(len(starts), -1, dtype=np.int64)
        keys, at = [], []  # the runs of a plain serial of a known service: their meters found at once
        for j, (raw, u) in enumerate(zip(serial[starts].tolist(), service.index[starts].tolist(), strict=True)):
            code, written = codes[u], block.text(raw)
            if code in SERVICE_IDS and PLAIN_IDENT(written):
                keys.append((code, written.strip()))
                at.append(j)
        if keys:
            mids[at] = ex.meters.find_many(keys)
        self.mid = np.repeat(mids, ends - starts)
        period = Distinct(block, self.i_period)
        months = np.array([-1 if (m := month_number(v)) is None else m for v in period.values], dtype=np.int64)
        self.month = months[period.index]
        self.value, usual = decimal_column(block, self.i_value)
        usual &= (self.mid >= 0) & (self.month >= 0)
        self.other = []  # the second and third zones: NaN where empty, as the columns hold an absent zone
        for k in self.zones:
            if k < 0:
                self.other.append(np.full(n, np.nan))
                continue
            empty = block.ends[:, k] == block.starts[:, k]
            given = np.flatnonzero(~empty)  # a zone most meters have not: only its values read
            value, plain = np.full(n, np.nan), np.zeros(n, dtype=bool)
            if len(given):
                value[given], plain[given] = decimal_column(block, k, given)
            self.other.append(value)
            usual &= plain | empty
        self.day, self.taken, self.taken_index = np.zeros(n, dtype=np.int64), [""], np.zeros(n, dtype=np.int64)
        if self.i_taken >= 0:
            taken = Distinct(block, self.i_taken)
            days = np.array([self._day(v)[0] for v in taken.values], dtype=np.int64)
            self.day, self.taken, self.taken_index = days[taken.index], taken.values, taken.index
            usual &= self.day >= 0
        return runs(usual)

    def _day(self, written: str) -> tuple[int, str]:
        found = self.days.get(written)
        if found is None:
            try:
                iso = iso_date(written, fld="taken_on")
                found = (day_number(iso), iso)
            except Refused:
                found = (-1, NULL)
            if len(self.days) > DAYS_KEPT:
                self.days.clear()
            self.days[written] = found
        return found

    def take(
        self, lo: int, hi: int, columns: GroupedColumns, repeated: dict[int, Cause], caused: dict[int, Cause]
    ) -> int:
        """Rows ``lo`` to ``hi`` of the block, all usual, as the row-at-a-time reading takes them; their
        latest month."""
        block, report, path = self.block, self.ex.report, self.path
        mid, lines, day = self.mid[lo:hi], block.lines[lo:hi], self.day[lo:hi]
        cause_of: dict[int, Cause] = {}
        if repeated:
            for i in np.flatnonzero(np.isin(mid, list(repeated))).tolist():
                cause_of[i] = caused[int(lines[i])] = repeated[int(mid[i])]
        removed, installed = self.removed[mid], self.installed[mid]
        after = (day != 0) & (removed != 0) & (day > removed)
        before = (day != 0) & (installed != 0) & (day < installed)
        for i in np.flatnonzero(after | before).tolist():
            row, taken = Where(path, int(lines[i])), self.taken[self.taken_index[lo + i]]
            taken = self._day(taken)[1]
            if after[i]:
                said = Message.of("removed", day=iso_day(int(removed[i])))
                report.add("reading_after_removal", row, "taken_on", taken, said, cause=cause_of.get(i))
            if before[i]:
                said = Message.of("installed", day=iso_day(int(installed[i])))
                report.add("reading_before_install", row, "taken_on", taken, said, cause=cause_of.get(i))
        z2, z3 = (z[lo:hi] for z in self.other)
        columns.extend(mid, [mid, self.month[lo:hi], self.value[lo:hi], lines, z2, z3])
        return int(self.month[lo:hi].max())


class PaymentRows:
    """The payments' usual rows of a block: a plain known account, a day paid, an amount with kopecks above
    zero; their month is the period's, else the day's (:func:`~seed.legacy.rows.payment_fields`)."""

    def __init__(self, f: EntityFile) -> None:
        ix = f.index
        self.i_acc, self.i_day, self.i_amount, self.i_period = (
            ix["account"],
            ix["paid_on"],
            ix["amount"],
            ix.get("period", -1),
        )
        self.days: dict[str, tuple[int, int]] = {}  # a day as written -> (day number, its month), -1 for none

    def runs(self, block: Block, accounts: Any) -> list[tuple[int, int, bool]]:
        """Read the block's columns; its runs (:func:`runs`)."""
        self.block = block
        self.position, self.numbers = account_positions(block, self.i_acc, accounts)
        paid = Distinct(block, self.i_day)
        found = np.array([self._day(v) for v in paid.values], dtype=np.int64).reshape(-1, 2)
        self.day, month = found[paid.index, 0], found[paid.index, 1]
        if self.i_period >= 0:
            period = Distinct(block, self.i_period)
            months = [-1 if v == "" or (m := month_number(v)) is None else m for v in period.values]
            given = np.array(months, dtype=np.int64)[period.index]
            month = np.where(given >= 0, given, month)
        self.month = month
        self.kopecks, plain = kopeck_column(block, self.i_amount)
        return runs((self.position >= 0) & (self.day > 0) & plain & (self.kopecks > 0))

    def _day(self, written: str) -> tuple[int, int]:
        found = self.days.get(written)
        if found is None:
            try:
                iso = iso_date(written, fld="paid_on")
                found = (-1, -1) if iso == NULL else (day_number(iso), iso_month_number(iso))
            except Refused:
                found = (-1, -1)
            if len(self.days) > DAYS_KEPT:
                self.days.clear()
            self.days[written] = found
        return found

    def take(self, lo: int, hi: int, repeated: dict[str, Cause], caused: dict[int, Cause]) -> list[Any]:
        """Rows ``lo`` to ``hi`` of the block, all usual: the columns the row-at-a-time reading keeps of them
        (the hash of the account, the day number, the line, the kopecks, the account's position, the month)."""
        block = self.block
        hashes = np.zeros(hi - lo, dtype=np.int64)
        for start, end, number in self.numbers:
            if start < hi and end > lo:
                hashes[max(start, lo) - lo : min(end, hi) - lo] = hash(number)
                if repeated and number in repeated:
                    for line in block.lines[max(start, lo) : min(end, hi)].tolist():
                        caused[line] = repeated[number]
        return [
            hashes,
            self.day[lo:hi],
            block.lines[lo:hi],
            self.kopecks[lo:hi],
            self.position[lo:hi],
            self.month[lo:hi],
        ]
