"""Balances and payments: what each account owed, paid and was left owing, month by month, and the
agents' daily registries that carried the payments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from seed import catalog as C
from seed.pgbinary import Column, encode
from seed.synth.accounts import Accounts
from seed.synth.base import I64, Bools, Calendar, Chunk
from seed.synth.summary import Summary


@dataclass
class Totals:
    """Registry control totals, summed over chunks: [agent, day of the window]."""

    count: I64
    amount: I64

    @classmethod
    def empty(cls, days: int) -> Totals:
        shape = (len(C.AGENTS) + 1, days)
        return cls(np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=np.int64))


def registry_id(agent: Any, day: Any) -> Any:
    """The registry of an agent's payments on a day of the window (scalars or arrays)."""
    return agent * 10_000 + day + 1


def registry_rows(totals: Totals, start: dt.date) -> list[tuple[Any, ...]]:
    """The ``payment_registry`` rows: one per agent and day with payments; ``start`` is the window's first day."""
    rows = []
    for agent in range(1, len(C.AGENTS) + 1):
        for day in np.flatnonzero(totals.count[agent]).tolist():
            date = start + dt.timedelta(days=day)
            rows.append(
                (
                    registry_id(agent, day),
                    agent,
                    date,
                    f"reestr_{agent:02d}_{date:%Y%m%d}.txt",
                    int(totals.count[agent, day]),
                    f"{int(totals.amount[agent, day]) / 100:.2f}",
                )
            )
    return rows


def balance_rows(values: list[Any], start: int, stop: int) -> bytes:
    """The ``balance`` rows ``start`` to ``stop`` of the columns ``values`` (account, service, period, then
    the five amounts)."""
    kinds = [("int4", 0), ("int2", 0), ("date", 0)] + [("num", 2)] * 5
    return encode([Column(k, v[start:stop], scale) for (k, scale), v in zip(kinds, values, strict=True)], stop - start)


def balances_and_payments(
    rng: np.random.Generator,
    acc: Accounts,
    has: Bools,
    charged: I64,
    recalc: I64,
    calendar: Calendar,
    totals: Totals,
    out: Chunk,
    summary: Summary,
) -> None:
    """The ``balance`` and ``payment`` tables, by payer profile; each payment is added to ``totals``, the
    balances to ``summary``."""
    a, P = acc.n, calendar.months
    period_days = calendar.period_days
    profile = acc.profile
    typical = np.where(charged[:, :, 0] > 0, charged[:, :, 0], charged.mean(axis=2).astype(np.int64))
    backlog = np.select([profile == 0, profile == 1], [np.ones(a), rng.uniform(1, 3, a)], rng.uniform(3, 18, a))
    opening = np.zeros((a, 7, P), dtype=np.int64)
    paid = np.zeros((a, 7, P), dtype=np.int64)
    closing = np.zeros((a, 7, P), dtype=np.int64)
    opening[:, :, 0] = np.round(typical * backlog[:, None]).astype(np.int64) * has
    pay_total = np.zeros((a, P), dtype=np.int64)
    agent_pref = rng.choice(np.arange(1, len(C.AGENTS) + 1), size=a, p=[x[2] for x in C.AGENTS])
    for p in range(P):
        if p > 0:
            opening[:, :, p] = closing[:, :, p - 1]
        due = np.clip(opening[:, :, p], 0, None).sum(axis=1)
        bill = (charged[:, :, p - 1] + recalc[:, :, p - 1]).sum(axis=1) if p > 0 else typical.sum(axis=1)
        roll = rng.random(a)
        # Most pay what they owe; late payers part of the last bill (now and then all of it);
        # chronic debtors a part of a bill now and then.
        total = np.select(
            [profile == 0, profile == 1],
            [
                np.where(roll < 0.97, due, 0),
                np.where(roll < 0.08, due, np.where(roll < 0.72, bill * rng.uniform(0.6, 1.0, a), 0)),
            ],
            np.where(roll < 0.25, bill * rng.uniform(0.3, 1.0, a), 0),
        )
        total = np.where(profile == 0, np.round(total), np.round(total / 1000) * 1000).astype(np.int64)
        total = np.clip(total, 0, np.maximum(due, 0))
        pay_total[:, p] = total
        weights = np.clip(opening[:, :, p], 0, None)
        wsum = weights.sum(axis=1)
        share = np.where(wsum[:, None] > 0, total[:, None] * weights // np.maximum(wsum, 1)[:, None], 0)
        rest = total - share.sum(axis=1)
        share[np.arange(a), weights.argmax(axis=1)] += rest
        paid[:, :, p] = share
        closing[:, :, p] = opening[:, :, p] + charged[:, :, p] + recalc[:, :, p] - paid[:, :, p]
    summary.add_balances(has, charged, recalc, closing)

    # The closed months in the balances' key order (account, service, month): a check's pass over them by
    # that key reads each page once, not a page a row. The open month's rows are put apart: the loader
    # writes them last, to pages with room for a registry's updates.
    rows, svc = np.nonzero(has)
    closed = len(rows) * (P - 1)
    values = [np.repeat(acc.ids[rows], P - 1), np.repeat(svc, P - 1), np.tile(period_days[: P - 1], len(rows))]
    values += [arr[rows, svc, : P - 1].ravel() for arr in (opening, charged, recalc, paid, closing)]
    out.add_binary("balance", balance_rows(values, 0, closed), closed)
    values = [acc.ids[rows], svc, np.repeat(period_days[P - 1 :], len(rows))]
    values += [arr[rows, svc, P - 1] for arr in (opening, charged, recalc, paid, closing)]
    out.add_apart("balance", balance_rows(values, 0, len(rows)), len(rows))

    pa, pp = np.nonzero(pay_total > 0)
    agent = np.where(
        rng.random(len(pa)) < 0.85,
        agent_pref[pa],
        rng.choice(np.arange(1, len(C.AGENTS) + 1), size=len(pa)),
    )
    last = P - 1
    day = np.where(pp == last, rng.integers(1, 21, len(pa)), rng.integers(1, 29, len(pa)))
    paid_on = period_days[pp] + day - 1
    day_index = paid_on - int(period_days[0])
    amounts = pay_total[pa, pp]
    np.add.at(totals.count, (agent, day_index), 1)
    np.add.at(totals.amount, (agent, day_index), amounts)
    payments = encode(
        [
            Column("int8", acc.ids[pa].astype(np.int64) * 100 + pp),
            Column("int4", acc.ids[pa]),
            Column("int2", agent),
            Column("int4", registry_id(agent, day_index)),
            Column("date", paid_on),
            Column("date", period_days[pp]),
            Column("num", amounts, 2),
        ],
        len(pa),
    )
    out.add_binary("payment", payments, len(pa))
