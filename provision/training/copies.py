"""Whole databases inside one PostgreSQL server: copy, freeze as a template, swap in, drop.

A copy is ``CREATE DATABASE ... TEMPLATE ... STRATEGY FILE_COPY``: a file copy, about a second even for a
large client. It is always built aside (a work copy nobody can connect to) and then swapped in, so a
failure or a kill leaves the old database in place. Each step is noted first (``note``: the client's
journal, :mod:`provision.training.journal`), and :func:`repair` finishes or undoes a copy a kill interrupted.
Every function takes an autocommit connection to the server.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
from psycopg import sql

from provision.errors import EnvironmentProblem, OperationFailed

LIMIT = 63  # PostgreSQL's NAMEDATALEN - 1, in bytes: longer names are cut, and cut names collide
RETIRED = "__old[0-9]+$"  # what a retired database's name ends with (a ``Names.retired()``)
READY = "__ready[0-9]{2,3}_[0-9]+$"  # a ready copy's: the seat it waits for, its template's oid (``ready_name``)
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


def reopen(conn: psycopg.Connection, seat: str) -> None:
    """A seat's database opened to its login again (where a kill came between its rename and its opening)."""
    if exists(conn, seat):
        _open(conn, seat, seat)


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
    ready: str | None = None,
    prepare: Callable[[str], None] | None = None,
) -> bool:
    """Build ``target`` aside (``names``: the work copy's and the retired database's) from ``template``,
    then swap it in. The old database is renamed out of the way rather than dropped here: deleting
    gigabytes of files takes as long as the copy, so :func:`drop_retired` does it later. A ``ready`` copy
    of the template made earlier (:func:`make_ready`), where there is one, becomes the work copy by a
    rename: no copy waits. ``prepare`` is given the work copy (open to its owner) before the swap: a
    running lesson's setup of the seat. Returns whether one was retired."""
    work, retired = names
    record = {"kind": "clone", "source": template, "work": work, "target": target, "role": role, "retired": retired}
    note("copy", record)
    make_work(conn, template, work, ready)
    if prepare is not None:
        _allow(conn, work, True)
        prepare(work)
    return swap_in(conn, work, target, role, retired, lambda step: note(step, record))


def make_work(conn: psycopg.Connection, template: str, work: str, ready: str | None = None) -> None:
    """A closed copy of ``template`` as ``work`` (a ``ready`` one renamed in where there is one)."""
    drop(conn, work)
    if not (ready and _take(conn, ready, work)):
        _create(conn, template, work, as_template=False)


def open_work(conn: psycopg.Connection, work: str) -> None:
    """A work copy open to its owner's connections (no one else has CONNECT): where a setup is applied."""
    _allow(conn, work, True)


def swap_in(
    conn: psycopg.Connection, work: str, target: str, role: str | None, retired: str, noted: Callable[[str], None]
) -> bool:
    """``work`` in ``target``'s place, the old one retired; opened for ``role``. Returns whether one was."""
    noted("retire")
    was = exists(conn, target)
    if was:
        _retire(conn, target, retired, noted)
    noted("swap")
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


def _take(conn: psycopg.Connection, ready: str, work: str) -> bool:
    """Rename the ready copy ``ready`` to ``work``; False when there is none (not made yet, or removed)."""
    if not exists(conn, ready):
        return False
    try:
        _rename(conn, ready, work)
    except (psycopg.errors.InvalidCatalogName, psycopg.errors.ObjectInUse):
        return False
    return True


def ready_name(stem: str, seat: int, template_oid: int) -> str:
    """The ready copy waiting to become seat ``seat`` (0: the working database), of the template whose oid
    is ``template_oid``: a template made anew (a new baseline) has another oid, so a copy of the old one
    is never taken for it."""
    return f"{stem}__ready{seat:02d}_{template_oid}"


def ready_for(conn: psycopg.Connection, stem: str, template: str, seats: dict[str, int]) -> dict[str, str]:
    """The ready copy of ``template`` each target (a database and its seat number) may take; on clone
    storage only, where a copy costs its catalog's files, not the books' size (elsewhere: every byte)."""
    oid = template_oid(conn, template)
    return {} if oid is None else {db: ready_name(stem, seat, oid) for db, seat in seats.items()}


def template_oid(conn: psycopg.Connection, template: str) -> int | None:
    row = conn.execute("SELECT oid FROM pg_database WHERE datname = %s", (template,)).fetchone()
    return int(row[0]) if row else None


def make_ready(
    conn: psycopg.Connection, stem: str, template: str, seats: list[int], admin_dsn: str | None = None
) -> None:
    """Ready copies of ``template`` for ``seats`` (on clone storage each costs a few catalog files, not the
    books' size), so the next reset of each renames one in rather than copying; copies of an older
    template, or for seats the client no longer has, are dropped. One maker a server and stem at a time
    (a session lock): a second leaves it to the first, which looks again before it ends. With
    ``admin_dsn`` the copies are made on :data:`READY_MAKERS` connections at once (their checkpoints
    overlap, as a class's resets do)."""
    key = int.from_bytes(stem.encode()[:8].ljust(8, b"\0"), "big", signed=True)
    if conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone() != (True,):
        return
    for _round in range(3):
        oid = template_oid(conn, template)
        if oid is None:
            return
        wanted = {ready_name(stem, seat, oid) for seat in seats}
        have = {
            r[0]
            for r in conn.execute(
                "SELECT datname FROM pg_database WHERE starts_with(datname, %s) AND datname ~ %s", (stem, READY)
            )
        }
        for name in sorted(have - wanted):
            drop(conn, name)
        missing = sorted(wanted - have)
        if not missing:
            return
        _create_all(conn, template, missing, admin_dsn)


READY_MAKERS = 8  # CREATE DATABASE waits on two checkpoints, which concurrent copies share


def _create_all(conn: psycopg.Connection, template: str, names: list[str], admin_dsn: str | None) -> None:
    """Closed copies of ``template`` as ``names``: on ``conn`` alone, or with ``admin_dsn`` on several
    connections at once; a copy that fails is left to the next round (a ready copy is never required)."""
    if admin_dsn is None or len(names) < 2:
        for name in names:
            _create(conn, template, name, as_template=False)
        return
    parts = [names[k::READY_MAKERS] for k in range(READY_MAKERS) if names[k::READY_MAKERS]]

    def make(part: list[str]) -> None:
        with psycopg.connect(admin_dsn, autocommit=True, application_name="provision-tidy") as own:
            for name in part:
                with contextlib.suppress(psycopg.Error):
                    _create(own, template, name, as_template=False)

    with ThreadPoolExecutor(max_workers=len(parts)) as pool:
        list(pool.map(make, parts))


def drop_retired(
    admin_dsn: str, stem: str, background: bool = True, ready: tuple[str, list[int]] | None = None
) -> None:
    """Drop the databases earlier clones renamed out of the way, then (``ready``: a template and seats) make
    the ready copies for the next resets (:func:`make_ready`); in a detached process by default (the DSN
    goes to it on its standard input: no password in its arguments or environment)."""
    if background:
        child = subprocess.Popen(
            [sys.executable, "-c", "from provision.training.copies import drop_retired_main; drop_retired_main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            text=True,
        )
        assert child.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            child.stdin.write(json.dumps({"stem": stem, "dsn": admin_dsn, "ready": ready}) + "\n")
            child.stdin.close()
        return
    with psycopg.connect(admin_dsn, autocommit=True, application_name="provision-tidy") as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT datname FROM pg_database WHERE starts_with(datname, %s) AND datname ~ %s", (stem, RETIRED)
            )
        ]
        for name in names:
            with contextlib.suppress(psycopg.Error):
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if ready:
            with contextlib.suppress(psycopg.Error):
                make_ready(conn, stem, ready[0], list(ready[1]), admin_dsn)


def drop_retired_main() -> None:
    given = json.loads(sys.stdin.readline())
    drop_retired(given["dsn"], given["stem"], background=False, ready=given.get("ready"))


def app_name(pid: int) -> str:
    """The application name of process ``pid``'s connections, to tell its statements from others'."""
    return f"provision-{pid}"


def end_statements_of(conn: psycopg.Connection, pid: int, timeout: float = 60.0) -> None:
    """End what a killed command (process ``pid``) still has running on the server, and wait until it is
    gone: a CREATE DATABASE finishes after its client died, and must not add a work copy after the repair
    looked (an interrupted one removes its files itself)."""
    if pid <= 0:
        return
    mine = "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND pid <> pg_backend_pid()"
    deadline = time.monotonic() + timeout
    while conn.execute(mine, (app_name(pid),)).fetchone() is not None:
        conn.execute(f"SELECT pg_terminate_backend(pid) FROM ({mine}) s", (app_name(pid),))
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)


def _holding(conn: psycopg.Connection, role: str) -> list[tuple[str, bool]]:
    """The databases that hold something of ``role``: a privilege on the database itself (False), or
    objects it owns or privileges on objects inside the database (True)."""
    rows = conn.execute(
        "SELECT DISTINCT d.datname, s.dbid <> 0 FROM pg_shdepend s JOIN pg_database d"
        " ON d.oid = CASE WHEN s.dbid = 0 THEN s.objid ELSE s.dbid END"
        " WHERE s.refclassid = 'pg_authid'::regclass AND s.refobjid = (SELECT oid FROM pg_roles WHERE rolname = %s)"
        " AND (s.dbid <> 0 OR s.classid = 'pg_database'::regclass) ORDER BY 1",
        (role,),
    )
    return [(str(name), bool(inside)) for name, inside in rows]


def _disown(conn: psycopg.Connection, database: str, role: str, dsn_of: Callable[[str], str]) -> None:
    """Hand what ``role`` owns inside a database that stays (a snapshot of its seat) to the administrator,
    and take its privileges there; a database closed to connections is opened for that moment only. It is
    closed again when it is a template (a snapshot, a baseline: always kept closed) whatever it was found
    as, so that a run after a kill that left it open closes it."""
    asked = "SELECT datallowconn, datistemplate FROM pg_database WHERE datname = %s"
    found = conn.execute(asked, (database,)).fetchone()
    if found is None:
        return
    allowed, template = found
    if not allowed:
        _allow(conn, database, True)
    try:
        with psycopg.connect(dsn_of(database), autocommit=True, connect_timeout=10) as inside:
            inside.execute(sql.SQL("REASSIGN OWNED BY {} TO CURRENT_USER").format(sql.Identifier(role)))
            inside.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
    finally:
        if template or not allowed:
            _allow(conn, database, False)


def close_templates(conn: psycopg.Connection, stem: str) -> list[str]:
    """Close the templates of a client (its baseline and snapshots) that accept connections: only a kill
    between a :func:`_disown` opening one and closing it leaves one so. Returns their names."""
    opened = [
        str(name)
        for (name,) in conn.execute(
            "SELECT datname FROM pg_database WHERE datistemplate AND datallowconn AND starts_with(datname, %s)",
            (stem,),
        )
    ]
    for name in opened:
        _allow(conn, name, False)
    return opened


def drop_role(conn: psycopg.Connection, role: str, stem: str, dsn_of: Callable[[str], str]) -> None:
    """Drop a seat's login once nothing holds it: a retired copy of the seat (being dropped in the background,
    or left by a kill) is dropped now, since it is garbage anyway (a background drop of the same one is
    waited for); another database gives up the role's objects and privileges (DROP OWNED acts on one
    database at a time, and on the shared objects, i.e. every database's CONNECT). Repeating it after a
    kill at any point finishes it. ``dsn_of`` is the administrator's DSN of a database."""
    problem = ""
    close_templates(conn, stem)
    for attempt in range(10):
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is None:
            return
        try:
            for database, inside in _holding(conn, role):
                if database.startswith(stem) and re.search(RETIRED, database):
                    drop(conn, database)
                elif inside:
                    _disown(conn, database, role, dsn_of)
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
            return
        except psycopg.DatabaseError as exc:  # a database appeared or went meanwhile: look again
            detail = exc.diag.message_detail
            problem = (exc.diag.message_primary or str(exc)) + (f" ({detail})" if detail else "")
            time.sleep(0.1 * (attempt + 1))
    raise OperationFailed(
        f"cannot remove the seat login {role}: {problem}",
        fix="run the command again; it finishes the removal",
    )
