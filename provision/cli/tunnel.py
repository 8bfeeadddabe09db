"""`provision tunnel`: a local port forwarded to a client's database on an SSH host, until Ctrl-C."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from provision.cli.options import Client, lazy, workspace

if TYPE_CHECKING:
    from provision.clients import pool
else:
    pool = lazy("provision.clients.pool")

app = typer.Typer(add_completion=False)


@app.command()
def tunnel(
    client: Client,
    port: Annotated[
        int | None, typer.Option("--port", min=1024, max=65535, help="The local port (default: a free one).")
    ] = None,
) -> None:
    """Forward a local port to the database of a client on an SSH host, until Ctrl-C."""
    opened = pool.tunnel(workspace(), client, port)
    typer.echo(
        f"{client}: {opened.env.host.name} 127.0.0.1:{opened.env.port} is now 127.0.0.1:{opened.local_port} here"
    )
    typer.echo(f"  connect:  {opened.dsn('***')}")
    typer.echo(f"  password: {opened.env.files.password}")
    typer.echo("  Ctrl-C closes the tunnel")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvp(opened.argv[0], opened.argv)  # ssh itself from here on: a signal to this process reaches it
