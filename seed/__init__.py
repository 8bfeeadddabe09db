"""The «Одно Окно» data: schema, synthetic generation, loading, invariant checks and statistics.

It knows nothing of Docker: every entry point takes a PostgreSQL DSN.
"""

from __future__ import annotations

from seed.check import CheckResult, run_checks
from seed.errors import NoData, SeedBusy, SeedError
from seed.load import SeedResult, has_data, seed_database
from seed.stats import collect as collect_stats

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
