"""Named states of a client's databases: save, list, restore, delete (``<db>__snap_<name>`` templates)."""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass
from typing import Any

from psycopg import sql

from provision.clients.profile import Profile, check_seat, load_profile
from provision.clients.render import client_env, env_for
from provision.clients.workspace import Workspace
from provision.errors import InputError
from provision.training import copies
from provision.training.seats import Copied, Trainer, copy_locked, operation, serialized

SNAPSHOT_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,29}$")
RESERVED = {"baseline", "new", "seat"}


def check_snapshot_name(name: str) -> str:
    if name in RESERVED or not SNAPSHOT_NAME_RE.match(name):
        raise InputError(
            f"invalid snapshot name {name!r}",
            fix="use 1-30 lowercase Latin letters, digits, '-' or '_' (not baseline, new or seat)",
        )
    return name


@dataclass(frozen=True)
class Snapshot:
    name: str
    database: str
    source: str  # the database it was saved from
    saved_at: str
    size_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Snapshots:
    """The snapshots of one client's server."""

    def __init__(self, trainer: Trainer) -> None:
        self.trainer, self.names, self.client = trainer, trainer.names, trainer.env.client

    def save(self, name: str, seat: int | None = None) -> str:
        check_snapshot_name(name)
        source = self.names.seat(seat) if seat else self.names.db
        if seat:
            self.trainer.targets(seat, False)
        target = self.names.snapshot(name)
        with self.trainer.admin() as conn:
            if copies.exists(conn, target):
                raise InputError(
                    f"snapshot {name!r} of {self.client!r} exists",
                    fix=f"delete it first: `provision snapshot delete {self.client} {name}`",
                )
            copies.freeze(conn, source, target, self.names.work(target), self.trainer.note("snapshot"))
            info = json.dumps({"source": source, "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
            conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(target), sql.Literal(info)))
        return target

    def saved(self) -> list[Snapshot]:
        prefix = self.names.snapshot_prefix
        with self.trainer.admin() as conn:
            rows = conn.execute(
                "SELECT datname, pg_database_size(oid), shobj_description(oid, 'pg_database') FROM pg_database "
                "WHERE starts_with(datname, %s) ORDER BY datname",
                (prefix,),
            ).fetchall()
        result = []
        for datname, size, comment in rows:
            if datname.endswith("__new"):
                continue
            info = json.loads(comment) if comment else {}
            name = datname[len(prefix) :]
            result.append(Snapshot(name, datname, info.get("source", ""), info.get("saved_at", ""), int(size)))
        return result

    def _require(self, name: str) -> str:
        if name == "baseline":
            return self.names.baseline
        check_snapshot_name(name)
        target = self.names.snapshot(name)
        with self.trainer.admin() as conn:
            if not copies.exists(conn, target):
                known = [s.name for s in self.saved()]
                raise InputError(
                    f"no snapshot {name!r} of {self.client!r}",
                    fix=f"known: {', '.join(known) or 'none'}; see `provision snapshot list {self.client}`",
                )
        return target

    def restore(self, name: str, seat: int | None = None, all_: bool = False) -> list[str]:
        return self.trainer.reset(seat, all_, source=self._require(name))

    def delete(self, name: str) -> None:
        if name == "baseline":
            raise InputError("the baseline cannot be deleted", fix="seed again to replace it")
        target = self._require(name)
        with self.trainer.admin() as conn:
            copies.drop(conn, target)


# -- what the commands call ---------------------------------------------------------------------------
def save_snapshot(
    workspace: Workspace, client: str, name: str, seat: int | None = None, *, profile: Profile | None = None
) -> str:
    """`provision snapshot save`: returns the database the snapshot is kept in (``profile``: the client's,
    when the caller has read it already)."""
    check_snapshot_name(name)
    env = env_for(workspace, check_seat(profile or load_profile(workspace, client), seat))
    with operation(env, "snapshot save"):
        return Snapshots(Trainer.of(env)).save(name, seat)


def list_snapshots(workspace: Workspace, client: str) -> list[Snapshot]:
    return Snapshots(Trainer.of(client_env(workspace, client))).saved()


def restore_snapshot(
    workspace: Workspace,
    client: str,
    name: str,
    seat: int | None = None,
    all_: bool = False,
    *,
    profile: Profile | None = None,
) -> Copied:
    if name != "baseline":
        check_snapshot_name(name)
    env = env_for(workspace, check_seat(profile or load_profile(workspace, client), seat))
    return copy_locked(env, "snapshot restore", lambda trainer: Snapshots(trainer).restore(name, seat, all_))


def delete_snapshot(workspace: Workspace, client: str, name: str) -> None:
    if name == "baseline":
        raise InputError("the baseline cannot be deleted", fix="seed again to replace it")
    check_snapshot_name(name)
    env = client_env(workspace, client)
    with serialized(env, "snapshot delete"):
        Snapshots(Trainer.of(env)).delete(name)
