"""`provision status`: one client's state (or every client's)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from provision.cli.options import JsonFlag, lazy, workspace
from provision.cli.output import print_clients

if TYPE_CHECKING:
    from provision.clients import lifecycle
else:
    lifecycle = lazy("provision.clients.lifecycle")

app = typer.Typer(add_completion=False)


@app.command()
def status(
    client: Annotated[str | None, typer.Argument(help="Client name; all clients when left out.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """State, port, image and data size of one client (or all)."""
    rows = [lifecycle.status(workspace(), client)] if client is not None else lifecycle.list_clients(workspace())
    print_clients(rows, as_json)
