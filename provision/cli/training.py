"""Commands for trainers: reset, seats, and the `snapshot` group."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from provision.cli.options import AllSeats, Client, JsonFlag, Seat, lazy, one_target, workspace
from provision.cli.output import print_json, size, table

if TYPE_CHECKING:
    from provision.training import classroom, snapshots
    from provision.training import seats as training
else:
    snapshots, training = lazy("provision.training.snapshots"), lazy("provision.training.seats")
    classroom = lazy("provision.training.classroom")

app = typer.Typer()
snapshot_app = typer.Typer(
    help="Named states of a client's databases: save, list, restore, delete.", no_args_is_help=True
)
SnapshotName = Annotated[str, typer.Argument(help="Snapshot name: lowercase letters, digits, '-', '_'.")]


@app.command()
def reset(
    client: Client,
    seat: Seat = None,
    all_seats: AllSeats = False,
    new_links: Annotated[
        bool, typer.Option("--new-links", help="With --all: new trainee links for the console; the old stop working.")
    ] = False,
) -> None:
    """Put the working database (or a seat, or all) back to the baseline in about a second."""
    one_target(seat, all_seats)
    done = classroom.reset_seats(workspace(), client, seat, all_seats, new_links)
    typer.echo(f"reset {', '.join(done.databases)} from the baseline in {done.seconds:.2f} s")
    if new_links:
        typer.echo("the trainees' console links are new: hand them out again")


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


@snapshot_app.command("save")
def snapshot_save(client: Client, name: SnapshotName, seat: Seat = None) -> None:
    """Keep the working database (or a seat) as a named state."""
    database = snapshots.save_snapshot(workspace(), client, name, seat)
    typer.echo(f"saved snapshot {name} of {client} ({database})")


@snapshot_app.command("list")
def snapshot_list(client: Client, as_json: JsonFlag = False) -> None:
    """The client's snapshots: name, source, size, time."""
    rows = [s.to_dict() for s in snapshots.list_snapshots(workspace(), client)]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        row["size"] = size(row["size_bytes"])
    table(rows, [("name", "NAME"), ("source", "SOURCE"), ("size", "SIZE"), ("saved_at", "SAVED")])


@snapshot_app.command("restore")
def snapshot_restore(client: Client, name: SnapshotName, seat: Seat = None, all_seats: AllSeats = False) -> None:
    """Put the working database (or a seat, or all) back to a snapshot; built aside, then swapped in."""
    one_target(seat, all_seats)
    done = snapshots.restore_snapshot(workspace(), client, name, seat, all_seats)
    typer.echo(f"restored {', '.join(done.databases)} from snapshot {name} in {done.seconds:.2f} s")


@snapshot_app.command("delete")
def snapshot_delete(client: Client, name: SnapshotName) -> None:
    """Delete a snapshot (the baseline cannot be deleted)."""
    snapshots.delete_snapshot(workspace(), client, name)
    typer.echo(f"deleted snapshot {name} of {client}")
