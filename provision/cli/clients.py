"""Commands for a client's environment: init, render, up, status, list, logs, psql, down, destroy."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from provision.cli import output
from provision.cli.options import Client, JsonFlag, lazy, workspace
from provision.cli.output import SeedBar, err, print_json, size, table
from provision.errors import EXIT_INPUT
from provision.inputs import check_text

if TYPE_CHECKING:
    from provision.books import bringup
    from provision.clients import lifecycle
    from provision.clients.lifecycle import ClientStatus
else:
    bringup, lifecycle = lazy("provision.books.bringup"), lazy("provision.clients.lifecycle")

app = typer.Typer()


@app.command()
def init(
    client: Client,
    title: Annotated[str | None, typer.Option(help="The customer's name, shown in lists.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing profile.")] = False,
) -> None:
    """Write a commented profile for a new client (compose/<client>/client.toml)."""
    path = lifecycle.init_client(workspace(), client, title=title, force=force)
    typer.echo(f"wrote {path}\nedit it, then: provision up {client}")


@app.command()
def render(client: Client) -> None:
    """Write compose/<client>/compose.yaml from the profile, without starting anything."""
    typer.echo(str(lifecycle.render_client(workspace(), client)))


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
    typer.echo(f"  password: {env.password_file} (or rerun with --show-password)")
    typer.echo(f"  psql:     provision psql {client}")
    if env.host.is_ssh:
        typer.echo(
            f"  tunnel:   provision tunnel {client} (the address above is a forward of provision's SSH connection to "
            f"{env.host.name}, which closes when idle)"
        )


@app.command()
def status(
    client: Annotated[str | None, typer.Argument(help="Client name; all clients when left out.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """State, port, image and data size of one client (or all)."""
    rows = [lifecycle.status(workspace(), client)] if client is not None else lifecycle.list_clients(workspace())
    _print_clients(rows, as_json)


@app.command("list")
def list_(as_json: JsonFlag = False) -> None:
    """Every client of the workspace, and every one Docker knows by label."""
    _print_clients(lifecycle.list_clients(workspace()), as_json)


def _print_clients(clients: list[ClientStatus], as_json: bool) -> None:
    rows = [c.to_dict() for c in clients]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        row["size"] = size(row["data_bytes"])
        if row["data_apparent_bytes"] and row["data_apparent_bytes"] != row["data_bytes"]:
            row["size"] += f" ({size(row['data_apparent_bytes'])} apparent)"  # clones share what they did not change
        row["method"] = row["storage"].split(":", 1)[0]
        row["where"] = f"{row['host']}:{row['port']}" if row["port"] else ""
        row["state_health"] = row["state"] + (f" ({row['health']})" if row["health"] else "")
    table(
        rows,
        [
            ("client", "CLIENT"),
            ("state_health", "STATE"),
            ("where", "ADDRESS"),
            ("image", "IMAGE"),
            ("method", "STORAGE"),
            ("size", "DATA"),
            ("title", "TITLE"),
        ],
    )
    if len(rows) == 1 and rows[0]["storage"]:
        typer.echo(f"storage: {rows[0]['storage']}")
    if any(row["state"] == "unreachable" for row in rows):
        err("note: some clients' Docker hosts cannot be reached now; `provision hosts` says why and how to fix it")


@app.command()
def logs(
    client: Client,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines.")] = False,
    tail: Annotated[int, typer.Option(min=0, max=1_000_000, help="How many of the last lines to show.")] = 100,
) -> None:
    """The client's container logs."""
    command = lifecycle.logs_command(workspace(), client, follow=follow, tail=tail)
    raise typer.Exit(subprocess.call(command.argv, env=command.environ))


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


@app.command()
def down(client: Client) -> None:
    """Stop the client's containers; the data stays in its volume."""
    env = lifecycle.down(workspace(), client)
    typer.echo(f"{client} is down; data kept in volume {env.project}_pgdata (`provision up {client}` restarts it)")


@app.command()
def destroy(
    client: Client,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove the client's containers, network and data volume (the profile and password stay)."""
    if not yes:
        if not output.stdin_is_a_terminal():
            err(f"error: destroying {client!r} deletes its data; pass --yes to confirm")
            raise typer.Exit(EXIT_INPUT)
        typer.confirm(f"Delete every container and the data volume of {client!r}?", abort=True)
    data = lifecycle.destroy(workspace(), client)
    typer.echo(f"{client} destroyed: containers, network and {data} removed")
