"""A client brought up for a test module: its profile written, its books seeded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from typer.testing import CliRunner

from provision.books import bringup
from provision.cli import app
from provision.clients.workspace import Workspace


def seeded_client(root: Path, client: str, profile: str) -> tuple[Workspace, str]:
    """Bring ``client`` up in a workspace at ``root`` with the ``profile`` text; (workspace, its DSN)."""
    workspace = Workspace(root)
    path = workspace.files(client).profile
    path.parent.mkdir(parents=True)
    path.write_text(profile, encoding="utf-8")
    report = bringup.up_client(workspace, client, build=False, progress=lambda _l: None)
    return workspace, report.up.dsn_with_password()


def one_row(dsn: str, query: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...]:
    """The one row ``query`` gives (it must give one)."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute(query, params).fetchone()
    assert row is not None, query
    return tuple(row)


def cli(workspace: Workspace, *args: str) -> tuple[int, str]:
    """`provision --workspace W ARGS...` as a user runs it: (exit code, what it printed); never a traceback."""
    result = CliRunner().invoke(app, ["--workspace", str(workspace.root), *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output
