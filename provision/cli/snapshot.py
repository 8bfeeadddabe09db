"""The `snapshot` group: named states of a client's databases (save, list, restore, delete)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from provision.cli.options import AllSeats, Client, JsonFlag, Seat, lazy, one_target, workspace
from provision.cli.output import print_json, size, table

if TYPE_CHECKING:
    from provision.training import snapshots
else:
    snapshots = lazy("provision.training.snapshots")

app = typer.Typer(
    help="Named states of a client's databases: save, list, restore, delete.",
    no_args_is_help=True,
    add_completion=False,
)
SnapshotName = Annotated[str, typer.Argument(help="Snapshot name: lowercase letters, digits, '-', '_'.")]


@app.command("save")
def snapshot_save(client: Client, name: SnapshotName, seat: Seat = None) -> None:
    """Keep the working database (or a seat) as a named state."""
    database = snapshots.save_snapshot(workspace(), client, name, seat)
    typer.echo(f"saved snapshot {name} of {client} ({database})")


@app.command("list")
def snapshot_list(client: Client, as_json: JsonFlag = False) -> None:
    """The client's snapshots: name, source, size, time."""
    rows = [s.to_dict() for s in snapshots.list_snapshots(workspace(), client)]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        row["size"] = size(row["size_bytes"])
    table(rows, [("name", "NAME"), ("source", "SOURCE"), ("size", "SIZE"), ("saved_at", "SAVED")])


@app.command("restore")
def snapshot_restore(client: Client, name: SnapshotName, seat: Seat = None, all_seats: AllSeats = False) -> None:
    """Put the working database (or a seat, or all) back to a snapshot; built aside, then swapped in."""
    one_target(seat, all_seats)
    done = snapshots.restore_snapshot(workspace(), client, name, seat, all_seats)
    typer.echo(f"restored {', '.join(done.databases)} from snapshot {name} in {done.seconds:.2f} s")


@app.command("delete")
def snapshot_delete(client: Client, name: SnapshotName) -> None:
    """Delete a snapshot (the baseline cannot be deleted)."""
    snapshots.delete_snapshot(workspace(), client, name)
    typer.echo(f"deleted snapshot {name} of {client}")
