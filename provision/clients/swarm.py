"""A client as a Docker Swarm stack, for a pool of demo hosts (``[docker] engine = "swarm"``).

The stack (compose file format 3.8, ``templates/stack.yaml.j2``) holds the database service with its
password as a swarm secret. The data volume is local to a node, so the service is pinned to one node by a
node label the tool sets (``org.provision.pin.<project> = true``): the profile's ``[docker] node``, or the
node with the most memory not yet promised to other clients' databases. The node is kept in the client's
state; a node that left or is down is an error that says where the data is. The database listens on the
node's own network (``127.0.0.1`` by default): swarm's routing mesh is not used.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker.errors

from provision.clients.render import ClientEnv, database_context, server_settings, shm_bytes
from provision.clients.secrets import ensure_password
from provision.docker import compose, engine
from provision.docker.hosts import DockerHost
from provision.docker.templating import render
from provision.errors import EnvironmentProblem, OperationFailed, ProfileError
from seed.outfile import write_whole

Progress = Callable[[str], None]
PIN_PREFIX = "org.provision.pin."


def stack_file(env: ClientEnv) -> Path:
    return env.files.stack


def pin_label(env: ClientEnv) -> str:
    return PIN_PREFIX + env.project


def manager(host: DockerHost) -> Any:
    """The engine of the swarm's manager, or the error that says how to make one."""
    client = engine.client(host)
    swarm = client.info().get("Swarm") or {}
    if swarm.get("LocalNodeState") != "active":
        raise EnvironmentProblem(
            f'the Docker engine of {host.name} is not in a swarm (the profile asks engine = "swarm")',
            fix="make it a swarm's manager (`docker swarm init --advertise-addr ADDRESS` there), or set "
            '[docker] engine = "compose"',
        )
    if not swarm.get("ControlAvailable"):
        raise EnvironmentProblem(
            f"the Docker engine of {host.name} is a swarm worker, not a manager",
            fix="point [docker] host at a manager of the swarm (`docker node ls` there lists them)",
        )
    return client


def _promised(client: Any) -> dict[str, int]:
    """Memory promised on each node to the databases provision placed there (their limits)."""
    limits: dict[str, int] = {}
    for service in client.services.list(filters={"label": f"{engine.LABEL_MANAGED}=true"}):
        spec = (service.attrs.get("Spec") or {}).get("TaskTemplate") or {}
        limit = int(((spec.get("Resources") or {}).get("Limits") or {}).get("MemoryBytes") or 0)
        for task in service.tasks(filters={"desired-state": "running"}):
            node_id = task.get("NodeID")
            if node_id:
                limits[node_id] = limits.get(node_id, 0) + limit
    return limits


@dataclass(frozen=True)
class NodeFacts:
    """What placement reads of a swarm node."""

    id: str
    name: str
    ready: bool  # ready and active (not paused or drained)
    memory: int  # bytes

    @classmethod
    def of(cls, node: Any) -> NodeFacts:
        attrs = node.attrs
        ready = (attrs.get("Status") or {}).get("State") == "ready" and (attrs.get("Spec") or {}).get(
            "Availability"
        ) == "active"
        memory = int(((attrs.get("Description") or {}).get("Resources") or {}).get("MemoryBytes") or 0)
        return cls(node.id, _name(node), ready, memory)


def most_free(nodes: list[NodeFacts], promised: dict[str, int]) -> NodeFacts | None:
    """The ready node with the most memory not promised to databases already there (the first on a tie)."""
    ready = [node for node in nodes if node.ready]
    return max(ready, key=lambda node: node.memory - promised.get(node.id, 0)) if ready else None


def _ready(node: Any) -> bool:
    return NodeFacts.of(node).ready


def _name(node: Any) -> str:
    return str((node.attrs.get("Description") or {}).get("Hostname") or node.id[:12])


def place(env: ClientEnv, client: Any, progress: Progress) -> Any:
    """The node the client's database runs on: kept, named by the profile, or chosen now; labelled."""
    nodes = client.nodes.list()
    kept = env.files.read_state().node
    wanted = env.profile.docker.node
    if kept:
        node = next((n for n in nodes if n.id == kept), None)
        if node is None:
            raise EnvironmentProblem(
                f"the swarm node {kept[:12]} that holds the data of {env.client!r} has left the swarm",
                fix="join it again (`docker swarm join` on it) to get the data back, or `provision destroy "
                f"{env.client}` to start over on another node (the data on the old node is not reached)",
            )
        if not _ready(node):
            raise EnvironmentProblem(
                f"the swarm node {_name(node)} that holds the data of {env.client!r} is "
                f"{(node.attrs.get('Status') or {}).get('State')}",
                fix=f"start Docker on {_name(node)} (or `docker node update --availability active {_name(node)}`)",
            )
    elif wanted:
        node = next((n for n in nodes if wanted in (n.id, _name(n))), None)
        if node is None:
            raise ProfileError(
                f"{env.profile.where}: docker.node = {wanted!r} is no node of the swarm of {env.host.name}",
                fix="one of: " + ", ".join(_name(n) for n in nodes),
            )
        if not _ready(node):
            raise EnvironmentProblem(f"the swarm node {wanted} is not ready", fix="`docker node ls` shows its state")
    else:
        promised = _promised(client)
        best = most_free([NodeFacts.of(n) for n in nodes], promised)
        if best is None:
            raise EnvironmentProblem("no swarm node is ready", fix="`docker node ls` shows their states")
        node = next(n for n in nodes if n.id == best.id)
        free = (best.memory - promised.get(best.id, 0)) / 1024**3
        progress(f"placing {env.client} on the swarm node {best.name} ({free:.1f} GiB not promised)")
    spec = dict(node.attrs["Spec"])
    labels = dict(spec.get("Labels") or {})
    if labels.get(pin_label(env)) != "true":
        labels[pin_label(env)] = "true"
        spec["Labels"] = labels
        node.update(spec)
    env.files.change_state(node=node.id)
    return node


def render_stack(env: ClientEnv) -> str:
    profile = env.profile
    settings = server_settings(profile)
    settings["listen_addresses"] = profile.host if profile.host != "::" else "*"
    settings["port"] = str(env.port)  # on the node's own network: the client's port is the server's
    return render(
        "stack.yaml.j2",
        **database_context(env, settings),
        probe_host="127.0.0.1" if profile.host in ("0.0.0.0", "::") else profile.host,
        shm_bytes=shm_bytes(profile),
        pin_label=pin_label(env),
        secret=secret_name(env),
    )


def secret_name(env: ClientEnv) -> str:
    """The swarm secret of the password: a secret cannot change, so its name follows the content."""
    digest = hashlib.sha256(env.files.password.read_bytes()).hexdigest()[:10]
    return f"{env.project}_password_{digest}"


def write_stack(env: ClientEnv) -> Path:
    ensure_password(env.files.password)
    path = stack_file(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_whole(path, render_stack(env))
    return path


def _docker(env: ClientEnv, *args: str, timeout: float = 300) -> str:
    return compose.run_cli(env, ["docker", *args], f"docker {' '.join(args)}", timeout=timeout)


def deploy(env: ClientEnv, progress: Progress) -> None:
    """Deploy (or update) the client's stack on its node."""
    if env.profile.services:
        raise ProfileError(
            f"{env.profile.where}: [services] are not deployed on a swarm",
            fix='remove them, or set [docker] engine = "compose" for this client',
        )
    client = manager(env.host)
    place(env, client, progress)
    path = write_stack(env)
    progress(f"deploying the stack {env.project} on {env.host.name}")
    _docker(env, "stack", "deploy", "--prune", "--compose-file", str(path), env.project)


@dataclass(frozen=True)
class Task:
    """The database service's current task: what swarm says of it, on whichever node it runs."""

    state: str  # new, pending, assigned, preparing, starting, running, failed, rejected, shutdown, ...
    node: str  # the node's ID
    container: str  # its container's ID ("" before it has one)
    error: str


def current_task(env: ClientEnv) -> Task | None:
    """The running task of the client's database service, else the newest; None without a service."""
    name = f"{env.project}_db"
    client = engine.client(env.host)
    service = next((s for s in client.services.list(filters={"name": name}) if s.name == name), None)
    if service is None:
        return None
    tasks = sorted(service.tasks(), key=lambda t: str(t.get("CreatedAt", "")), reverse=True)
    tasks.sort(key=lambda t: (t.get("Status") or {}).get("State") != "running")
    if not tasks:
        return None
    status = tasks[0].get("Status") or {}
    return Task(
        str(status.get("State", "")),
        str(tasks[0].get("NodeID", "")),
        str((status.get("ContainerStatus") or {}).get("ContainerID", "")),
        str(status.get("Err", "")),
    )


def wait_running(env: ClientEnv, timeout: float, progress: Progress) -> Task:
    """Wait for the service's task to run; a task swarm failed or rejected is the error, with swarm's words."""
    deadline = time.monotonic() + timeout
    announced = False
    while True:
        task = current_task(env)
        if task is not None and task.state == "running":
            return task
        if task is not None and task.state in ("failed", "rejected") and task.error:
            fix = (
                "the node lacks the image: name a registry the nodes can pull from ([docker] registry), or load it "
                "there (`provision image save`, then `provision image load` on that node)"
                if "No such image" in task.error or "not found" in task.error
                else f"`docker service ps --no-trunc {env.project}_db` on {env.host.name} shows every try"
            )
            raise OperationFailed(f"swarm could not start the database of {env.client!r}: {task.error}", fix=fix)
        if time.monotonic() > deadline:
            raise OperationFailed(
                f"the database service of {env.client!r} did not start within {timeout:.0f} s "
                f"({task.state if task else 'no task'})",
                fix=f"`docker service ps --no-trunc {env.project}_db` on {env.host.name} says why",
            )
        if not announced:
            progress("waiting for swarm to start the database")
            announced = True
        time.sleep(0.5)


def _containers(env: ClientEnv) -> list[Any]:
    labels = {engine.LABEL_CLIENT: env.client, engine.LABEL_WORKSPACE: str(env.workspace.root)}
    return engine.find("containers", labels, env.host)


def remove(env: ClientEnv, *, timeout: float = 90) -> None:
    """`docker stack rm`, and wait until its containers are gone (the volume stays)."""
    client = manager(env.host)
    if any(s.name.startswith(env.project + "_") for s in client.services.list()):
        _docker(env, "stack", "rm", env.project)
    deadline = time.monotonic() + timeout
    while True:
        left = [c for c in _containers(env) if c.status in ("running", "restarting", "created")]
        if not left:
            break
        if time.monotonic() > deadline:
            raise OperationFailed(
                f"the containers of {env.client!r} did not stop within {timeout:.0f} s",
                fix=f"`docker stack ps {env.project}` on {env.host.name} shows why",
            )
        time.sleep(0.5)
    for container in _containers(env):  # the tasks' stopped containers
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)


def unpin(env: ClientEnv) -> None:
    """Take the client's label off its node (destroy)."""
    client = manager(env.host)
    for node in client.nodes.list():
        spec = dict(node.attrs.get("Spec") or {})
        labels = dict(spec.get("Labels") or {})
        if pin_label(env) in labels:
            del labels[pin_label(env)]
            spec["Labels"] = labels
            node.update(spec)
    env.files.change_state(forget=("node",))
