"""Trainers' workflow inside PostgreSQL: a frozen baseline, per-trainee seats, resets and snapshots.

The seeded state is kept as a template database nobody connects to (``<db>__baseline``). The working
database and every seat (``<db>__seat01``...) are copies made with ``CREATE DATABASE ... TEMPLATE ...
STRATEGY FILE_COPY``: a file copy, about a second even for a large client. A copy is always built aside
(``<name>__new``) and then swapped in, so a failure or a kill leaves the old database in place.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from provision.errors import EnvironmentProblem, InputError
from provision.render import ClientEnv

SNAPSHOT_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,29}$")
RESERVED = {"baseline", "new", "seat"}


@dataclass(frozen=True)
class Names:
    db: str

    @property
    def baseline(self) -> str:
        return f"{self.db}__baseline"

    @property
    def trainee_group(self) -> str:
        return f"{self.db}__trainees"

    def seat(self, k: int) -> str:
        return f"{self.db}__seat{k:02d}"

    def snapshot(self, name: str) -> str:
        return f"{self.db}__snap_{name}"

    @property
    def snapshot_prefix(self) -> str:
        return f"{self.db}__snap_"

    @staticmethod
    def aside(name: str) -> str:
        return f"{name}__new"


def check_snapshot_name(name: str) -> str:
    if name in RESERVED or not SNAPSHOT_NAME_RE.match(name):
        raise InputError(
            f"invalid snapshot name {name!r}",
            fix="use 1-30 lowercase Latin letters, digits, '-' or '_' (not baseline, new or seat)",
        )
    return name


class Trainer:
    """Baseline, seats, resets and snapshots of one client's server."""

    def __init__(self, env: ClientEnv, password: str, seat_secrets: Path) -> None:
        self.env, self.password, self.seat_secrets = env, password, seat_secrets
        self.names = Names(env.profile.database)
        self._retired = False

    # -- connections ---------------------------------------------------------------------------
    def dsn(self, database: str, user: str | None = None, password: str | None = None) -> str:
        base = self.env.dsn(password if password is not None else self.password)
        if user is not None:
            base = base.replace(f"//{self.env.profile.user}:", f"//{user}:", 1)
        return base.rsplit("/", 1)[0] + "/" + database

    @contextlib.contextmanager
    def admin(self) -> Iterator[psycopg.Connection]:
        try:
            conn = psycopg.connect(self.dsn("postgres"), autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise EnvironmentProblem(
                f"cannot reach the database server of {self.env.client!r}: {str(exc).strip().splitlines()[-1]}",
                fix=f"`provision up {self.env.client}`",
            ) from None
        with conn:
            yield conn

    @staticmethod
    def exists(conn: psycopg.Connection, database: str) -> bool:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone() is not None

    # -- seat passwords --------------------------------------------------------------------------
    def seat_passwords(self) -> dict[str, str]:
        if not self.seat_secrets.exists():
            return {}
        return dict(json.loads(self.seat_secrets.read_text(encoding="utf-8")))

    def _save_seat_passwords(self, passwords: dict[str, str]) -> None:
        self.seat_secrets.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.seat_secrets.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(passwords, handle, indent=2, sort_keys=True)
        os.replace(tmp, self.seat_secrets)

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
            self._freeze(conn, db, names.baseline)
        return time.monotonic() - started

    def has_baseline(self) -> bool:
        with self.admin() as conn:
            return self.exists(conn, self.names.baseline)

    def _freeze(self, conn: psycopg.Connection, source: str, target: str) -> None:
        """Copy a live database aside into a template nobody can connect to, then put it in ``target``'s place."""
        aside = self.names.aside(target)
        self._drop(conn, aside)
        self._copy_live(conn, source, aside)
        conn.execute(
            sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false").format(sql.Identifier(aside))
        )
        if self.exists(conn, target):
            self._drop(conn, target)
        conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(aside), sql.Identifier(target)))

    def _copy_live(self, conn: psycopg.Connection, source: str, target: str) -> None:
        """CREATE DATABASE from a database people may be using: keep them out for the copy."""
        ident = sql.Identifier(source)
        conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(ident))
        try:
            for attempt in range(10):
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                    "AND pid <> pg_backend_pid()",
                    (source,),
                )
                try:
                    conn.execute(
                        sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                            sql.Identifier(target), ident
                        )
                    )
                    return
                except psycopg.errors.ObjectInUse:
                    time.sleep(0.1 * (attempt + 1))
            raise EnvironmentProblem(f"database {source} stays in use; cannot copy it")
        finally:
            conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(ident))

    @staticmethod
    def _drop(conn: psycopg.Connection, database: str) -> None:
        ident = sql.Identifier(database)
        if conn.execute("SELECT datistemplate FROM pg_database WHERE datname = %s", (database,)).fetchone() == (True,):
            conn.execute(sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE false").format(ident))
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))

    # -- copies: reset, restore, seats -------------------------------------------------------------
    def _clone(self, conn: psycopg.Connection, template: str, target: str, role: str | None) -> None:
        """Build ``target`` aside from ``template``, then swap it in; connection rights and settings after.

        The old database is renamed out of the way (``<target>__old<n>``) rather than dropped here:
        deleting gigabytes of files takes as long as the copy, so a background process does it."""
        aside = self.names.aside(target)
        self._drop(conn, aside)
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                sql.Identifier(aside), sql.Identifier(template)
            )
        )
        if self.exists(conn, target):
            ident = sql.Identifier(target)
            conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(ident))
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (target,))
            retired = f"{target}__old{time.monotonic_ns() % 10**9}"
            for attempt in range(50):
                try:
                    conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(ident, sql.Identifier(retired)))
                    break
                except psycopg.errors.ObjectInUse:  # a terminated backend has not exited yet
                    time.sleep(0.02 * (attempt + 1))
                    conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (target,))
            else:
                raise EnvironmentProblem(f"database {target} stays in use; cannot reset it")
            self._retired = True
        conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(aside), sql.Identifier(target)))
        ident = sql.Identifier(target)
        conn.execute(sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(ident))
        if role:
            conn.execute(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(ident, sql.Identifier(role)))
        conn.execute(sql.SQL("ALTER DATABASE {} SET search_path TO okno, public").format(ident))

    def drop_retired(self, background: bool = True) -> None:
        """Drop the databases earlier resets renamed out of the way, in a detached process by default."""
        if background:
            subprocess.Popen(
                [sys.executable, "-c", "from provision.training import _drop_retired_main; _drop_retired_main()"],
                env={**os.environ, "PROVISION_ADMIN_DSN": self.dsn("postgres"), "PROVISION_DB": self.names.db},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            return
        _drop_retired(self.dsn("postgres"), self.names.db)

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
            dsn = self.dsn(database, role, self.seat_passwords().get(role[-2:].lstrip("0") or "0"))
        else:
            dsn = self.dsn(database)
        with psycopg.connect(dsn, connect_timeout=10) as conn:
            conn.execute("SELECT count(*) FROM okno.billing_period").fetchone()

    def reset(self, seat: int | None = None, all_: bool = False, source: str | None = None) -> list[str]:
        """Recreate the working database (or a seat, or all) from the baseline or a snapshot."""
        template = source or self.names.baseline
        done = []
        self._retired = False
        with self.admin() as conn:
            if not self.exists(conn, template):
                raise InputError(
                    f"no baseline for {self.env.client!r} yet",
                    fix=f"seed it first: `provision up {self.env.client}` or `provision seed`",
                )
            for database, role in self.targets(seat, all_):
                self._clone(conn, template, database, role)
                done.append(database)
        for database, role in self.targets(seat, all_):
            self._verify(database, role)
        if self._retired:
            self.drop_retired()
        return done

    def sync_seats(self) -> list[dict[str, Any]]:
        """Make the seats match the profile: create missing ones (role, password, copy), drop extra ones."""
        wanted = self.env.profile.seats
        passwords = self.seat_passwords()
        with self.admin() as conn:
            existing = [
                r[0]
                for r in conn.execute(
                    "SELECT datname FROM pg_database WHERE datname LIKE %s", (self.names.db + "\\_\\_seat%",)
                )
            ]
            for name in existing:
                k = int(name.rsplit("seat", 1)[1]) if name.rsplit("seat", 1)[1].isdigit() else 0
                if k > wanted:
                    self._drop(conn, name)
                    conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
                    passwords.pop(str(k), None)
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
                    conn.execute(sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(ident, sql.Literal(password)))
                if not self.exists(conn, role):
                    self._clone(conn, self.names.baseline, role, role)
            for database in (self.names.db, self.names.baseline, "postgres", "template1"):
                if self.exists(conn, database):
                    conn.execute(
                        sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database))
                    )
        self._save_seat_passwords(passwords)
        return self.seats()

    def seats(self) -> list[dict[str, Any]]:
        passwords = self.seat_passwords()
        rows = [
            {
                "seat": 0,
                "database": self.names.db,
                "role": self.env.profile.user,
                "dsn": self.env.dsn("***"),
                "dsn_with_password": self.dsn(self.names.db),
            }
        ]
        for k in range(1, self.env.profile.seats + 1):
            role = self.names.seat(k)
            rows.append(
                {
                    "seat": k,
                    "database": role,
                    "role": role,
                    "dsn": self.dsn(role, role, "***"),
                    "dsn_with_password": self.dsn(role, role, passwords.get(str(k), "")),
                }
            )
        return rows

    # -- snapshots -------------------------------------------------------------------------------
    def snapshot_save(self, name: str, seat: int | None = None) -> str:
        check_snapshot_name(name)
        source = self.names.seat(seat) if seat else self.names.db
        if seat:
            self.targets(seat, False)
        target = self.names.snapshot(name)
        with self.admin() as conn:
            if self.exists(conn, target):
                raise InputError(
                    f"snapshot {name!r} of {self.env.client!r} exists",
                    fix=f"delete it first: `provision snapshot delete {self.env.client} {name}`",
                )
            self._freeze(conn, source, target)
            info = json.dumps({"source": source, "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
            conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(target), sql.Literal(info)))
        return target

    def snapshot_list(self) -> list[dict[str, Any]]:
        with self.admin() as conn:
            rows = conn.execute(
                "SELECT datname, pg_database_size(oid), shobj_description(oid, 'pg_database') FROM pg_database "
                "WHERE starts_with(datname, %s) ORDER BY datname",
                (self.names.snapshot_prefix,),
            ).fetchall()
        result = []
        for datname, size, comment in rows:
            if datname.endswith("__new"):
                continue
            info = json.loads(comment) if comment else {}
            result.append(
                {
                    "name": datname[len(self.names.snapshot_prefix) :],
                    "database": datname,
                    "source": info.get("source", ""),
                    "saved_at": info.get("saved_at", ""),
                    "size_bytes": int(size),
                }
            )
        return result

    def _require_snapshot(self, name: str) -> str:
        if name == "baseline":
            return self.names.baseline
        check_snapshot_name(name)
        target = self.names.snapshot(name)
        with self.admin() as conn:
            if not self.exists(conn, target):
                known = [s["name"] for s in self.snapshot_list()]
                raise InputError(
                    f"no snapshot {name!r} of {self.env.client!r}",
                    fix=f"known: {', '.join(known) or 'none'}; see `provision snapshot list {self.env.client}`",
                )
        return target

    def snapshot_restore(self, name: str, seat: int | None = None, all_: bool = False) -> list[str]:
        return self.reset(seat, all_, source=self._require_snapshot(name))

    def snapshot_delete(self, name: str) -> None:
        if name == "baseline":
            raise InputError("the baseline cannot be deleted", fix="seed again to replace it")
        target = self._require_snapshot(name)
        with self.admin() as conn:
            self._drop(conn, target)


def trainer_for(workspace: Any, client: str) -> Trainer:
    """The Trainer of a client, without touching Docker: an unreachable server is reported on first use."""
    from provision.render import client_env
    from provision.secrets import read_password

    env = client_env(workspace, client)
    return Trainer(env, read_password(env.password_file), workspace.secrets_dir(client) / "seats.json")


@contextlib.contextmanager
def serialized(workspace: Any, client: str) -> Iterator[None]:
    """Reset and snapshot commands on one client run one at a time (a kernel lock: a crash frees it)."""
    with workspace.lock(f"training-{client}"):
        yield


def _drop_retired(admin_dsn: str, db: str) -> None:
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


def _drop_retired_main() -> None:
    _drop_retired(os.environ["PROVISION_ADMIN_DSN"], os.environ["PROVISION_DB"])
