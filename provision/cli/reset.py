"""`provision reset`: the working database (or a seat, or all) back to the baseline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from provision.cli.options import AllSeats, Client, Seat, lazy, one_target, workspace

if TYPE_CHECKING:
    from provision.training import classroom
else:
    classroom = lazy("provision.training.classroom")

app = typer.Typer(add_completion=False)


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
    baseline = [database for database in done.databases if database not in done.from_lesson]
    parts = [f"{', '.join(baseline)} from the baseline"] if baseline else []
    parts += [f"{', '.join(done.from_lesson)} to the running lesson's start"] if done.from_lesson else []
    typer.echo(f"reset {'; '.join(parts)} in {done.seconds:.2f} s")
    if new_links:
        typer.echo("the trainees' console links are new: hand them out again")
