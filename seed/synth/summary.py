"""The statistics' summary of the generated books (the ``stat_*`` tables of :file:`sql/005_stats_summary.sql`),
summed chunk by chunk from the arrays the books are drawn from.

Computed in the database at the end of a load, the summary is a pass over the books of its own (the balances,
payments, meters and accounts read again after they are written); here it costs a few sums per chunk. Its rows
are what ``stat_refresh`` would compute from the same books, figure for figure: amounts stay in kopecks until
they are written, and the debt's age is bucketed with the comparisons ``stat_age`` makes.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from seed import catalog as C
from seed.synth.base import I64, Bools, Calendar

# stat_age's buckets, in its order: none, up to 1 month, 1-3, 3-6, 6-12 months, over a year
AGES = ["0: none", "1: up to 1 month", "2: 1-3 months", "3: 3-6 months", "4: 6-12 months", "5: over a year"]
EPOCH = dt.date(2000, 1, 1)  # day 0 of a date as PostgreSQL stores it


def kopecks(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)


def debt_ages(debt: I64, monthly: I64) -> I64:
    """Each account's bucket in :data:`AGES`, as ``stat_age(debt, monthly)`` says (kopecks, compared exactly)."""
    ages: I64 = np.select(
        [debt <= 0, debt <= monthly, debt <= 3 * monthly, debt <= 6 * monthly, debt <= 12 * monthly],
        [0, 1, 2, 3, 4],
        5,
    )
    return ages


@dataclass
class Summary:
    """The figures of the chunks generated so far; :meth:`rows` are the summary tables' rows."""

    months: int
    accounts: int = 0
    residents: int = 0
    persons: int = 0
    buildings: int = 0
    area_c: int = 0  # premises' total area, 1/100 m2
    balances: I64 = field(init=False)  # [period]
    charged: I64 = field(init=False)  # [period] charged + recalculated, kopecks
    services: I64 = field(default_factory=lambda: np.zeros(7, dtype=np.int64))  # accounts receiving each
    covered: I64 = field(default_factory=lambda: np.zeros(7, dtype=np.int64))  # of them, with a meter of it
    due: Counter[tuple[int, int]] = field(default_factory=Counter)  # (service, pg day) -> meters in place
    debt_accounts: I64 = field(default_factory=lambda: np.zeros(len(AGES), dtype=np.int64))
    debt: I64 = field(default_factory=lambda: np.zeros(len(AGES), dtype=np.int64))  # kopecks

    def __post_init__(self) -> None:
        self.balances = np.zeros(self.months, dtype=np.int64)
        self.charged = np.zeros(self.months, dtype=np.int64)

    def add_accounts(self, residents: I64, area_c: I64, buildings: int) -> None:
        """A chunk's buildings, premises and accounts (one flat, one open account), and their people: a
        household has as many persons as residents, one at the least."""
        self.accounts += len(residents)
        self.residents += int(residents.sum())
        self.persons += int(np.maximum(residents, 1).sum())
        self.area_c += int(area_c.sum())
        self.buildings += buildings

    def add_meters(self, svc: int, metered: int, dues: npt.NDArray[Any]) -> None:
        """A service's meters of a chunk: ``metered`` accounts with one (removed ones too), and the next
        verification of each meter in place (datetime64[D]; never unknown here)."""
        self.covered[svc] += metered
        days = (dues.astype("datetime64[D]") - np.datetime64(EPOCH)).astype(np.int64)
        values, counts = np.unique(days, return_counts=True)
        for day, count in zip(values.tolist(), counts.tolist(), strict=True):
            self.due[(svc, day)] += count

    def add_balances(self, has: Bools, charged: I64, recalc: I64, closing: I64) -> None:
        """A chunk's balances ([account, service, period], a row where ``has``): per month, and the debt by
        age of the last closed month (every month but the last is closed)."""
        self.services += has.sum(axis=0)
        rows = has.sum()
        self.balances += rows
        self.charged += ((charged + recalc) * has[:, :, None]).sum(axis=(0, 1))
        if self.months < 2:
            return
        last = self.months - 2
        held = has.any(axis=1)
        debt = (closing[:, :, last] * has).sum(axis=1)[held]
        monthly = (charged[:, :, last] * has).sum(axis=1)[held]
        ages = debt_ages(debt, monthly)
        np.add.at(self.debt_accounts, ages, 1)
        np.add.at(self.debt, ages, np.maximum(debt, 0))

    def rows(self, calendar: Calendar, count: I64, amount: I64) -> dict[str, list[tuple[Any, ...]]]:
        """The rows of each ``stat_*`` table; ``count`` and ``amount`` are the payments per agent and day of
        the window (the registries' control totals), summed here by month."""
        periods = calendar.periods
        starts = calendar.period_days - calendar.period_days[0]
        month = np.searchsorted(starts, np.arange(count.shape[1]), side="right") - 1
        by_month = np.zeros((count.shape[0], len(periods)), dtype=np.int64)
        paid_month = np.zeros_like(by_month)
        np.add.at(by_month.T, month, count.T)
        np.add.at(paid_month.T, month, amount.T)
        last_closed = periods[-2] if len(periods) > 1 else None
        total = (
            True,
            self.accounts,
            self.accounts,
            self.residents,
            self.persons,
            self.buildings,
            self.accounts,
            kopecks(self.area_c),
            last_closed,
        )
        payments, paid = by_month.sum(axis=0), paid_month.sum(axis=0)
        months = [
            (periods[p], int(self.balances[p]), kopecks(int(self.charged[p])), int(payments[p]), kopecks(int(paid[p])))
            for p in range(len(periods))
            if self.balances[p] or payments[p]
        ]
        agents = [
            (periods[p], agent, int(by_month[agent, p]), kopecks(int(paid_month[agent, p])))
            for agent in range(1, len(C.AGENTS) + 1)
            for p in range(len(periods))
            if by_month[agent, p]
        ]
        services = [(s, int(self.services[s]), int(self.covered[s])) for s in range(7) if self.services[s]]
        due = [(svc, EPOCH + dt.timedelta(days=day), n) for (svc, day), n in sorted(self.due.items())]
        debt = [(AGES[k], int(self.debt_accounts[k]), kopecks(int(self.debt[k]))) for k in range(len(AGES))]
        return {
            "stat_total": [total],
            "stat_month": months,
            "stat_agent": agents,
            "stat_service": services,
            "stat_meter_due": due,
            "stat_debt": [row for row in debt if row[1]],
        }
