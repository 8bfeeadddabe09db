"""Turn a profile into the files Docker Compose runs: ``compose/<client>/compose.yaml``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from provision.clients.profile import Profile, load_profile, memory_bytes
from provision.clients.record import ClientFiles
from provision.clients.secrets import ensure_password
from provision.clients.storage import Storage, plan
from provision.clients.workspace import Workspace
from provision.docker import remote
from provision.docker.hosts import DockerHost
from provision.docker.labels import LABEL_PORT, labels_for
from provision.docker.ports import Claim, machine_lock, note_claim, others_claims, pick_free_port
from provision.docker.templating import render
from provision.errors import EnvironmentProblem, InputError
from seed.dsn import make_dsn
from seed.outfile import write_whole

Note = Callable[[str], None]


def _silent(_line: str) -> None:
    return None


def _mb(value: int) -> str:
    return f"{max(value // 1024**2, 1)}MB"


def server_settings(profile: Profile) -> dict[str, str]:
    """PostgreSQL settings sized to the container's memory limit."""
    memory = memory_bytes(profile.memory_limit)
    return {
        "timezone": profile.timezone,
        "log_timezone": profile.timezone,
        "lc_messages": "en_US.UTF-8",
        "shared_buffers": _mb(memory // 4),
        "effective_cache_size": _mb(memory * 3 // 5),
        "maintenance_work_mem": _mb(min(memory // 8, 1024**3)),
        "work_mem": _mb(max(min(memory // 64, 64 * 1024**2), 4 * 1024**2)),
        "max_wal_size": "4GB",
        # A demo database has no replicas: minimal WAL lets bulk loads and index builds skip the log.
        "wal_level": "minimal",
        "max_wal_senders": "0",
        "checkpoint_timeout": "15min",
        "log_min_duration_statement": "2s",
        # A class of up to 200 seats: every trainee's client (two or three connections each), the checks of a
        # lesson, the console's (up to 100 kept for its board: lessonsql.Links.KEPT). One value whatever
        # the seats, so that adding seats never restarts the server.
        "max_connections": "600",
    }


@dataclass(frozen=True)
class ClientEnv:
    """A client's profile with what provision decided for it: the port, the image and the storage."""

    workspace: Workspace
    profile: Profile
    port: int
    image: str
    storage: Storage

    @property
    def client(self) -> str:
        return self.profile.client

    @property
    def project(self) -> str:
        return project_name(self.workspace, self.client)

    @property
    def files(self) -> ClientFiles:
        """The client's record on disk: its folder's paths and its state."""
        return self.workspace.files(self.client)

    @property
    def directory(self) -> Path:
        return self.files.directory

    @property
    def compose_file(self) -> Path:
        return self.files.compose

    @property
    def host(self) -> DockerHost:
        """The Docker engine the client runs on (its profile's [docker], a context resolved)."""
        return self.profile.docker.target()

    def reach(self) -> tuple[str, int]:
        """Where this machine reaches the database: its port, or (a client on an SSH host) the local end of
        a forward through the host's SSH connection to that port on the host's 127.0.0.1."""
        host = self.host
        if host.is_ssh:
            return "127.0.0.1", remote.forward(host, self.port, self.bound_address())
        address = self.bound_address()
        if not host.is_local and host.url.startswith("tcp://"):
            address = urlsplit(host.url).hostname or address
        return address, self.port

    def bound_address(self) -> str:
        """The address the database listens on, on its host (a wildcard reached at the loopback)."""
        return "127.0.0.1" if self.profile.host in ("0.0.0.0", "::") else self.profile.host

    def labels(self, role: str) -> dict[str, str]:
        return labels_for(self.client, str(self.workspace.root), role)

    def dsn(self, password: str | None = None) -> str:
        address, port = self.reach()
        return make_dsn(
            host=address, port=port, user=self.profile.user, password=password, dbname=self.profile.database
        )


def project_name(workspace: Workspace, client: str) -> str:
    """Compose project name: unique per workspace, so two workspaces never share a volume."""
    digest = hashlib.sha256(str(workspace.root).encode()).hexdigest()[:6]
    return f"provision-{client}-{digest}"


def _still_kept(port: int, owner: Claim) -> bool:
    """Whether a noted claim stands: its workspace still keeps that port for that client."""
    try:
        return Workspace(Path(owner[0])).files(owner[1]).read_state().port == port
    except Exception:  # a workspace gone or damaged keeps nothing
        return False


def ports_claimed_by_others(workspace: Workspace, client: str) -> set[int]:
    """The ports other clients hold or would take: this workspace's kept picks and fixed ports (a client
    whose profile or state is broken claims what can be read of it, and blocks nobody), and the picks every
    other workspace of this user keeps for a client that is down. The caller holds :func:`machine_lock`."""
    taken = others_claims((str(workspace.root), client), _still_kept)
    for other in workspace.known_clients():
        if other == client:
            continue
        try:
            kept = workspace.files(other).read_state().port
        except InputError:
            kept = None
        if kept is not None:
            taken.add(kept)
        if workspace.has_profile(other):
            try:
                other_profile = load_profile(workspace, other)
            except Exception:  # another client's broken profile must not block this one
                continue
            if other_profile.port:
                taken.add(other_profile.port)
    return taken


def pick_port(workspace: Workspace, profile: Profile, claimed: set[int]) -> int:
    """Pick a port for ``port = "auto"`` beside ``claimed`` and this workspace's other clients, and keep it.
    The caller holds :func:`machine_lock`."""
    try:
        claimed = claimed | ports_claimed_by_others(workspace, profile.client)
        host = profile.docker.target()
        if host.is_ssh:  # what listens there is known; a socket's engine is on this machine
            claimed |= remote.listening_ports(host)
        port = pick_free_port(profile.host, claimed, here=not (host.is_ssh or host.url.startswith("tcp://")))
    except RuntimeError as exc:
        raise EnvironmentProblem(str(exc), fix=f"set postgres.port in {profile.where} to a free port") from None
    workspace.files(profile.client).change_state(port=port)
    note_claim(port, (str(workspace.root), profile.client))
    return port


def resolve_port(workspace: Workspace, profile: Profile, *, pick: bool = True, progress: Note = _silent) -> int:
    """The profile's port, or the one picked for ``port = "auto"`` and kept since (``up`` checks it against
    every workspace's claims before it starts, :mod:`provision.clients.claims`).

    With ``pick`` false (to show a client, not to start it) nothing is picked or written: 0 if none is kept."""
    if profile.port is not None:
        return profile.port
    files = workspace.files(profile.client)
    if not pick:
        return files.read_state().port or 0
    with machine_lock():
        state = files.read_state()
        if state.port is not None:
            return state.port
        if state.bad_port is not None:
            progress(f"{files.state}: the kept port {state.bad_port} is no port (1-65535); another is picked")
        return pick_port(workspace, profile, set())


def env_for(
    workspace: Workspace,
    profile: Profile,
    image: str | None = None,
    *,
    pick: bool = True,
    decide: bool = False,
    progress: Note = _silent,
) -> ClientEnv:
    """A loaded profile's settings without touching Docker; the image is the one last used, if any. The
    storage is the one kept; ``decide`` (``up`` and ``render``) chooses and keeps it for a new client, its
    password first (a damaged one is said before any choice is kept)."""
    files = workspace.files(profile.client)
    if decide:
        files.read_state()  # a damaged state is said before anything is made
        ensure_password(files.password)
    port = resolve_port(workspace, profile, pick=pick, progress=progress)
    state = files.read_state()
    recorded = state.image if image is None else None
    chosen = image or (recorded if recorded is not None else profile.image)
    project = project_name(workspace, profile.client)
    return ClientEnv(workspace, profile, port, chosen, plan(workspace, profile, project, state, decide=decide))


def client_env(workspace: Workspace, client: str, *, pick: bool = True, decide: bool = False) -> ClientEnv:
    """The client's settings without touching Docker; the image is the one last used, if any."""
    return env_for(workspace, load_profile(workspace, client), pick=pick, decide=decide)


def database_context(env: ClientEnv, settings: dict[str, str]) -> dict[str, Any]:
    """What the compose file and the swarm stack say alike of the database service."""
    profile = env.profile
    args = ["postgres"]
    for key, value in settings.items():
        args += ["-c", f"{key}={value}"]
    return {
        "client": env.client,
        "title": profile.title,
        "project": env.project,
        "profile_source": profile.where,
        "image": env.image,
        "user": profile.user,
        "database": profile.database,
        "initdb_args": f"--locale={profile.locale} --encoding=UTF8",
        "timezone": profile.timezone,
        "server_args": args,
        "host": profile.host,
        "port": env.port,
        "memory_limit": profile.memory_limit.lower(),
        "labels_db": {**env.labels("db"), LABEL_PORT: str(env.port)},
        "labels_volume": env.labels("data"),
    }


def shm_bytes(profile: Profile) -> int:
    return max(memory_bytes(profile.memory_limit) // 4, 256 * 1024**2)


def render_compose(env: ClientEnv) -> str:
    settings = server_settings(env.profile)
    if env.storage.method == "clone":
        settings["file_copy_method"] = "clone"  # CREATE DATABASE ... FILE_COPY shares extents (PostgreSQL 18+)
    return render(
        "compose.yaml.j2",
        **database_context(env, settings),
        shm_size=_mb(shm_bytes(env.profile)).replace("MB", "m"),
        labels_network=env.labels("network"),
        labels_for_service=env.labels,
        services=env.profile.services,
        data_path=str(env.storage.data) if env.storage.data else "",
        storage=env.storage.describe(),
        secret_volume="" if env.host.is_local else secret_volume_name(env),
    )


def secret_volume_name(env: ClientEnv) -> str:
    """The volume that holds the password of a client on another host (provision.clients.secretvolume)."""
    return f"{env.project}_secrets"


def write_compose(env: ClientEnv) -> Path:
    """Write compose.yaml (atomically) and make sure the password file it names exists."""
    ensure_password(env.files.password)
    path = env.compose_file
    path.parent.mkdir(parents=True, exist_ok=True)
    write_whole(path, render_compose(env))
    return path
