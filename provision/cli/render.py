"""`provision render`: a client's compose file written from its profile."""

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
def render(client: Client) -> None:
    """Write compose/<client>/compose.yaml from the profile, without starting anything."""
    typer.echo(str(lifecycle.render_client(workspace(), client)))
