"""`provision list`: every client of the workspace, and every one Docker knows by label."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from provision.cli.options import JsonFlag, lazy, workspace
from provision.cli.output import print_clients

if TYPE_CHECKING:
    from provision.clients import lifecycle
else:
    lifecycle = lazy("provision.clients.lifecycle")

app = typer.Typer(add_completion=False)


@app.command("list")
def list_(as_json: JsonFlag = False) -> None:
    """Every client of the workspace, and every one Docker knows by label."""
    print_clients(lifecycle.list_clients(workspace()), as_json)
