"""`provision seed`: synthetic books generated and loaded into a client (or any database)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from provision.cli.options import Dsn, OptionalClient, lazy, workspace
from provision.cli.output import SeedBar
from provision.clients.profile import SEED_RANGES

if TYPE_CHECKING:
    from provision.books import seeding
else:
    seeding = lazy("provision.books.seeding")

ACCOUNTS, MONTHS, SEEDS = SEED_RANGES["accounts"], SEED_RANGES["months"], SEED_RANGES["random_seed"]

app = typer.Typer(add_completion=False)


@app.command("seed")
def seed_cmd(
    client: OptionalClient = None,
    dsn: Dsn = None,
    accounts: Annotated[
        int | None, typer.Option(min=ACCOUNTS[0], max=ACCOUNTS[1], help="Personal accounts (default: the profile's).")
    ] = None,
    months: Annotated[
        int | None, typer.Option(min=MONTHS[0], max=MONTHS[1], help="Months of history up to the open period.")
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", min=SEEDS[0], max=SEEDS[1], help="Random seed: the same seed, the same data."),
    ] = None,
    end_period: Annotated[str | None, typer.Option(help="The open period, YYYY-MM (default: this month).")] = None,
) -> None:
    """Generate synthetic books and load them; the old data stays until the new is complete."""
    with SeedBar() as (bar, phase):
        done = seeding.seed_target(
            workspace(), client, dsn, accounts, months, seed, end_period, progress=bar, phase=phase
        )
    result = done.result
    typer.echo(
        f"seeded {done.target}: {result.accounts} accounts, {result.months} months "
        f"to {result.end_period:%Y-%m}, {result.total_rows:,} rows in {result.seconds['total']:.1f} s"
    )
