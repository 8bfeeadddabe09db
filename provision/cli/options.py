"""What every command group shares: the workspace chosen by the global options, and argument types."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from provision.workspace import Workspace, resolve_workspace

_state: dict[str, Workspace] = {}


def use_workspace(option: Path | None) -> None:
    _state["workspace"] = Workspace(resolve_workspace(option))


def workspace() -> Workspace:
    return _state.get("workspace") or Workspace(resolve_workspace())


Client = Annotated[str, typer.Argument(help="Client name, e.g. demo or vodokanal-ensk.")]
OptionalClient = Annotated[str | None, typer.Argument(help="Client name (or use --dsn).")]
Dsn = Annotated[str | None, typer.Option("--dsn", help="Any PostgreSQL, instead of a client: postgresql://...")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
Seat = Annotated[int | None, typer.Option("--seat", help="One trainee's seat (1..seats).")]
AllSeats = Annotated[bool, typer.Option("--all", help="The working database and every seat.")]
