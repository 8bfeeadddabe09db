"""The small reference tables of a run: suppliers, services, tariffs, norms, agents, periods."""

from __future__ import annotations

import datetime as dt
from typing import Any

from seed import catalog as C
from seed.period import month_add


def reference_rows(cat: C.Catalog) -> dict[str, list[tuple[Any, ...]]]:
    """Rows by table; every period but the last is closed, on the third day after it ends."""
    services = [(sid, s[0], s[1], s[2], s[3], s[4], s[5], s[6]) for sid, s in C.SERVICES.items()]
    periods = [
        (
            p,
            "open" if i == len(cat.periods) - 1 else "closed",
            None
            if i == len(cat.periods) - 1
            else dt.datetime.combine(month_add(p, 1) + dt.timedelta(days=2), dt.time(18, 0), dt.UTC),
        )
        for i, p in enumerate(cat.periods)
    ]
    return {
        "supplier": cat.suppliers,
        "service": services,
        "tariff": cat.tariffs,
        "norm": cat.norms,
        "payment_agent": [(a[0], a[1], a[3], a[4]) for a in C.AGENTS],
        "charge_method": C.CHARGE_METHODS,
        "reading_source": C.READING_SOURCES,
        "billing_period": periods,
    }
