"""The Docker engine: one connection, labels, and finding our objects by label."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Any

import docker
import docker.errors
import requests.exceptions

from provision.docker import remote
from provision.docker.hosts import DockerHost
from provision.docker.labels import LABEL_CLIENT as LABEL_CLIENT
from provision.docker.labels import LABEL_MANAGED as LABEL_MANAGED
from provision.docker.labels import LABEL_PORT as LABEL_PORT
from provision.docker.labels import LABEL_PREFIX as LABEL_PREFIX
from provision.docker.labels import LABEL_ROLE as LABEL_ROLE
from provision.docker.labels import LABEL_WORKSPACE as LABEL_WORKSPACE
from provision.docker.labels import labels_for as labels_for
from provision.errors import EnvironmentProblem

LOCAL = DockerHost()


def base_url(host: DockerHost) -> str:
    """The URL docker-py, Compose and the docker CLI use for ``host`` ("" for this machine's engine)."""
    if host.is_ssh:
        return f"unix://{remote.gateway(host)}"
    return host.url


def cli_environment(host: DockerHost) -> dict[str, str]:
    """The environment of a compose or docker command aimed at ``host``."""
    env = dict(os.environ)
    url = base_url(host)
    if url:
        env["DOCKER_HOST"] = url
        env.pop("DOCKER_CONTEXT", None)
    if url.startswith("unix://"):  # a socket (an SSH host's forwarded one too) has no TLS of its own
        env.pop("DOCKER_TLS_VERIFY", None)
        env.pop("DOCKER_CERT_PATH", None)
    return env


def client(host: DockerHost = LOCAL) -> docker.DockerClient:
    """A Docker client of ``host`` (this machine's engine by default), or one clear line when it cannot be
    reached. An SSH host's connection is checked each time (and opened again if it closed when idle)."""
    if host.is_ssh:
        remote.gateway(host)
    return _client(host)


@functools.cache
def _client(host: DockerHost) -> docker.DockerClient:
    if host.url.startswith("tcp://") and os.environ.get("DOCKER_TLS_VERIFY", "") in ("", "0"):
        raise EnvironmentProblem(
            f"{host.url}: a Docker engine over plain TCP would carry the client's password and data unencrypted",
            fix="use ssh://user@host (nothing to set up but a key), or TLS: DOCKER_TLS_VERIFY=1 and "
            "DOCKER_CERT_PATH with the engine's certificates (port 2376)",
        )
    try:
        # the environment as compose and the docker CLI see it: DOCKER_HOST set to the host, TLS as given
        engine = docker.from_env(timeout=120, environment=cli_environment(host))
        engine.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        reason = str(exc).split("\n")[0]
        if len(reason) > 200:
            reason = reason[:200] + "..."
        if not host.is_local:
            raise EnvironmentProblem(
                f"cannot reach the Docker engine of {host.name} ({reason})",
                fix="check that Docker runs there (`systemctl status docker` on that host) and the profile's "
                "[docker] host names it",
            ) from None
        raise EnvironmentProblem(
            f"cannot reach the Docker daemon ({reason})",
            fix="start it (`sudo systemctl start docker`), or point DOCKER_HOST at it; "
            "check that your user may use the socket (the docker group)",
        ) from None
    return engine


def forget_clients() -> None:
    """Drop the cached Docker clients (a test that changes DOCKER_HOST)."""
    _client.cache_clear()


def find(kind: str, labels: dict[str, str], host: DockerHost = LOCAL) -> list[Any]:
    """Containers, volumes or networks carrying all the given labels."""
    filters = {"label": [f"{k}={v}" for k, v in labels.items()]}
    engine = client(host)
    if kind == "containers":
        return list(engine.containers.list(all=True, filters=filters))
    if kind == "volumes":
        return list(engine.volumes.list(filters=filters))
    if kind == "networks":
        return list(engine.networks.list(filters=filters))
    raise ValueError(kind)


def remove_labelled(labels: dict[str, str], host: DockerHost = LOCAL) -> int:
    """Remove every container, then volume and network, carrying the labels; return how many."""
    removed = 0
    for container in find("containers", labels, host):
        try:
            container.remove(force=True, v=True)
            removed += 1
        except docker.errors.NotFound:
            pass
    for kind in ("volumes", "networks"):
        for obj in find(kind, labels, host):
            try:
                obj.remove()
                removed += 1
            except docker.errors.NotFound:
                pass
    return removed


@dataclass(frozen=True)
class PortUse:
    """A container that publishes a host port, or (a provision client's, by its label) will when started."""

    port: int
    container: str
    running: bool
    client: str = ""  # "" for a container not of provision
    workspace: str = ""

    def describe(self, workspace: str) -> str:
        """Who holds the port, for a message: another client (and its workspace, if not ``workspace``), or
        a container not of provision."""
        state = "running" if self.running else "stopped"
        if not self.client:
            return f"the container {self.container} ({state}, not of provision)"
        where = "this workspace" if self.workspace == workspace else f"the workspace {self.workspace}"
        return f"the client {self.client!r} of {where} (its container {self.container}, {state})"


def port_uses(host: DockerHost = LOCAL) -> list[PortUse]:
    """Every port the engine's containers hold or claim, running or stopped, whoever made them: one list
    call, so every workspace sees every other's claims."""
    try:
        listed = client(host).api.containers(all=True)
    except docker.errors.APIError as exc:
        raise EnvironmentProblem(
            f"the Docker engine did not list its containers ({exc.explanation or exc})",
            fix="check the engine (`docker ps -a`)",
        ) from None
    uses: list[PortUse] = []
    for item in listed:
        labels = item.get("Labels") or {}
        name = str((item.get("Names") or ["/" + str(item.get("Id", "?"))[:12]])[0]).lstrip("/")
        running = item.get("State") == "running"
        ports = {int(p["PublicPort"]) for p in item.get("Ports") or [] if p.get("PublicPort")}
        claimed = str(labels.get(LABEL_PORT, ""))
        if claimed.isdigit():
            ports.add(int(claimed))
        mine = labels.get(LABEL_MANAGED) == "true"
        client_name = str(labels.get(LABEL_CLIENT, "")) if mine else ""
        workspace = str(labels.get(LABEL_WORKSPACE, "")) if mine else ""
        uses += [PortUse(port, name, running, client_name, workspace) for port in sorted(ports)]
    return uses
