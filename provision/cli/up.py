"""`provision up`: a client's database started, seeded or imported on its first start, with its seats."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from provision.cli.options import Client, lazy, workspace
from provision.cli.output import SeedBar, err

if TYPE_CHECKING:
    from provision.books import bringup
else:
    bringup = lazy("provision.books.bringup")

app = typer.Typer(add_completion=False)


@app.command()
def up(
    client: Client,
    build: Annotated[
        bool,
        typer.Option(
            "--build/--no-build",
            help="Build the PostgreSQL image from Debian's packages if it is absent and cannot be pulled.",
        ),
    ] = False,
    show_password: Annotated[
        bool, typer.Option("--show-password", help="Print the password in the connection string.")
    ] = False,
) -> None:
    """Start the client's database (idempotent), seed it on first start, print how to connect."""
    with SeedBar() as (bar, phase):
        report = bringup.up_client(workspace(), client, build=build, progress=err, seed_progress=bar, phase=phase)
    result, env = report.up, report.up.env
    verb = "is up" if result.changed else "was already up"
    typer.echo(f"{client} {verb} ({result.seconds:.1f} s), image {env.image}")
    if report.imported is not None:
        imported = report.imported
        typer.echo(
            f"  imported: {imported.result.total_rows:,} rows in {imported.seconds:.1f} s, "
            f"{imported.result.rejects.total:,} rows not loaded, leak scan clean; report: {imported.report_file}"
        )
    elif report.seeded is not None:
        seeded = report.seeded
        typer.echo(
            f"  seeded:   {seeded.accounts} accounts, {seeded.months} months, {seeded.total_rows:,} rows "
            f"in {seeded.seconds['total']:.1f} s"
        )
    typer.echo(f"  connect:  {result.dsn_with_password() if show_password else env.dsn('***')}")
    typer.echo(f"  password: {env.files.password} (or rerun with --show-password)")
    typer.echo(f"  psql:     provision psql {client}")
    if env.host.is_ssh:
        typer.echo(
            f"  tunnel:   provision tunnel {client} (the address above is a forward of provision's SSH connection to "
            f"{env.host.name}, which closes when idle)"
        )
