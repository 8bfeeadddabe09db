"""Seed throughput against the raw PostgreSQL floor, measured in the same run on the same server.

ours:  `seed_database` end to end in a child process (generation, COPY, keys and indexes, VACUUM
       ANALYZE, sequences, the switch), with its peak RSS and the peak PSS of its whole process tree
       (every process it starts counted once, shared pages shared out), polled every 50 ms, and its own CPU
       seconds (user and system, start-up imports included: what it takes from the server's cores).
floor: the same rows, generated beforehand into files on disk (not timed), streamed from those files into
       bare tables over the same parallel connections (one COPY per table, FREEZE as the seed does), plus
       the same keys and indexes (migration 002). Nothing else. The files are removed after; the free disk
       they need is checked first.
Both with the server's CPU seconds meanwhile (its container's cgroup account, where readable).

Run: `make bench-seed` or `python benchmarks/bench_seed.py --accounts 10000 100000 --memory 2g`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
from common import bare_tables, bench_server, container_cpu_seconds, measured_child, show
from psycopg import sql

from provision.docker import engine
from seed import migrate
from seed.generate import Generator
from seed.load import BINARY_TABLES, TEXT_TABLES, copy_rows
from seed.pgbinary import HEADER, TRAILER

END = dt.date(2026, 11, 1)
BLOCK = 1 << 20  # bytes read from a file per COPY write
SAMPLE_ACCOUNTS = 2000  # generated to estimate the disk the floor's files need
CHILD = """
import datetime as dt, json, os, sys, time
from seed import seed_database
started = time.monotonic()
r = seed_database(sys.argv[1], accounts=int(sys.argv[2]), months=12, seed=1, end_period=dt.date(2026, 11, 1))
print(json.dumps({"seconds": time.monotonic() - started, "rows": r.total_rows, "phases": r.seconds,
                  "peak_rss_mb": peak_rss_mb()[0], "cpu_s": sum(os.times()[:2])}))
"""


def server_container(scratch: Path) -> str:
    """The id of the benchmark server's container (the workspace at ``scratch``), for its CPU account."""
    found = engine.find("containers", {engine.LABEL_WORKSPACE: str(scratch.resolve())})
    return str(found[0].id) if found else ""


def server_cpu(container: str, before: float | None) -> float | None:
    after = container_cpu_seconds(container) if container else None
    return round(after - before, 2) if before is not None and after is not None else None


def ours(dsn: str, accounts: int, container: str) -> dict[str, Any]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
    before = container_cpu_seconds(container) if container else None
    result, measured = measured_child(CHILD, dsn, str(accounts))
    return {**result, "peak_pss_mb": measured.peak_pss_mb, "server_cpu_s": server_cpu(container, before)}


def disk_needed(accounts: int) -> int:
    """The bytes the floor's files take, from a sample's bytes per account, with a tenth to spare."""
    sample = Generator(1, SAMPLE_ACCOUNTS, 12, END)
    size = sum(len(d) for c in sample.chunks() for d in [*c.binary.values(), *c.apart.values(), *c.text.values()])
    return int(size * 1.1 * max(accounts, SAMPLE_ACCOUNTS) / SAMPLE_ACCOUNTS)


def pregenerate(folder: Path, gen: Generator) -> int:
    """Write every chunk's tables, a file per table (binary ones with their header and trailer; rows the
    seed puts apart with the rest); the rows written."""
    files = {t: (folder / t).open("wb") for t in [*BINARY_TABLES, *TEXT_TABLES]}
    rows = 0
    try:
        for table in BINARY_TABLES:
            files[table].write(HEADER)
        for chunk in gen.chunks():
            for table, data in [*chunk.binary.items(), *chunk.apart.items()]:
                files[table].write(data)
            for table, text in chunk.text.items():
                files[table].write(text.encode())
            rows += sum(chunk.rows.values())
        for table in BINARY_TABLES:
            files[table].write(TRAILER)
    finally:
        for handle in files.values():
            handle.close()
    return rows


def copy_file(dsn: str, schema: str, table: str, path: Path, errors: list[BaseException]) -> None:
    """One table's file into ``schema`` on a connection of its own, as the seed's writer COPYs."""
    try:
        with psycopg.connect(dsn) as conn, path.open("rb") as source:
            target = sql.Identifier(schema, table)
            conn.execute(sql.SQL("TRUNCATE {}").format(target))
            fmt = sql.SQL("binary") if table in BINARY_TABLES else sql.SQL("text")
            with conn.cursor().copy(sql.SQL("COPY {} FROM STDIN (FORMAT {}, FREEZE)").format(target, fmt)) as copy:
                while block := source.read(BLOCK):
                    copy.write(block)
    except BaseException as exc:  # reported by the caller
        errors.append(exc)


def copy_files(dsn: str, schema: str, folder: Path) -> None:
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=copy_file, args=(dsn, schema, t, folder / t, errors))
        for t in [*BINARY_TABLES, *TEXT_TABLES]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def floor(dsn: str, accounts: int, scratch: Path, container: str) -> dict[str, Any]:
    needed = disk_needed(accounts)
    free = shutil.disk_usage(scratch).free
    if free < needed:
        raise SystemExit(f"the floor needs {needed / 2**30:.1f} GiB free in {scratch}; {free / 2**30:.1f} GiB are")
    with tempfile.TemporaryDirectory(prefix="floor-", dir=scratch) as tmp:
        folder = Path(tmp)
        mark = time.monotonic()
        gen = Generator(1, accounts, 12, END)
        reference = gen.reference_rows()
        rows = pregenerate(folder, gen)
        registries = gen.registry_rows()
        generate_s = time.monotonic() - mark
        rows += sum(len(v) for v in reference.values()) + len(registries)
        disk = sum(f.stat().st_size for f in folder.iterdir())
        schema = "okno_floor"
        with psycopg.connect(dsn, autocommit=True) as admin:
            bare_tables(admin, schema)
            started, cpu = time.monotonic(), sum(os.times()[:2])
            before = container_cpu_seconds(container) if container else None
            for table, data in reference.items():
                copy_rows(admin, schema, table, data)
            copy_files(dsn, schema, folder)
            copy_rows(admin, schema, "payment_registry", registries)
            copy_s = time.monotonic() - started
            migrate.apply(admin, schema, upto=2, parallel_dsn=dsn)  # the same key builder as the seed
            seconds = time.monotonic() - started
            client_cpu, server = sum(os.times()[:2]) - cpu, server_cpu(container, before)
            admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
    return {
        "seconds": seconds,
        "copy_seconds": copy_s,
        "rows": rows,
        "generate_seconds": generate_s,
        "disk": disk,
        "cpu_s": client_cpu,
        "server_cpu_s": server,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--memory", default="4g", help="the benchmark server's memory limit")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    with bench_server("bench-seed", args.memory) as (dsn, scratch):
        container = server_container(scratch)
        for accounts in args.accounts:
            mine = ours(dsn, accounts, container)  # first, so it forks from a small parent
            base = floor(dsn, accounts, scratch, container)
            results.append(
                {
                    "accounts": accounts,
                    "rows": mine["rows"],
                    "seed_seconds": round(mine["seconds"], 2),
                    "seed_rows_per_s": round(mine["rows"] / mine["seconds"]),
                    "seed_phases": {k: round(v, 2) for k, v in mine["phases"].items()},
                    "seed_peak_rss_mb": round(mine["peak_rss_mb"]),
                    "seed_peak_pss_mb": round(mine["peak_pss_mb"]),
                    "seed_client_cpu_s": round(mine["cpu_s"], 2),
                    "seed_server_cpu_s": mine["server_cpu_s"],
                    "floor_seconds": round(base["seconds"], 2),
                    "floor_copy_seconds": round(base["copy_seconds"], 2),
                    "floor_rows_per_s": round(base["rows"] / base["seconds"]),
                    "floor_generate_seconds": round(base["generate_seconds"], 2),
                    "floor_client_cpu_s": round(base["cpu_s"], 2),
                    "floor_server_cpu_s": base["server_cpu_s"],
                    "floor_disk_mb": round(base["disk"] / 2**20),
                    "ratio_to_floor": round(mine["seconds"] / base["seconds"], 3),
                }
            )
            show(results, args.json)
    show(results, args.json, final=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
