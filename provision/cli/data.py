"""Commands for a client's (or any database's) books: seed, check, stats."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from provision.cli.options import Dsn, JsonFlag, OptionalClient, lazy, workspace
from provision.cli.output import SeedBar, print_json, table
from provision.clients.profile import SEED_RANGES
from provision.errors import EXIT_FAILED

if TYPE_CHECKING:
    from provision.books import seeding
else:
    seeding = lazy("provision.books.seeding")

ACCOUNTS, MONTHS, SEEDS = SEED_RANGES["accounts"], SEED_RANGES["months"], SEED_RANGES["random_seed"]

app = typer.Typer()


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


@app.command()
def stats(client: OptionalClient = None, dsn: Dsn = None, as_json: JsonFlag = False) -> None:
    """A one-screen summary for a trainer: accounts, residents, meters, charged and paid, debt by age."""
    info = seeding.stats_target(workspace(), client, dsn)
    if as_json:
        print_json(info)
        return
    t = info["totals"]
    typer.echo(
        f"{t['accounts']:,} accounts ({t['open_accounts']:,} open) in {t['buildings']:,} buildings, "
        f"{t['residents']:,} residents, {t['persons']:,} persons, mean area {t['mean_area']} m²"
    )
    typer.echo(
        f"periods {t['first_period']:%Y-%m} .. {t['last_period']:%Y-%m}, open: {t['open_period']:%Y-%m}"
        if t["open_period"]
        else "no open period"
    )
    typer.echo("")
    table(
        info["meters"],
        [
            ("service", "METERED SERVICE"),
            ("meters", "METERS"),
            ("coverage_pct", "COVERAGE %"),
            ("overdue", "PAST VERIFICATION"),
        ],
    )
    typer.echo("")
    rows = [
        {**m, "period": f"{m['period']:%Y-%m}", "charged": f"{m['charged']:,.2f}", "paid": f"{m['paid']:,.2f}"}
        for m in info["months"]
    ]
    table(rows, [("period", "PERIOD"), ("status", "STATUS"), ("charged", "CHARGED"), ("paid", "PAID")])
    typer.echo("")
    recent = sorted({a["period"] for a in info["agents"]})[-3:]  # the last three months: one screen
    by_agent = [
        {**a, "period": f"{a['period']:%Y-%m}", "paid": f"{a['paid']:,.2f}"}
        for a in info["agents"]
        if a["period"] in recent
    ]
    table(by_agent, [("period", "PERIOD"), ("agent", "AGENT"), ("payments", "PAYMENTS"), ("paid", "PAID")])
    rate = info["collection_rate"]
    typer.echo(f"\ncollection rate: {rate:.1%}" if rate is not None else "\ncollection rate: -")
    typer.echo("")
    debt = [{**d, "debt": f"{d['debt']:,.2f}"} for d in info["debt_by_age"]]
    table(debt, [("age", "DEBT AGE"), ("accounts", "ACCOUNTS"), ("debt", "DEBT, RUB")])
