"""`provision switchover`: the month-end switch-over from the old system, rehearsed and run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from provision.cli.options import Client, JsonFlag, lazy, workspace
from provision.cli.output import err, print_json, reported
from provision.errors import EXIT_FAILED
from provision.inputs import check_output_file

if TYPE_CHECKING:
    from provision.books import legacy, switchover
    from seed.legacy import switchover_report
else:
    legacy, switchover = lazy("provision.books.legacy"), lazy("provision.books.switchover")
    switchover_report = lazy("seed.legacy.switchover_report")

app = typer.Typer(
    help="The month-end switch-over from the old system: the final export loaded, the next month opened on its "
    "closing balances, reconciled to the kopeck.",
    no_args_is_help=True,
    add_completion=False,
)
FinalExport = Annotated[Path, typer.Argument(help="The old system's final export folder (through the open month).")]
MappingOption = Annotated[Path | None, typer.Option(help="A mapping file (TOML) for a non-standard export.")]
HtmlOption = Annotated[
    Path | None, typer.Option(help="Also write the report as a self-contained HTML page (in Russian).")
]
AcceptOption = Annotated[
    Path | None,
    typer.Option(
        "--accept",
        help="A file of accepted differences, one per line: a service, ACCOUNT;service, suspense, or a large "
        "change by its kind (e.g. persons_moved_out).",
    ),
]


def _say(message: str) -> None:
    err(message + " ...")


def _print(report: switchover.SwitchoverReport, client: str, html: Path | None, as_json: bool) -> None:
    info = report.to_dict()
    if not reported(info, html, lambda: switchover_report.render_switchover_html(info, client), as_json):
        _print_text(report, info)
    if report.refused or any(c.violations for c in report.checks):
        raise typer.Exit(EXIT_FAILED)


def _print_text(report: switchover.SwitchoverReport, info: dict[str, Any]) -> None:
    what = "rehearsal" if report.mode == "rehearsal" else "switch-over"
    typer.echo(
        f"{what}: {info['closed_month']} closed, {info['opened_month']} opened "
        f"(the books had {info['books_open_month']} open)"
    )
    typer.echo("steps (seconds):")
    for step, seconds in info["steps"].items():
        typer.echo(f"  {seconds:>8.2f}  {step}")
    typer.echo(f"  {info['total_seconds']:>8.2f}  in all")
    _print_changes(info)
    typer.echo("reconciliation of the closed month, per service (old system / closing / next opening):")
    for line in info["services"]:
        control = line["reported_closing"] or "—"
        mark = "" if line["difference"] in ("0", "0.00") else f"  DIFFERENCE {line['difference']}"
        if line["reported_closing"] is None:
            mark = "  NO CONTROL TOTAL from the old system (accept it to go on)"
        label = f"{line['name']} ({line['service']})"
        typer.echo(f"  {label:<34} {control:>16} {line['closing']:>16} {line['opening_next']:>16}{mark}")
    if info["accounts"]:
        typer.echo(f"{len(info['accounts'])} accounts whose next opening differs from the closing, e.g.:")
        for row in info["accounts"][:10]:
            typer.echo(
                f"  {row['account']} {row['service']}: closing {row['closing']}, next opening {row['opening_next']}"
            )
    if info["rows_left_out"]:
        typer.echo(f"{info['rows_left_out']:,} rows of the export not loaded (listed beside the report)")
    unaccepted = [d for d in info["differences"] if d not in info["accepted"]]
    if unaccepted:
        typer.echo(f"differences: {len(unaccepted)} not accepted; nothing was switched over")
    else:
        accepted = f" ({len(info['accepted'])} accepted)" if info["accepted"] else ""
        typer.echo(f"differences: none{accepted}")
    if report.checks:
        failing = [c for c in report.checks if c.violations]
        typer.echo(
            "invariants: " + ("all hold" if not failing else ", ".join(f"{c.name} ({c.violations})" for c in failing))
        )
    if report.snapshot:
        typer.echo(f"snapshot of the books before: {report.snapshot}")
    typer.echo(f"report: {info['report']}")


def _print_changes(info: dict[str, Any]) -> None:
    """The changes by kind; the books' accounts found by number and fingerprint; each large change."""
    typer.echo("changes since the first import:")
    for words, count in info["changes_ru"].items():
        typer.echo(f"  {count:>8,}  {words}")
    found = info.get("recognized")
    if found:
        typer.echo(
            f"the books' accounts in this export: {found['by_number']:,} of {found['books']:,} by number, "
            f"{found['by_fingerprint']:,} of those recognised (the same address with the same residents or meters)"
        )
    for kind, large in info.get("large_changes", {}).items():
        verdict = (
            "accepted"
            if kind in info["accepted"]
            else f"not accepted: if it is right, add a line `{kind}` to the --accept file"
        )
        typer.echo(
            f"LARGE CHANGE {kind}: {large['count']:,} {large['words']}, more than a tenth of the books' "
            f"{large['of']:,} {large['of_words']} ({verdict})"
        )


@app.command("rehearse")
def switchover_rehearse(
    client: Client,
    export: FinalExport,
    mapping: MappingOption = None,
    accept: AcceptOption = None,
    keep: Annotated[bool, typer.Option(help="Keep the rehearsal's copy of the database (to look at it).")] = False,
    html: HtmlOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Rehearse the switch-over on a copy of the working database: the working database and seats stay as
    they are. Prints each step's time, the changes and the reconciliation; exit 4 on differences."""
    check_output_file(html, "--html")
    load = legacy.Load(export, mapping, phase=_say)
    _print(switchover.rehearse(workspace(), client, load, accept, keep), client, html, as_json)


@app.command("run")
def switchover_run(
    client: Client,
    export: FinalExport,
    mapping: MappingOption = None,
    accept: AcceptOption = None,
    html: HtmlOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Switch over: a snapshot `before-switchover-YYYY-MM`, then the final export as the new books, the next
    month open; refused (exit 4, books as they were) when the reconciliation differs and --accept does not
    list the difference. The baseline and seats follow the new books."""
    check_output_file(html, "--html")
    load = legacy.Load(export, mapping, phase=_say)
    _print(switchover.run(workspace(), client, load, accept), client, html, as_json)


@app.command("status")
def switchover_status(client: Client, as_json: JsonFlag = False) -> None:
    """Which month the books have open, and the last rehearsal or switch-over."""
    info = switchover.status(workspace(), client)
    if as_json:
        print_json(info)
        return
    typer.echo(f"{client}: {info['accounts']:,} accounts, {info['open_month']} open")
    last = info["last"]
    if last is None:
        typer.echo("no switch-over rehearsed or run yet")
        return
    state = "refused" if last["refused"] else "done"
    if last.get("interrupted"):
        state += ", its command killed after the switch-in and finished by the next one"
    typer.echo(
        f"last {last['mode']} ({state}): {last['closed_month']} closed, {last['opened_month']} opened, "
        f"{last['total_seconds']} s; differences {len(last['differences'])}; report {last['report']}"
    )
