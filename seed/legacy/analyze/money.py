"""Money as `provision check` will see it after the load: each account's paid amounts of a month over its
services against its payments of that month (``balance_matches_payments``), and each closed account's
balance in its last month (``closed_account_settled``), both from the rows the load keeps.

The balances are read in the forked child, the payments in the parent: each side comes back as compact
numpy columns per account and month (an account is its position among the accounts the load keeps, the
same in both processes), and the two are compared here. When most months that differ come right with the
payments moved a month or more back, the export dates its payments after the period they pay for: the
report says by how much.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

import numpy as np

from seed.legacy.analyze.examiner import iso_day
from seed.legacy.analyze.findings import Note, Report, Where
from seed.legacy.analyze.scratch import Parts
from seed.legacy.analyze.spill import Cause
from seed.legacy.interpret import SERVICE_IDS
from seed.legacy.words import payments_lag
from seed.period import month_label
from seed.words.messages import Message

MONTH_BITS = 20  # a key: the account's position << MONTH_BITS | the month number (year * 12 + month - 1)
SHIFTS = (1, 2, 3)  # months the payments are moved back to see whether they then match
EMPTY = np.zeros(0, dtype=np.int64)
ACCOUNTS_PER_PART = 50_000  # accounts whose months are compared at once: a part of the spilled books


def month_keys(accounts: Any, months: Any) -> Any:
    return (accounts.astype(np.int64) << MONTH_BITS) | months.astype(np.int64)


def part_of(keys: Any) -> Any:
    """The part of the spilled books each account-month key is in: a range of account positions."""
    return (keys >> MONTH_BITS) // ACCOUNTS_PER_PART


def part_count(accounts: int) -> int:
    """How many parts the books of so many known accounts are spilled in."""
    return max(-(-accounts // ACCOUNTS_PER_PART), 1)


class PerMonth(NamedTuple):
    """Amounts per account and month: keys sorted and distinct, kopecks summed, the first file line of each."""

    keys: Any
    kopecks: Any
    lines: Any

    @classmethod
    def empty(cls) -> PerMonth:
        return cls(EMPTY, EMPTY, EMPTY.astype(np.int32))

    @classmethod
    def summed(cls, keys: Any, kopecks: Any, lines: Any) -> PerMonth:
        if not len(keys):
            return cls.empty()
        order = np.lexsort((lines, keys))
        keys, kopecks, lines = keys[order], kopecks[order], lines[order]
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        return cls(keys[starts], np.add.reduceat(kopecks, starts), lines[starts])

    @classmethod
    def joined(cls, parts: list[PerMonth]) -> PerMonth:
        """Parts of complete accounts in one: as they are when the accounts came in order, as usual."""
        if not parts:
            return cls.empty()
        whole = cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls._fields))
        parts.clear()
        if len(whole.keys) < 2 or bool((whole.keys[1:] > whole.keys[:-1]).all()):
            return whole
        return cls.summed(*whole)


class BalanceMoney:
    """In the forked child: what the balances the load keeps add up to per account and month, collected
    batch by batch from complete accounts (see :class:`~seed.legacy.analyze.series.GroupedColumns`): into
    ``parts`` on disk when given, else in memory. Each account's last month and its closing are kept only
    for the accounts ``closed`` says are closed (a flag per position), when it is given."""

    def __init__(
        self, known_accounts: int, services: dict[str, int], parts: Parts | None = None, closed: Any = None
    ) -> None:
        self.known_accounts, self.services = known_accounts, services  # code -> index, as the columns give it
        self.parts, self.closed = parts, closed
        self.reset()

    def reset(self) -> None:
        """Forget what was collected (the file is read again, whole)."""
        self.paid: list[PerMonth] = []
        self.last: list[tuple[Any, Any, Any]] = []  # account positions, their last month, closing then
        if self.parts is not None:
            for part in range(self.parts.count):
                self.parts.path(part).unlink(missing_ok=True)

    def add(self, ac: Any, sv: Any, mo: Any, line: Any, paid: Any, closing: Any) -> None:
        """A batch of balance rows of complete accounts: only those the load keeps (a known account and
        service, the first row of an account, service and month) count."""
        known_service = np.zeros(max(len(self.services), 1), dtype=bool)
        for code, index in self.services.items():
            known_service[index] = code in SERVICE_IDS
        kept = (ac < self.known_accounts) & known_service[sv]
        ac, sv, mo, line, paid, closing = ac[kept], sv[kept], mo[kept], line[kept], paid[kept], closing[kept]
        if not len(ac):
            return
        order = np.lexsort((line, mo, sv, ac))
        ac, sv, mo, line, paid, closing = ac[order], sv[order], mo[order], line[order], paid[order], closing[order]
        first = np.r_[True, (ac[1:] != ac[:-1]) | (sv[1:] != sv[:-1]) | (mo[1:] != mo[:-1])]
        ac, mo, line, paid, closing = ac[first], mo[first], line[first], paid[first], closing[first]
        keys = month_keys(ac, mo)
        summed = PerMonth.summed(keys, paid, line)
        if self.parts is None:
            self.paid.append(summed)
        else:
            self.parts.add(part_of(summed.keys), *summed)
        closings = PerMonth.summed(keys, closing, line)
        accounts = (closings.keys >> MONTH_BITS).astype(np.int64)
        ends = np.flatnonzero(np.r_[accounts[1:] != accounts[:-1], True])  # sorted by month: the last wins
        if self.closed is not None:
            ends = ends[self.closed[accounts[ends]]]
        months = closings.keys[ends] & ((1 << MONTH_BITS) - 1)
        self.last.append((accounts[ends], months, closings.kopecks[ends]))

    def result(self) -> tuple[PerMonth, tuple[Any, Any, Any]]:
        """The paid amounts per account and month (none when they went to parts), and each account's last
        month and its closing."""
        paid = PerMonth.joined(self.paid)
        if not self.last:
            return paid, (EMPTY, EMPTY, EMPTY)
        accounts, months, closing = (np.concatenate(c) for c in zip(*self.last, strict=True))
        return paid, (accounts, months, closing)


def closed_with_balance(
    report: Report,
    accounts_file: str,
    lines: Sequence[int],
    closed: Sequence[int],
    last: tuple[Any, Any, Any],
    causes: dict[int, Cause] | None = None,
) -> None:
    """Closed accounts whose balances over all services do not close at zero in the account's last month
    (named by their line in the accounts file: an account's number is personal). By position: each
    account's line, the day it was closed (0: open), the repeat it follows from."""
    positions, _months, closing = last
    owing = closing != 0
    for position, kopecks in zip(positions[owing].tolist(), closing[owing].tolist(), strict=True):
        if closed[position]:
            where, said = Where(accounts_file, lines[position]), Message.of("closed", day=iso_day(closed[position]))
            cause = causes.get(position) if causes else None
            report.add("closed_account_balance", where, "closing", Decimal(kopecks) / 100, said, cause=cause)


def _differing(balances: PerMonth, payments: PerMonth, shift: int = 0) -> Any:
    """The keys of the account-months whose paid differs from their payments (payments moved ``shift``
    months back), sorted: each side's sorted keys looked up in the other's, no sort of both."""
    paying = payments.keys - shift if shift else payments.keys
    found = _amounts_at(paying, payments.kopecks, balances.keys)
    own = balances.keys[found != balances.kopecks]
    alone = paying[~_present(balances.keys, paying)]  # payments of months without balances (never zero)
    if not len(alone):
        return own
    return np.union1d(own, alone)


def _present(keys: Any, wanted: Any) -> Any:
    """Whether each of ``wanted`` is among the sorted ``keys``."""
    if not len(keys):
        return np.zeros(len(wanted), dtype=bool)
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return keys[at] == wanted


def _amounts_at(keys: Any, amounts: Any, wanted: Any) -> Any:
    """The amount of each of ``wanted`` among the sorted ``keys`` (0 where it is not there)."""
    if not len(keys):
        return np.zeros(len(wanted), dtype=np.int64)
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where(keys[at] == wanted, amounts[at], 0)


class Lag(NamedTuple):
    months: list[int]  # how many months after their period the payments arrive (one, or a range)
    differing: int  # account-months whose paid differs from their payments
    after: dict[int, int]  # how many still differ with the payments moved k months back


class LagCounts(NamedTuple):
    """What the lag is judged on, summed over the parts of the books (each part's accounts are its own)."""

    differing: int
    after: dict[int, int]  # how many still differ with the payments moved k months back
    fixed: dict[tuple[int, ...], int]  # how many come right with one of these shifts or another

    def plus(self, other: LagCounts) -> LagCounts:
        return LagCounts(
            self.differing + other.differing,
            {k: self.after[k] + other.after[k] for k in SHIFTS},
            {ks: self.fixed[ks] + other.fixed[ks] for ks in SHIFT_SETS},
        )


SHIFT_SETS = [tuple(k for i, k in enumerate(SHIFTS) if bits >> i & 1) for bits in range(1, 1 << len(SHIFTS))]
NO_LAG = LagCounts(0, dict.fromkeys(SHIFTS, 0), dict.fromkeys(SHIFT_SETS, 0))


def lag_counts(balances: PerMonth, payments: PerMonth, differing: Any) -> LagCounts:
    """How many of the ``differing`` account-months each shift of the payments, and each set of shifts
    together, makes match."""
    if not len(differing):
        return NO_LAG
    after = {k: _differing(balances, payments, k) for k in SHIFTS}
    fixed_by = {k: np.setdiff1d(differing, after[k], assume_unique=True) for k in SHIFTS}
    fixed = {ks: len(np.unique(np.concatenate([fixed_by[k] for k in ks]))) for ks in SHIFT_SETS}
    return LagCounts(len(differing), {k: len(a) for k, a in after.items()}, fixed)


def judged_lag(counts: LagCounts) -> Lag | None:
    """How many months the payments come after the period they pay for, when moving them back that many
    months makes most of the differing account-months match (net of the months it breaks); or, when
    accounts differ in their lag, when the shifts together make most of them match and each of those
    shifts alone still makes a quarter fewer differ. None when no shift does."""
    n = counts.differing
    if n < 2:
        return None
    fewer = {k: n - counts.after[k] for k in SHIFTS}
    lags = [k for k in SHIFTS if 4 * fewer[k] >= n and fewer[k] > 0]
    if not lags:
        return None
    if 2 * max(fewer.values()) < n:  # no one shift: do the lags found make most match together?
        if 2 * counts.fixed[tuple(lags)] <= n:
            return None
    else:
        best = max(SHIFTS, key=lambda k: fewer[k])
        lags = [k for k in lags if 2 * fewer[k] >= fewer[best]]
    return Lag(lags, n, dict(counts.after))


def usual_lag(balances: PerMonth, payments: PerMonth, differing: Any) -> Lag | None:
    """:func:`judged_lag` of books held whole in memory."""
    return judged_lag(lag_counts(balances, payments, differing)) if len(differing) >= 2 else None


Pair = Callable[[], tuple[PerMonth, PerMonth]]  # a part of the books: its balances' and payments' amounts


def paid_against_payments(
    report: Report,
    balances_file: str,
    payments_file: str,
    balances: PerMonth,
    payments: PerMonth,
    causes: dict[int, Cause] | None = None,
) -> None:
    """:func:`compare_money` of books held whole in memory."""
    compare_money(report, balances_file, payments_file, [lambda: (balances, payments)], causes)


def spilled_pairs(balances: Parts, payments: Parts) -> list[Pair]:
    """The parts of the books as the two processes spilled them (by :func:`part_of`), read when asked."""

    def pair(part: int) -> Pair:
        return lambda: (PerMonth.summed(*balances.read(part)), PerMonth.summed(*payments.read(part)))

    return [pair(part) for part in range(balances.count)]


def compare_money(
    report: Report, balances_file: str, payments_file: str, pairs: list[Pair], causes: dict[int, Cause] | None = None
) -> None:
    """Every account-month whose paid amounts over its services differ from its payments, at the first
    balance row of that account and month (or its first payment when it has no balance); ``causes``: the
    duplicate each account (by position) follows from, if any. The books come in parts of whole accounts,
    in the order of their positions, each read twice: once for the lag, once for the problems."""
    counts = NO_LAG
    for pair in pairs:
        balances, payments = pair()
        counts = counts.plus(lag_counts(balances, payments, _differing(balances, payments)))
    n = counts.differing
    if not n:
        return
    lag = judged_lag(counts)
    lagging = ""
    if lag is not None:
        en, ru = (payments_lag(*lag, lang=lang) for lang in ("en", "ru"))
        report.notes.append(Note(KIND, en, ru))
        lags = lag[0]
        lagging = f"{lags[0]}" if len(lags) == 1 else f"{lags[0]}-{lags[-1]}"
    limit = n if report.tally.limit is None else min(n, max(report.tally.limit - len(report.examples[KIND]), 0))
    if report.spill is not None or causes:  # every one goes to the complete list, or may follow from a duplicate
        limit = n
    if n > limit:
        report.tally.counts[KIND] += n - limit
    for pair in pairs:
        if limit <= 0:
            break
        balances, payments = pair()
        shown = _differing(balances, payments)[:limit]
        limit -= len(shown)
        _report_differing(report, balances_file, payments_file, balances, payments, shown, lagging, causes)


def _report_differing(
    report: Report,
    balances_file: str,
    payments_file: str,
    balances: PerMonth,
    payments: PerMonth,
    shown: Any,
    lagging: str,
    causes: dict[int, Cause] | None,
) -> None:
    b_at = np.searchsorted(balances.keys, shown)
    p_at = np.searchsorted(payments.keys, shown)
    for key, b, p in zip(shown.tolist(), b_at.tolist(), p_at.tolist(), strict=True):
        has_b = b < len(balances.keys) and int(balances.keys[b]) == key
        has_p = p < len(payments.keys) and int(payments.keys[p]) == key
        paid = int(balances.kopecks[b]) if has_b else 0
        paying = int(payments.kopecks[p]) if has_p else 0
        where = Where(balances_file, int(balances.lines[b])) if has_b else Where(payments_file, int(payments.lines[p]))
        month = month_label(key & ((1 << MONTH_BITS) - 1))
        amount = Decimal(paying) / 100
        said = (
            Message.of("payments_for_lagging", month=month, amount=amount, lag=lagging)
            if lagging
            else Message.of("payments_for", month=month, amount=amount)
        )
        cause = causes.get(key >> MONTH_BITS) if causes else None
        report.add(KIND, where, "paid", Decimal(paid) / 100, said, cause=cause)


KIND = "paid_not_payments"
