"""The Docker hosts a workspace's clients use, at a glance (`provision hosts`), and tunnels to them."""

from __future__ import annotations

import os
import shlex
from dataclasses import asdict, dataclass, field
from typing import Any

import docker.errors
import requests.exceptions

from provision.clients.render import ClientEnv, client_env
from provision.clients.workspace import Workspace
from provision.docker import compose, engine, remote
from provision.docker.hosts import DockerHost
from provision.docker.ports import pick_free_port
from provision.errors import EnvironmentProblem, InputError, ProvisionError
from seed.dsn import make_dsn


@dataclass
class HostInfo:
    """One row of `provision hosts`."""

    host: str
    reachable: bool
    clients: list[str] = field(default_factory=list)
    problem: str = ""
    fix: str = ""
    docker_version: str = ""
    memory_total_bytes: int | None = None
    memory_free_bytes: int | None = None
    disk_free_bytes: int | None = None
    compose: str = ""  # the compose generation that runs its clients, or "swarm stack"
    swarm: str = ""  # inactive, manager (N nodes) or worker

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _clients_by_host(workspace: Workspace) -> dict[DockerHost, list[ClientEnv]]:
    found: dict[DockerHost, list[ClientEnv]] = {}
    for name in workspace.known_clients():
        try:
            env = client_env(workspace, name, pick=False)
            found.setdefault(env.host, []).append(env)
        except ProvisionError:
            continue  # a broken profile is `provision status`'s to report
    return found


def _free_here(root: str) -> tuple[int | None, int | None]:
    memory = None
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    memory = int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        stat = os.statvfs(root)
        disk: int | None = stat.f_bavail * stat.f_frsize
    except OSError:
        disk = None
    return memory, disk


def _free_over_ssh(host: DockerHost, root: str) -> tuple[int | None, int | None]:
    done = remote.run(
        host,
        "awk '/^MemAvailable:/ {print $2}' /proc/meminfo; "
        f"df -PB1 {shlex.quote(root)} 2>/dev/null | awk 'NR == 2 {{print $4}}'",
        timeout=30,
    )
    numbers = [int(word) for word in done.stdout.split() if word.isdigit()]
    return (numbers[0] * 1024 if numbers else None), (numbers[1] if len(numbers) > 1 else None)


def describe_host(host: DockerHost, envs: list[ClientEnv]) -> HostInfo:
    info = HostInfo(host.name, False, sorted(env.client for env in envs))
    try:
        facts = engine.client(host).info()
        version = engine.client(host).version().get("Version", "")
    except EnvironmentProblem as exc:
        info.problem, info.fix = exc.message, exc.fix or ""
        return info
    except (docker.errors.APIError, requests.exceptions.RequestException) as exc:
        info.problem = str(exc).splitlines()[0][:200]
        return info
    info.reachable = True
    info.docker_version = str(version)
    info.memory_total_bytes = int(facts.get("MemTotal") or 0) or None
    root = str(facts.get("DockerRootDir") or "/var/lib/docker")
    if host.is_ssh:
        try:
            info.memory_free_bytes, info.disk_free_bytes = _free_over_ssh(host, root)
        except ProvisionError as exc:  # the engine answered; its machine's figures are missing from the row
            info.problem = exc.message
    elif host.is_local or host.url.startswith("unix://"):  # an engine of this machine
        info.memory_free_bytes, info.disk_free_bytes = _free_here(root)
    swarm = facts.get("Swarm") or {}
    if swarm.get("LocalNodeState") == "active":
        info.swarm = f"manager ({swarm.get('Nodes', '?')} nodes)" if swarm.get("ControlAvailable") else "worker"
    else:
        info.swarm = "inactive"
    generations = set()
    for env in envs:
        if env.profile.docker.swarm:
            generations.add("swarm stack")
        else:
            try:
                generations.add(compose.find_compose().name + " " + compose.find_compose().version)
            except EnvironmentProblem as exc:
                generations.add(exc.message)
    info.compose = ", ".join(sorted(generations))
    return info


def hosts(workspace: Workspace) -> list[HostInfo]:
    """Every host the workspace's clients use (this machine's engine always), reachable or not."""
    by_host = _clients_by_host(workspace)
    by_host.setdefault(engine.LOCAL, [])
    return [describe_host(host, envs) for host, envs in sorted(by_host.items(), key=lambda item: item[0].url)]


def close_connections(workspace: Workspace) -> list[str]:
    """End the SSH connections provision keeps open to the workspace's hosts."""
    closed = []
    for host in _clients_by_host(workspace):
        if host.is_ssh:
            remote.close(host)
            closed.append(host.name)
    return closed


@dataclass(frozen=True)
class Tunnel:
    env: ClientEnv
    local_port: int
    argv: list[str]

    def dsn(self, password: str | None = None) -> str:
        profile = self.env.profile
        return make_dsn(
            host="127.0.0.1", port=self.local_port, user=profile.user, password=password, dbname=profile.database
        )


def tunnel(workspace: Workspace, client: str, local_port: int | None = None) -> Tunnel:
    """The ``ssh -N -L`` that makes a client on an SSH host reachable from this machine."""
    env = client_env(workspace, client)
    host = env.host
    if not host.is_ssh:
        where = "this machine" if host.is_local else host.name
        raise InputError(
            f"{client!r} runs on {where}, which is reached without SSH: no tunnel is needed",
            fix=f"connect with `provision status {client}`'s address",
        )
    remote.gateway(host)  # the host reachable and the key accepted, or the error with its fix, now
    port = local_port if local_port is not None else pick_free_port("127.0.0.1", {env.port})
    return Tunnel(env, port, remote.tunnel_argv(host, port, env.port, env.bound_address()))
