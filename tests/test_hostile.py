"""A hostile sweep over every command: the command tree is walked (a new command is swept with no change
here), and each parameter is given what a hostile user types: wrong types, empty strings, huge, negative
and fullwidth numbers, NUL bytes, very long strings, devices, FIFOs, symlink loops, folders where files go,
files in cp1251, UTF-16 or binary garbage, unknown clients and clients whose files are garbage.

Each case: exit 2 or 3 (or 0 where the input is in fact valid), no traceback, one clear first line, and
nothing left behind in the workspace. Docker is never reached: DOCKER_HOST points at no socket, so a case
that gets that far ends with exit 3, which passes only when the hostile value is a client that is valid
for all provision can tell (its profile reads); any other value must be refused by provision's own checks
before Docker is asked. A fuse fails any case that would build an image,
serve the console or hand the process to ssh. Cases that read a device or a FIFO run in a child process
with a time-out and a memory limit, since reading /dev/zero never ends and opening a FIFO blocks."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import typer.main
import typer.testing
from typer.testing import CliRunner

from provision.cli import app
from provision.clients.workspace import Workspace
from tests.bad_input import BASE, BOX, DEMO_PORT

runner = CliRunner()
NO_DOCKER = "unix:///nonexistent/provision-hostile/docker.sock"
SECONDS = 20  # any one case in this process; a hang is a failure, not a stuck test run
CHILD_SECONDS = 15  # a child process: Python starts, reads, is refused
CHILD_MEMORY = 2 * 1024**3

GOOD_PROFILE = f'title = "x"\n[postgres]\nport = {DEMO_PORT}\n[training]\nseats = 2\n'
AGENT = '[files.persons]\npath = "p.csv"\n'
# The workspace every case starts from (besides tests/bad_input.py's BASE): garbage in every shape.
GARBAGE: dict[str, str | bytes] = {
    "cp1251.txt": "ЛС;Сумма\r\n1;Я\r\n".encode("cp1251"),
    "utf16.txt": "ЛС;Сумма\n1;2\n".encode("utf-16"),
    "garbage.bin": bytes(range(256)) * 4,
    "mapping-cp1251.toml": AGENT.replace("p.csv", "Я.csv").encode("cp1251"),
    "mapping-utf16.toml": AGENT.encode("utf-16"),
    "compose/cp/client.toml": GOOD_PROFILE.replace('"x"', '"Я"').encode("cp1251"),
    "compose/utf16/client.toml": GOOD_PROFILE.encode("utf-16"),
    "compose/binary/client.toml": bytes(range(256)),
    "compose/dirprofile/client.toml/inside": "",
    "compose/badstate/client.toml": GOOD_PROFILE,
    "compose/badstate/state.json": bytes(range(256)),
    "compose/liststate/client.toml": GOOD_PROFILE,
    "compose/liststate/state.json": '{"port": "x", "image": [1], "seats": {"1": null}}',
    "compose/agents1251/client.toml": GOOD_PROFILE,
    "compose/agents1251/agents/bank.toml": 'agent = "Я"\n'.encode("cp1251"),
    "compose/agentsbin/client.toml": GOOD_PROFILE,
    "compose/agentsbin/agents/bank.toml": bytes(range(256)),
    "compose/agentsdir/client.toml": GOOD_PROFILE,
    "compose/agentsdir/agents/bank.toml/inside": "",
    "compose/keybin/client.toml": GOOD_PROFILE,
    "compose/keybin/secrets/anonymization.key": bytes(range(256)),
    "compose/pwbin/client.toml": GOOD_PROFILE,
    "compose/pwbin/secrets/postgres_password": bytes(range(256)),
}
# Special files: made by the fixture, not written (name -> kind).
SPECIAL = {
    "fifo": "fifo",
    "loop": "loop",
    "compose/fifoprofile/client.toml": "fifo",
    "compose/zeroprofile/client.toml": "/dev/zero",
    "compose/loopprofile/client.toml": "loop",
    "compose/fifostate/state.json": "fifo",
    "compose/zerostate/state.json": "/dev/zero",
    "compose/fifoagent/agents/bank.toml": "fifo",
    "compose/zeroagent/agents/bank.toml": "/dev/zero",
}
for _name in ("fifostate", "zerostate", "fifoagent", "zeroagent"):
    GARBAGE[f"compose/{_name}/client.toml"] = GOOD_PROFILE

TEXT = {
    "empty": "",
    "nul": "a\x00b",
    "long": "a" * 5000,
    "fullwidth": "１２",
    "newline": "a\nb",
    "dash": "-",
    "traversal": "../../etc/passwd",
    "emoji": "\U0001f4a5",
    "sql": "x'; drop schema okno; --",
}
NUMBER = {
    "empty": "",
    "negative": "-1",
    "zero": "0",
    "huge": "9" * 40,
    "fullwidth": "１",
    "float": "1.5",
    "exp": "1e3",
    "hex": "0x10",
    "nul": "1\x00",
    "nan": "nan",
}
PATH = {
    "empty": "",
    "nul": "a\x00b",
    "long": "p" * 5000,
    "deep-missing": "no/such/file",
    "folder": "full",
    "empty-folder": "export",
    "file-as-folder": "afile.txt/x",
    "loop": "loop",
    "cp1251": "cp1251.txt",
    "utf16": "utf16.txt",
    "garbage": "garbage.bin",
    "proc": "/proc/x",
    "sys": "/sys/x",
}
DEVICES = {"devnull": "/dev/null", "devzero": "/dev/zero", "devfull": "/dev/full", "fifo": "fifo"}
CLIENTS = [
    "nobody", "cp", "utf16", "binary", "dirprofile", "badstate", "liststate", "agents1251", "agentsbin",
    "agentsdir", "keybin", "pwbin", "fifoprofile", "zeroprofile", "loopprofile",
]  # fmt: skip
# Clients whose state or agent formats may block or never end when read, and the commands that read them.
CHILD_CLIENTS = {"state": ["fifostate", "zerostate"], "agents": ["fifoagent", "zeroagent"]}
# Clients whose profile reads but whose state cannot: `up` reads the state before it asks Docker anything.
STATE_FIRST = {"up-client-fifostate", "up-client-zerostate"}
# Clients whose profile cannot be read: refused before Docker, like any value that is not a client.
BROKEN_CLIENTS = {"nobody", "cp", "utf16", "binary", "dirprofile", "fifoprofile", "zeroprofile", "loopprofile"}
UNREACHABLE = "cannot reach the Docker"  # what engine.client says when DOCKER_HOST leads nowhere
# Values that are in fact valid (by case id, or its start): the command goes on to Docker with them.
VALID = (
    "logs-tail-zero",
    "seed-seed-zero",
    "registry-sample-seed-zero",
    "registry-sample-faults-zero",  # 0 is allowed
    "psql-args-",  # handed to psql as typed (but for a NUL or control character: refused)
    "registry-assign-account-",
    "registry-assign-line-",  # looked up in the books and the registry loaded
    "registry-sample-number-",  # the registry's number, written into it as typed
    "import-load-path-",
    "import-scan-path-",  # a folder: what it holds is read once the client's server is up
)
EXISTING = {"cp1251", "utf16", "garbage"}  # an output naming a file that exists replaces it: valid
# Hostile values that reach Docker before provision refuses them: known gaps, each to be fixed where it is
# checked (a strict xfail: the fix makes the case pass, and then it must leave this list).
GAPS: dict[str, str] = {}
# Commands whose work is to write into the workspace (a client's files, templates, the console's
# certificate): a valid value may add files there, never change or remove one.
WRITERS = (("init",), ("render",), ("import", "template"), ("console",))
CHILD_CLIENT_COMMANDS = {
    **dict.fromkeys(["status", "up", "reset", "seats", "snapshot-list", "switchover-status"], "state"),
    **dict.fromkeys(["registry-formats", "registry-sample", "registry-load", "registry-debts"], "agents"),
}
# A valid value for each required parameter, by name, so that the one under attack is what is judged.
GOOD = {
    "client": "x",
    "name": "s1",
    "directory": "newdir",
    "path": "export",
    "export": "export",
    "source": "afile.txt",
    "line": "1",
    "account": "1",
    "agent": "bank",
    "date": "2026-11-01",
    "output": "out.txt",
}
# Parameters a command reads a file or folder from: a device or FIFO there is swept in a child process.
READS = {"path", "export", "source", "mapping", "accept"}
# Parameters a command writes to: a device there is the output module's business (/dev/null is valid).
WRITES = {"output", "html", "problems", "directory"}
CLICK_ERRORS = ("Invalid value", "Missing ", "No such ", "Got unexpected", "requires an argument")


def leaves(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every runnable command of the tree, with the words that reach it."""
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        yield path, command
        return
    for name, sub in sorted(subcommands.items()):
        yield from leaves(sub, (*path, name))


def _kind(param: Any) -> str:
    """What a parameter takes, from typer's annotation (0.29+) or click's type (before)."""
    descriptor = getattr(param, "type_descriptor", None)
    annotation = descriptor.annotation if descriptor is not None else None
    click_type = type(getattr(param, "type", None)).__name__  # IntParamType, Path, BoolParamType, ...
    text = f"{annotation} {click_type}"
    if annotation is bool or getattr(param, "is_flag", False) or "Bool" in click_type:
        return "flag"
    if annotation is Path or "Path" in text:
        return "path"
    if annotation is int or "int" in str(annotation) or click_type == "IntParamType":
        return "number"
    return "text"


def _args(params: list[Any], attacked: Any, value: str) -> list[str]:
    """The attacked parameter's value, and a valid one for each parameter the command needs: the required
    ones, and the client argument where it is optional (unless the attack is on --dsn, which replaces it)."""
    args: list[str] = []
    for param in params:
        is_option = type(param).__name__.endswith("Option")
        needed = param.required or (param.name == "client" and attacked.name != "dsn")
        given = value if param is attacked else GOOD.get(param.name) if needed else None
        if given is None:
            continue
        args += [param.opts[0], given] if is_option else [given]
    return args


def _values(param: Any) -> dict[str, str]:
    if param.name == "client":
        return {c: c for c in CLIENTS} | {f"name-{k}": v for k, v in TEXT.items()}
    return {"number": NUMBER, "text": TEXT, "path": PATH}[_kind(param)]


Case = tuple[str, list[str], bool, bool]  # id, arguments, run in a child process, refused before Docker


def _checked(case_id: str, param: Any, label: str, value: str) -> bool:
    """Whether provision itself must refuse ``value`` of ``param`` before it asks Docker anything: every
    value but one that is valid (:data:`VALID`, an existing file to write) and a client whose profile
    reads (its state, agents, key or password are read only by the commands that need them, some of them
    after Docker is asked; `up` reads the state first, :data:`STATE_FIRST`)."""
    if case_id not in GAPS and (case_id.startswith(VALID) or (param.name in WRITES and label in EXISTING)):
        return False
    if case_id in STATE_FIRST:
        return True
    known = [*CLIENTS, *(c for names in CHILD_CLIENTS.values() for c in names)]
    return param.name != "client" or value in BROKEN_CLIENTS or value not in known


def sweep() -> list[Case]:
    cases: list[Case] = []
    for words, command in leaves(typer.main.get_command(app)):
        name = "-".join(words)
        params = [p for p in command.params if _kind(p) != "flag"]
        for param in params:
            for label, value in _values(param).items():
                case_args = [*words, *_args(params, param, value)]
                case_id = f"{name}-{param.name}-{label}"
                cases.append((case_id, case_args, False, _checked(case_id, param, label, value)))
            child: dict[str, str] = {}
            if param.name == "client" and name in CHILD_CLIENT_COMMANDS:
                child = {c: c for c in CHILD_CLIENTS[CHILD_CLIENT_COMMANDS[name]]}
            elif _kind(param) == "path" and param.name in READS:
                child = DEVICES
            for label, value in child.items():
                case_args = [*words, *_args(params, param, value)]
                case_id = f"{name}-{param.name}-{label}"
                cases.append((case_id, case_args, True, _checked(case_id, param, label, value)))
    return cases


def _params() -> list[Any]:
    """The sweep's cases; those run in a child process (a second or more each) are marked slow."""
    params = []
    for case_id, args, child, checked in sweep():
        marks: list[Any] = [pytest.mark.slow] if child else []
        if case_id in GAPS:
            marks.append(pytest.mark.xfail(strict=True, reason=f"reaches Docker unchecked: {GAPS[case_id]}"))
        params.append(pytest.param(args, child, checked, id=case_id, marks=marks))
    return params


class Started(Exception):
    """A fuse: the command got past every check to work that this sweep must never start."""


def _fuse(what: str) -> Any:
    def blown(*_args: Any, **_kwargs: Any) -> None:
        raise Started(what)

    return blown


@pytest.fixture(scope="module", autouse=True)
def _one_command_tree_and_fuses(one_command_tree: None) -> Iterator[None]:
    """One command tree for every call, and the fuses."""
    from provision.docker import imagebuild, images

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(imagebuild, "build_image", _fuse("an image build"))
        patch.setattr(images, "build_image", _fuse("an image build"))
        patch.setattr(os, "execvp", _fuse("ssh (a tunnel)"))
        try:
            import uvicorn

            patch.setattr(uvicorn, "run", _fuse("the console's server"))
        except ImportError:  # no console extra: then it cannot be served either
            pass
        yield


def _on_alarm(_signum: int, _frame: FrameType | None) -> None:
    raise TimeoutError(f"the command ran over {SECONDS} s (blocked on a FIFO? reading a device?)")


@pytest.fixture
def hostile_workspace(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("DOCKER_HOST", NO_DOCKER)
    for relative, content in {**BASE, **GARBAGE}.items():
        path = workspace.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    for relative, kind in SPECIAL.items():
        path = workspace.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "fifo":
            os.mkfifo(path)
        elif kind == "loop":
            path.symlink_to(path.name)
        else:
            path.symlink_to(kind)
    return workspace


def _tree(root: Path) -> dict[str, int]:
    """Every path under the workspace with its size (a FIFO or a link as itself, never opened)."""
    return {str(p.relative_to(root)): p.lstat().st_size for p in root.rglob("*")}


def _limit_child() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))


def _run(root: Path, args: list[str], child: bool) -> tuple[int, str, str]:
    """(exit code, what a person reads, what went wrong in the harness or '')."""
    if child:
        env = {**os.environ, "DOCKER_HOST": NO_DOCKER, "COLUMNS": "200"}
        env.pop("PROVISION_HOME", None)
        try:
            done = subprocess.run(
                [sys.executable, "-m", "provision.cli", *args],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=CHILD_SECONDS,
                preexec_fn=_limit_child,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return -1, "", f"the command ran over {CHILD_SECONDS} s (blocked on a FIFO? reading a device?)"
        return done.returncode, done.stdout + done.stderr, ""
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, SECONDS)
    try:
        result = runner.invoke(app, args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if isinstance(result.exception, Started):
        return 0, result.output, ""  # every check passed: the input was valid
    problem = "" if result.exception is None or isinstance(result.exception, SystemExit) else repr(result.exception)
    return result.exit_code, result.output, problem


def first_line(output: str) -> str:
    """What a refused command says first: ours (`error: ...`) or Click's usage error, its box removed."""
    lines = [BOX.sub("", line).strip() for line in output.splitlines()]
    lines = [line for line in lines if line and line != "Error" and not line.startswith(("Usage:", "Try "))]
    return lines[0] if lines else ""


@pytest.mark.parametrize(("args", "child", "checked"), _params())
def test_a_hostile_input_is_refused_cleanly(
    hostile_workspace: Workspace, args: list[str], child: bool, checked: bool
) -> None:
    root = hostile_workspace.root
    before = _tree(root)
    code, output, problem = _run(root, args, child)
    assert not problem, problem
    assert "Traceback" not in output, output
    assert code in (0, 2, 3), f"exit {code}: {output}"
    after = _tree(root)
    if code == 0 and any(tuple(args[: len(words)]) == words for words in WRITERS):
        assert {k: after.get(k) for k in before} == before, "a file that was there was changed or removed"
    else:
        assert after == before, "something was left behind"
    if code == 0:
        return
    said = first_line(output)
    assert said.startswith("error: ") or said.startswith(CLICK_ERRORS), output
    assert not (checked and UNREACHABLE in said), f"the value reached Docker unchecked: {output}"


def test_the_sweep_covers_every_command_with_hundreds_of_cases() -> None:
    cases = sweep()
    for words, command in leaves(typer.main.get_command(app)):
        if any(_kind(p) != "flag" for p in command.params):
            assert any(args[: len(words)] == list(words) for _, args, _, _ in cases), words
    assert len(cases) >= 500
    assert len({case_id for case_id, _, _, _ in cases}) == len(cases)
    assert sum(checked for _, _, _, checked in cases) > len(cases) // 2


def test_the_first_line_is_found_in_both_shapes() -> None:
    assert first_line("error: x: no such file\n  fix: y\n") == "error: x: no such file"
    boxed = (
        "Usage: provision seed\nTry 'provision seed --help' for help.\n╭─ Error ─╮\n│ Invalid value for '--months' │\n"
    )
    assert first_line(boxed) == "Invalid value for '--months'"
