"""`provision psql`: an interactive psql inside a client's container."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from provision.cli.options import Client, lazy, workspace
from provision.inputs import check_text

if TYPE_CHECKING:
    from provision.clients import lifecycle
else:
    lifecycle = lazy("provision.clients.lifecycle")

app = typer.Typer(add_completion=False)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def psql(
    client: Client,
    args: Annotated[list[str] | None, typer.Argument(help="Extra psql arguments, e.g. -c 'SELECT 1'.")] = None,
) -> None:
    """An interactive psql inside the client's container."""
    for arg in args or []:
        check_text(arg, "ARGS", lines=True)
    command = lifecycle.psql_command(workspace(), client, list(args or []), tty=sys.stdin.isatty())
    raise typer.Exit(subprocess.call(command.argv, env=command.environ))
