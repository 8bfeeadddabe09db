"""What the bad-input sweeps share (tests/test_bad_input.py: typed names and options;
tests/test_bad_input_files.py: profiles, mappings, keys): the workspace every case starts from, the first
line a person reads, and the check that a refusal left nothing behind."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from provision.cli import app
from provision.clients.workspace import Workspace
from provision.docker import engine

runner = CliRunner()
BOX = re.compile(r"[│╭╮╰╯─]")
DEMO_PORT = 55998

# Every workspace starts with these: a client `x` with two seats and a fixed port (so no port is picked and
# kept), an empty export folder, a file, a folder that is not empty.
BASE: dict[str, str | bytes] = {
    "compose/x/client.toml": f'title = "x"\n[postgres]\nport = {DEMO_PORT}\n[training]\nseats = 2\n',
    "export/.keep": "",
    "afile.txt": "not a folder\n",
    "full/something.txt": "x\n",
    "compose/nought/client.toml": f"[postgres]\nport = {DEMO_PORT}\n[seed]\naccounts = 0\n",
}


def tree_of(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def message(result: Result) -> str:
    """The first line of what a person reads: ours (`error: ...`) or Click's usage error, its box removed."""
    lines = [BOX.sub("", line).strip() for line in result.output.splitlines()]
    ours = [line for line in lines if line.startswith("error: ")]
    if ours:
        return ours[0]
    return next((line for line in lines if line and line != "Error" and not line.startswith(("Usage:", "Try "))), "")


def _labelled_containers(root: Path) -> list[Any]:
    try:
        return engine.find("containers", {engine.LABEL_WORKSPACE: str(root)})
    except Exception:  # no Docker here: then nothing can have been started either
        return []


def refused_cleanly(
    workspace: Workspace, args: list[str], code: int, fragment: str, files: dict[str, str | bytes]
) -> None:
    """Write the case's files over BASE, run the command, and check the refusal: its exit code and first
    line, no traceback, no password shown, nothing new in the workspace, no container labelled with it."""
    for relative, content in {**BASE, **files}.items():
        path = workspace.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    before = tree_of(workspace.root)
    result = runner.invoke(app, args)
    assert "Traceback" not in result.output
    assert "s3cret" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == code, result.output
    assert fragment in message(result), result.output
    assert tree_of(workspace.root) == before, "something was left behind"
    assert _labelled_containers(workspace.root) == []
