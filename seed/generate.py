"""Deterministic synthetic books of one supplier, generated a chunk of buildings at a time.

Every chunk draws from its own random stream (seed, chunk number), so the data for a seed does not
depend on chunk order or size of the run, and memory stays flat as the scale grows. Fact tables
(readings, charges, balances, payments) are built as numpy arrays and encoded in PostgreSQL's binary
COPY format; the smaller descriptive tables as text COPY lines. The parts live in ``seed.synth``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import numpy as np

from seed import catalog as C
from seed.synth.accounts import premises_and_accounts
from seed.synth.base import Calendar, Chunk
from seed.synth.buildings import chunk_ranges, plan_buildings
from seed.synth.households import households
from seed.synth.payments import Totals, balances_and_payments, registry_rows
from seed.synth.reference import reference_rows
from seed.synth.services import account_services, meters_and_charges
from seed.synth.summary import Summary

__all__ = ["Chunk", "Generator"]


class Generator:
    """The books of ``accounts`` accounts over the ``months`` periods up to ``end_period``, for ``seed``.

    The reference rows come first, then the chunks; the payment registries and the statistics' summary
    sum what the chunks hold, so they come last.
    """

    def __init__(self, seed: int, accounts: int, months: int, end_period: dt.date, chunk_accounts: int = 2000):
        self.seed, self.accounts, self.months = seed, accounts, months
        self.cat = C.build_catalog(seed, end_period, months)
        self.calendar = Calendar.of(self.cat.periods)
        self.buildings = plan_buildings(seed, accounts)
        self.ranges = chunk_ranges(self.buildings, chunk_accounts)
        self.totals = Totals.empty(self.calendar.days)
        self.summary = Summary(self.calendar.months)

    def reference_rows(self) -> dict[str, list[tuple[Any, ...]]]:
        return reference_rows(self.cat)

    def registry_rows(self) -> list[tuple[Any, ...]]:
        return registry_rows(self.totals, self.calendar.start)

    def summary_rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """The ``stat_*`` tables' rows of the books generated: what ``stat_refresh`` computes from them."""
        return self.summary.rows(self.calendar, self.totals.count, self.totals.amount)

    def chunks(self) -> Iterator[Chunk]:
        for number, (b0, b1) in enumerate(self.ranges):
            yield self.chunk(number, b0, b1)

    def chunk(self, number: int, b0: int, b1: int) -> Chunk:
        """Buildings ``b0`` to ``b1`` (exclusive), from the stream of chunk ``number``; the parts draw in turn."""
        rng = np.random.default_rng([self.seed, 0xC4, number])
        cat, calendar, out = self.cat, self.calendar, Chunk()
        acc = premises_and_accounts(rng, self.buildings, b0, b1, cat, calendar, out)
        self.summary.add_accounts(acc.residents, acc.area_c, b1 - b0)
        households(rng, acc, calendar.end, cat.region, out)
        has = account_services(acc, self.buildings, out)
        ledger = meters_and_charges(rng, acc, has, cat, calendar, out, self.summary)
        balances_and_payments(rng, acc, has, ledger.charged, ledger.recalc, calendar, self.totals, out, self.summary)
        return out
