"""A command pays only for what it uses: `provision --version` loads next to nothing, a seat's reset loads
the reset and PostgreSQL's driver, never Docker's client, Jinja2, rich, numpy, the importer or the console.

Each command runs in a fresh Python (the test process has everything loaded already); the modules it
executed are listed at its exit (a module `lazy()` set up but the command never touched does not count)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from provision.clients.lifecycle import init_client
from provision.clients.secrets import ensure_password
from provision.clients.workspace import Workspace
from provision.errors import EXIT_ENVIRONMENT

LOADED = """
import atexit, json, os, sys

def _loaded():
    executed = sorted(n for n, m in list(sys.modules.items()) if type(m).__name__ != "_LazyModule")
    with open(os.environ["LOADED_TO"], "w") as f:
        json.dump(executed, f)

atexit.register(_loaded)
sys.argv = ["provision", *sys.argv[1:]]
from provision.cli import main
main()
"""

# what --version may load besides the standard library's start-up: the package, its errors and the shell
VERSION_ALLOWED = {"provision", "provision.errors", "provision.cli"}
THIRD_PARTY = ("typer", "click", "rich", "pydantic", "pydantic_core", "psycopg", "docker", "jinja2", "numpy", "seed")

# what a reset has no use for: Docker and compose, templates, progress bars, the books' generator and importer,
# spreadsheets, the console, the other commands
RESET_FORBIDDEN = (
    "docker",
    "requests",
    "urllib3",
    "jinja2",
    "rich",
    "numpy",
    "openpyxl",
    "dbfread",
    "uvicorn",
    "starlette",
    "pydantic",  # typer 0.29 loads it for every argument: pinned below it
    "faker",
    "seed.synth",
    "seed.generate",
    "seed.load",
    "seed.registry",
    "seed.legacy.personal",  # the profile reads the anonymization rules alone (seed.legacy.rules)
    "seed.legacy.mapping",
    "seed.legacy.read",
    "seed.legacy.analyze",
    "seed.legacy.importer",
    "seed.legacy.report",
    "provision.docker.engine",
    "provision.docker.compose",
    "provision.docker.images",
    "provision.docker.imagebuild",
    "provision.docker.carry",
    "provision.clients.lifecycle",
    "provision.clients.swarm",
    "provision.clients.pool",
    "provision.books",
    "provision.console",
)
RESET_CLI = {
    "provision.cli",
    "provision.cli.root",
    "provision.cli.options",
    "provision.cli.output",
    "provision.cli.reset",
}


def run_loaded(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run `provision ARGS` in a fresh Python: its result and the modules it executed."""
    listing = tmp_path / "loaded.json"
    env = {k: v for k, v in os.environ.items() if k != "PROVISION_HOME"}
    done = subprocess.run(
        [sys.executable, "-c", LOADED, *args],
        capture_output=True,
        text=True,
        env={**env, "LOADED_TO": str(listing)},
        cwd=tmp_path,
        check=False,
        timeout=120,
    )
    return done, set(json.loads(listing.read_text(encoding="utf-8")))


def under(names: set[str], roots: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == r or n.startswith(r + ".") for r in roots))


def test_version_loads_neither_typer_nor_any_library(tmp_path: Path) -> None:
    done, loaded = run_loaded(tmp_path, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("provision ")
    ours = {n for n in loaded if n.split(".")[0] in ("provision", "seed")}
    assert ours <= VERSION_ALLOWED, sorted(ours - VERSION_ALLOWED)
    assert not under(loaded, THIRD_PARTY)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def client_never_up(tmp_path: Path) -> Path:
    """A workspace with one client as `init` writes it (a seat, a fixed port nothing listens on) and a
    password: a reset gets as far as connecting to its database, and fails there."""
    root = tmp_path / "ws"
    root.mkdir()
    workspace = Workspace(root)
    profile = init_client(workspace, "acme")
    text = profile.read_text(encoding="utf-8")
    assert 'port = "auto"' in text and "seats = 0" in text
    profile.write_text(text.replace('port = "auto"', f"port = {free_port()}").replace("seats = 0", "seats = 1"))
    ensure_password(workspace.files("acme").password)
    return root


def test_a_seat_reset_loads_the_reset_and_nothing_of_docker_or_the_books(tmp_path: Path, client_never_up: Path) -> None:
    done, loaded = run_loaded(tmp_path, "--workspace", str(client_never_up), "reset", "acme", "--seat", "1")
    assert done.returncode == EXIT_ENVIRONMENT, done.stderr
    assert "cannot reach the database server of 'acme'" in done.stderr  # it got to the reset's own code
    assert {"provision.training.seats", "provision.training.copies", "psycopg"} <= loaded
    assert not under(loaded, RESET_FORBIDDEN)
    cli = {n for n in loaded if n == "provision.cli" or n.startswith("provision.cli.")}
    assert cli <= RESET_CLI, f"other commands' modules loaded: {sorted(cli - RESET_CLI)}"


def test_the_help_loads_no_library(tmp_path: Path) -> None:
    """`provision --help` lists every command (each command's module is read for its help) and loads none of
    the libraries behind them."""
    done, loaded = run_loaded(tmp_path, "--help")
    assert done.returncode == 0, done.stderr
    assert "reset" in done.stdout
    assert not under(loaded, ("docker", "jinja2", "numpy", "openpyxl", "psycopg"))
    behind = [n for n in loaded if n.startswith(("provision.books.", "provision.training.", "provision.console."))]
    assert not behind, behind
