"""The «Одно Окно» data: schema, synthetic generation, loading, invariant checks and statistics.

It knows nothing of Docker: every entry point takes a PostgreSQL DSN. The names below are loaded when
first used, so that a program importing one small part (``seed.errors``, say) does not pay for numpy
and the generator at start-up: `provision reset` starts in a fraction of a second.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seed.check import CheckResult as CheckResult
    from seed.check import run_checks as run_checks
    from seed.errors import NoData as NoData
    from seed.errors import SeedBusy as SeedBusy
    from seed.errors import SeedError as SeedError
    from seed.load import SeedResult as SeedResult
    from seed.load import has_data as has_data
    from seed.load import seed_database as seed_database
    from seed.stats import collect as collect_stats

_WHERE = {
    "CheckResult": ("seed.check", "CheckResult"),
    "run_checks": ("seed.check", "run_checks"),
    "NoData": ("seed.errors", "NoData"),
    "SeedBusy": ("seed.errors", "SeedBusy"),
    "SeedError": ("seed.errors", "SeedError"),
    "SeedResult": ("seed.load", "SeedResult"),
    "has_data": ("seed.load", "has_data"),
    "seed_database": ("seed.load", "seed_database"),
    "collect_stats": ("seed.stats", "collect"),
}

__all__ = [
    "CheckResult",
    "NoData",
    "SeedBusy",
    "SeedError",
    "SeedResult",
    "collect_stats",
    "has_data",
    "run_checks",
    "seed_database",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'seed' has no attribute {name!r}")
    module, attribute = _WHERE[name]
    return getattr(importlib.import_module(module), attribute)
