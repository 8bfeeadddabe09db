"""The `provision` command itself: its global options, its commands found by name, and the one place where a
:class:`~provision.errors.ProvisionError` becomes a message and an exit code.

A command's module is imported when that command runs (or when help lists it), never at start-up: `provision
reset` loads the reset's code, not Docker's client, the importer or the console."""

from __future__ import annotations

import importlib
import keyword
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperGroup

from provision import __version__
from provision.cli.options import use_workspace
from provision.cli.output import err
from provision.errors import ProvisionError

# Every command at the root, in the order `provision --help` lists them (a group's subcommands are its module's).
COMMANDS = (
    "init",
    "render",
    "up",
    "status",
    "list",
    "logs",
    "psql",
    "down",
    "destroy",
    "seed",
    "check",
    "stats",
    "reset",
    "seats",
    "console",
    "hosts",
    "tunnel",
    "snapshot",
    "lesson",
    "import",
    "image",
    "registry",
    "switchover",
)


def module_of(command: str) -> str:
    """The module that holds a command: its name (`import`, a Python keyword, in `import_`)."""
    name = command.replace("-", "_")
    return f"provision.cli.{name}_" if keyword.iskeyword(name) else f"provision.cli.{name}"


class Commands(MutableMapping[str, Any]):
    """The root's commands by name; each is made from its module's `app` when first asked for."""

    def __init__(self) -> None:
        self._made: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._made:
            if name not in COMMANDS:
                raise KeyError(name)
            command = typer.main.get_command(importlib.import_module(module_of(name)).app)
            command.name = name  # a group's app has no name of its own
            self._made[name] = command
        return self._made[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._made[name] = command

    def __delitem__(self, name: str) -> None:
        raise TypeError(f"the command {name!r} cannot be removed")

    def __iter__(self) -> Iterator[str]:
        return iter(COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS)


def refused_word(args: list[str]) -> str | None:
    """What no command takes, whatever the word is for: a NUL byte (no file name or value holds one; a shell
    cannot even pass it), or a number written in digits other than 0-9 (``１０``, ``٣``), which Python's
    ``int()`` would read as ten and three. Said with the option it was given to."""
    for index, word in enumerate(args):
        option, equals, value = word.partition("=") if word.startswith("--") else ("", "", word)
        if not equals:
            option, value = (args[index - 1] if index and args[index - 1].startswith("-") else ""), word
        where = f"{option}: " if option else ""
        if "\x00" in word:
            return f"{where}{value.replace(chr(0), '')!r} holds a NUL byte"
        digits = value.strip().lstrip("+-")
        if digits.isdecimal() and not digits.isascii():
            return f"{where}{value!r} is a number in digits other than 0-9"
    return None


class ReportingGroup(TyperGroup):
    """Runs every command: a ProvisionError becomes one message with its fix and its exit code, no traceback."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = Commands()

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if ctx.parent is None:  # the root sees every word of the command line
            refused = refused_word(args)
            if refused:
                err(f"error: {refused}")
                err("  fix: type the value again in plain characters: digits 0-9, and no NUL byte")
                raise typer.Exit(2)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ProvisionError as exc:
            err(f"error: {exc.message}")
            if exc.details:
                err("\n".join("  | " + line for line in exc.details.splitlines()))
            if exc.fix:
                err(f"  fix: {exc.fix}")
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err("interrupted")
            raise typer.Exit(130) from None


app = typer.Typer(
    cls=ReportingGroup,
    help="Per-client demo and training environments for «Одно Окно» on Docker.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"provision {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    workspace_dir: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            envvar="PROVISION_HOME",
            help="Folder holding compose/<client>/ (default: the current folder).",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Per-client demo and training environments for «Одно Окно» on Docker."""
    use_workspace(workspace_dir)
