"""The last stage: the reference tables (services, tariffs, agents, billing periods, registries) follow from
what was loaded."""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg

from seed import catalog
from seed.errors import ImportRefused
from seed.legacy.importer.money import Registry
from seed.legacy.importer.state import ImportState
from seed.legacy.interpret import MAX_MONTHS
from seed.load import copy_rows
from seed.period import month_label, month_start
from seed.words.messages import Message


def _why_no_period(state: ImportState) -> str:
    """Why no balance or reading was loaded: the files hold none, or every row of them (or every account)
    was left out, and for which reasons."""
    read = state.result.read
    files = state.mapping.files
    rows = sum(read.get(files[e].path.name, 0) for e in ("readings", "balances") if e in files)
    if not rows:
        return "the export holds no balances or readings"
    reasons = ", ".join(f"{reason}: {count}" for reason, count in state.rejects.counts.most_common(3))
    if not state.account_ids:
        accounts = read.get(files["accounts"].path.name, 0)
        if not accounts:
            return f"the export holds no accounts, so none of its {rows:,} balance and reading rows can be loaded"
        return (
            f"every one of the {accounts:,} accounts was left out ({reasons}), so no balance or reading can be loaded"
        )
    return f"every one of the {rows:,} balance and reading rows was left out ({reasons})"


def write_reference(
    state: ImportState, admin: psycopg.Connection, work: str, registries: list[Registry], agents: dict[str, int]
) -> None:
    """The catalog's suppliers, services, tariffs and norms over the export's months; its agents and those
    the payments add (``agents``: name -> id, each named in the report); the billing periods (all closed but
    the month after the export, which is open); the registries with the totals of their loaded payments."""
    months = sorted(state.months)
    if not months:
        raise ImportRefused(f"{_why_no_period(state)}: no billing period to load")
    first, last = months[0], months[-1] + 1  # the month after the export is the open one
    if last - first > MAX_MONTHS:  # the tariffs of so many years would outgrow their columns
        raise ImportRefused(
            f"the export's periods run from {month_label(first)} to {month_label(last - 1)}, over "
            f"{MAX_MONTHS // 12} years: a date or period far from the others (a typo in a year?); correct it in "
            "the balances, readings or payments"
        )
    cat = catalog.build_catalog(1, month_start(last), last - first + 1)
    services = [(sid, *s[:7]) for sid, s in catalog.SERVICES.items()]
    agent_rows: list[tuple[Any, ...]] = [(a[0], a[1], a[3], a[4]) for a in catalog.AGENTS]
    agent_rows += [(aid, label, 0, "import") for label, aid in agents.items()]
    if agents:
        state.result.flags.append(Message.of("load.agents_added", count=len(agents), names="; ".join(agents)))
    now = dt.datetime.now(dt.UTC)
    periods = [
        (month_start(m), "closed" if m < last else "open", now if m < last else None) for m in range(first, last + 1)
    ]
    reference = {
        "supplier": cat.suppliers,
        "service": services,
        "tariff": cat.tariffs,
        "norm": cat.norms,
        "payment_agent": agent_rows,
        "charge_method": catalog.CHARGE_METHODS,
        "reading_source": catalog.READING_SOURCES,
        "billing_period": periods,
        "payment_registry": [
            (r.id, r.agent, r.first_day, r.name, r.lines, f"{r.kopecks / 100:.2f}") for r in registries
        ],
    }
    for table, rows in reference.items():
        state.result.rows[table] = copy_rows(admin, work, table, rows)
    state.result.periods = [p[0] for p in periods]
