"""`provision destroy`: a client's containers, network and data volume removed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from provision.cli import output
from provision.cli.options import Client, lazy, workspace
from provision.cli.output import err
from provision.errors import EXIT_INPUT

if TYPE_CHECKING:
    from provision.clients import lifecycle
else:
    lifecycle = lazy("provision.clients.lifecycle")

app = typer.Typer(add_completion=False)


@app.command()
def destroy(
    client: Client,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove the client's containers, network and data volume (the profile and password stay)."""
    if not yes:
        if not output.stdin_is_a_terminal():
            err(f"error: destroying {client!r} deletes its data; pass --yes to confirm")
            raise typer.Exit(EXIT_INPUT)
        typer.confirm(f"Delete every container and the data volume of {client!r}?", abort=True)
    data = lifecycle.destroy(workspace(), client)
    typer.echo(f"{client} destroyed: containers, network and {data} removed")
