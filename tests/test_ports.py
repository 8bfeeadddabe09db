"""Ports without Docker: the engine's "port taken" errors read, the machine-wide lock, who listens on a
port, and a client's state.json refused or its kept port picked again."""

from __future__ import annotations

import json
import os
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provision.cli import app
from provision.clients.lifecycle import init_client
from provision.clients.profile import load_profile
from provision.clients.render import client_env, env_for
from provision.clients.workspace import Workspace
from provision.docker import ports
from provision.docker.compose import port_in_use
from provision.errors import EXIT_INPUT, EnvironmentProblem, InputError

runner = CliRunner()


@pytest.mark.parametrize(
    ("stderr", "port"),
    [
        (
            "ERROR: for db  Cannot start service db: driver failed programming external connectivity on endpoint "
            "provision-a-1 (9f2c): Bind for 127.0.0.1:54324 failed: port is already allocated",
            54324,
        ),
        (
            "Error response from daemon: driver failed programming external connectivity on endpoint x (1a): "
            "Error starting userland proxy: listen tcp4 127.0.0.1:57859: bind: address already in use\n",
            57859,
        ),
        ("Error starting userland proxy: listen tcp6 [::1]:54321: bind: address already in use", 54321),
        ("failed to bind host port for 0.0.0.0:54330:172.18.0.2:5432/tcp: address already in use", 54330),
        ("something odd: address already in use", 0),
        ("Error response from daemon: pull access denied for nothing", None),
    ],
)
def test_the_engines_port_errors_are_recognised(stderr: str, port: int | None) -> None:
    assert port_in_use(stderr) == port


def test_a_port_is_a_number_from_1_to_65535() -> None:
    assert ports.valid_port(1) and ports.valid_port(65535)
    for bad in (0, 65536, 99999999, -1, True, "54321", 54321.0, None, [54321]):
        assert not ports.valid_port(bad), bad


def test_the_listener_of_a_port_is_named_from_proc() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        for host in ("127.0.0.1", "0.0.0.0", "::"):
            assert f"(pid {os.getpid()})" in str(ports.listener(port, host)), host
        assert ports.listener(port, "127.0.0.2") is None  # another address: no conflict, not its holder
    assert ports.listener(port) is None


def test_the_machine_lock_excludes_other_threads_and_lets_its_holder_in_again() -> None:
    order: list[str] = []
    inside = threading.Event()

    def other() -> None:
        inside.wait(10)
        with ports.machine_lock():
            order.append("other")

    thread = threading.Thread(target=other)
    thread.start()
    with ports.machine_lock():
        with ports.machine_lock():  # the same thread again: no wait on itself
            inside.set()
            time.sleep(0.3)
            order.append("holder")
        order.append("holder, still")
    thread.join(10)
    assert order == ["holder", "holder, still", "other"]


def test_a_lock_folder_that_is_not_ours_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / f"provision-{os.getuid()}").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(EnvironmentProblem, match="is not a folder of yours") as info, ports.machine_lock():
        pass
    assert "TMPDIR" in str(info.value.fix)


def test_init_writes_an_auto_port(workspace: Workspace) -> None:
    init_client(workspace, "voda")
    text = workspace.files("voda").profile.read_text(encoding="utf-8")
    assert 'port = "auto"' in text
    assert load_profile(workspace, "voda").port is None
    assert not workspace.files("voda").state.exists()  # nothing picked until the client is brought up


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "unreadable state (not JSON"),
        ("[" * 100_000, "unreadable state (not JSON"),
        (b"\xff\xfe\x00", "unreadable state (not JSON"),
        ("[54321]", "holds a JSON list, not an object of kept choices"),
        ('"port"', "holds a JSON str"),
        ('{"storage": "clone"}', "storage = 'clone' is not dict of text"),
        ('{"storage": {"method": "copy", "root": 5}}', "is not dict of text"),
        ('{"node": 7}', "node = 7 is not str of text"),
    ],
)
def test_a_malformed_state_is_refused_naming_the_file(workspace: Workspace, content: str | bytes, message: str) -> None:
    path = workspace.files("demo").state
    path.parent.mkdir(parents=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(InputError, match="unreadable|holds|is not") as info:
        client_env(workspace, "demo")
    assert str(path) in info.value.message and message in info.value.message
    assert info.value.fix and "delete it" in info.value.fix
    assert path.read_bytes() == (content if isinstance(content, bytes) else content.encode())  # left as it was

    result = runner.invoke(app, ["--workspace", str(workspace.root), "render", "demo"])
    assert result.exit_code == EXIT_INPUT
    assert f"error: {path}: " in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("kept", [99999999, 0, -5, "54321", True, 54321.5, None, {"port": 1}])
def test_a_kept_port_that_is_no_port_is_picked_again_with_a_note(workspace: Workspace, kept: object) -> None:
    workspace.files("demo").change_state(port=kept, image="postgres:15")
    assert workspace.files("demo").read_state().port is None
    notes: list[str] = []
    env = env_for(workspace, load_profile(workspace, "demo"), progress=notes.append)
    assert ports.FIRST_PORT <= env.port <= ports.LAST_PORT
    assert notes == [f"{workspace.files('demo').state}: the kept port {kept!r} is no port (1-65535); another is picked"]
    assert workspace.files("demo").read_state().raw == {"port": env.port, "image": "postgres:15"}


def test_another_clients_broken_state_blocks_nobody(workspace: Workspace, write_profile) -> None:  # type: ignore[no-untyped-def]
    write_profile("broken", "[postgres]\nport = 54999\n")
    workspace.files("broken").state.write_text("{oops", encoding="utf-8")
    assert client_env(workspace, "demo").port != 54999


def test_destroy_forgets_only_what_it_names(workspace: Workspace) -> None:
    workspace.files("demo").change_state(port=54333, image="postgres:15", node="abc")
    workspace.files("demo").change_state(forget=("port", "image", "storage"))
    assert json.loads(workspace.files("demo").state.read_text(encoding="utf-8")) == {"node": "abc"}


def test_the_port_of_a_client_that_is_down_is_kept_from_other_workspaces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No container claims a client's port while it is down: the user's ledger does, until it is gone."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    first, second = Workspace(tmp_path / "a"), Workspace(tmp_path / "b")
    taken = client_env(first, "demo").port  # picked, kept, noted; no container made
    assert client_env(second, "demo").port != taken
    # the first workspace's client is destroyed (its kept port forgotten): the note goes at the next pick
    first.files("demo").change_state(forget=("port",))
    third = Workspace(tmp_path / "c")
    assert client_env(third, "demo").port == taken
    ports.forget_claim((str(third.root), "demo"))
    assert ports.others_claims(("", ""), lambda _port, _owner: True) == {client_env(second, "demo").port}
