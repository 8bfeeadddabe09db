"""Whole databases inside one PostgreSQL server: copy, freeze as a template, swap in, drop.

A copy is ``CREATE DATABASE ... TEMPLATE ... STRATEGY FILE_COPY``: a file copy, about a second even for a
large client. It is always built aside (a work copy nobody can connect to) and then swapped in, so a
failure or a kill leaves the old database in place. Each step is noted first (``note``: the client's
journal, :mod:`provision.journal`), and :func:`repair` finishes or undoes a copy a kill interrupted.
Every function takes an autocommit connection to the server.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql

from provision.errors import EnvironmentProblem

LIMIT = 63  # PostgreSQL's NAMEDATALEN - 1, in bytes: longer names are cut, and cut names collide
Note = Callable[[str, dict[str, Any]], None]


def _no_note(_step: str, _record: dict[str, Any]) -> None:
    return None


def fits(name: str) -> bool:
    return len(name.encode()) <= LIMIT


def exists(conn: psycopg.Connection, database: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone() is not None


def is_template(conn: psycopg.Connection, database: str) -> bool:
    return conn.execute("SELECT datistemplate FROM pg_database WHERE datname = %s", (database,)).fetchone() == (True,)


def drop(conn: psycopg.Connection, database: str) -> None:
    ident = sql.Identifier(database)
    if is_template(conn, database):
        conn.execute(sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE false").format(ident))
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))


def _rename(conn: psycopg.Connection, old: str, new: str) -> None:
    conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(old), sql.Identifier(new)))


def _allow(conn: psycopg.Connection, database: str, allowed: bool) -> None:
    ident = sql.Identifier(database)
    conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(ident, sql.Literal(allowed)))


def _create(conn: psycopg.Connection, template: str, target: str, *, as_template: bool) -> None:
    """A closed copy: no connections allowed, and no CONNECT for PUBLIC (CREATE DATABASE grants it)."""
    ident = sql.Identifier(target)
    conn.execute(
        sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY ALLOW_CONNECTIONS false IS_TEMPLATE {}").format(
            ident, sql.Identifier(template), sql.Literal(as_template)
        )
    )
    conn.execute(sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(ident))


def _copy_live(conn: psycopg.Connection, source: str, target: str, noted: Callable[[str], None]) -> None:
    """CREATE DATABASE from a database people may be using: keep them out for the copy."""
    _allow(conn, source, False)
    noted("closed")
    try:
        for attempt in range(10):
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (source,),
            )
            try:
                _create(conn, source, target, as_template=True)
                return
            except psycopg.errors.ObjectInUse:
                time.sleep(0.1 * (attempt + 1))
        raise EnvironmentProblem(f"database {source} stays in use; cannot copy it")
    finally:
        _allow(conn, source, True)


def freeze(conn: psycopg.Connection, source: str, target: str, work: str, note: Note = _no_note) -> None:
    """Copy a live database aside into a template nobody can connect to, then put it in ``target``'s place."""
    record = {"kind": "freeze", "source": source, "work": work, "target": target}
    note("copy", record)
    drop(conn, work)
    _copy_live(conn, source, work, lambda step: note(step, record))
    note("swap", record)
    if exists(conn, target):
        drop(conn, target)
    _rename(conn, work, target)


def aside(conn: psycopg.Connection, source: str, target: str, work: str, note: Note = _no_note) -> None:
    """A working copy of a live database beside it (a rehearsal's): frozen like a baseline, then opened to
    its owner's connections only (nobody else's: CONNECT is not granted)."""
    drop(conn, target)
    freeze(conn, source, target, work, note)
    conn.execute(sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE false").format(sql.Identifier(target)))
    _open(conn, target, None)


def _open(conn: psycopg.Connection, database: str, role: str | None) -> None:
    """What a working database or a seat needs to be used: its login's rights, search path, connections."""
    ident = sql.Identifier(database)
    conn.execute(sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(ident))
    if role:
        conn.execute(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(ident, sql.Identifier(role)))
    conn.execute(sql.SQL("ALTER DATABASE {} SET search_path TO okno, public").format(ident))
    _allow(conn, database, True)


def _retire(conn: psycopg.Connection, target: str, retired: str, noted: Callable[[str], None]) -> None:
    """Rename a database out of the way, ending its sessions."""
    _allow(conn, target, False)
    noted("closed")
    terminate = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s"
    conn.execute(terminate, (target,))
    for attempt in range(50):
        try:
            _rename(conn, target, retired)
            return
        except psycopg.errors.ObjectInUse:  # a terminated backend has not exited yet
            time.sleep(0.02 * (attempt + 1))
            conn.execute(terminate, (target,))
    raise EnvironmentProblem(f"database {target} stays in use; cannot reset it")


def clone(
    conn: psycopg.Connection,
    template: str,
    target: str,
    role: str | None,
    names: tuple[str, str],
    note: Note = _no_note,
) -> bool:
    """Build ``target`` aside (``names``: the work copy's and the retired database's) from ``template``,
    then swap it in. The old database is renamed out of the way rather than dropped here: deleting
    gigabytes of files takes as long as the copy, so :func:`drop_retired` does it later. Returns whether
    one was retired."""
    work, retired = names
    record = {"kind": "clone", "source": template, "work": work, "target": target, "role": role, "retired": retired}
    note("copy", record)
    drop(conn, work)
    _create(conn, template, work, as_template=False)
    note("retire", record)
    was = exists(conn, target)
    if was:
        _retire(conn, target, retired, lambda step: note(step, record))
    note("swap", record)
    _rename(conn, work, target)
    _open(conn, target, role)
    return was


def repair(conn: psycopg.Connection, record: dict[str, Any]) -> str:
    """Finish or undo one copy a kill interrupted: the target is the old database or the new, whole;
    the source takes connections again. Returns what was done to the target."""
    source, work, target = record["source"], record["work"], record["target"]
    if record["kind"] == "freeze" and exists(conn, source) and not is_template(conn, source):
        _allow(conn, source, True)
    if exists(conn, target):
        drop(conn, work)
        done = "kept"
    elif exists(conn, work):
        _rename(conn, work, target)
        done = "finished"
    elif record.get("retired") and exists(conn, record["retired"]):
        _rename(conn, record["retired"], target)
        done = "kept"
    else:
        return "missing"
    if record["kind"] == "clone":
        _open(conn, target, record.get("role"))
    return done


def drop_retired(admin_dsn: str, stem: str, background: bool = True) -> None:
    """Drop the databases earlier clones renamed out of the way, in a detached process by default (the DSN
    goes to it on its standard input: no password in its arguments or environment)."""
    if background:
        child = subprocess.Popen(
            [sys.executable, "-c", "from provision.copies import drop_retired_main; drop_retired_main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            text=True,
        )
        assert child.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            child.stdin.write(f"{stem}\n{admin_dsn}\n")
            child.stdin.close()
        return
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT datname FROM pg_database WHERE starts_with(datname, %s) AND datname ~ '__old[0-9]+$'", (stem,)
            )
        ]
        for name in names:
            with contextlib.suppress(psycopg.Error):
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def drop_retired_main() -> None:
    stem, dsn = sys.stdin.readline().strip(), sys.stdin.readline().strip()
    drop_retired(dsn, stem, background=False)
