"""The Docker engine: one connection, labels, and finding our objects by label."""

from __future__ import annotations

import functools
import os
from typing import Any

import docker
import docker.errors
import requests.exceptions

from provision import remote
from provision.errors import EnvironmentProblem
from provision.hosts import DockerHost
from provision.labels import LABEL_CLIENT as LABEL_CLIENT
from provision.labels import LABEL_MANAGED as LABEL_MANAGED
from provision.labels import LABEL_PREFIX as LABEL_PREFIX
from provision.labels import LABEL_ROLE as LABEL_ROLE
from provision.labels import LABEL_WORKSPACE as LABEL_WORKSPACE
from provision.labels import labels_for as labels_for

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
