"""What every command group shares: the workspace chosen by the global options, and argument types."""

from __future__ import annotations

import importlib.util
import sys
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import Annotated

import typer

from provision.clients.workspace import Workspace, resolve_workspace
from provision.errors import InputError
from provision.inputs import check_workspace

_state: dict[str, Workspace] = {}


def lazy(name: str) -> ModuleType:
    """A library module loaded when a command first uses it, not when the CLI starts: `provision reset`
    should not wait for numpy, the generator and the import to load. (Not a hidden cycle: the CLI is the
    top layer, and the modules are imported for type checking as usual.)"""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:  # pragma: no cover - the package's own modules
        raise ModuleNotFoundError(name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


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


class Language(StrEnum):
    ru = "ru"
    en = "en"


Lang = Annotated[
    Language,
    typer.Option("--lang", help="The language of what goes to the customer (reports, lists): ru or en."),
]


def one_target(seat: int | None, all_seats: bool) -> None:
    """--seat and --all name different targets: both at once is a mistake, not a choice of one."""
    if seat is not None and all_seats:
        raise InputError(
            "--seat and --all exclude each other", fix="give --seat K for one seat, or --all for every one"
        )
