"""The `lesson` group: tasks a class does on its seats, each checked on the trainee's own database (list,
start, status, stop, report)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from provision.cli.options import Client, JsonFlag, lazy, workspace
from provision.cli.output import err, print_json, table

if TYPE_CHECKING:
    from provision.training import classwork
else:
    classwork = lazy("provision.training.classwork")

app = typer.Typer(
    help="Lessons: tasks checked on each trainee's database, and the class's progress.",
    no_args_is_help=True,
    add_completion=False,
)
LessonName = Annotated[str, typer.Argument(help="The lesson's name (its file's, without .toml): see `lesson list`.")]


@app.command("list")
def lesson_list(client: Client, as_json: JsonFlag = False) -> None:
    """The lessons the client can start: the built-in ones and its own (compose/CLIENT/lessons/)."""
    rows = []
    for name, found in classwork.available(workspace(), client):
        if isinstance(found, Exception):
            rows.append({"name": name, "title": "", "tasks": 0, "points": 0, "problem": str(found)})
        else:
            rows.append({"name": name, "title": found.title, "tasks": len(found.tasks), "points": found.points})
    if as_json:
        print_json(rows)
        return
    table(rows, [("name", "NAME"), ("title", "TITLE"), ("tasks", "TASKS"), ("points", "POINTS")])
    for row in rows:
        if "problem" in row:
            err(f"{row['name']}: {row['problem']}")


@app.command("start")
def lesson_start(client: Client, name: LessonName) -> None:
    """Start a lesson on every seat: each seat reset to its own start (the setup with its own values); a
    reset of a seat while it runs goes back to that start. A running lesson is stopped first."""
    started = classwork.start(workspace(), client, name, say=err)
    if started.stopped:
        typer.echo(f"stopped lesson {started.stopped}")
    typer.echo(
        f"started lesson {name} «{started.lesson.title}» on {started.seats} seats in {started.seconds:.1f} s: "
        f"{len(started.lesson.tasks)} tasks, {started.lesson.points} points"
    )


@app.command("status")
def lesson_status(client: Client, as_json: JsonFlag = False) -> None:
    """Every task checked on every seat now: done or not, points, when."""
    board = classwork.status(workspace(), client)
    if as_json:
        print_json(board.to_dict())
        return
    typer.echo(f"{board.lesson.title} ({board.lesson.name}), started {board.started}")
    rows = []
    for seat in board.seats:
        last = seat.last
        rows.append(
            {
                "seat": seat.seat,
                "name": seat.name or "-",
                "done": f"{seat.done}/{len(seat.tasks)}",
                "points": f"{seat.points}/{board.lesson.points}",
                "ticks": "".join("x" if t.done else "." for t in seat.tasks),
                "last": f"{last.task} {last.when}" if last else ("unreachable" if not seat.reachable else "-"),
            }
        )
    table(
        rows,
        [("seat", "SEAT"), ("name", "TRAINEE"), ("done", "DONE"), ("points", "POINTS"), ("ticks", "TASKS"),
         ("last", "LAST DONE")],
    )  # fmt: skip
    typer.echo(f"tasks: {' '.join(t.id for t in board.lesson.tasks)}; checked in {board.seconds:.2f} s")


@app.command("stop")
def lesson_stop(client: Client) -> None:
    """Stop the running lesson; the seats stay as the trainees left them (a reset goes to the baseline)."""
    stopped = classwork.stop(workspace(), client)
    summary = ""
    if stopped.board is not None:
        done = sum(seat.done for seat in stopped.board.seats)
        summary = f": {done} tasks done on {len(stopped.board.seats)} seats"
    typer.echo(f"stopped lesson {stopped.lesson}{summary}")


@app.command("report")
def lesson_report(
    client: Client,
    out: Annotated[Path, typer.Option("-o", "--output", help="The report: .xlsx or .csv.")],
) -> None:
    """Per trainee and task: done or not, points, when (.xlsx or .csv)."""
    board = classwork.report(workspace(), client, out)
    typer.echo(f"wrote {out}: {len(board.seats)} seats x {len(board.lesson.tasks)} tasks")
