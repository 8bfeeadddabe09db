"""Registry figures: reading and loading a payment registry of --lines lines, against the raw floor.

Seeds a client per --accounts size, writes a registry of --lines payments with `registry sample` (the bank's
format, cp1251), then times, median of --repeat runs, each load on a fresh copy of the books (a reset):
  read:   the file read and checked whole, its lines kept (seed.registry.codec.read_registry), no database
  load:   `registry load` as the library runs it: one transaction, the lines streamed into it as they are
          read (COPY), then matched, the payments, the suspense list, the balances
  floor:  a bare COPY of the same lines' account numbers and amounts into a temporary table
  cli:    `registry load` in a fresh process, once: its wall time and its peak memory (RSS, and the PSS
          of its whole process tree), which stays flat from 10,000 lines to 100,000
with rows/s and the load's ratio to the floor. Its time should follow the lines, not the books: compare
`--accounts 20000 80000` at the same --lines.
Run: `make bench-registry` or `python benchmarks/bench_registry.py --lines 100000`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
from common import measured_child, seeded_client, show

from provision.books import registries
from provision.training import seats
from seed.registry import codec, formats

CLIENT = "bench-registry"


# `registry load` in a fresh interpreter: its wall time with the start, and its own peak memory.
LOAD = """
import json, sys
from pathlib import Path
from provision.books import registries
from provision.clients.workspace import Workspace
registries.load_registry(Workspace(Path(sys.argv[1])), sys.argv[2], Path(sys.argv[3]), "bank")
print(json.dumps({"own_mb": round(peak_rss_mb()[0])}))
"""


def _cli_load(root: Path, path: Path) -> tuple[float, int, int]:
    """A load as a user's command runs it: wall time (the interpreter's start included), peak RSS and the
    process tree's peak PSS, in MB."""
    done, measured = measured_child(LOAD, str(root), CLIENT, str(path))
    return measured.seconds, int(done["own_mb"]), round(measured.peak_pss_mb)


def measure(accounts: int, lines: int, repeat: int) -> dict[str, Any]:
    profile = f'[postgres]\nmemory_limit = "2g"\nport = "auto"\n[seed]\naccounts = {accounts}\n'
    with seeded_client(CLIENT, profile) as (workspace, dsn):
        root = workspace.root
        path = root / "registry.txt"
        started = time.perf_counter()
        registries.sample_registry(workspace, CLIENT, "bank", "2026-11-27", path, lines=lines)
        sample_s = time.perf_counter() - started
        fmt = formats.find_format("bank")
        reads, loads, floors = [], [], []
        for _ in range(repeat):
            seats.reset_client(workspace, CLIENT)  # the books as they were: each load is the first
            started = time.perf_counter()
            registry = codec.read_registry(path, fmt)
            reads.append(time.perf_counter() - started)
            started = time.perf_counter()
            result = registries.load_registry(workspace, CLIENT, path, "bank")
            loads.append(time.perf_counter() - started)
            assert result.loaded + result.suspense == lines, result
            with psycopg.connect(dsn) as conn, conn.transaction():
                conn.execute("CREATE TEMP TABLE floor (account text, amount numeric(14,2)) ON COMMIT DROP")
                started = time.perf_counter()
                with conn.cursor().copy("COPY floor FROM STDIN") as copy:
                    for line in registry.lines:
                        copy.write_row((line.account, line.amount / 100))
                floors.append(time.perf_counter() - started)
        seats.reset_client(workspace, CLIENT)
        cli_s, cli_rss_mb, cli_pss_mb = _cli_load(root, path)
        load_s = statistics.median(loads)
        return {
            "accounts": accounts,
            "lines": lines,
            "file_mb": round(path.stat().st_size / 1024**2, 1),
            "sample_s": round(sample_s, 2),
            "read_s": round(statistics.median(reads), 2),
            "load_s": round(load_s, 2),
            "rows_per_s": round(lines / load_s),
            "floor_copy_s": round(statistics.median(floors), 2),
            "load_to_floor": round(load_s / statistics.median(floors), 1),
            "cli_s": round(cli_s, 2),
            "cli_peak_rss_mb": cli_rss_mb,
            "cli_peak_pss_mb": cli_pss_mb,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, nargs="+", default=[100_000])
    parser.add_argument("--lines", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="all results as one JSON document at the end")
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    for accounts in args.accounts:
        for lines in args.lines:
            results.append(measure(accounts, lines, args.repeat))
            show(results, args.json)
    show(results, args.json, final=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
