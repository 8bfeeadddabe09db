"""The Docker Compose CLI, v2 plugin (`docker compose`) or v1 binary (`docker-compose`).

docker-py has no compose API, so provision shells out and shows the CLI's own error on failure.
"""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass

from provision import engine
from provision.errors import EnvironmentProblem, OperationFailed
from provision.render import ClientEnv


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


def run(env: ClientEnv, *args: str, capture: bool = True, timeout: float | None = 600) -> str:
    """Run a compose command for the client's project; raise with its stderr when it fails."""
    cli = find_compose()
    cmd = [*cli.argv, "--project-name", env.project, "--file", str(env.compose_file), *args]
    return run_cli(env, cmd, f"{cli.name} {' '.join(args)}", capture=capture, timeout=timeout)


def run_cli(env: ClientEnv, cmd: list[str], shown: str, *, capture: bool = True, timeout: float | None = 600) -> str:
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
        raise OperationFailed(
            f"`{shown}` failed for client {env.client!r} (exit {done.returncode})",
            details="\n".join(err[-15:]) or None,
        )
    return done.stdout or ""
