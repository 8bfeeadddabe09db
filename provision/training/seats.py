"""Trainers' workflow inside PostgreSQL: a frozen baseline, per-trainee seats and resets.

The seeded state is kept as a template database nobody connects to (``<stem>__baseline``). The working
database and every seat (``<stem>__seat01``...) are copies of it (:mod:`provision.training.copies`). The stem is the
database name itself, or for a long one its start and a digest (:func:`stem_of`), so that every derived
name fits PostgreSQL's 63 bytes. Commands that change a client's databases run as an :func:`operation`:
under the client's lock, each step in its journal (:mod:`provision.training.journal`), and first of all repairing
what a killed command left (:meth:`Trainer.recover`).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from provision.clients.database import connect_server
from provision.clients.profile import Profile, check_seat, load_profile
from provision.clients.render import ClientEnv, env_for
from provision.clients.secrets import read_password
from provision.clients.workspace import Workspace
from provision.errors import InputError
from provision.training import copies, journal, lessonsql, lessonstate
from provision.training.names import Names
from provision.training.resets import note_resets
from seed.dsn import replace_dsn
from seed.outfile import write_whole

# Connections copying a class's databases at once. A clone waits on two checkpoints, which concurrent
# copies share (100 seats' clones on this 2-core machine: 12.8 s one at a time, 6.5 s on four connections,
# 5.1 s on eight, 6.1 s on sixteen); a copy of every byte is bound by the disk's throughput, which more
# copies at once only share.
COPIERS = {"clone": 8, "copy": 2}
Say = Callable[[str], None]


@dataclass(frozen=True)
class Seat:
    """A trainee's seat (0: the working database, with the client's own login)."""

    seat: int
    database: str
    role: str
    dsn: str  # the password hidden
    dsn_with_password: str

    def to_dict(self, show_password: bool = False) -> dict[str, Any]:
        row: dict[str, Any] = {"seat": self.seat, "database": self.database, "role": self.role, "dsn": self.dsn}
        if show_password:
            row["dsn_with_password"] = self.dsn_with_password
        row["connect"] = self.dsn_with_password if show_password else self.dsn
        return row


@dataclass(frozen=True)
class Copied:
    """What a reset or a restore replaced, and how long it took."""

    databases: list[str]
    seconds: float
    from_lesson: list[str] = field(default_factory=list)  # those reset to a running lesson's start


class Trainer:
    """Baseline, seats and resets of one client's server."""

    def __init__(self, env: ClientEnv, password: str, seat_secrets: Path) -> None:
        self.env, self.password, self.seat_secrets = env, password, seat_secrets
        self.names = Names(env.profile.database)
        self.journal_path = journal_path(env)
        self._noting = threading.Lock()

    @classmethod
    def of(cls, env: ClientEnv) -> Trainer:
        """The Trainer of a client, without touching Docker: an unreachable server is reported on first use."""
        return cls(env, read_password(env.files.password), env.files.seat_passwords)

    # -- connections ---------------------------------------------------------------------------
    def dsn(self, database: str, user: str | None = None, password: str | None = None) -> str:
        base = self.env.dsn(password if password is not None else self.password)
        return replace_dsn(base, dbname=database, **({"user": user} if user is not None else {}))

    def admin(self) -> psycopg.Connection:
        """An autocommit connection to the server's ``postgres`` database; use it in a ``with``. Its
        application name carries this process's id, so that :meth:`recover` can tell a killed command's
        statements still running on the server (a CREATE DATABASE outlives its client) and end them."""
        return connect_server(self.env, self.dsn("postgres"), application_name=copies.app_name(os.getpid()))

    exists = staticmethod(copies.exists)

    def note(self, label: str) -> copies.Note:
        """Where the copies note their steps: the journal of the command running, if any."""

        def noted(step: str, record: dict[str, Any]) -> None:
            kept = journal.active(self.journal_path)
            if kept is not None:
                with self._noting:  # copies of a class run on several threads; the journal is one file
                    if record not in kept.data["copies"]:
                        kept.copy(record)
                    kept.step(f"{label}:{step}")

        return noted

    # -- seat passwords --------------------------------------------------------------------------
    def seat_passwords(self) -> dict[str, str]:
        if not self.seat_secrets.exists():
            return {}
        return dict(json.loads(self.seat_secrets.read_text(encoding="utf-8")))

    def _save_seat_passwords(self, passwords: dict[str, str]) -> None:
        self.seat_secrets.parent.mkdir(parents=True, exist_ok=True)
        write_whole(self.seat_secrets, json.dumps(passwords, indent=2, sort_keys=True), mode=0o600)

    # -- the baseline ----------------------------------------------------------------------------
    def freeze_baseline(self) -> float:
        """Copy the working database into a new baseline; the old one is replaced only when complete."""
        started = time.monotonic()
        db, names = self.names.db, self.names
        with psycopg.connect(self.dsn(db), autocommit=True) as conn:
            group = sql.Identifier(names.trainee_group)
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (names.trainee_group,)).fetchone() is None:
                conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(group))
            if conn.execute("SELECT to_regnamespace('okno')").fetchone() not in (None, (None,)):
                conn.execute(sql.SQL("GRANT USAGE ON SCHEMA okno TO {}").format(group))
                conn.execute(
                    sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA okno TO {}").format(
                        group
                    )
                )
                conn.execute(sql.SQL("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA okno TO {}").format(group))
        with self.admin() as conn:
            copies.freeze(conn, db, names.baseline, names.work(names.baseline), self.note("baseline"))
        return time.monotonic() - started

    def has_baseline(self) -> bool:
        with self.admin() as conn:
            return copies.exists(conn, self.names.baseline)

    # -- copies: reset, restore, seats -------------------------------------------------------------
    def targets(self, seat: int | None, all_: bool) -> list[tuple[str, str | None]]:
        """(database, seat role) pairs a reset or restore acts on."""
        seats = self.env.profile.seats
        if seat is not None:
            if not 1 <= seat <= seats:
                raise InputError(
                    f"client {self.env.client!r} has no seat {seat}",
                    fix=f"seats are 1..{seats}" if seats else "set [training] seats = N in the profile",
                )
            return [(self.names.seat(seat), self.names.seat(seat))]
        found: list[tuple[str, str | None]] = [(self.names.db, None)]
        if all_:
            found += [(self.names.seat(k), self.names.seat(k)) for k in range(1, seats + 1)]
        return found

    def _verify(self, database: str, role: str | None) -> None:
        if role:
            dsn = self.dsn(database, role, self.seat_passwords().get(str(_seat_number(role))))
        else:
            dsn = self.dsn(database)
        with psycopg.connect(dsn, connect_timeout=10) as conn:
            conn.execute("SELECT count(*) FROM okno.billing_period").fetchone()

    def reset(
        self,
        seat: int | None = None,
        all_: bool = False,
        source: str | None = None,
        setups: Mapping[str, Callable[[str], None]] | None = None,
        chosen: list[tuple[str, str | None]] | None = None,
    ) -> list[str]:
        """Recreate the working database (or a seat, or all) from the baseline or a snapshot; ``setups``, by
        database, is applied to its copy before the swap (a running lesson's setup of the seat, so that it
        goes back to the lesson's start); ``chosen``, the (database, seat role) pairs to reset instead of
        those ``seat`` and ``all_`` name.

        A class (several targets) is copied on several connections at once (:data:`COPIERS`): a copy
        waits mostly on the disk's flushes (every file is fsynced, twice a checkpoint), which overlap;
        each copy is its own journal record, so a kill at any moment is repaired copy by copy. A single
        target is copied on the connection that checked the template, one handshake fewer."""
        copiers = COPIERS[self.env.storage.method]
        template = source or self.names.baseline
        targets = chosen if chosen is not None else self.targets(seat, all_)
        passwords = self.seat_passwords()
        ready: dict[str, str] = {}  # a target's ready copy of the baseline, where one may be waiting

        def copy_all(conn: psycopg.Connection, part: list[tuple[str, str | None]]) -> bool:
            retired = False
            for database, role in part:
                names = (self.names.work(database), self.names.retired())
                note = self.note("seat" if role else "database")
                prepare = (setups or {}).get(database)
                made = copies.clone(conn, template, database, role, names, note, ready.get(database), prepare)
                retired = made or retired
                if role:
                    self._login_of(conn, role, passwords)
            return retired

        def copy_part(part: list[tuple[str, str | None]]) -> bool:
            with self.admin() as conn:
                return copy_all(conn, part)

        with self.admin() as conn:
            if not copies.exists(conn, template):
                raise InputError(
                    f"no baseline for {self.env.client!r} yet",
                    fix=f"seed it first: `provision up {self.env.client}` or `provision seed`",
                )
            if self.env.storage.method == "clone" and source is None:  # where a copy costs no more than its files
                seat_of = {db: _seat_number(role) if role else 0 for db, role in targets}
                ready.update(copies.ready_for(conn, self.names.stem, template, seat_of))
            if len(targets) == 1:
                retired = copy_all(conn, targets)
        if len(targets) == 1:
            self._verify(*targets[0])
        else:
            parts = [targets[k::copiers] for k in range(copiers)]
            with ThreadPoolExecutor(max_workers=copiers) as pool:
                retired = any(list(pool.map(copy_part, parts)))
                # the logins' handshakes (SCRAM) and the backends' start-up overlap too
                list(pool.map(lambda target: self._verify(*target), targets))
        if retired or ready:
            every_seat = (template, list(range(self.env.profile.seats + 1))) if ready else None
            copies.drop_retired(self.dsn("postgres"), self.names.stem, ready=every_seat)
        return [database for database, _role in targets]

    def take_in(self, conn: psycopg.Connection, work: str, seat: int) -> None:
        """A work copy made ready aside (a lesson's start) in seat ``seat``'s place, its login as `seats`
        shows it; the old seat retired (dropped later by :func:`copies.drop_retired`)."""
        role = self.names.seat(seat)
        copies.swap_in(conn, work, role, role, self.names.retired(), lambda _step: None)
        self._login_of(conn, role, self.seat_passwords())

    def _login_of(self, conn: psycopg.Connection, role: str, passwords: dict[str, str]) -> None:
        if str(_seat_number(role)) in passwords:
            self._login(conn, role, passwords[str(_seat_number(role))])

    def _login(self, conn: psycopg.Connection, role: str, password: str) -> None:
        """A seat's login as `seats` shows it, whatever its trainee changed (a password, a setting)."""
        ident = sql.Identifier(role)
        conn.execute(
            sql.SQL(
                "ALTER ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT NOREPLICATION NOBYPASSRLS "
                "CONNECTION LIMIT -1 VALID UNTIL 'infinity' PASSWORD {}"
            ).format(ident, sql.Literal(password))
        )
        conn.execute(sql.SQL("ALTER ROLE {} RESET ALL").format(ident))
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(self.names.trainee_group), ident))

    def books(self) -> str | None:
        """When the working database's books were made (None: no books), to tell old books from new."""
        with psycopg.connect(self.dsn(self.names.db), autocommit=True, connect_timeout=10) as conn:
            if conn.execute("SELECT to_regclass('okno.seed_info')").fetchone() in (None, (None,)):
                return None
            row = conn.execute("SELECT max(generated_at)::text FROM okno.seed_info").fetchone()
        return row[0] if row else None

    def recover(self, left: dict[str, Any]) -> str:
        """Finish or undo what a killed command left (:mod:`provision.training.journal`); the line that says so."""
        with self.admin() as conn:
            pid = int(left.get("pid") or 0)
            if pid != os.getpid():  # a command of this process (the console's) failed: its statements ended
                copies.end_statements_of(conn, pid)
            done = [f"{r['target']} {copies.repair(conn, r)}" for r in left.get("copies", [])]
            if left.get("removing"):  # seats past the profile's count: their removal is finished
                passwords = self.seat_passwords()
                self._drop_extra_seats(conn, self.env.profile.seats, passwords)
                self._save_seat_passwords(passwords)
                done.append("seats removed")
            if left.get("lesson_works"):
                done.append(self._finish_lesson_start(conn, left))
            if copies.exists(conn, self.names.db) and not copies.is_template(conn, self.names.db):
                conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(sql.Identifier(self.names.db)))
        if "books" in left and self.books() != left["books"]:
            self.freeze_baseline()  # the new books were switched in: their baseline goes with them
            self.sync_seats()
            done.append("the new books' baseline frozen")
        copies.drop_retired(self.dsn("postgres"), self.names.stem)
        what = ", ".join(done) or "nothing to undo"
        return f"repaired what `{left.get('command')}` (pid {left.get('pid')}) left at step {left.get('step')}: {what}"

    def _finish_lesson_start(self, conn: psycopg.Connection, left: dict[str, Any]) -> str:
        """A lesson's start a kill interrupted: before its swap, its work copies go (the seats, and any
        lesson running, as they were); once swapping, it is finished (the lesson's record, every seat)."""
        works = {int(k): str(work) for k, work in left["lesson_works"].items()}
        if left.get("lesson_phase") != "swap":
            for work in works.values():
                copies.drop(conn, work)
            return "the lesson's unfinished start undone"
        lessonstate.settle(self.env, left["lesson_record"])
        for k, work in sorted(works.items()):  # a seat renamed in before its opening is opened again
            self.take_in(conn, work, k) if copies.exists(conn, work) else copies.reopen(conn, self.names.seat(k))
        return "the lesson's start finished"

    def _drop_extra_seats(self, conn: psycopg.Connection, wanted: int, passwords: dict[str, str]) -> None:
        """Remove the seats past ``wanted``, their databases and logins (a login whose database a killed
        removal already dropped, too); the journal names them, so a kill at any point is finished next."""
        like = self.names.stem + "\\_\\_seat%"
        found = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s"
            " UNION SELECT rolname FROM pg_roles WHERE rolname LIKE %s",
            (like, like),
        )
        extra = sorted(name for (name,) in found if _seat_number(name) > wanted)
        kept = journal.active(self.journal_path)
        if extra and kept is not None:
            kept.step("seat:remove", removing=extra)
        for name in extra:
            copies.drop(conn, name)
            if kept is not None:
                kept.step("seat:login")
            copies.drop_role(conn, name, self.names.stem, self.dsn)
            passwords.pop(str(_seat_number(name)), None)

    def sync_seats(self) -> list[Seat]:
        """Make the seats match the profile: create missing ones (role, password, then the copies of a class
        at once, as a reset makes them), drop extra ones."""
        wanted = self.env.profile.seats
        passwords = self.seat_passwords()
        missing: list[tuple[str, str | None]] = []
        with self.admin() as conn:
            self._drop_extra_seats(conn, wanted, passwords)
            for k in range(1, wanted + 1):
                role = self.names.seat(k)
                password = passwords.setdefault(str(k), secrets.token_urlsafe(12))
                ident = sql.Identifier(role)
                if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is None:
                    conn.execute(
                        sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}").format(
                            ident, sql.Literal(password), sql.Identifier(self.names.trainee_group)
                        )
                    )
                else:
                    self._login(conn, role, password)
                if not copies.exists(conn, role):
                    missing.append((role, role))
            for database in (self.names.db, self.names.baseline, "postgres", "template1"):
                if copies.exists(conn, database):
                    conn.execute(
                        sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database))
                    )
        self._save_seat_passwords(passwords)
        if missing:
            self.reset(chosen=missing)
            if self.env.storage.method == "clone":  # the next resets (a lesson's start) rename a copy in
                every = (self.names.baseline, list(range(wanted + 1)))
                copies.drop_retired(self.dsn("postgres"), self.names.stem, ready=every)
        return self.seats()

    def seats(self) -> list[Seat]:
        passwords = self.seat_passwords()
        profile = self.env.profile
        rows = [Seat(0, self.names.db, profile.user, self.env.dsn("***"), self.dsn(self.names.db))]
        for k in range(1, profile.seats + 1):
            role = self.names.seat(k)
            rows.append(
                Seat(k, role, role, self.dsn(role, role, "***"), self.dsn(role, role, passwords.get(str(k), "")))
            )
        return rows


def _seat_number(name: str) -> int:
    """A seat's number from its database's or login's name (0: not a seat's own, e.g. its work copy)."""
    tail = name.rsplit("seat", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def journal_path(env: ClientEnv) -> Path:
    return env.files.journal


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _lock_path(env: ClientEnv) -> Path:
    return env.files.training_lock


@contextlib.contextmanager
def serialized(env: ClientEnv, command: str = "a command", say: Say | None = None) -> Iterator[None]:
    """Commands that change one client's databases run one at a time (a kernel lock: a kill frees it); the
    first thing each does is to finish or undo what a killed one left."""
    say = say or _to_stderr
    read_password(env.files.password)  # a client never brought up: said before a lock or journal is made
    with journal.client_lock(_lock_path(env), command, say) as outermost:
        left = journal.Journal.left(journal_path(env)) if outermost else None
        if left is not None:
            say(Trainer.of(env).recover(left))
            journal.Journal(journal_path(env), command).close()
        yield


def busy(env: ClientEnv) -> bool:
    """Whether a command (a reset, a snapshot, a load) holds the client now: the next one will wait."""
    return journal.lock_held(_lock_path(env))


def repaired(env: ClientEnv, command: str, say: Say | None = None) -> ClientEnv:
    """For a command that only reads a client's databases: what a killed command left is finished or
    undone first, as every command does; a command still running (it holds the lock) is left alone."""
    if journal.Journal.left(journal_path(env)) is not None and not journal.lock_held(_lock_path(env)):
        with serialized(env, command, say):
            pass
    return env


@contextlib.contextmanager
def operation(env: ClientEnv, command: str, say: Say | None = None) -> Iterator[journal.Journal]:
    """A change of a client's databases: under its lock, each step in its journal. A failure (not a
    kill) is repaired at once; a kill, by the next command."""
    with serialized(env, command, say), journal.keeping(journal_path(env), command) as kept:
        try:
            yield kept
        except BaseException:
            if kept.data["step"] == "begin":  # it failed before doing anything: nothing for later to finish
                kept.close()
                raise
            with contextlib.suppress(Exception):
                Trainer.of(env).recover(kept.data)
                kept.close()
            raise


@contextlib.contextmanager
def replacing_books(env: ClientEnv, command: str, say: Say | None = None) -> Iterator[Callable[[], None]]:
    """New books loaded (a seed, an import) and their baseline frozen: both or neither. The block loads and
    then calls what it is given; a kill after the switch-in makes the next command freeze the baseline."""
    with operation(env, command, say) as kept:
        trainer = Trainer.of(env)
        kept.step("load", books=trainer.books())

        def switched() -> None:
            kept.step("switched")
            if say:
                say("freezing the baseline")
            trainer.freeze_baseline()
            kept.step("seats")
            trainer.sync_seats()

        yield switched


def copy_locked(env: ClientEnv, command: str, action: Callable[[Trainer], list[str]]) -> Copied:
    """Run a reset or a restore under the client's lock; the time includes waiting for the lock."""
    started = time.monotonic()
    with operation(env, command):
        done = action(Trainer.of(env))
        note_resets(env, done)
    return Copied(done, time.monotonic() - started)


# -- what the commands call ---------------------------------------------------------------------------
def freeze_and_sync(
    env: ClientEnv, *, keep_existing: bool = False, progress: Callable[[str], None] | None = None
) -> None:
    """Freeze the working database as the baseline (unless ``keep_existing`` and there is one), then make
    the seats match the profile; under the client's lock."""
    with operation(env, "baseline", progress):
        trainer = Trainer.of(env)
        if not keep_existing or not trainer.has_baseline():
            if progress:
                progress("freezing the baseline")
            trainer.freeze_baseline()
        trainer.sync_seats()


def reset_client(
    workspace: Workspace, client: str, seat: int | None = None, all_: bool = False, *, profile: Profile | None = None
) -> Copied:
    """`provision reset`: the working database (or a seat, or all) back to the baseline (``profile``: the
    client's, when the caller has read it already)."""
    env = env_for(workspace, check_seat(profile or load_profile(workspace, client), seat))

    started: dict[str, str] = {}  # the seats a running lesson's setup was applied to

    def reset(trainer: Trainer) -> list[str]:  # while a lesson runs, a seat goes back to the lesson's start
        setups = lessonsql.seat_setups(trainer.env, trainer.names, trainer.dsn) if seat != 0 and (seat or all_) else {}
        started.update(dict.fromkeys(setups, ""))
        return trainer.reset(seat, all_, setups=setups)

    done = copy_locked(env, "reset", reset)
    return replace(done, from_lesson=[database for database in done.databases if database in started])


def client_seats(workspace: Workspace, client: str, *, profile: Profile | None = None) -> list[Seat]:
    """`provision seats`: the working database and each trainee's seat, with how to connect (``profile``:
    the client's, when the caller has read it already)."""
    return Trainer.of(repaired(env_for(workspace, profile or load_profile(workspace, client)), "seats")).seats()
