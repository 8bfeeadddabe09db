"""A client's record on disk has one owner (provision/clients/record.py): no other module spells a file of
the client's folder or a key of its state; the state reads as it always did; the one atomic write."""

from __future__ import annotations

import ast
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from provision.books import bringup
from provision.clients import lifecycle, record, render
from provision.clients.record import STATE_FIX, STATE_KEYS, ClientFiles, ClientState
from provision.clients.workspace import Workspace
from provision.errors import InputError
from seed.outfile import write_whole

ROOT = Path(__file__).resolve().parent.parent
OWNER = ROOT / "provision" / "clients" / "record.py"
EXEMPT: tuple[Path, ...] = ()  # nothing: the console and the CLI ask the owner too


def _owner_names() -> tuple[set[str], set[str]]:
    """The names of the files and folders ClientFiles knows, read from ClientFiles itself: (names that say
    themselves, such as "seats.json"; plain words, such as "import", that count only as a path's part)."""
    files = ClientFiles(Path("/w/compose"), "c")
    paths = [
        getattr(files, name)
        for name, value in vars(ClientFiles).items()
        if isinstance(value, property) and name not in ("directory", "training_lock")
    ]
    names = {path.name for path in paths if isinstance(path, Path)}
    plain = {name for name in names if name.isalpha()}
    return names - plain, plain


def _modules() -> list[Path]:
    found = sorted((ROOT / "provision").rglob("*.py"))
    return [p for p in found if p != OWNER and not any(p.is_relative_to(e) for e in EXEMPT)]


def _is_state(node: ast.expr) -> bool:
    return "state" in ast.unparse(node).lower()


def _offences(path: Path, spelt: set[str], parts: set[str]) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value in spelt:
            found.append(f"{where}:{node.lineno}: spells the client's file {node.value!r}")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            for side in (node.left, node.right):
                if isinstance(side, ast.Constant) and side.value in parts | spelt:
                    found.append(f"{where}:{node.lineno}: makes the client's path .../{side.value}")
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            if node.slice.value in STATE_KEYS and _is_state(node.value):
                found.append(f"{where}:{node.lineno}: reads the state's key {node.slice.value!r}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            first = node.args[0]
            if (
                node.func.attr in ("get", "pop", "setdefault")
                and isinstance(first, ast.Constant)
                and first.value in STATE_KEYS
                and _is_state(node.func.value)
            ):
                found.append(f"{where}:{node.lineno}: reads the state's key {first.value!r}")
        elif (
            isinstance(node, ast.Compare)
            and isinstance(node.left, ast.Constant)
            and node.left.value in STATE_KEYS
            and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops)
            and any(map(_is_state, node.comparators))
        ):
            found.append(f"{where}:{node.lineno}: asks for the state's key {node.left.value!r}")
    return found


def test_the_owner_names_the_files_it_knows() -> None:
    spelt, parts = _owner_names()
    assert {"state.json", "client.toml", "postgres_password", "seats.json", "resets.json", "journal.json"} <= spelt
    assert {"last.json", "pending-run.json"} <= spelt  # the switch-overs' folder's own files too
    assert ClientFiles(Path("/w"), "c").switchover_rejected("run") == Path("/w/c/switchover/run-rejected.csv")
    assert {"secrets", "import", "switchover", "agents", "storage"} <= parts


def test_no_module_but_the_owner_spells_a_clients_file_or_state_key() -> None:
    spelt, parts = _owner_names()
    offences = [line for path in _modules() for line in _offences(path, spelt, parts)]
    assert offences == [], "ask provision.clients.record (Workspace.files(client)) instead:\n" + "\n".join(offences)


def test_the_scan_sees_what_it_looks_for(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "p = d / 'seats.json'\nq = d / 'import' / x\nr = state['port']\ns = ws.read_state(c).get('image')\n"
        "t = 'node' in state\nu = row['storage']\nv = container_state.get('Status')\n",
        encoding="utf-8",
    )
    spelt, parts = _owner_names()
    lines = [line.split(": ", 1)[1] for line in _offences(sample, spelt, parts)]
    assert sorted(lines) == sorted(
        [
            "spells the client's file 'seats.json'",
            "makes the client's path .../seats.json",
            "makes the client's path .../import",
            "reads the state's key 'port'",
            "reads the state's key 'image'",
            "asks for the state's key 'node'",
        ]
    )


# -- reading the state ------------------------------------------------------------------------------
@pytest.fixture
def files(tmp_path: Path) -> ClientFiles:
    made = ClientFiles(tmp_path / "compose", "voda")
    made.directory.mkdir(parents=True)
    return made


def test_no_state_is_an_empty_one(files: ClientFiles) -> None:
    assert files.read_state() == ClientState()
    assert not files.state.exists()  # reading writes nothing


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "unreadable state (not JSON: "),
        ("[54321]", "holds a JSON list, not an object of kept choices"),
        ('"port"', "holds a JSON str, not an object of kept choices"),
        ('{"storage": "clone"}', "storage = 'clone' is not dict of text"),
        ('{"storage": {"root": 5}}', "storage = {'root': 5} is not dict of text"),
        ('{"node": 7}', "node = 7 is not str of text"),
    ],
)
def test_a_bad_state_is_refused_as_before(files: ClientFiles, content: str, message: str) -> None:
    files.state.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        files.read_state()
    assert caught.value.message.startswith(f"{files.state}: {message}")
    assert caught.value.fix == STATE_FIX


def test_a_state_that_is_no_file_is_refused(files: ClientFiles) -> None:
    os.mkfifo(files.state)
    with pytest.raises(InputError) as caught:
        files.read_state()
    assert caught.value.message.startswith(f"{files.state}: unreadable state (it ")


def test_the_fields_are_typed_and_a_bad_port_is_a_note(files: ClientFiles) -> None:
    files.state.write_text(
        json.dumps({"port": 99999999, "image": ["x"], "node": "n1", "storage": {"method": "copy"}, "mine": 1}),
        encoding="utf-8",
    )
    state = files.read_state()
    assert (state.port, state.image, state.node, state.storage) == (None, None, "n1", {"method": "copy"})
    assert state.bad_port == "99999999"
    assert state.brought_up
    assert ClientState.of({"port": True}).port is None  # JSON's true is no port


def test_one_write_keeps_forgets_and_leaves_the_rest_as_it_was(files: ClientFiles) -> None:
    files.state.write_text(json.dumps({"port": "x", "mine": [1]}), encoding="utf-8")
    written = files.change_state(image="postgres:15", node="n1")
    assert json.loads(files.state.read_text(encoding="utf-8")) == {"port": "x", "mine": [1], "image": "postgres:15",
                                                                   "node": "n1"}  # fmt: skip
    assert written.image == "postgres:15"
    files.change_state(forget=("port", "image"))
    assert json.loads(files.state.read_text(encoding="utf-8")) == {"mine": [1], "node": "n1"}
    before = files.state.stat().st_mtime_ns, files.state.stat().st_ino
    files.change_state(node="n1")  # nothing changes: nothing is written
    assert (files.state.stat().st_mtime_ns, files.state.stat().st_ino) == before
    with pytest.raises(TypeError, match="no such field"):
        files.change_state(seats=3)
    assert sorted(p.name for p in files.directory.iterdir()) == ["state.json"]  # nothing left aside


def test_a_damaged_state_is_never_overwritten(files: ClientFiles) -> None:
    files.state.write_text("{oops", encoding="utf-8")
    with pytest.raises(InputError):
        files.change_state(port=5432)
    assert files.state.read_text(encoding="utf-8") == "{oops"


# -- the one atomic write ---------------------------------------------------------------------------
def test_the_write_puts_the_whole_file_with_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "secret.json"
    target.write_text("old", encoding="utf-8")
    os.chmod(target, 0o644)
    write_whole(target, "new", mode=0o600, sync_folder=True)
    assert target.read_text(encoding="utf-8") == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    write_whole(target, b"\x00bytes")
    assert target.read_bytes() == b"\x00bytes"
    assert [p.name for p in tmp_path.iterdir()] == ["secret.json"]


def test_a_failed_write_leaves_the_old_file_and_nothing_aside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "state.json"
    target.write_text("old", encoding="utf-8")

    def refuse(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", refuse)
    with pytest.raises(OSError, match="No space left"):
        write_whole(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_link_is_replaced_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("theirs", encoding="utf-8")
    link = tmp_path / "state.json"
    link.symlink_to(elsewhere)
    write_whole(link, "ours")
    assert not link.is_symlink() and link.read_text(encoding="utf-8") == "ours"
    assert elsewhere.read_text(encoding="utf-8") == "theirs"


def test_the_owner_module_is_the_only_one_with_a_layout() -> None:
    assert "client.toml" in (record.__doc__ or "")


# -- the profile parsed once per command ---------------------------------------------------------------
@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The clients whose profile was parsed, in order (load_profile and the built-in profile both parse)."""
    from provision.clients import profile

    seen: list[str] = []
    real = profile.parse_profile

    def counted(client: str, data: dict[str, Any], source: Path | None) -> profile.Profile:
        seen.append(client)
        return real(client, data, source)

    monkeypatch.setattr(profile, "parse_profile", counted)
    return seen


def test_render_parses_the_profile_once(workspace: Workspace, parses: list[str]) -> None:
    lifecycle.init_client(workspace, "voda")
    parses.clear()
    lifecycle.render_client(workspace, "voda")
    assert parses == ["voda"]
    parses.clear()
    render.client_env(workspace, "voda", pick=False)
    assert parses == ["voda"]


@pytest.mark.docker
@pytest.mark.slow
def test_up_parses_the_profile_once(workspace: Workspace, pg_image: str, parses: list[str]) -> None:
    lifecycle.init_client(workspace, "once")
    text = workspace.files("once").profile.read_text(encoding="utf-8")
    workspace.files("once").profile.write_text(text.replace('mode = "synthetic"', 'mode = "none"'), encoding="utf-8")
    parses.clear()
    try:
        bringup.up_client(workspace, "once")
        assert parses == ["once"]
    finally:
        lifecycle.destroy(workspace, "once")


def _console_class(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, str, dict[int, str]]:
    """A console over three clients, no database: "klass" (two seats, its links made) and two others. A
    reset's copying is left out (the parse count is what is looked at): (the test client, password, links)."""
    from starlette.testclient import TestClient

    from provision.clients.secrets import ensure_password
    from provision.console import auth
    from provision.console.app import make_app
    from provision.training import classroom, seats

    for client, port in (("klass", 55991), ("other", 55992), ("third", 55993)):
        path = workspace.files(client).profile
        path.parent.mkdir(parents=True)
        path.write_text(f"[postgres]\nport = {port}\n\n[training]\nseats = 2\n", encoding="utf-8")
    ensure_password(workspace.files("klass").password)
    links = classroom.seat_links(render.client_env(workspace, "klass", pick=False))
    monkeypatch.setattr(seats, "copy_locked", lambda env, command, action: seats.Copied(["seat"], 0.0))
    password = auth.console_password(workspace)[0]
    return TestClient(make_app(workspace, password)), password, links


def _job_done(client: Any, response: Any) -> None:
    import time

    assert response.status_code == 303, response.text
    for _ in range(400):
        state = client.get(response.headers["location"] + ".json").json()
        if state["state"] != "running":
            assert state["state"] == "done", state
            return
        time.sleep(0.025)
    raise AssertionError("the job is still running")


def test_the_console_parses_a_profile_once_per_page_and_action(
    workspace: Workspace, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import re

    console, password, links = _console_class(workspace, monkeypatch)
    csrf = re.compile(r'name="csrf" value="([^"]+)"')
    parses.clear()
    page = console.get(f"/seat/{links[2]}")
    assert page.status_code == 200 and "__seat02" in page.text and "__seat01" not in page.text
    assert parses == ["klass"]  # neither the other clients' profiles nor this one's again
    parses.clear()
    found = csrf.search(page.text)
    assert found
    _job_done(console, console.post(f"/seat/{links[2]}/reset", data={"csrf": found[1]}, follow_redirects=False))
    assert parses == ["klass"]
    assert console.get("/seat/not-a-link").status_code == 404
    login = csrf.search(console.get("/login").text)
    assert login
    console.post("/login", data={"password": password, "csrf": login[1]}, follow_redirects=False)
    token = csrf.search(console.get("/").text)
    assert token
    parses.clear()
    reset = console.post("/client/klass/reset", data={"seat": "1", "csrf": token[1]}, follow_redirects=False)
    _job_done(console, reset)
    assert parses == ["klass"]  # the busy check and the reset read it once between them
