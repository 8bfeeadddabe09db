"""Legacy import throughput against the raw COPY floor, and `import check` time and memory, in one run on
the same server.

The export: synthetic books (12 months) written in the standard legacy layout (cp1251, ';', decimal
commas), as an old system would.
ours:   `import load` end to end in a child process: read and convert every file, anonymize every
        personal value, COPY into a working schema, keys and indexes, VACUUM ANALYZE, the leak scan,
        the switch.
floor:  the very rows the import loaded (already converted and anonymized: every column of the tables
        as the loader's working schema has them before its keys), held in memory and COPYed into bare
        tables over the same parallel connections, then the same migrations as the loader's (keys,
        indexes, identities, the registries' columns).
raw:    the export files themselves COPYed as they are into all-text tables (no conversion, no keys):
        what merely moving the bytes into PostgreSQL costs.
check:  `import check` of the same export in a child process.
Memory, for the load and the check: the peak PSS of the whole process tree (each process polled every
50 ms, pages a fork shares counted once), and each process's peak RSS (the load's second process is the
forked reader of the balances).

Run: `make bench-import` or `python benchmarks/bench_import.py --accounts 10000 100000`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
from common import Measured, bare_tables, bench_server, measured_child, show
from psycopg import sql

from seed import migrate, seed_database
from seed.legacy.export import export_standard
from seed.legacy.layout import STANDARD
from seed.load import _Writer

LOAD_CHILD = """
import json, sys, time
from pathlib import Path
from seed.legacy.importer import import_export
from seed.legacy.mapping import standard_mapping
started = time.monotonic()
r = import_export(sys.argv[1], standard_mapping(Path(sys.argv[2])), bytes(range(32)))
print(json.dumps({"seconds": time.monotonic() - started, "rows": r.total_rows, "read": sum(r.read.values()),
                  "rejected": r.rejects.total, "leaks": len(r.leaks), "phases": r.seconds}))
"""
CHECK_CHILD = """
import json, sys, time
from pathlib import Path
from seed.legacy.analyze import analyze
from seed.legacy.mapping import standard_mapping
started = time.monotonic()
report = analyze(standard_mapping(Path(sys.argv[1])))
print(json.dumps({"seconds": time.monotonic() - started, "rows": sum(report.rows.values()),
                  "problems": report.problems}))
"""


def checkpoint(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def _parallel_copy(dsn: str, schema: str, data: dict[str, list[bytes]]) -> None:
    writers = {t: _Writer(dsn, schema, t, False) for t in data}
    for w in writers.values():
        w.start()
    try:  # round robin, so every connection streams at once
        for i in range(max((len(b) for b in data.values()), default=0)):
            for table, blocks in data.items():
                if i < len(blocks):
                    writers[table].put(blocks[i])
    finally:
        for w in writers.values():
            w.queue.put(None)
        for w in writers.values():
            w.join()
    errors = [w.error for w in writers.values() if w.error]
    if errors:
        raise errors[0]


def bare_columns(conn: psycopg.Connection, schema: str) -> dict[str, list[str]]:
    """Each table of a bare schema with its columns in order: what the loader COPYs into (the columns later
    migrations add are not loaded, so the floor does not copy them either)."""
    found: dict[str, list[str]] = {}
    for table, column in conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s "
        "AND table_name <> 'schema_migration' ORDER BY table_name, ordinal_position",
        (schema,),
    ):
        found.setdefault(table, []).append(column)
    return found


def fetched(conn: psycopg.Connection, table: str, columns: list[str]) -> list[bytes]:
    """The rows of ``okno.table`` (those ``columns``) as COPY text, in blocks of about a megabyte."""
    query = sql.SQL("COPY {} ({}) TO STDOUT").format(
        sql.Identifier("okno", table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    blocks, pending = [], bytearray()
    with conn.cursor().copy(query) as copy:
        for block in copy:
            pending += block
            if len(pending) >= 1 << 20:
                blocks.append(bytes(pending))
                pending.clear()
    return [*blocks, bytes(pending)] if pending else blocks


def floor(dsn: str) -> dict[str, Any]:
    """The loaded rows, fetched into memory, COPYed again into bare tables; then the loader's migrations."""
    schema = "okno_floor"
    with psycopg.connect(dsn, autocommit=True) as conn:
        bare_tables(conn, schema)
        data = {table: fetched(conn, table, columns) for table, columns in bare_columns(conn, schema).items()}
        data = {table: blocks for table, blocks in data.items() if blocks}
        rows = sum(block.count(b"\n") for blocks in data.values() for block in blocks)  # a line a row in COPY text
        started = time.monotonic()
        _parallel_copy(dsn, schema, data)
        copy_s = time.monotonic() - started
        migrate.apply(conn, schema, parallel_dsn=dsn)  # the same key builder, and the rest, as the loader
        seconds = time.monotonic() - started
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
    return {"seconds": seconds, "copy_seconds": copy_s, "rows": rows}


def raw_copy(dsn: str, folder: Path) -> dict[str, Any]:
    """The export files as they are (cp1251 CSV) into all-text tables, in parallel: no conversion, no keys."""
    schema = "okno_raw"
    data: dict[str, list[bytes]] = {}
    rows = 0
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        for entity, (file_name, fields) in STANDARD.items():
            path = folder / file_name
            if not path.exists():
                continue
            columns = sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(f)) for f, _, _ in fields)
            conn.execute(sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(schema, entity), columns))
            text = path.read_bytes().decode("cp1251").split("\r\n", 1)[1]  # what a raw loader must do at least
            rows += text.count("\r\n")
            payload = text.replace("\r\n", "\n").replace(";", "\t").encode()
            step = 1 << 20
            blocks, start = [], 0
            while start < len(payload):
                end = payload.find(b"\n", start + step)
                end = len(payload) if end < 0 else end + 1
                blocks.append(payload[start:end])
                start = end
            data[entity] = blocks
        conn.execute("CHECKPOINT")
        started = time.monotonic()
        _parallel_copy(dsn, schema, data)
        seconds = time.monotonic() - started
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
    return {"seconds": seconds, "rows": rows}


def check_figures(check: tuple[dict[str, Any], Measured] | None) -> dict[str, Any]:
    """The figures of `import check` (None when --no-check left it out)."""
    if check is None:
        return {"check_seconds": None, "check_rows_per_s": None, "check_peak_pss_mb": None, "check_peak_rss_mb": None}
    mine, measured = check
    return {
        "check_seconds": round(mine["seconds"], 2),
        "check_rows_per_s": round(mine["rows"] / mine["seconds"]),
        "check_problems": mine["problems"],
        "check_peak_pss_mb": round(measured.peak_pss_mb),
        "check_peak_rss_mb": [round(x) for x in measured.peak_rss_mb],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--memory", default="4g", help="the benchmark server's memory limit")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--exports", type=Path, help="keep the exports here and reuse them on the next run")
    parser.add_argument("--no-check", action="store_true", help="measure the load only")
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    with bench_server("bench-import", args.memory) as (dsn, tmp):
        for accounts in args.accounts:
            folder = (args.exports or Path(tmp)) / f"export-{accounts}"
            if not (folder / "balances.csv").exists():
                seed_database(dsn, accounts=accounts, months=12, seed=1)
                export_standard(dsn, folder)
            size = sum(p.stat().st_size for p in folder.iterdir())
            check = None if args.no_check else measured_child(CHECK_CHILD, str(folder))
            checkpoint(dsn)
            mine, load = measured_child(LOAD_CHILD, dsn, str(folder))
            base = floor(dsn)
            raw = raw_copy(dsn, folder)
            results.append(
                {
                    "accounts": accounts,
                    "export_mb": round(size / 2**20),
                    "rows_read": mine["read"],
                    "rows_loaded": mine["rows"],
                    "rejected": mine["rejected"],
                    "leaks": mine["leaks"],
                    "import_seconds": round(mine["seconds"], 2),
                    "import_rows_per_s": round(mine["rows"] / mine["seconds"]),
                    "import_phases": {k: round(v, 2) for k, v in mine["phases"].items()},
                    "import_peak_pss_mb": round(load.peak_pss_mb),
                    "import_peak_rss_mb": [round(x) for x in load.peak_rss_mb],
                    "floor_seconds": round(base["seconds"], 2),
                    "floor_copy_seconds": round(base["copy_seconds"], 2),
                    "ratio_to_floor": round(mine["seconds"] / base["seconds"], 2),
                    "raw_copy_seconds": round(raw["seconds"], 2),
                    "ratio_to_raw_copy": round(mine["seconds"] / raw["seconds"], 2),
                    **check_figures(check),
                }
            )
            show(results, args.json)
    show(results, args.json, final=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
