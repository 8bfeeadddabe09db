"""The `import` group: the customer's own data (the standard export layout, analysis, loading)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from provision.cli.options import Client, JsonFlag, Lang, Language, lazy, workspace
from provision.cli.output import err, print_json, reported
from provision.errors import EXIT_FAILED
from provision.inputs import check_new_folder, check_output_file

if TYPE_CHECKING:
    from provision.books import legacy
    from seed.legacy import analyze
    from seed.legacy import report as report_pages
else:
    legacy, analyze = lazy("provision.books.legacy"), lazy("seed.legacy.analyze")
    report_pages = lazy("seed.legacy.report")

app = typer.Typer(
    help="The customer's own data: the standard export layout, analysis, loading.",
    no_args_is_help=True,
    add_completion=False,
)
ExportPath = Annotated[Path, typer.Argument(help="The export folder.")]
MappingOption = Annotated[Path | None, typer.Option(help="A mapping file (TOML) for a non-standard export.")]


@app.command("template")
def import_template(
    directory: Annotated[Path, typer.Argument(help="Folder to write the empty export files into.")],
) -> None:
    """Write the standard export layout's empty files (Russian headers, ';', cp1251) to hand to a customer."""
    check_new_folder(directory, "the export files")
    written = legacy.write_template(directory)
    typer.echo(f"wrote {len(written)} files to {directory}: " + ", ".join(p.name for p in written))
    typer.echo("the layout is described in docs/export-layout.md")


@app.command("sample")
def import_sample(
    client: Client,
    directory: Annotated[Path, typer.Argument(help="An empty folder for the export files.")],
    through: Annotated[
        str | None,
        typer.Option("--through", help="Export the books as they stood at this month's end (YYYY-MM)."),
    ] = None,
) -> None:
    """Write a client's books as an old system would export them (the standard layout, cp1251): a sample
    export to rehearse `import check` and `import load` on, or to show a customer the layout filled in;
    with --through, as of a month (a first export and a final one, to rehearse a switch-over)."""
    check_new_folder(directory, "the export files")
    counts = legacy.sample_export(workspace(), client, directory, through)
    typer.echo(f"wrote {directory}: " + ", ".join(f"{entity} {n:,}" for entity, n in counts.items()))


@app.command("check")
def import_check(
    client: Client,
    path: ExportPath,
    mapping: MappingOption = None,
    html: Annotated[Path | None, typer.Option(help="Also write a self-contained HTML report to this file.")] = None,
    problems: Annotated[
        Path | None,
        typer.Option(help="Also write every problem, by file and line, to this .csv (for Excel) or .xlsx file."),
    ] = None,
    with_personal: Annotated[
        bool, typer.Option(help="Show personal values in the problem list (it goes back to the data's owner).")
    ] = False,
    as_json: JsonFlag = False,
    lang: Lang = Language.ru,
) -> None:
    """Analyse a legacy export before migration (loads nothing): problems with file and line, control totals."""
    check_output_file(html, "--html")
    listing = legacy.problem_list(problems, lang.value, with_personal)
    report = legacy.check_export(workspace(), client, path, mapping, listing)
    if listing is not None:
        err(f"wrote {listing.path}: {report.problems + report.consequent:,} rows")
    info = report.to_dict()
    title = report_pages.check_title(legacy.customer_name(workspace(), client), str(path), lang.value)
    page = lambda: report_pages.render_html(info, title, lang.value)  # noqa: E731
    if reported(info, html, page, as_json):
        return
    typer.echo("read " + ", ".join(f"{entity} {count:,}" for entity, count in report.rows.items()))
    for name, kinds in report.printed.items():  # a printed report's own rows: not problems
        typer.echo(f"passed over in {name}: " + ", ".join(f"{kind} rows {n:,}" for kind, n in kinds.items()))
    if not report.problems:
        typer.echo("no problems found")
    for kind, what in analyze.KINDS.items():
        if not report.counts[kind]:
            continue
        typer.echo(f"{report.counts[kind]:>8}  {kind}: {what}")
        for ex in report.examples[kind][:3]:
            where = f"{Path(ex.file).name}:{ex.line}" if ex.file else "-"
            typer.echo(f"          {where}  {ex.field}={ex.value}  {ex.message}".rstrip())
    if report.consequent:
        causes = len(report.consequences)
        typer.echo(
            f"{report.consequent:>8}  more rows follow from {causes} duplicate{'s' if causes > 1 else ''} "
            "(account numbers or meter serials given twice; not counted above)"
        )
        for cause, kinds in sorted(report.consequences.items())[:3]:
            found = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
            typer.echo(f"          {Path(cause.file).name}:{cause.line} {cause.kind}: {found}")
    for note in report.notes:
        typer.echo(f"note: {note.en}")
    differences = report.totals_differences()
    if differences:
        typer.echo(f"control totals differ from the old system's in {len(differences)} places, e.g.:")
        for d in differences[:5]:
            typer.echo(
                f"          {d['service']} {d['period']} {d['measure']}: export {d['export']}, "
                f"reported {d['reported']} ({d['difference']})"
            )
    elif "totals" in report.rows:
        typer.echo("control totals match the old system's")


def _rows_progress(file: str, rows: int) -> None:
    if rows % 1_000_000 == 0:
        err(f"  {file}: {rows:,} rows")


@app.command("load")
def import_load(
    client: Client,
    path: ExportPath,
    mapping: MappingOption = None,
    strict: Annotated[
        bool, typer.Option(help="Refuse the whole load if any row cannot be loaded or a personal column has no rule.")
    ] = False,
    html: Annotated[Path | None, typer.Option(help="Also write the load report as self-contained HTML.")] = None,
    as_json: JsonFlag = False,
    lang: Lang = Language.ru,
) -> None:
    """Anonymize a legacy export and load it as the client's books and baseline (all or nothing)."""
    check_output_file(html, "--html")
    load = legacy.Load(path, mapping, strict, progress=_rows_progress, phase=lambda m: err(m + " ..."))
    report = legacy.import_load(workspace(), client, load)
    info = report.to_dict()
    title = report_pages.load_title(report.customer, str(path), lang.value)
    page = lambda: report_pages.render_load_html(info, title, lang.value)  # noqa: E731
    if reported(info, html, page, as_json):
        return
    result = report.result
    typer.echo(
        f"loaded {result.total_rows:,} rows ({sum(result.read.values()):,} read from {len(result.read)} files) "
        f"in {report.seconds:.1f} s; periods {result.periods[0]:%Y-%m} .. {result.periods[-1]:%Y-%m} (open)"
    )
    rejects = result.rejects
    if rejects.total:
        typer.echo(f"{rejects.total:,} rows not loaded (all listed in {report.rejected_rows_file}):")
        for reason, count in rejects.counts.items():
            first = rejects.examples[reason][0]
            typer.echo(f"{count:>8}  {reason}  (first: {first['file']}:{first['line']} {first['field']})")
    else:
        typer.echo("every row loaded")
    for flag in result.flags:
        typer.echo(f"flag: {flag}")
    for finding in result.personal_columns:
        typer.echo(f"left out: {finding.describe()}")
    typer.echo(f"leak scan: clean ({result.leak_values_checked:,} original personal values looked for)")
    failing = [c for c in report.checks if c.violations]
    holding = sum(1 for c in report.checks if not c.skipped) - len(failing)
    violated = ", ".join(f"{c.name} ({c.violations})" for c in failing)
    typer.echo(
        f"invariants: {holding} hold"
        + (f", {len(failing)} violated: {violated}" if failing else "")
        + " (`provision check` shows the rows)"
    )
    typer.echo(f"baseline frozen; report: {report.report_file}")


@app.command("scan")
def import_scan(client: Client, path: ExportPath, mapping: MappingOption = None, as_json: JsonFlag = False) -> None:
    """Look for any original personal value of an export in the client's database; exit 4 if one is found."""
    scan = legacy.scan_client(workspace(), client, path, mapping)
    if as_json:
        print_json(scan.to_dict())
    elif scan.leaks:
        for leak in scan.leaks:
            typer.echo(f"LEAK  {leak.kind}: {leak.count} value(s) in {leak.table}.{leak.column}")
    else:
        typer.echo(f"clean: none of {scan.checked:,} original personal values is in the database")
    if scan.leaks:
        raise typer.Exit(EXIT_FAILED)
