"""Seed throughput against the raw PostgreSQL floor, measured in the same run on the same server.

ours:  `seed_database` end to end in a child process (generation, COPY, keys and indexes, VACUUM
       ANALYZE, sequences, the switch), with its peak RSS.
floor: the same rows, generated beforehand and held in memory, COPYed into bare tables over the same
       parallel connections, plus the same keys and indexes (migration 002). Nothing else.

Run: `make bench-seed` or `python benchmarks/bench_seed.py --accounts 10000 100000`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from typing import Any

import psycopg
from common import bare_tables, bench_server, child, show
from psycopg import sql

from seed import migrate
from seed.generate import Generator
from seed.load import copy_chunks, copy_rows

END = dt.date(2026, 11, 1)
CHILD = """
import datetime as dt, json, sys, time
from seed import seed_database
started = time.monotonic()
r = seed_database(sys.argv[1], accounts=int(sys.argv[2]), months=12, seed=1, end_period=dt.date(2026, 11, 1))
print(json.dumps({"seconds": time.monotonic() - started, "rows": r.total_rows, "phases": r.seconds,
                  "peak_rss_mb": peak_rss_mb()[0]}))
"""


def ours(dsn: str, accounts: int) -> dict[str, Any]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
    return child(CHILD, dsn, str(accounts))


def floor(dsn: str, accounts: int) -> dict[str, Any]:
    gen = Generator(1, accounts, 12, END)
    reference = gen.reference_rows()
    chunks = list(gen.chunks())
    registries = gen.registry_rows()
    rows = sum(sum(c.rows.values()) for c in chunks) + sum(len(v) for v in reference.values()) + len(registries)
    schema = "okno_floor"
    with psycopg.connect(dsn, autocommit=True) as admin:
        bare_tables(admin, schema)
        started = time.monotonic()
        for table, data in reference.items():
            copy_rows(admin, schema, table, data)
        copy_chunks(dsn, schema, chunks)
        copy_rows(admin, schema, "payment_registry", registries)
        copy_s = time.monotonic() - started
        migrate.apply(admin, schema, upto=2, parallel_dsn=dsn)  # the same key builder as the seed
        seconds = time.monotonic() - started
        admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
    return {"seconds": seconds, "copy_seconds": copy_s, "rows": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--memory", default="4g", help="the benchmark server's memory limit")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    with bench_server("bench-seed", args.memory) as (dsn, _):
        for accounts in args.accounts:
            mine = ours(dsn, accounts)  # first, so it forks from a small parent
            base = floor(dsn, accounts)
            results.append(
                {
                    "accounts": accounts,
                    "rows": mine["rows"],
                    "seed_seconds": round(mine["seconds"], 2),
                    "seed_rows_per_s": round(mine["rows"] / mine["seconds"]),
                    "seed_phases": {k: round(v, 2) for k, v in mine["phases"].items()},
                    "seed_peak_rss_mb": round(mine["peak_rss_mb"]),
                    "floor_seconds": round(base["seconds"], 2),
                    "floor_copy_seconds": round(base["copy_seconds"], 2),
                    "floor_rows_per_s": round(base["rows"] / base["seconds"]),
                    "ratio_to_floor": round(mine["seconds"] / base["seconds"], 3),
                }
            )
            show(results, args.json)
    show(results, args.json, final=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
