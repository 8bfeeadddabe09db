"""`provision seats`: the trainees' seats of a client and how to connect to each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from provision.cli.options import Client, JsonFlag, lazy, workspace
from provision.cli.output import print_json, table

if TYPE_CHECKING:
    from provision.training import seats as training
else:
    training = lazy("provision.training.seats")

app = typer.Typer(add_completion=False)


@app.command()
def seats(
    client: Client,
    as_json: JsonFlag = False,
    show_passwords: Annotated[bool, typer.Option("--show-passwords", help="Print the seats' passwords.")] = False,
) -> None:
    """The trainees' seats: database, login and connection string of each."""
    rows = [s.to_dict(show_passwords) for s in training.client_seats(workspace(), client)]
    if as_json:
        print_json(rows)
        return
    table(rows, [("seat", "SEAT"), ("database", "DATABASE"), ("role", "LOGIN"), ("connect", "CONNECT")])
