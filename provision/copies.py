"""Whole databases inside one PostgreSQL server: copy, freeze as a template, swap in, drop.

A copy is ``CREATE DATABASE ... TEMPLATE ... STRATEGY FILE_COPY``: a file copy, about a second even for a
large client. It is always built aside (``<name>__new``) and then swapped in, so a failure or a kill leaves
the old database in place. Every function takes an autocommit connection to the server.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time

import psycopg
from psycopg import sql

from provision.errors import EnvironmentProblem


def aside(name: str) -> str:
    return f"{name}__new"


def exists(conn: psycopg.Connection, database: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone() is not None


def drop(conn: psycopg.Connection, database: str) -> None:
    ident = sql.Identifier(database)
    if conn.execute("SELECT datistemplate FROM pg_database WHERE datname = %s", (database,)).fetchone() == (True,):
        conn.execute(sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE false").format(ident))
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))


def _rename(conn: psycopg.Connection, old: str, new: str) -> None:
    conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(old), sql.Identifier(new)))


def _copy_live(conn: psycopg.Connection, source: str, target: str) -> None:
    """CREATE DATABASE from a database people may be using: keep them out for the copy."""
    ident = sql.Identifier(source)
    conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(ident))
    try:
        for attempt in range(10):
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (source,),
            )
            try:
                conn.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(sql.Identifier(target), ident)
                )
                return
            except psycopg.errors.ObjectInUse:
                time.sleep(0.1 * (attempt + 1))
        raise EnvironmentProblem(f"database {source} stays in use; cannot copy it")
    finally:
        conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(ident))


def freeze(conn: psycopg.Connection, source: str, target: str) -> None:
    """Copy a live database aside into a template nobody can connect to, then put it in ``target``'s place."""
    copy = aside(target)
    drop(conn, copy)
    _copy_live(conn, source, copy)
    conn.execute(
        sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false").format(sql.Identifier(copy))
    )
    if exists(conn, target):
        drop(conn, target)
    _rename(conn, copy, target)


def _retire(conn: psycopg.Connection, target: str) -> None:
    """Rename a database out of the way (``<target>__old<n>``), ending its sessions."""
    ident = sql.Identifier(target)
    conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(ident))
    terminate = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s"
    conn.execute(terminate, (target,))
    retired = f"{target}__old{time.monotonic_ns() % 10**9}"
    for attempt in range(50):
        try:
            _rename(conn, target, retired)
            return
        except psycopg.errors.ObjectInUse:  # a terminated backend has not exited yet
            time.sleep(0.02 * (attempt + 1))
            conn.execute(terminate, (target,))
    raise EnvironmentProblem(f"database {target} stays in use; cannot reset it")


def clone(conn: psycopg.Connection, template: str, target: str, role: str | None) -> bool:
    """Build ``target`` aside from ``template``, then swap it in; connection rights and settings after.

    The old database is renamed out of the way rather than dropped here: deleting gigabytes of files
    takes as long as the copy, so :func:`drop_retired` does it later. Returns whether one was retired."""
    copy = aside(target)
    drop(conn, copy)
    conn.execute(
        sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
            sql.Identifier(copy), sql.Identifier(template)
        )
    )
    retired = exists(conn, target)
    if retired:
        _retire(conn, target)
    _rename(conn, copy, target)
    ident = sql.Identifier(target)
    conn.execute(sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(ident))
    if role:
        conn.execute(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(ident, sql.Identifier(role)))
    conn.execute(sql.SQL("ALTER DATABASE {} SET search_path TO okno, public").format(ident))
    return retired


def drop_retired(admin_dsn: str, db: str, background: bool = True) -> None:
    """Drop the databases earlier clones renamed out of the way, in a detached process by default."""
    if background:
        subprocess.Popen(
            [sys.executable, "-c", "from provision.copies import drop_retired_main; drop_retired_main()"],
            env={**os.environ, "PROVISION_ADMIN_DSN": admin_dsn, "PROVISION_DB": db},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        return
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT datname FROM pg_database WHERE starts_with(datname, %s) AND datname ~ '__old[0-9]+$'", (db,)
            )
        ]
        for name in names:
            with contextlib.suppress(psycopg.Error):
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def drop_retired_main() -> None:
    drop_retired(os.environ["PROVISION_ADMIN_DSN"], os.environ["PROVISION_DB"], background=False)
