"""Switch-over figures: a rehearsal of the month-end switch-over of a --accounts client, end to end.

Seeds a client (--accounts, 12 months) that plays the old system, writes its first export (through the
month before last) and its final one (through the last closed month) with `import sample --through`,
imports the first as the client's books (timed: the plain import, the floor a switch-over builds on),
then runs `provision switchover rehearse` with the final export in a fresh process: its wall time, the
time of each step (copy aside, load, keys, compare, reconcile, checks, drop), what it counted, and its
peak memory (its own RSS and the forked loader's, and the PSS of its whole process tree). The issue's
target: 100,000 accounts within 2 minutes.

The same-client guard (each account's address, residents and meters as keyed digests on both sides,
compared in SQL) is a step of its own: its seconds, its share of the rehearsal, and the rows it digests
per second (accounts, resident links and meters of both sides; the final export's counted as the first's,
which it differs from by a month's moves).
Run: `make bench-switchover` or `python benchmarks/bench_switchover.py --accounts 100000`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
from common import measured_child, seeded_client, show

from provision.books import legacy

CLIENT = "bench-switchover"
REHEARSE = """
import json, sys, time
from pathlib import Path
from provision.books import switchover
from provision.books.legacy import Load
from provision.clients.workspace import Workspace
started = time.perf_counter()
report = switchover.rehearse(Workspace(Path(sys.argv[1])), sys.argv[2], Load(Path(sys.argv[3])))
info = report.to_dict()
own, forked = peak_rss_mb()
print(json.dumps({"seconds": time.perf_counter() - started, "steps": info["steps"], "changes": info["changes"],
                  "differences": len(info["differences"]), "own_mb": round(own), "forked_mb": round(forked)}))
"""

GUARD_STEP = "recognize the books' accounts"
# What the guard digests on one side: each account, each resident link, each meter.
GUARDED = (
    "SELECT (SELECT count(*) FROM okno.account) + (SELECT count(*) FROM okno.account_person) "
    "+ (SELECT count(*) FROM okno.meter)"
)


def folder_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.iterdir()) / 1024**2, 1)


def measure(accounts: int, memory: str) -> dict[str, Any]:
    profile = f'[postgres]\nmemory_limit = "{memory}"\nport = "auto"\n[seed]\naccounts = {accounts}\nmonths = 12\n'
    with seeded_client(CLIENT, profile) as (workspace, dsn):
        with psycopg.connect(dsn) as conn:
            row = conn.execute("SELECT max(period) FROM okno.billing_period").fetchone()
        assert row is not None
        last: dt.date = row[0]
        month = (last - dt.timedelta(days=1)).replace(day=1)  # M, the month the switch-over closes
        before = (month - dt.timedelta(days=1)).replace(day=1)
        first, final = workspace.root / "first", workspace.root / "final"
        started = time.perf_counter()
        legacy.sample_export(workspace, CLIENT, first, f"{before:%Y-%m}")
        legacy.sample_export(workspace, CLIENT, final, f"{month:%Y-%m}")
        exports_s = time.perf_counter() - started
        started = time.perf_counter()
        legacy.import_load(workspace, CLIENT, legacy.Load(first))
        import_s = time.perf_counter() - started
        with psycopg.connect(dsn) as conn:
            guarded = conn.execute(GUARDED).fetchone()
        rehearsal, measured = measured_child(REHEARSE, str(workspace.root), CLIENT, str(final))
        guard_s = rehearsal["steps"].get(GUARD_STEP, 0.0)
        digested = 2 * int(guarded[0]) if guarded else 0
        return {
            "accounts": accounts,
            "final_export_mb": folder_mb(final),
            "exports_s": round(exports_s, 1),
            "import_first_s": round(import_s, 1),
            "rehearsal_s": round(rehearsal["seconds"], 1),
            "rehearsal_to_import": round(rehearsal["seconds"] / import_s, 2),
            "guard_s": guard_s,
            "guard_share": round(guard_s / rehearsal["seconds"], 3),
            "guard_rows": digested,
            "guard_rows_per_s": round(digested / guard_s) if guard_s else None,
            "guard_accounts_per_s": round(2 * accounts / guard_s) if guard_s else None,
            "steps": rehearsal["steps"],
            "changes": rehearsal["changes"],
            "differences": rehearsal["differences"],
            "peak_rss_mb": [rehearsal["own_mb"], rehearsal["forked_mb"]],
            "peak_pss_mb": round(measured.peak_pss_mb),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, nargs="+", default=[100_000])
    parser.add_argument("--memory", default="4g")
    parser.add_argument("--json", action="store_true", help="all results as one JSON document at the end")
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    for accounts in args.accounts:
        results.append(measure(accounts, args.memory))
        show(results, args.json)
    show(results, args.json, final=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
