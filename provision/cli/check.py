"""`provision check`: every invariant of a client's (or any database's) books verified."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from provision.cli.options import Dsn, JsonFlag, OptionalClient, lazy, workspace
from provision.cli.output import print_json
from provision.errors import EXIT_FAILED

if TYPE_CHECKING:
    from provision.books import seeding
else:
    seeding = lazy("provision.books.seeding")

app = typer.Typer(add_completion=False)


@app.command()
def check(client: OptionalClient = None, dsn: Dsn = None, as_json: JsonFlag = False) -> None:
    """Verify every invariant of the books; exit 4 if any is violated, showing the first offending rows."""
    report = seeding.check_target(workspace(), client, dsn)
    if as_json:
        print_json(report.to_list())
    else:
        for r in report.results:
            if r.skipped:
                typer.echo(f"skip  {r.name:32} {'':>8}  {r.skipped}")
                continue
            typer.echo(f"{'ok  ' if r.ok else 'FAIL'}  {r.name:32} {r.violations:>8}  {r.rule}")
            for row in r.sample:
                typer.echo("        " + ", ".join(f"{c}={v}" for c, v in zip(r.columns, row, strict=True)))
        skipped = report.skipped
        applied = len(report.results) - skipped
        typer.echo(
            f"{applied - len(report.failed)} of {applied} checks hold"
            + (f"; {skipped} do not apply" if skipped else "")
        )
    if report.failed:
        raise typer.Exit(EXIT_FAILED)
