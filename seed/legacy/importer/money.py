"""Stage five: balances and payments (60% of an export's rows), streamed by COPY in a second process."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from typing import Any

import numpy as np

from seed.legacy.blocks import Block, kopeck_column
from seed.legacy.importer import blockwise, bulk
from seed.legacy.importer.agents import Agents
from seed.legacy.importer.rejected import Rejects
from seed.legacy.importer.state import ImportState, Seen
from seed.legacy.interpret import (
    DUPLICATE_BALANCE,
    FIVE_AMOUNTS,
    NOT_A_DATE,
    NOT_A_PERIOD,
    NULL,
    SERVICE_IDS,
    UNKNOWN_ACCOUNT,
    UNKNOWN_PAYER,
    UNKNOWN_SERVICE,
    EntityFile,
    Refused,
    iso_date,
    kopecks,
    month_number,
    number,
    text,
)
from seed.legacy.rows import ServiceOf, balance_amounts, payment_fields
from seed.period import iso_month_number, month_iso

BALANCE_COLUMNS = ("account", "service", "period", "opening", "charged", "paid", "closing")
SERVICE_BITS = max(SERVICE_IDS.values()).bit_length()  # a month and a service as one number


@dataclass
class Registry:
    """A payment registry as the payments name it (or one made up per agent and day)."""

    id: int
    agent: int
    name: str
    first_day: str
    lines: int = 0
    kopecks: int = 0


@dataclass
class MoneyPart:
    """What the second process did, as plain data for the first."""

    rows: dict[str, int]
    read: dict[str, int]
    months: set[int]
    rejects: Rejects
    registries: list[Registry]
    agents: dict[str, int]  # an agent added (matching no built-in one), as first written -> its id
    seconds: float = 0.0
    services: bytearray | None = None  # with no services file: each account's services its balances name


def write_balances(state: ImportState) -> bytearray | None:
    """balance by COPY; a balance of an account, service and month read before is left out (the first
    stays). A plain batch of rows is written a column at a time (:mod:`~seed.legacy.importer.bulk`), any
    other a row at a time. With no services file, returns the services each account's balances name
    (:meth:`~seed.legacy.importer.state.ImportState.services_found`), for the first process to write."""
    named = state.services_found()
    if (f := state.open("balances")) is None:
        return named
    bits = None if named is None else np.frombuffer(named, dtype=np.uint8)
    i_acc, i_svc, i_per, i_o, i_c, i_p, i_z = (f.index.get(k, -1) for k in BALANCE_COLUMNS)
    i_r = f.index.get("recalculated")
    service_of = ServiceOf(state.mapping, "balances").of_account if i_svc < 0 else None
    accounts, month_text = state.account_ids.get_many, state.month
    services: dict[Any, int | None] = {}
    months: dict[Any, int | None] = {}  # a period as written -> its month
    seen = Seen(len(state.account_ids))
    again = seen.again
    written = state.lines("balance")
    add, refuse = written.add, state.rejects.refuse

    def plain(batch: list[tuple[int, list[Any]]]) -> bool:
        """The batch written a column at a time, if every row of it loads."""
        cols = bulk.columns(batch) if service_of is None else None
        if cols is None:
            return False
        numbers = cols[i_acc]
        try:  # a cell that is not text (an XLSX number) is the row-at-a-time path's to read
            if tuple(map(str.strip, numbers)) != numbers:
                return False
            recalculated = [r or "0" for r in cols[i_r]] if i_r is not None else repeat("0", len(batch))
            five = map("\t".join, zip(cols[i_o], cols[i_c], recalculated, cols[i_p], cols[i_z], strict=False))
            amounts = bulk.FIVE_AMOUNTS_LINES.lines(list(five), len(batch))
        except TypeError:
            return False
        found = accounts(list(map(hash, numbers)))
        if 0 in found:
            return False
        sids = bulk.read_once(cols[i_svc], services, bulk.service_id)
        periods = bulk.read_once(cols[i_per], months, month_number)
        if sids is None or periods is None:
            return False
        if amounts is None or not seen.fresh(
            [m << SERVICE_BITS | s for m, s in zip(periods, sids, strict=True)], found
        ):
            return False
        texts = {m: month_text(m) for m in set(periods)}
        lines = map("{}\t{}\t{}\t{}\n".format, found, sids, map(texts.__getitem__, periods), amounts)
        if bits is not None:
            np.bitwise_or.at(bits, found, np.left_shift(1, sids).astype(np.uint8))
        written.add_block("".join(lines), len(batch))
        return True

    def one_by_one(batch: list[tuple[int, list[Any]]]) -> None:
        """The rows written a row at a time, refused where they must be."""
        numbers = [_number(rec[i_acc]) for _, rec in batch]
        for (line, rec), written_as, account in zip(batch, numbers, accounts(list(map(hash, numbers))), strict=True):
            try:
                if not account:
                    raise Refused(UNKNOWN_ACCOUNT, "account", rec[i_acc], personal=True)
                sid: int | None
                if service_of is not None:  # no service column: the account's only one
                    sid = SERVICE_IDS[service_of(written_as)]
                else:
                    sid = services.get(rec[i_svc], -1)
                    if sid == -1:
                        sid = services[rec[i_svc]] = bulk.service_id(rec[i_svc])
                    if sid is None:
                        raise Refused(UNKNOWN_SERVICE, "service", rec[i_svc])
                month = months.get(raw_period := rec[i_per], -1)
                if month == -1:
                    month = months[raw_period] = month_number(raw_period)
                if month is None:
                    raise Refused(NOT_A_PERIOD, "period", raw_period)
                recalculated = (rec[i_r] or "0") if i_r is not None else "0"
                amounts = f"{rec[i_o]}\t{rec[i_c]}\t{recalculated}\t{rec[i_p]}\t{rec[i_z]}".replace(",", ".")
                if not FIVE_AMOUNTS(amounts):  # spaces, XLSX floats, or not numbers at all
                    amounts = "\t".join(balance_amounts(f, rec))
                if again(month << SERVICE_BITS | sid, account):
                    raise Refused(DUPLICATE_BALANCE, "period")
            except Refused as why:
                refuse(f.name, line, why)
                continue
            add(f"{account}\t{sid}\t{month_text(month)}\t{amounts}\n")
            if bits is not None:
                bits[account] |= 1 << sid

    def block_of(block: Block) -> None:
        """A block's usual rows written a run at a time (:mod:`~seed.legacy.importer.blockwise`), the
        others a row at a time, in order."""
        for known in (services, months):  # each written form read once, some thousands of them kept
            if len(known) > bulk.KNOWN:
                known.clear()
        starts, ends, numbers = blockwise.key_runs(block, i_acc)
        account = np.repeat(np.array(accounts(list(map(hash, numbers)))), ends - starts)
        names, service = blockwise.distinct(block, i_svc)
        sid_of = [services[v] if v in services else services.setdefault(v, bulk.service_id(v)) for v in names]
        sid = np.array([-1 if s is None else s for s in sid_of], dtype=np.int64)[service]
        names, period = blockwise.distinct(block, i_per)
        month_of = [months[v] if v in months else months.setdefault(v, month_number(v)) for v in names]
        month = np.array([-1 if m is None else m for m in month_of], dtype=np.int64)[period]
        usual = (account > 0) & (sid >= 0) & (month >= 0)
        for k in (i_o, i_c, i_p, i_z):
            usual &= kopeck_column(block, k)[1]
        tail: list[blockwise.Field] = [("col", i_o, None), ("col", i_c, None)]
        if i_r is not None:
            usual &= kopeck_column(block, i_r, empty_zero=True)[1]
            tail.append(("col", i_r, "0"))
        else:
            tail.append(("tab", ["0"], None))
        tail += [("col", i_p, None), ("col", i_z, None)]
        in_a_row = (i_o, i_c, i_r, i_p) == (i_z - 4, i_z - 3, i_z - 2, i_z - 1) and block.sep not in ",."
        if in_a_row and not (block.ends[:, i_r] == block.starts[:, i_r]).any():  # the five amounts as written
            tail = [("span", (i_o, i_z), None)]
        group = month << SERVICE_BITS | sid
        dead = account == 0  # refused as an unknown account, before anything is seen
        for lo, hi, plain_run in blockwise.runs(usual | dead):
            if not plain_run:
                one_by_one(blockwise.records(block, lo, hi))
                continue
            some, gone = blockwise.split(lo, usual[lo:hi], dead[lo:hi])
            new = blockwise.fresh(seen, group[some], account[some])
            rows = some[new]
            if len(rows):
                months_in, month_index = np.unique(month[rows], return_inverse=True)
                accounts_in, account_index = np.unique(account[rows], return_inverse=True)
                sids_in, sid_index = np.unique(sid[rows], return_inverse=True)
                zeros = np.zeros(len(rows), dtype=np.int64)
                fields: list[blockwise.Field] = [
                    ("tab", list(map(str, accounts_in.tolist())), account_index.ravel()),
                    ("tab", list(map(str, sids_in.tolist())), sid_index.ravel()),
                    ("tab", [month_text(m) for m in months_in.tolist()], month_index.ravel()),
                    *[(kind, what, zeros if kind == "tab" else how) for kind, what, how in tail],
                ]
                written.add_block(blockwise.gather(block, rows, fields), len(rows))
                if bits is not None:
                    np.bitwise_or.at(bits, account[rows], np.left_shift(1, sid[rows]).astype(np.uint8))
            if len(rows) < hi - lo:  # repeated keys and unknown accounts refused, in line order
                one_by_one(blockwise.picked(block, blockwise.merged(some[~new], gone)))

    def records(batch: list[blockwise.Record]) -> None:
        if not plain(batch):
            one_by_one(batch)

    blockwise.each(state, f, block_of, records, blocks=service_of is None)
    written.flush()
    return named


def _number(raw: Any) -> str:
    """An account number as written (stripped, as text)."""
    return raw if type(raw) is str and raw == raw.strip() else text(raw)


def write_payments(state: ImportState) -> tuple[list[Registry], dict[str, int]]:
    """payment by COPY; the registries the payments name and the agents added (:class:`Agents`). A plain
    batch of rows is read a column at a time (:mod:`~seed.legacy.importer.bulk`), any other a row at a
    time; both name agents and registries in the order their rows come."""
    registries: dict[tuple[int, str], Registry] = {}
    agents = Agents()
    agent_id = agents.id
    f = state.open("payments")
    if f is None:
        return [], agents.added
    i_acc = f.index["account"]
    refuse = state.rejects.refuse
    lines = state.lines("payment")
    pid = 0
    accounts = state.account_ids.get_many
    plain = _PlainPayments(f, accounts)

    def registry(agent_name: str, registry_name: str, day: str, amount_kopecks: int) -> tuple[int, int]:
        """The agent's and registry's ids of a payment, with the payment counted in its registry."""
        agent = agent_id(agent_name)
        registry_name = registry_name or f"реестр {agent} от {day}"
        reg = registries.get((agent, registry_name))
        if reg is None:
            reg = registries[(agent, registry_name)] = Registry(len(registries) + 1, agent, registry_name, day)
        reg.first_day = min(reg.first_day, day)
        reg.lines += 1
        reg.kopecks += amount_kopecks
        return agent, reg.id

    def write(read: tuple[list[Any], ...], n: int) -> None:
        """``n`` rows read a column at a time, written."""
        nonlocal pid
        found, agent_names, registry_names, days, amounts, months = read
        ids = list(map(registry, agent_names, registry_names, days, map(itemgetter(1), amounts)))
        texts = {m: month_iso(m) for m in set(months)}
        agent_ids, registry_ids = map(itemgetter(0), ids), map(itemgetter(1), ids)
        payment_ids, month_texts = range(pid + 1, pid + n + 1), map(texts.__getitem__, months)
        written = map(PAYMENT_LINE.format, payment_ids, found, agent_ids, registry_ids, days, month_texts,
                      map(itemgetter(0), amounts))  # fmt: skip
        lines.add_block("".join(written), n)
        pid += n

    def block_of(block: Block) -> None:
        """A block's usual rows read a run at a time (:meth:`_PlainPayments.block`), the others a row at
        a time, in order."""
        read, usual, dead = plain.block(block)
        for lo, hi, plain_run in blockwise.runs(usual | dead):
            if not plain_run:
                one_by_one(blockwise.records(block, lo, hi))
                continue
            some, gone = blockwise.split(lo, usual[lo:hi], dead[lo:hi])
            if len(some) == hi - lo:
                write(tuple(column[lo:hi] for column in read), hi - lo)
                continue
            if len(some):
                at = some.tolist()
                write(tuple([column[i] for i in at] for column in read), len(at))
            one_by_one(blockwise.picked(block, gone))  # unknown accounts refused, in line order

    def one_by_one(batch: list[tuple[int, list[Any]]]) -> None:
        """The rows written a row at a time, refused where they must be."""
        nonlocal pid
        numbers = [hash(_number(rec[i_acc])) for _, rec in batch]
        for (line, rec), account in zip(batch, accounts(numbers), strict=True):
            try:
                if not account:
                    raise Refused(UNKNOWN_PAYER, "account", rec[i_acc], personal=True)
                day, amount, month = payment_fields(f, rec)
            except Refused as why:
                refuse(f.name, line, why)
                continue
            agent, reg_id = registry(f.get(rec, "agent") or NO_AGENT, f.get(rec, "registry"), day, kopecks(amount))
            pid += 1
            lines.add(f"{pid}\t{account}\t{agent}\t{reg_id}\t{day}\t{month_iso(month)}\t{amount}\n")

    def records(batch: list[blockwise.Record]) -> None:
        if (read := plain(batch)) is not None:
            write(read, len(batch))
        else:
            one_by_one(batch)

    blockwise.each(state, f, block_of, records)
    lines.flush()
    return list(registries.values()), agents.added


NO_AGENT = "не указан"
PAYMENT_LINE = "{}\t{}\t{}\t{}\t{}\t{}\t{}\n"  # id, account, agent, registry, day, month, amount
UNSET = object()


class _PlainPayments:
    """A batch of payments read a column at a time, each distinct date, amount, period, agent and registry
    written once read once (as :func:`~seed.legacy.rows.payment_fields` and the row-at-a-time path read them);
    None for a batch with any row that does not load (or a cell that is not text)."""

    def __init__(self, f: EntityFile, accounts: Callable[[Sequence[int]], list[int]]) -> None:
        self.accounts = accounts
        self.i_acc, self.i_day, self.i_amount = f.index["account"], f.index["paid_on"], f.index["amount"]
        self.i_period, self.i_agent, self.i_registry = (f.index.get(k) for k in ("period", "agent", "registry"))
        self.days: dict[Any, str | None] = {}
        self.months: dict[Any, int | None] = {}
        self.agents: dict[Any, str] = {}
        self.registries: dict[Any, str] = {}

    def __call__(self, batch: list[tuple[int, list[Any]]]) -> tuple[list[Any], ...] | None:
        cols = bulk.columns(batch)
        if cols is None:
            return None
        numbers = cols[self.i_acc]
        try:  # a cell that is not text (an XLSX number) is the row-at-a-time path's to read
            if tuple(map(str.strip, numbers)) != numbers:
                return None
        except TypeError:
            return None
        found = self.accounts(list(map(hash, numbers)))
        days = bulk.read_once(cols[self.i_day], self.days, _day)
        amounts = bulk.read_once(cols[self.i_amount], {}, _amount)  # nearly all distinct: read once a batch
        if 0 in found or days is None or amounts is None:
            return None
        rows = len(batch)
        months: list[Any] = [None] * rows
        if self.i_period is not None:
            months = bulk.read_once(cols[self.i_period], self.months, _period, UNSET)  # type: ignore[assignment]
        if None in months:  # no period: the day's month
            months = [iso_month_number(d) if m is None else m for m, d in zip(months, days, strict=True)]
        agents = [NO_AGENT] * rows if self.i_agent is None else bulk.read_once(cols[self.i_agent], self.agents, _agent)
        names = [""] * rows if self.i_registry is None else bulk.read_once(cols[self.i_registry], self.registries, text)
        return found, agents, names, days, amounts, months  # type: ignore[return-value]

    def block(self, block: Block) -> tuple[list[Any], Any, Any]:
        """A block's columns as :meth:`__call__` gives a batch's, which of its lines are usual (a known
        account, a day, an amount with kopecks above zero: :func:`~seed.legacy.blocks.kopeck_column`), and
        which are dead (an unknown account: refused first thing)."""
        for known in (self.days, self.months, self.agents, self.registries):
            if len(known) > bulk.KNOWN:
                known.clear()
        starts, ends, numbers = blockwise.key_runs(block, self.i_acc)
        found = np.repeat(np.array(self.accounts(list(map(hash, numbers)))), ends - starts)
        names, day_index = blockwise.distinct(block, self.i_day)
        day_of = [self.days[v] if v in self.days else self.days.setdefault(v, _day(v)) for v in names]
        kopecks_of, usual = kopeck_column(block, self.i_amount)
        usual &= (found > 0) & (kopecks_of > 0) & np.array([d is not None for d in day_of], dtype=bool)[day_index]
        rows = np.flatnonzero(usual)
        n = len(block)
        amounts: list[Any] = [None] * n
        if len(rows):
            texts = blockwise.gather(block, rows, [("col", self.i_amount, None)]).split("\n")
            for i, text_, cents in zip(rows.tolist(), texts, kopecks_of[rows].tolist(), strict=False):
                amounts[i] = (text_, cents)
        month = np.array([-1 if d is None else iso_month_number(d) for d in day_of], dtype=np.int64)[day_index]
        if self.i_period is not None:
            names, index = blockwise.distinct(block, self.i_period)
            given = [self.months[v] if v in self.months else self.months.setdefault(v, _period(v)) for v in names]
            month = np.where((period := np.array([-1 if g is None else g for g in given])[index]) >= 0, period, month)
        columns: list[Any] = [found.tolist(), None, None, np.array(day_of, dtype=object)[day_index].tolist()]
        named = ((self.i_agent, self.agents, _agent), (self.i_registry, self.registries, text))
        for at, (k, known, read) in enumerate(named):
            if k is None:
                columns[1 + at] = [NO_AGENT if at == 0 else ""] * n
                continue
            names, index = blockwise.distinct(block, k)
            got = [known[v] if v in known else known.setdefault(v, read(v)) for v in names]
            columns[1 + at] = np.array(got, dtype=object)[index].tolist()
        return [*columns, amounts, month.tolist()], usual, found == 0


def _day(raw: Any) -> str | None:
    try:
        day = iso_date(raw, NOT_A_DATE, "paid_on")
    except Refused:
        return None
    return None if day == NULL else day


def _amount(raw: Any) -> tuple[str, int] | None:
    amount = number(raw)
    if amount is None:
        return None
    cents = kopecks(amount)
    return None if float(amount) < 0.01 and cents <= 0 else (amount, cents)


def _period(raw: Any) -> int | None:
    return month_number(raw) if raw != "" else None


def _agent(raw: Any) -> str:
    return text(raw) or NO_AGENT
