"""`provision init`: a commented profile for a new client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from provision.cli.options import Client, lazy, workspace

if TYPE_CHECKING:
    from provision.clients import lifecycle
else:
    lifecycle = lazy("provision.clients.lifecycle")

app = typer.Typer(add_completion=False)


@app.command()
def init(
    client: Client,
    title: Annotated[str | None, typer.Option(help="The customer's name, shown in lists.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing profile.")] = False,
) -> None:
    """Write a commented profile for a new client (compose/<client>/client.toml)."""
    path = lifecycle.init_client(workspace(), client, title=title, force=force)
    typer.echo(f"wrote {path}\nedit it, then: provision up {client}")
