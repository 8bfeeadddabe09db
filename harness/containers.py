"""A container run to its end on an engine, and nothing of it left."""

from __future__ import annotations

from typing import Any


def run_once(docker_client: Any, image: str, command: list[str], **options: Any) -> bytes:
    """Run a container to its end and remove it with its anonymous volumes (an image's VOLUME makes one,
    and docker-py's ``remove=True`` keeps it); what it printed."""
    container = docker_client.containers.create(image, command, **options)
    try:
        container.start()
        container.wait(timeout=120)
        return bytes(container.logs(stdout=True, stderr=False))
    finally:
        container.remove(force=True, v=True)
