"""Ports claimed across workspaces, against a real Docker engine: two workspaces starting at once, a port
taken by another program before or during a start, a fixed port held by another client, destroy
forgetting the pick, a bad kept port picked again."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provision.cli import app
from provision.clients import claims, lifecycle
from provision.clients.render import client_env
from provision.clients.workspace import Workspace
from provision.docker import engine
from provision.errors import EXIT_ENVIRONMENT, EnvironmentProblem

pytestmark = [pytest.mark.docker, pytest.mark.slow]
runner = CliRunner()
NO_BOOKS = '[postgres]\nmemory_limit = "256m"\n[seed]\nmode = "none"\n'
PROVISION = [sys.executable, "-c", "from provision.cli import main; main()"]


def _fixed(port: int) -> str:
    return NO_BOOKS.replace("[postgres]\n", f"[postgres]\nport = {port}\n")


def _workspace(root: Path, client: str, profile: str = NO_BOOKS) -> Workspace:
    workspace = Workspace(root.resolve())
    path = workspace.files(client).profile
    path.parent.mkdir(parents=True)
    path.write_text(profile, encoding="utf-8")
    return workspace


@pytest.fixture
def destroyed() -> Iterator[list[tuple[Workspace, str]]]:
    """Clients a test brought up, destroyed after it whatever happened."""
    made: list[tuple[Workspace, str]] = []
    yield made
    for workspace, client in made:
        if engine.find("containers", {engine.LABEL_CLIENT: client, engine.LABEL_WORKSPACE: str(workspace.root)}):
            lifecycle.destroy(workspace, client)


@pytest.fixture
def held() -> Iterator[list[socket.socket]]:
    """Plain listeners standing for another program; closed after the test."""
    sockets: list[socket.socket] = []
    yield sockets
    for sock in sockets:
        sock.close()


def _listen(held: list[socket.socket], port: int = 0) -> int:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port free but for closed connections' TIME_WAIT
    sock.bind(("127.0.0.1", port))
    sock.listen()
    held.append(sock)
    return int(sock.getsockname()[1])


def test_two_workspaces_coming_up_at_once_get_two_ports(
    tmp_path: Path, pg_image: str, destroyed: list[tuple[Workspace, str]]
) -> None:
    one = _workspace(tmp_path / "one", "vodokanal")
    two = _workspace(tmp_path / "two", "vodokanal")
    destroyed += [(one, "vodokanal"), (two, "vodokanal")]
    runs = [
        subprocess.Popen(
            [*PROVISION, "--workspace", str(ws.root), "up", "vodokanal"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for ws in (one, two)
    ]
    outputs = [run.communicate(timeout=600) for run in runs]
    for run, (out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, out + err
        assert "vodokanal is up" in out
    ports = [ws.files("vodokanal").read_state().port for ws in (one, two)]
    assert ports[0] is not None and ports[1] is not None and ports[0] != ports[1]
    assert [lifecycle.status(ws, "vodokanal").state for ws in (one, two)] == ["running", "running"]

    # a fixed port that the other workspace's client holds: refused before anything is made, naming it
    third = _workspace(tmp_path / "three", "teplo", _fixed(ports[0]))
    result = runner.invoke(app, ["--workspace", str(third.root), "up", "teplo"])
    assert result.exit_code == EXIT_ENVIRONMENT, result.output
    assert f"error: port {ports[0]} on 127.0.0.1 is taken by the client 'vodokanal' of the workspace {one.root}" in (
        result.output
    )
    assert "fix: stop that client (`provision down` in its workspace)" in result.output
    assert engine.find("containers", {engine.LABEL_WORKSPACE: str(third.root)}) == []


def test_an_auto_port_taken_before_up_moves_on_and_destroy_forgets_it(
    tmp_path: Path, pg_image: str, destroyed: list[tuple[Workspace, str]], held: list[socket.socket]
) -> None:
    workspace = _workspace(tmp_path, "gaz")
    destroyed.append((workspace, "gaz"))
    first = client_env(workspace, "gaz").port  # picked and kept, as `render` does
    _listen(held, first)
    notes: list[str] = []
    result = lifecycle.up(workspace, "gaz", progress=notes.append)
    assert result.env.port != first
    assert workspace.files("gaz").read_state().port == result.env.port
    moved = [note for note in notes if note.startswith(f"port {first} is taken by ")]
    assert len(moved) == 1 and moved[0].endswith(f'; gaz moves to port {result.env.port} (port = "auto")')
    assert f"(pid {os.getpid()})" in moved[0]  # this process listens there: /proc names it

    lifecycle.destroy(workspace, "gaz")
    assert workspace.files("gaz").read_state().port is None
    assert "port" not in workspace.files("gaz").read_state().raw


def test_an_auto_port_taken_as_the_client_starts_is_tried_again(
    tmp_path: Path,
    pg_image: str,
    destroyed: list[tuple[Workspace, str]],
    held: list[socket.socket],
    monkeypatch: pytest.MonkeyPatch,
    compose_cli: str,
) -> None:
    workspace = _workspace(tmp_path, "svet")
    destroyed.append((workspace, "svet"))
    create = claims._create
    taken: list[int] = []

    def then_taken(env, progress, refused):  # type: ignore[no-untyped-def]
        env = create(env, progress, refused)
        if not taken:  # another program binds the port between the container's creation and its start
            taken.append(_listen(held, env.port))
        return env

    monkeypatch.setattr(claims, "_create", then_taken)
    notes: list[str] = []
    result = lifecycle.up(workspace, "svet", progress=notes.append)
    assert taken and result.env.port != taken[0]
    assert any(note.startswith(f"port {taken[0]} is taken by ") and "svet moves to port" in note for note in notes)
    assert lifecycle.status(workspace, "svet").port == result.env.port


def test_a_fixed_port_taken_is_refused_naming_the_holder(
    tmp_path: Path,
    pg_image: str,
    destroyed: list[tuple[Workspace, str]],
    held: list[socket.socket],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = _listen(held)
    held.pop().close()  # a port free now, fixed in the profile
    workspace = _workspace(tmp_path, "musor", _fixed(port))
    destroyed.append((workspace, "musor"))
    create = claims._create

    def then_taken(env, progress, refused):  # type: ignore[no-untyped-def]
        env = create(env, progress, refused)
        _listen(held, env.port)
        return env

    monkeypatch.setattr(claims, "_create", then_taken)
    result = runner.invoke(app, ["--workspace", str(workspace.root), "up", "musor"])
    assert result.exit_code == EXIT_ENVIRONMENT, result.output
    assert f"error: port {port} on 127.0.0.1 is taken by " in result.output
    assert f"(pid {os.getpid()})" in result.output
    assert "fix: stop it (`ss -ltnp" in result.output and "set postgres.port in" in result.output
    assert "Traceback" not in result.output

    monkeypatch.undo()  # held before `up`: refused before anything starts
    with pytest.raises(EnvironmentProblem, match=f"port {port} on 127.0.0.1 is taken by .*pid {os.getpid()}"):
        lifecycle.up(workspace, "musor")


def test_a_kept_port_that_is_no_port_is_picked_again_on_up(
    tmp_path: Path, pg_image: str, destroyed: list[tuple[Workspace, str]]
) -> None:
    workspace = _workspace(tmp_path, "lift")
    destroyed.append((workspace, "lift"))
    workspace.files("lift").change_state(port=99999999)
    result = runner.invoke(app, ["--workspace", str(workspace.root), "up", "lift"])
    assert result.exit_code == 0, result.output
    assert f"{workspace.files('lift').state}: the kept port 99999999 is no port (1-65535); another is picked" in (
        result.output
    )
    kept = workspace.files("lift").read_state().port
    assert kept is not None and f"127.0.0.1:{kept}/" in result.output

    gone = runner.invoke(app, ["--workspace", str(workspace.root), "destroy", "lift", "--yes"])
    assert gone.exit_code == 0, gone.output
    assert workspace.files("lift").read_state().port is None
