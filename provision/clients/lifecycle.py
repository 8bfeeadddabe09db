"""A client's environment from start to end: init, render, up, status, down, destroy.

Each function here is what one CLI command calls; none of them prints. Progress goes through
the ``progress`` callback so the CLI decides how it looks.
"""

from __future__ import annotations

import os
import time
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import docker.errors
import psycopg

from provision.clients import claims, secretvolume, storage, swarm
from provision.clients.datavolume import check_data_major
from provision.clients.profile import (
    Profile,
    check_title,
    load_profile,
    parse_profile,
    registry_mirror_from_environment,
)
from provision.clients.render import ClientEnv, client_env, env_for, write_compose
from provision.clients.secrets import read_password
from provision.clients.workspace import Workspace, validate_client_name
from provision.docker import compose, engine
from provision.docker.carry import image_on
from provision.docker.hosts import DockerHost
from provision.docker.ports import forget_claim, machine_lock
from provision.docker.templating import render
from provision.errors import EnvironmentProblem, InputError, OperationFailed
from seed.dsn import replace_dsn

Progress = Callable[[str], None]


def _quiet(_line: str) -> None:
    return None


# -- init and render ------------------------------------------------------------------------------
def init_client(workspace: Workspace, client: str, *, title: str | None = None, force: bool = False) -> Path:
    """Write a commented profile for a new client, its port "auto": a port chosen now could be taken by
    the time the client starts (by another workspace's client, or any program); `up` picks one then."""
    validate_client_name(client)
    if title is not None:
        check_title(title)
    path = workspace.files(client).profile
    if os.path.lexists(path) and not force:  # a symlink, even a dangling or looping one, is something there
        raise InputError(f"{path} already exists", fix="edit it, or pass --force to write it anew")
    text = render("client.toml.j2", client=client, title=title or client)
    parse_profile(client, tomllib.loads(text), path)  # what init writes must load: checked before it is
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"{path}: cannot be written ({exc.strerror})", fix="remove what is there, or fix the folder"
        ) from None
    return path


def render_client(workspace: Workspace, client: str) -> Path:
    env = client_env(workspace, client, decide=True)
    return swarm.write_stack(env) if env.profile.docker.swarm else write_compose(env)


# -- finding the running objects -------------------------------------------------------------------
def _client_labels(env: ClientEnv) -> dict[str, str]:
    return {engine.LABEL_CLIENT: env.client, engine.LABEL_WORKSPACE: str(env.workspace.root)}


def db_container(env: ClientEnv) -> Any | None:
    """The client's database container, a running one first (a swarm keeps its stopped tasks' a while)."""
    found = engine.find("containers", {**_client_labels(env), engine.LABEL_ROLE: "db"}, env.host)
    found.sort(key=lambda c: c.status != "running")
    return found[0] if found else None


def _container_log_tail(container: Any, lines: int = 25) -> str:
    try:
        return str(container.logs(tail=lines).decode("utf-8", errors="replace")).rstrip()
    except docker.errors.APIError:
        return ""


# -- up -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UpResult:
    env: ClientEnv
    password: str
    seconds: float
    changed: bool

    @property
    def dsn(self) -> str:
        return self.env.dsn()

    def dsn_with_password(self) -> str:
        return self.env.dsn(self.password)


def wait_ready(env: ClientEnv, password: str, timeout: float, progress: Progress = _quiet) -> None:
    """Return when a real query over a real TCP connection succeeds; fail fast if the server died."""
    deadline = time.monotonic() + timeout
    last_error = ""
    announced = False
    while True:
        try:
            # the server's own database: the client's may refuse connections until a repair (journal)
            server = replace_dsn(env.dsn(password), dbname="postgres")
            with psycopg.connect(server, connect_timeout=3, autocommit=True) as conn:
                conn.execute("SELECT current_database(), version()").fetchone()
                return
        except psycopg.OperationalError as exc:
            last_error = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            if any(text in last_error for text in ("password authentication failed", "проверку подлинности")):
                raise OperationFailed(
                    f"the database of {env.client!r} refuses the password in {env.files.password}",
                    fix="the data volume was made with another password: restore that file, or "
                    f"`provision destroy {env.client}` to start over (deletes the data)",
                ) from None
        container = db_container(env)
        if container is not None:
            container.reload()
            state = container.attrs.get("State", {})
            if state.get("Status") in ("exited", "dead") or state.get("Restarting"):
                raise OperationFailed(
                    f"the database container of {env.client!r} stopped while starting "
                    f"(exit code {state.get('ExitCode')})",
                    fix=f"read the log below; `provision logs {env.client}` shows all of it",
                    details=_container_log_tail(container),
                )
        if time.monotonic() > deadline:
            raise OperationFailed(
                f"the database of {env.client!r} did not answer a query within {timeout:.0f} s ({last_error})",
                fix=f"raise postgres.start_timeout in the profile or read `provision logs {env.client}`",
                details=_container_log_tail(container) if container is not None else None,
            )
        if not announced:
            progress("waiting for PostgreSQL to answer a query")
            announced = True
        time.sleep(0.3)


def up(
    workspace: Workspace,
    client: str,
    *,
    build: bool = False,
    progress: Progress = _quiet,
    profile: Profile | None = None,
) -> UpResult:
    """Bring the client's database up (idempotent) and return how to connect to it. ``profile``: the
    client's, when the caller has loaded it already (a command parses it once)."""
    started = time.monotonic()
    profile = profile if profile is not None else load_profile(workspace, client)
    files = workspace.files(client)
    previous = files.read_state().image  # a state that cannot be read: refused before Docker
    mirror_env = registry_mirror_from_environment()
    host = profile.docker.target()
    if profile.docker.swarm:
        swarm.manager(host)
    else:
        engine.client(host)
        compose.find_compose()
    check_data_major(workspace, profile)  # before an image of the profile's major is looked for or built
    image = image_on(
        host,
        profile,
        build=build,
        mirror_env=mirror_env,
        previous=previous or "",
        progress=progress,
    )
    env = env_for(workspace, profile, image=image, decide=True, progress=progress)
    files.change_state(image=image)  # after env_for, which may have kept a port in the state
    container = db_container(env)
    running = container is not None and container.status == "running"
    if not profile.docker.swarm:
        with machine_lock():
            env = claims.settle(env, progress)  # a taken port refused (fixed) or moved (auto) before any mount
    storage.ensure(env.storage, profile, progress)  # a clone storage's file system mounted (again, after a reboot)
    if profile.docker.swarm:
        swarm.deploy(env, progress)
    else:
        if not host.is_local:
            secretvolume.place_password(env)
        where = "" if host.is_local else f" on {host.name}"
        progress(f"starting {env.project}{where} with {compose.find_compose().name}")
        env = claims.start(env, progress)
    password = read_password(env.files.password)
    if profile.docker.swarm:  # the task may run on another node than the manager's
        after_id = swarm.wait_running(env, profile.start_timeout, progress).container
    else:
        after = db_container(env)
        after_id = after.id if after is not None else ""
    changed = not running or container is None or after_id != container.id
    wait_ready(env, password, profile.start_timeout, progress)
    return UpResult(env, password, time.monotonic() - started, changed)


# -- status and list ------------------------------------------------------------------------------
def _volume_sizes(host: DockerHost = engine.LOCAL) -> dict[str, int]:
    try:
        usage = engine.client(host).df()
    except docker.errors.APIError:
        return {}
    return {
        v["Name"]: int((v.get("UsageData") or {}).get("Size", -1))
        for v in usage.get("Volumes") or []
        if (v.get("Labels") or {}).get(engine.LABEL_MANAGED) == "true"
    }


@dataclass(frozen=True)
class ClientStatus:
    """One row of `provision status` and `provision list`."""

    client: str
    title: str
    workspace: str
    state: str  # running, exited, ... (the container's), down (a volume, no container) or absent
    health: str
    host: str
    port: int | None
    image: str
    volumes: list[str]
    data_bytes: int | None  # the disk the data takes (clones share extents: counted once where known)
    dsn: str
    storage: str = ""  # copy or clone, and where
    data_apparent_bytes: int | None = None  # the sum of its files' sizes, each clone counted whole
    docker_host: str = "local"  # the engine it runs on: "local", or the profile's [docker] host

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _describe(
    env: ClientEnv | None, client: str, workspace_label: str, sizes: dict[str, int], host: DockerHost = engine.LOCAL
) -> ClientStatus:
    labels = {engine.LABEL_CLIENT: client, engine.LABEL_WORKSPACE: workspace_label}
    containers = engine.find("containers", {**labels, engine.LABEL_ROLE: "db"}, host)
    containers.sort(key=lambda c: c.status != "running")
    volumes = engine.find("volumes", labels, host)
    container = containers[0] if containers else None
    state = "absent"
    health = ""
    image = env.image if env else ""
    if container is not None:
        state = container.status
        health = ((container.attrs.get("State") or {}).get("Health") or {}).get("Status", "")
        image = (container.attrs.get("Config") or {}).get("Image", image)
    elif env is not None and env.profile.docker.swarm and (task := swarm.current_task(env)) is not None:
        state = task.state  # its container is on another node than the manager's
    elif volumes:
        state = "down"
    volume_names = [v.name for v in volumes]
    size = sum(sizes.get(name, 0) for name in volume_names if sizes.get(name, -1) >= 0)
    used = storage.usage(env.storage) if env else None
    apparent = None
    if used is not None:
        size, apparent = used.real_bytes if used.real_bytes is not None else used.apparent_bytes, used.apparent_bytes
    return ClientStatus(
        client=client,
        title=env.profile.title if env else "",
        workspace=workspace_label,
        state=state,
        health=health,
        host=env.profile.host if env else "",
        port=env.port if env and env.port else None,
        image=image,
        volumes=volume_names,
        data_bytes=size if volume_names else None,
        dsn=env.dsn() if env and env.port and (not host.is_ssh or state == "running") else "",
        storage=env.storage.describe() if env else "",
        data_apparent_bytes=apparent if volume_names else None,
        docker_host=host.name,
    )


def _unreachable(env: ClientEnv) -> ClientStatus:
    """A client whose host cannot be reached now (`provision hosts` says why)."""
    return ClientStatus(
        client=env.client,
        title=env.profile.title,
        workspace=str(env.workspace.root),
        state="unreachable",
        health="",
        host=env.profile.host,
        port=env.port or None,
        image=env.image,
        volumes=[],
        data_bytes=None,
        dsn="",
        docker_host=env.host.name,
    )


def status(workspace: Workspace, client: str) -> ClientStatus:
    env = client_env(workspace, client, pick=False)  # showing a client writes nothing
    return _describe(env, client, str(workspace.root), _volume_sizes(env.host), env.host)


def list_clients(workspace: Workspace) -> list[ClientStatus]:
    """Every client of this workspace on whichever host it runs (a host that cannot be reached shows its
    clients as unreachable), and every one found by label on the engines asked (other workspaces too)."""
    root = str(workspace.root)
    by_host: dict[DockerHost, list[tuple[str, ClientEnv | None]]] = {engine.LOCAL: []}
    for client in workspace.known_clients():
        try:
            env: ClientEnv | None = client_env(workspace, client, pick=False)
            host = env.host if env is not None else engine.LOCAL
        except (InputError, EnvironmentProblem):
            env, host = None, engine.LOCAL
        by_host.setdefault(host, []).append((client, env))
    rows: list[ClientStatus] = []
    for host, clients in by_host.items():
        try:
            sizes = _volume_sizes(host)
        except EnvironmentProblem:
            if host.is_local and not clients:
                continue
            rows += [_unreachable(env) for _client, env in clients if env is not None]
            continue
        seen: set[tuple[str, str]] = set()
        for client, env in clients:
            rows.append(_describe(env, client, root, sizes, host))
            seen.add((client, root))
        for kind in ("containers", "volumes"):
            for obj in engine.find(kind, {engine.LABEL_MANAGED: "true"}, host):
                labels = obj.labels if kind == "containers" else (obj.attrs.get("Labels") or {})
                key = (labels.get(engine.LABEL_CLIENT, ""), labels.get(engine.LABEL_WORKSPACE, ""))
                if key[0] and key not in seen:
                    seen.add(key)
                    rows.append(_describe(None, key[0], key[1], sizes, host))
    return rows


# -- down, destroy, logs, psql --------------------------------------------------------------------
def _existing_env(workspace: Workspace, client: str) -> ClientEnv:
    env = client_env(workspace, client)  # a wrong name or profile is reported before Docker is asked
    engine.client(env.host)
    if env.profile.docker.swarm:
        swarm.manager(env.host)
    elif not env.compose_file.exists():
        write_compose(env)
    return env


def down(workspace: Workspace, client: str) -> ClientEnv:
    """Stop the client's containers and remove them; the data volume stays."""
    env = _existing_env(workspace, client)
    if env.profile.docker.swarm:
        swarm.remove(env)
    else:
        compose.run(env, "down", "--remove-orphans")
    return env


def destroy(workspace: Workspace, client: str) -> str:
    """Remove the client's containers, network and data (its volume, folder or XFS file); the profile and
    password stay. Returns what held the data."""
    env = _existing_env(workspace, client)
    if env.profile.docker.swarm:
        swarm.remove(env)
        engine.remove_labelled(_client_labels(env), env.host)
        swarm.unpin(env)
    else:
        compose.run(env, "down", "--volumes", "--remove-orphans")
        engine.remove_labelled(_client_labels(env), env.host)
    storage.remove(env.storage)
    env.files.change_state(forget=("image", "storage", "port"))  # the next `up` chooses them again
    forget_claim((str(workspace.root), client))
    return env.storage.holder()


@dataclass(frozen=True)
class Command:
    """A command the CLI runs in the foreground, with the environment that aims it at the client's engine."""

    argv: list[str]
    environ: dict[str, str]


def logs_command(workspace: Workspace, client: str, *, follow: bool, tail: int) -> Command:
    env = _existing_env(workspace, client)
    follow_flag = ["--follow"] if follow else []
    if env.profile.docker.swarm:
        argv = ["docker", "service", "logs", "--tail", str(tail), *follow_flag, f"{env.project}_db"]
    else:
        cli = compose.find_compose()
        argv = [*cli.argv, "--project-name", env.project, "--file", str(env.compose_file), "logs", "--tail",
                str(tail), *follow_flag]  # fmt: skip
    return Command(argv, engine.cli_environment(env.host))


def psql_command(workspace: Workspace, client: str, extra: list[str], *, tty: bool) -> Command:
    """``docker exec`` of psql inside the client's container (the socket needs no password)."""
    env = client_env(workspace, client)
    engine.client(env.host)
    container = db_container(env)
    if container is None or container.status != "running":
        raise EnvironmentProblem(f"the database of {client!r} is not running", fix=f"start it: `provision up {client}`")
    flags = ["-it"] if tty else ["-i"]
    port = str(env.port) if env.profile.docker.swarm else "5432"  # a swarm's database listens on the node's port
    argv = ["docker", "exec", *flags, container.id, "psql", "--port", port, "--username", env.profile.user,
            "--dbname", env.profile.database, *extra]  # fmt: skip
    return Command(argv, engine.cli_environment(env.host))
