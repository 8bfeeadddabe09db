"""`provision down`: a client's containers stopped, its data kept."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from provision.cli.options import Client, lazy, workspace

if TYPE_CHECKING:
    from provision.clients import lifecycle
else:
    lifecycle = lazy("provision.clients.lifecycle")

app = typer.Typer(add_completion=False)


@app.command()
def down(client: Client) -> None:
    """Stop the client's containers; the data stays in its volume."""
    env = lifecycle.down(workspace(), client)
    typer.echo(f"{client} is down; data kept in volume {env.project}_pgdata (`provision up {client}` restarts it)")
