"""The `provision` command line: parse, call one library function, print.

This module wires the command groups (one module each) into the root app, holds the global options and
the one place where a :class:`~provision.errors.ProvisionError` becomes a message and an exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from provision import __version__
from provision.cli import clients, console, data, hosts, images, imports, registries, switchover, training
from provision.cli.options import use_workspace
from provision.cli.output import err
from provision.errors import ProvisionError


class ReportingGroup(TyperGroup):
    """Runs every command: a ProvisionError becomes one message with its fix and its exit code, no traceback."""

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
for group in (clients.app, data.app, training.app, console.app, hosts.app):
    app.add_typer(group)  # no name: the group's commands stand at the root
app.add_typer(training.snapshot_app, name="snapshot")
app.add_typer(imports.app, name="import")
app.add_typer(images.app, name="image")
app.add_typer(registries.app, name="registry")
app.add_typer(switchover.app, name="switchover")


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


def main() -> None:
    app()


__all__ = ["app", "main"]
