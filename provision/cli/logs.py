"""`provision logs`: a client's container logs."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING, Annotated

import typer

from provision.cli.options import Client, lazy, workspace

if TYPE_CHECKING:
    from provision.clients import lifecycle
else:
    lifecycle = lazy("provision.clients.lifecycle")

app = typer.Typer(add_completion=False)


@app.command()
def logs(
    client: Client,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines.")] = False,
    tail: Annotated[int, typer.Option(min=0, max=1_000_000, help="How many of the last lines to show.")] = 100,
) -> None:
    """The client's container logs."""
    command = lifecycle.logs_command(workspace(), client, follow=follow, tail=tail)
    raise typer.Exit(subprocess.call(command.argv, env=command.environ))
