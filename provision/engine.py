"""The Docker engine: one connection, labels, and finding our objects by label."""

from __future__ import annotations

import functools
from typing import Any

import docker
import docker.errors
import requests.exceptions

from provision.errors import EnvironmentProblem
from provision.labels import LABEL_CLIENT as LABEL_CLIENT
from provision.labels import LABEL_MANAGED as LABEL_MANAGED
from provision.labels import LABEL_PREFIX as LABEL_PREFIX
from provision.labels import LABEL_ROLE as LABEL_ROLE
from provision.labels import LABEL_WORKSPACE as LABEL_WORKSPACE
from provision.labels import labels_for as labels_for


@functools.cache
def client() -> docker.DockerClient:
    """A Docker client, or one clear line when the daemon cannot be reached."""
    try:
        engine = docker.from_env(timeout=120)
        engine.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        reason = str(exc).split("\n")[0]
        if len(reason) > 200:
            reason = reason[:200] + "..."
        raise EnvironmentProblem(
            f"cannot reach the Docker daemon ({reason})",
            fix="start it (`sudo systemctl start docker`), or point DOCKER_HOST at it; "
            "check that your user may use the socket (the docker group)",
        ) from None
    return engine


def find(kind: str, labels: dict[str, str]) -> list[Any]:
    """Containers, volumes or networks carrying all the given labels."""
    filters = {"label": [f"{k}={v}" for k, v in labels.items()]}
    engine = client()
    if kind == "containers":
        return list(engine.containers.list(all=True, filters=filters))
    if kind == "volumes":
        return list(engine.volumes.list(filters=filters))
    if kind == "networks":
        return list(engine.networks.list(filters=filters))
    raise ValueError(kind)


def remove_labelled(labels: dict[str, str]) -> int:
    """Remove every container, then volume and network, carrying the labels; return how many."""
    removed = 0
    for container in find("containers", labels):
        try:
            container.remove(force=True, v=True)
            removed += 1
        except docker.errors.NotFound:
            pass
    for kind in ("volumes", "networks"):
        for obj in find(kind, labels):
            try:
                obj.remove()
                removed += 1
            except docker.errors.NotFound:
                pass
    return removed
