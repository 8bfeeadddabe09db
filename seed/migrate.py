"""Versioned SQL migrations in ``seed/sql/NNN_name.sql``, applied once each, in order."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
from psycopg import sql

SQL_DIR = Path(__file__).resolve().parent / "sql"
SCHEMA = "okno"


def migrations() -> list[tuple[int, str, Path]]:
    found = []
    for path in sorted(SQL_DIR.glob("*.sql")):
        match = re.match(r"^(\d{3})_(\w+)\.sql$", path.name)
        if match:
            found.append((int(match.group(1)), match.group(2), path))
    return found


def ensure_ledger(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {}.schema_migration (version integer PRIMARY KEY, name text NOT NULL, "
            "applied_at timestamptz NOT NULL DEFAULT now())"
        ).format(sql.Identifier(schema))
    )


def applied(conn: psycopg.Connection, schema: str) -> set[int]:
    ensure_ledger(conn, schema)
    rows = conn.execute(sql.SQL("SELECT version FROM {}.schema_migration").format(sql.Identifier(schema)))
    return {r[0] for r in rows}


def apply(conn: psycopg.Connection, schema: str, upto: int | None = None) -> list[str]:
    """Apply the migrations not yet recorded in ``schema`` (up to ``upto``); return their names."""
    done = applied(conn, schema)
    names = []
    for version, name, path in migrations():
        if version in done or (upto is not None and version > upto):
            continue
        with conn.transaction():
            conn.execute(sql.SQL("SET LOCAL search_path TO {}, public").format(sql.Identifier(schema)))
            conn.execute(path.read_text(encoding="utf-8").encode())
            conn.execute(
                sql.SQL("INSERT INTO {}.schema_migration (version, name) VALUES (%s, %s)").format(
                    sql.Identifier(schema)
                ),
                (version, name),
            )
        names.append(f"{version:03d}_{name}")
    return names
