"""What every command group shares: the workspace chosen by the global options, and argument types."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from provision.errors import InputError
from provision.inputs import check_workspace
from provision.workspace import Workspace, resolve_workspace

_state: dict[str, Workspace] = {}


def use_workspace(option: Path | None) -> None:
    _state["workspace"] = Workspace(check_workspace(resolve_workspace(option)))


def workspace() -> Workspace:
    return _state.get("workspace") or Workspace(resolve_workspace())


Client = Annotated[str, typer.Argument(help="Client name, e.g. demo or vodokanal-ensk.")]
OptionalClient = Annotated[str | None, typer.Argument(help="Client name (or use --dsn).")]
Dsn = Annotated[str | None, typer.Option("--dsn", help="Any PostgreSQL, instead of a client: postgresql://...")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
Seat = Annotated[int | None, typer.Option("--seat", min=1, max=99, help="One trainee's seat (1..seats).")]
AllSeats = Annotated[bool, typer.Option("--all", help="The working database and every seat.")]


def one_target(seat: int | None, all_seats: bool) -> None:
    """--seat and --all name different targets: both at once is a mistake, not a choice of one."""
    if seat is not None and all_seats:
        raise InputError(
            "--seat and --all exclude each other", fix="give --seat K for one seat, or --all for every one"
        )
