"""The services of each account and, service by service, its meters, readings and charges."""

from __future__ import annotations

import numpy as np

from seed import catalog as C
from seed.pgbinary import Column, encode, pg_days
from seed.synth.accounts import Accounts
from seed.synth.base import Bools, Calendar, Chunk
from seed.synth.buildings import Buildings
from seed.synth.charges import Ledger
from seed.synth.meters import meters
from seed.synth.summary import Summary
from seed.synth.usage import CONSUMED, bill_months, draw_usage


def account_services(acc: Accounts, bld: Buildings, out: Chunk) -> Bools:
    """The ``account_service`` table; returns has[account, service]. Hot water and gas as the building has."""
    has = np.zeros((acc.n, 7), dtype=bool)
    has[:, [C.SERVICE_COLD, C.SERVICE_SEWAGE, C.SERVICE_POWER, C.SERVICE_HEAT]] = True
    has[:, C.SERVICE_HOT] = bld.hot[acc.bidx]
    has[:, C.SERVICE_GAS] = bld.gas[acc.bidx]
    rows, svc = np.nonzero(has)
    out.add_binary(
        "account_service",
        encode(
            [
                Column("int4", acc.ids[rows]),
                Column("int2", svc),
                Column("date", pg_days(acc.opened[rows])),
            ],
            len(rows),
        ),
        len(rows),
    )
    return has


def meters_and_charges(
    rng: np.random.Generator,
    acc: Accounts,
    has: Bools,
    cat: C.Catalog,
    calendar: Calendar,
    out: Chunk,
    summary: Summary,
) -> Ledger:
    """The ``charge``, ``recalculation``, ``meter_reading`` and ``meter`` tables (the meters added to
    ``summary``); returns the ledger."""
    ledger = Ledger(acc.ids, cat.price, calendar.period_days)
    persons = np.maximum(acc.residents, 1)
    reading_parts: list[bytes] = []
    meter_lines: list[str] = []
    n_readings = n_meters = 0
    for svc in CONSUMED:
        slot = np.flatnonzero(has[:, svc])
        if len(slot) == 0:
            continue
        use = draw_usage(rng, svc, persons[slot], acc.profile[slot], cat, calendar)
        ledger.bill(slot, svc, use.zones, bill_months(use))
        readings, read, lines, made, due = meters(rng, svc, acc.ids[slot], use, calendar)
        summary.add_meters(svc, int(use.metered.sum()), due)
        reading_parts.append(readings)
        meter_lines.append(lines)
        n_readings += read
        n_meters += made
    ledger.sewage()
    ledger.heating(acc.area_c, cat.norm_milli[C.SERVICE_HEAT], calendar.month_of)
    ledger.write(out)
    out.add_binary("meter_reading", b"".join(reading_parts), n_readings)
    out.add_text("meter", "".join(meter_lines), n_meters)
    return ledger
