"""Where a client's containers run: the profile's ``[docker]`` table (no Docker, no SSH here).

A client runs on this machine's engine (the default: ``DOCKER_HOST`` or the local socket), on an engine
reached over SSH (``host = "ssh://deploy@demo-3.example"``), on another engine's socket or TCP address, or
on the engine a Docker context names. ``engine = "swarm"`` deploys it as a stack on a swarm manager.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from provision.errors import EnvironmentProblem, ProfileError, unknown_field

ENGINES = ("compose", "swarm")
DEFAULT_SOCKET = "/var/run/docker.sock"
SSH_RE = re.compile(  # a host may not begin with "-" (ssh would read it as an option)
    r"^ssh://(?:(?P<user>[A-Za-z_][\w.-]{0,31})@)?(?P<host>\w[\w.-]{0,252}|\[[0-9a-fA-F:]+\])(?::(?P<port>\d{1,5}))?/?$"
)
TCP_RE = re.compile(r"^tcp://[\w.-]{1,253}(:\d{1,5})?/?$")
CONTEXT_RE = re.compile(r"^[A-Za-z0-9][\w.+-]{0,62}$")
NODE_RE = re.compile(r"^[\w.-]{1,253}$")
REGISTRY_RE = re.compile(r"^[\w.-]+(:\d{1,5})?(/[\w./-]*)?$")
HOST_ALLOWED = (
    '"" (this machine\'s engine), "ssh://user@host[:port]", "unix:///path/to/docker.sock" or "tcp://host:port"'
)


@dataclass(frozen=True)
class DockerHost:
    """One Docker engine: ``url`` "" is this machine's (DOCKER_HOST or the default socket)."""

    url: str = ""
    socket: str = DEFAULT_SOCKET  # the engine's socket on an SSH host
    identity: str = ""  # an SSH private key; "" leaves it to ssh (agent, ~/.ssh/config)

    @property
    def is_local(self) -> bool:
        return not self.url

    @property
    def is_ssh(self) -> bool:
        return self.url.startswith("ssh://")

    @property
    def name(self) -> str:
        """How a person names the host: "local", or its URL."""
        return self.url or "local"

    def ssh_parts(self) -> tuple[str, str, int]:
        """(user, host, port) of an ``ssh://`` URL; user "" leaves it to ssh."""
        match = SSH_RE.match(self.url)
        if match is None:  # pragma: no cover - parse_docker refuses such a URL
            raise ValueError(self.url)
        return match["user"] or "", match["host"].strip("[]"), int(match["port"] or 22)


@dataclass(frozen=True)
class DockerSettings:
    """A profile's ``[docker]`` table."""

    host: DockerHost = DockerHost()
    context: str = ""  # a Docker context's name, resolved to its host when the engine is first asked
    engine: str = "compose"
    node: str = ""  # swarm: the node to pin the database to ("": the one with the most free memory)
    registry: str = ""  # a site's own registry the remote engine pulls the image from

    @property
    def remote(self) -> bool:
        return not self.host.is_local or self.context not in ("", "default")

    @property
    def swarm(self) -> bool:
        return self.engine == "swarm"

    def target(self) -> DockerHost:
        """The engine itself: the host, or the one the Docker context names."""
        if not self.context:
            return self.host
        url = context_host(self.context)
        return DockerHost(url, self.host.socket, self.host.identity)


def context_host(name: str) -> str:
    """The Docker host a context names, read from the docker CLI's own files (~/.docker/contexts)."""
    if name == "default":
        return ""
    config = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    meta = config / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest() / "meta.json"
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
        url = str(data["Endpoints"]["docker"]["Host"])
    except FileNotFoundError:
        raise EnvironmentProblem(
            f"no Docker context {name!r} here (read {config / 'contexts'})",
            fix=f"create it (`docker context create {name} --docker host=ssh://user@host`) or set [docker] host",
        ) from None
    except (OSError, ValueError, KeyError, TypeError):
        raise EnvironmentProblem(
            f"the Docker context {name!r} cannot be read ({meta})", fix=f"`docker context inspect {name}` should work"
        ) from None
    try:
        return _url(url)
    except ValueError:
        raise EnvironmentProblem(
            f"the Docker context {name!r} names {url!r}, which provision cannot use", fix=f"allowed: {HOST_ALLOWED}"
        ) from None


def _url(value: str) -> str:
    if value == "":
        return value
    if SSH_RE.match(value):
        port = SSH_RE.match(value)["port"]  # type: ignore[index]
        if port is not None and not 1 <= int(port) <= 65535:
            raise ValueError(HOST_ALLOWED)
        return value.rstrip("/")
    if value.startswith("unix:///") and "\x00" not in value and len(value) < 108 + 7:
        return value
    if TCP_RE.match(value):
        port = urlsplit(value).port
        if port is not None and not 1 <= port <= 65535:
            raise ValueError(HOST_ALLOWED)
        return value.rstrip("/")
    raise ValueError(HOST_ALLOWED)


FIELDS: dict[str, tuple[re.Pattern[str] | None, str]] = {
    "host": (None, HOST_ALLOWED),
    "context": (CONTEXT_RE, "the name of a Docker context (`docker context ls`)"),
    "socket": (re.compile(r"^/[^\x00]{0,200}$"), "the absolute path of the engine's socket on the SSH host"),
    "identity": (re.compile(r"^[^\x00]{1,1000}$"), "the path of an SSH private key"),
    "engine": (re.compile(r"^(compose|swarm)$"), " or ".join(repr(e) for e in ENGINES)),
    "node": (NODE_RE, "a swarm node's hostname or ID (`docker node ls`)"),
    "registry": (REGISTRY_RE, "a registry host[:port][/path], such as registry.site.local:5000"),
}


def parse_docker(where: str, raw: Any) -> DockerSettings:
    """Validate the ``[docker]`` table; raise :class:`ProfileError` naming the field on the first fault."""
    if not isinstance(raw, dict):
        raise ProfileError(f"{where}: docker must be a table", fix='write it as [docker] with host = "ssh://..."')
    values: dict[str, str] = {}
    for key, value in raw.items():
        if key not in FIELDS:
            raise unknown_field(where, f"docker.{key}", list(FIELDS))
        pattern, allowed = FIELDS[key]
        try:
            if not isinstance(value, str):
                raise ValueError(allowed)
            values[key] = _url(value) if key == "host" else value
            if pattern is not None and not pattern.match(value):
                raise ValueError(allowed)
        except ValueError:
            raise ProfileError(
                f"{where}: field docker.{key} = {value!r} is not allowed", fix=f"allowed: {allowed}"
            ) from None
    if values.get("host") and values.get("context"):
        raise ProfileError(
            f"{where}: docker.host and docker.context both set", fix="name the engine one way: keep one of them"
        )
    host = values.get("host", "")
    if ("socket" in values or "identity" in values) and not host.startswith("ssh://"):
        raise ProfileError(
            f"{where}: docker.socket and docker.identity are for an ssh:// host",
            fix='set docker.host = "ssh://user@host", or remove them',
        )
    if "node" in values and values.get("engine") != "swarm":
        raise ProfileError(f"{where}: docker.node is for a swarm", fix='set docker.engine = "swarm", or remove node')
    return DockerSettings(
        host=DockerHost(host, values.get("socket", DEFAULT_SOCKET), values.get("identity", "")),
        context=values.get("context", ""),
        engine=values.get("engine", "compose"),
        node=values.get("node", ""),
        registry=values.get("registry", ""),
    )
