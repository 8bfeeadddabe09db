"""Versioned SQL migrations in ``seed/sql/NNN_name.sql``, applied once each, in order."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import psycopg
from psycopg import sql

SQL_DIR = Path(__file__).resolve().parent / "sql"
SCHEMA = "okno"
# An advisory lock held while live books are brought up to date: a registry load or assignment holds it for
# its whole transaction (it applies missing migrations first), and the statistics' first use for the same.
UPGRADE_LOCK = 7_301_004


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


PARALLEL_MARK = "-- provision: parallel"
WORKERS = 2


def _statements(text: str) -> list[str]:
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


def _stages(statements: list[str]) -> list[list[str]]:
    """Keys and plain indexes first (independent of each other), foreign keys after (they need the keys)."""
    foreign = [s for s in statements if "FOREIGN KEY" in s.upper()]
    return [[s for s in statements if s not in foreign], foreign]


def _table_of(statement: str) -> str:
    match = re.search(r"\b(?:ALTER TABLE|ON|VACUUM \(ANALYZE\))\s+\"?(\w+)", statement, re.IGNORECASE)
    return match.group(1) if match else ""


def _run_stage(dsn: str, schema: str, stage: list[str], workers: int) -> None:
    """The statements of one stage, biggest tables first, each taken by the next free connection."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        sizes: dict[str, int] = dict(
            conn.execute(
                "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r'",
                (schema,),
            ).fetchall()
        )
    pending = sorted(stage, key=lambda s: -sizes.get(_table_of(s), 0))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(sql.SQL("SET search_path TO {}, public").format(sql.Identifier(schema)))
                while True:
                    with lock:
                        if not pending or errors:
                            return
                        statement = pending.pop(0)
                    conn.execute(statement.encode())
        except BaseException as exc:
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=work, name=f"ddl-{i}") for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def apply_parallel(dsn: str, schema: str, statements: list[str], workers: int = WORKERS) -> None:
    """Run DDL statements over ``workers`` connections at once, stage by stage: a bulk load's keys and
    indexes build in less time on two cores. Each statement commits on its own: this is for a working
    schema that is thrown away whole if anything fails."""
    for stage in _stages(statements):
        _run_stage(dsn, schema, stage, workers)


def apply(
    conn: psycopg.Connection,
    schema: str,
    upto: int | None = None,
    *,
    parallel_dsn: str | None = None,
    settings: dict[str, str] | None = None,
) -> list[str]:
    """Apply the migrations not yet recorded in ``schema`` (up to ``upto``); return their names. With
    ``parallel_dsn``, a migration marked ``-- provision: parallel`` runs over parallel connections.
    ``settings``: run-time parameters set for each migration's transaction, which a migration may read to
    leave out work its caller does itself (``okno.summary``: see :file:`sql/005_stats_summary.sql`)."""
    done = applied(conn, schema)
    names = []
    for version, name, path in migrations():
        if version in done or (upto is not None and version > upto):
            continue
        text = path.read_text(encoding="utf-8")
        if parallel_dsn and PARALLEL_MARK in text:
            apply_parallel(parallel_dsn, schema, _statements(text))
            conn.execute(
                sql.SQL("INSERT INTO {}.schema_migration (version, name) VALUES (%s, %s)").format(
                    sql.Identifier(schema)
                ),
                (version, name),
            )
            names.append(f"{version:03d}_{name}")
            continue
        with conn.transaction():
            conn.execute(sql.SQL("SET LOCAL search_path TO {}, public").format(sql.Identifier(schema)))
            for setting, value in (settings or {}).items():
                conn.execute("SELECT set_config(%s, %s, true)", (setting, value))
            conn.execute(text.encode())
            conn.execute(
                sql.SQL("INSERT INTO {}.schema_migration (version, name) VALUES (%s, %s)").format(
                    sql.Identifier(schema)
                ),
                (version, name),
            )
        names.append(f"{version:03d}_{name}")
    return names
