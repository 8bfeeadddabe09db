"""`provision stats`: a trainer's one-screen summary of a client's (or any database's) books."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from provision.cli.options import Dsn, JsonFlag, OptionalClient, lazy, workspace
from provision.cli.output import print_json, table

if TYPE_CHECKING:
    from provision.books import seeding
else:
    seeding = lazy("provision.books.seeding")

app = typer.Typer(add_completion=False)


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
