"""The Docker Compose CLI, v2 plugin (`docker compose`) or v1 binary (`docker-compose`).

docker-py has no compose API, so provision shells out and shows the CLI's own error on failure.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from provision.docker import engine
from provision.docker.hosts import DockerHost
from provision.errors import EnvironmentProblem, OperationFailed

# "Bind for 127.0.0.1:54324 failed: port is already allocated" (another container publishes it),
# "listen tcp4 127.0.0.1:54324: bind: address already in use" (another program listens there)
PORT_TAKEN = ("port is already allocated", "address already in use")
PORT_IN_MESSAGE = re.compile(r"(?:Bind for |listen tcp[46]? |host port for )\[?[0-9A-Fa-f.:]*?\]?:(\d{1,5})(?=[:\s]|$)")


class ComposeProject(Protocol):
    """A client's compose project: where its file is and which engine runs it (a ``ClientEnv`` is one)."""

    @property
    def client(self) -> str: ...
    @property
    def project(self) -> str: ...
    @property
    def directory(self) -> Path: ...
    @property
    def compose_file(self) -> Path: ...
    @property
    def host(self) -> DockerHost: ...


class PortInUse(OperationFailed):
    """Compose created the client's containers but the engine could not publish a host port on start."""

    def __init__(self, message: str, *, port: int | None, details: str | None) -> None:
        super().__init__(message, details=details)
        self.port = port


def port_in_use(stderr: str) -> int | None:
    """The port the engine could not publish, as its error names it (0 when it names none); None when the
    error is another."""
    if not any(text in stderr for text in PORT_TAKEN):
        return None
    found = PORT_IN_MESSAGE.findall(stderr)
    return int(found[-1]) if found else 0


@dataclass(frozen=True)
class ComposeCli:
    argv: tuple[str, ...]
    version: str

    @property
    def name(self) -> str:
        return " ".join(self.argv)


def _probe(argv: list[str]) -> str | None:
    if shutil.which(argv[0]) is None:
        return None
    try:
        done = subprocess.run([*argv, "version", "--short"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


@functools.cache
def find_compose() -> ComposeCli:
    """`$PROVISION_COMPOSE` if set, else `docker compose` if the plugin is there, else `docker-compose`."""
    override = os.environ.get("PROVISION_COMPOSE")
    candidates = [shlex.split(override)] if override else [["docker", "compose"], ["docker-compose"]]
    for argv in candidates:
        version = _probe(argv)
        if version:
            return ComposeCli(tuple(argv), version)
    tried = " and ".join(f"`{' '.join(c)}`" for c in candidates)
    raise EnvironmentProblem(
        f"no Docker Compose found (tried {tried})",
        fix="install the compose plugin (`apt-get install docker-compose-plugin`) or docker-compose",
    )


def run(env: ComposeProject, *args: str, capture: bool = True, timeout: float | None = 600) -> str:
    """Run a compose command for the client's project; raise with its stderr when it fails."""
    cli = find_compose()
    cmd = [*cli.argv, "--project-name", env.project, "--file", str(env.compose_file), *args]
    return run_cli(env, cmd, f"{cli.name} {' '.join(args)}", capture=capture, timeout=timeout)


def run_cli(
    env: ComposeProject, cmd: list[str], shown: str, *, capture: bool = True, timeout: float | None = 600
) -> str:
    """Run a Docker command line (compose, the docker CLI) against the client's engine, in its folder."""
    try:
        done = subprocess.run(
            cmd,
            cwd=env.directory,
            capture_output=capture,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
            env=engine.cli_environment(env.host),
        )
    except FileNotFoundError:
        raise EnvironmentProblem(
            f"no {cmd[0]} command here", fix="install the Docker CLI: `sudo apt-get install docker.io`"
        ) from None
    except subprocess.TimeoutExpired:
        raise OperationFailed(f"`{shown}` did not finish in {timeout:.0f} s") from None
    if done.returncode != 0:
        err = (done.stderr or "").strip().splitlines()
        message = f"`{shown}` failed for client {env.client!r} (exit {done.returncode})"
        details = "\n".join(err[-15:]) or None
        taken = port_in_use(done.stderr or "")
        if taken is not None:
            raise PortInUse(message, port=taken or None, details=details)
        raise OperationFailed(message, details=details)
    return done.stdout or ""
