"""A class at a glance, for the trainer's console: each seat with its connection, size, last reset and the
trainee's link; the snapshots; the last import's summary. The actions are the CLI's own library calls
(:func:`provision.training.seats.reset_client`, :mod:`provision.training.snapshots`); this module only gathers
and links.

A trainee's link (``/seat/<token>``) carries an unguessable token per seat, kept owner-only in the
client's ``secrets/seat-links.json``; ``revoke_links`` makes new ones (the old stop working)."""

from __future__ import annotations

import hmac
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from provision.clients.profile import Profile, load_profile
from provision.clients.render import ClientEnv, client_env, env_for
from provision.clients.workspace import Workspace
from provision.errors import EnvironmentProblem, InputError
from provision.inputs import ascii_number
from provision.training import seats, snapshots
from provision.training.resets import last_resets
from provision.training.seats import Copied, Trainer, client_seats
from seed.dsn import replace_dsn
from seed.outfile import write_output


@dataclass(frozen=True)
class SeatRow:
    seat: int  # 0: the working database
    database: str
    role: str
    connect: str  # the connection string with its password (what a trainee pastes)
    size_bytes: int | None
    last_reset: str  # ISO time, or "" if never reset here
    token: str  # the trainee link's token ("" for the working database)


@dataclass(frozen=True)
class ClassView:
    client: str
    title: str
    state: str  # the container's: running, exited, down, absent
    port: int | None
    seats: list[SeatRow]
    snapshots: list[snapshots.Snapshot]
    last_import: dict[str, Any] | None
    loopback: bool = False  # the database listens on this machine alone: trainees' computers cannot reach it


def _links_path(env: ClientEnv) -> Path:
    return env.files.seat_links


_LINKS_LOCK = threading.Lock()  # the console's threads make and revoke links: one at a time


def _write_private(path: Path, data: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_output(path, json.dumps(data, indent=1, sort_keys=True).encode(), private=True)  # 0600, whole or not


def _read_links(path: Path) -> dict[str, str]:
    try:
        return {str(k): str(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def seat_links(env: ClientEnv) -> dict[int, str]:
    """Seat -> its trainee link's token; made for the seats that have none yet."""
    path = _links_path(env)
    wanted = {str(k) for k in range(1, env.profile.seats + 1)}
    with _LINKS_LOCK:
        kept = _read_links(path)
        if not wanted <= kept.keys():
            kept.update({k: secrets.token_urlsafe(24) for k in wanted - kept.keys()})
            _write_private(path, kept)
    return {int(k): v for k, v in kept.items() if k in wanted}


def revoke_links(workspace: Workspace, client: str, *, profile: Profile | None = None) -> None:
    """New tokens for every seat of ``client``: the links handed out so far stop working."""
    env = env_for(workspace, profile, pick=False) if profile else client_env(workspace, client, pick=False)
    with _LINKS_LOCK:
        _write_private(_links_path(env), {str(k): secrets.token_urlsafe(24) for k in range(1, env.profile.seats + 1)})


def find_seat(workspace: Workspace, token: str) -> tuple[ClientEnv, int] | None:
    """The client (its profile read, for the page to use) and seat a trainee link's token opens, or None
    (it only reads: a guess writes nothing). Only a client whose links hold the token has its profile read."""
    for client in workspace.known_clients():
        keys = [
            key
            for key, known in _read_links(workspace.files(client).seat_links).items()
            if hmac.compare_digest(known.encode(), token.encode())
        ]
        if not keys:
            continue
        try:
            env = client_env(workspace, client, pick=False)
        except InputError:
            continue
        for key in keys:
            seat = ascii_number(key)
            if seat is not None and 1 <= seat <= env.profile.seats:
                return env, seat
    return None


def import_report_html(workspace: Workspace, client: str, lang: str = "ru") -> str:
    """The last import's report as `import load --html` writes it (from the report it kept)."""
    from seed.legacy import report as pages

    env = client_env(workspace, client, pick=False)
    path = env.files.last_load
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InputError(
            f"client {client!r} has no import report", fix=f"`provision import load {client} DIR`"
        ) from None
    customer = str(info.get("customer") or env.profile.title or client)
    return pages.render_load_html(info, pages.load_title(customer, str(info.get("export", "")), lang), lang)


def _last_import(env: ClientEnv) -> dict[str, Any] | None:
    path = env.files.last_load
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    rejected = report.get("rejected", {})
    return {
        "export": Path(str(report.get("export", ""))).name,
        "rows_loaded": sum(report.get("rows_loaded", {}).values()),
        "rows_left_out": rejected.get("total", 0) if isinstance(rejected, dict) else 0,
        "periods": report.get("periods", []),
    }


@dataclass(frozen=True)
class ClientLine:
    """A client as the console's first page lists it."""

    client: str
    title: str
    state: str  # the container's (running, exited, ...), or absent
    port: int | None


def reset_seats(
    workspace: Workspace,
    client: str,
    seat: int | None = None,
    all_: bool = False,
    new_links: bool = False,
    *,
    profile: Profile | None = None,
) -> Copied:
    """`provision reset` and the console's reset buttons: a seat, the working database, or all of them;
    with ``new_links`` (all only), the trainees' links are made anew and the old ones stop working. The
    profile is read once (``profile``: the client's, when the caller has read it already)."""
    if new_links and not all_:
        raise InputError("--new-links goes with --all", fix="`provision reset CLIENT --all --new-links`")
    profile = profile or load_profile(workspace, client)
    done = seats.reset_client(workspace, client, seat, all_, profile=profile)
    if new_links:
        revoke_links(workspace, client, profile=profile)
    return done


def _state(env: ClientEnv) -> str:
    """The database container's state: one question to Docker (`provision status` also sizes volumes)."""
    from provision.clients import lifecycle

    try:
        container = lifecycle.db_container(env)
    except EnvironmentProblem:  # a client on a host that cannot be reached now: the other clients still show
        return "unreachable"
    return str(container.status) if container is not None else "absent"


def overview(workspace: Workspace) -> list[ClientLine]:
    """The workspace's clients with the state of each (a broken profile shows as such)."""
    lines = []
    for client in workspace.known_clients():
        try:
            env = client_env(workspace, client, pick=False)
        except InputError:
            lines.append(ClientLine(client, "", "profile?", None))
            continue
        lines.append(ClientLine(client, env.profile.title or client, _state(env), env.port))
    return lines


def database_sizes(conn: psycopg.Connection, databases: list[str]) -> dict[str, int]:
    """Each of ``databases``' size on disk (a walk of its files: some milliseconds a database)."""
    found = conn.execute(
        "SELECT datname, pg_database_size(oid) FROM pg_database WHERE datname = ANY(%s)", (databases,)
    ).fetchall()
    return {name: int(size) for name, size in found}


Sizes = Callable[[psycopg.Connection, list[str]], dict[str, int]]


def class_view(env: ClientEnv, sizes: Sizes = database_sizes) -> ClassView:
    """Everything the client's page shows, gathered with a query or two (the profile read by the caller,
    once; ``sizes``: the databases' sizes, as :func:`database_sizes` gives them, or a kept answer)."""
    state = _state(env)
    resets = last_resets(env)
    rows: list[SeatRow] = []
    saved: list[snapshots.Snapshot] = []
    if state == "running":
        trainer = Trainer.of(seats.repaired(env, "seats"))
        found = trainer.seats()
        with trainer.admin() as conn:
            size_of = sizes(conn, [s.database for s in found])
        saved = snapshots.Snapshots(trainer).saved()
        links = seat_links(env)
        rows = [
            SeatRow(
                s.seat,
                s.database,
                s.role,
                s.dsn_with_password,
                size_of.get(s.database),
                resets.get(s.database, ""),
                links.get(s.seat, ""),
            )
            for s in found
        ]
    title = env.profile.title or env.client
    loopback = loopback_only(env.profile.host)
    return ClassView(env.client, title, state, env.port, rows, saved, _last_import(env), loopback)


def trainee_seat(env: ClientEnv, seat: int, reached: str | None = None) -> SeatRow:
    """One seat, for its trainee's page (``env``: as :func:`find_seat` found it, its profile read once), its
    connection string as the trainee's computer reaches it (``reached``: the address the trainee reached
    the console by; see :func:`room_address`)."""
    found = [s for s in client_seats(env.workspace, env.client, profile=env.profile) if s.seat == seat]
    if not found:
        raise InputError(f"client {env.client!r} has no seat {seat}")
    s = found[0]
    connect = s.dsn_with_password
    room = room_address(env.profile.host, reached)
    if room is not None and not env.host.is_ssh:
        connect = replace_dsn(connect, host=room)
    return SeatRow(s.seat, s.database, s.role, connect, None, last_resets(env).get(s.database, ""), "")


def loopback_only(bound: str) -> bool:
    """Whether a database bound to ``bound`` is reached from this machine alone."""
    return bound.startswith("127.") or bound in ("::1", "localhost")


def room_address(bound: str, reached: str | None) -> str | None:
    """Where a trainee's computer reaches a database bound to ``bound``: the address the trainee reached the
    console by when it listens on every address, its own address when on one; None when it listens on this
    machine's loopback alone (only the trainer's computer reaches it: the trainer's page says how to open it)."""
    if loopback_only(bound):
        return None
    if bound in ("0.0.0.0", "::"):
        return reached or None
    return bound
