"""Floors a command is measured against, streamed so that they work at any size: what merely moving the
same rows costs, with nothing of the command's own work.

copy_floor:   the books' rows as they are in ``okno``, written to files first (not timed), then COPYed
              (binary, one connection per table, as the loaders do) into bare tables (the tables and columns
              a load COPYs into) with the same keys and indexes (migration 002): what a seed or an import
              cannot go below.
read_floor:   every file of an export read, decoded and split into fields by Python's csv module, nothing
              converted: what `import check` cannot go below.
dump_floor:   every table of the books read out by COPY TO and thrown away: what `import sample` cannot go
              below.
scan_floor:   every table of the books counted, one sequential read each: what `provision check` reads.
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Any

import psycopg
from common import bare_tables
from psycopg import sql

from seed import migrate
from seed.load import streaming

BLOCK = 1 << 20
HEADER_BYTES, TRAILER_BYTES = 19, 2  # COPY binary: signature, flags, extension length; the -1 field count


def book_tables(conn: psycopg.Connection, schema: str = "okno") -> list[str]:
    """The tables of the books (the migrations' ledger is not the books)."""
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename <> 'schema_migration' ORDER BY 1",
        (schema,),
    )
    return [r[0] for r in rows]


def _columns(conn: psycopg.Connection, schema: str, table: str) -> list[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
        "ORDER BY ordinal_position",
        (schema, table),
    )
    return [r[0] for r in rows]


def _dump(conn: psycopg.Connection, table: str, columns: list[str], path: Path) -> int:
    """A table's ``columns`` in COPY's binary format, without its header and trailer; its size."""
    query = sql.SQL("COPY {} ({}) TO STDOUT (FORMAT binary)").format(
        sql.Identifier("okno", table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    size = 0
    with path.open("wb") as out, conn.cursor().copy(query) as copy:
        first = True
        for block in copy:
            data = bytes(block)[HEADER_BYTES:] if first else bytes(block)
            first = False
            out.write(data)
            size += len(data)
    with path.open("r+b") as out:  # the trailer (a field count of -1) is the file's last two bytes
        out.truncate(max(size - TRAILER_BYTES, 0))
    return size


def copy_floor(dsn: str, scratch: Path) -> dict[str, Any]:
    """The books' rows COPYed again into bare tables of a schema of their own, and the same keys."""
    scratch.mkdir(parents=True, exist_ok=True)
    schema = "okno_floor"
    with psycopg.connect(dsn, autocommit=True) as conn:
        bare_tables(conn, schema)  # the tables a load COPYs into (the first migration's), with their columns
        tables = book_tables(conn, schema)
        rows = 0
        for table in tables:
            _dump(conn, table, _columns(conn, schema, table), scratch / f"{table}.bin")
            count = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("okno", table))
            rows += conn.execute(count).fetchone()[0]  # type: ignore[index]
        conn.execute("CHECKPOINT")
        started = time.monotonic()
        with streaming(dsn, schema, dict.fromkeys(tables, True)) as writers:
            files = {t: (scratch / f"{t}.bin").open("rb") for t in tables}
            try:
                while files:  # round robin, so every connection streams at once
                    for table, handle in list(files.items()):
                        block = handle.read(BLOCK)
                        if block:
                            writers[table].put(block)
                        else:
                            handle.close()
                            del files[table]
            finally:
                for handle in files.values():
                    handle.close()
        copy_s = time.monotonic() - started
        migrate.apply(conn, schema, upto=2, parallel_dsn=dsn)  # the same key builder as the loaders
        seconds = time.monotonic() - started
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
    for table in tables:
        (scratch / f"{table}.bin").unlink()
    return {"seconds": seconds, "copy_seconds": copy_s, "rows": rows}


def read_floor(folder: Path) -> dict[str, Any]:
    """Every CSV file of a standard export decoded and split into fields; nothing converted."""
    started = time.monotonic()
    rows = 0
    for path in sorted(folder.glob("*.csv")):
        with path.open("rb") as raw:
            text = io.TextIOWrapper(raw, encoding="cp1251", newline="")
            for _ in csv.reader(text, delimiter=";"):
                rows += 1
    return {"seconds": time.monotonic() - started, "rows": rows}


def dump_floor(dsn: str) -> dict[str, Any]:
    """Every table of the books read out by COPY TO, the bytes thrown away."""
    started = time.monotonic()
    size = 0
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table in book_tables(conn):
            query = sql.SQL("COPY {} TO STDOUT").format(sql.Identifier("okno", table))
            with conn.cursor().copy(query) as copy:
                for block in copy:
                    size += len(block)
    return {"seconds": time.monotonic() - started, "bytes": size}


def scan_floor(dsn: str) -> dict[str, Any]:
    """Every table of the books counted: one sequential read each, as PostgreSQL plans a count."""
    started = time.monotonic()
    rows = 0
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table in book_tables(conn):
            query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("okno", table))
            rows += conn.execute(query).fetchone()[0]  # type: ignore[index]
    return {"seconds": time.monotonic() - started, "rows": rows}


def database_mb(dsn: str) -> int:
    """The database's size on disk, for what a size of the books needs."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        return round(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2**20)  # type: ignore[index]
