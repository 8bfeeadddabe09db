"""The `provision` command line: parse, call one core function, print. Nothing else lives here."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from provision import __version__
from provision.errors import EXIT_FAILED, EXIT_INPUT, InputError, ProvisionError
from provision.profile import load_profile
from provision.workspace import Workspace, resolve_workspace

app = typer.Typer(
    help="Per-client demo and training environments for «Одно Окно» on Docker.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
image_app = typer.Typer(
    help="PostgreSQL images: build from Debian's packages, status, save and load.", no_args_is_help=True
)
app.add_typer(image_app, name="image")

F = TypeVar("F", bound=Callable[..., Any])
_state: dict[str, Workspace] = {}


def _err(line: str) -> None:
    typer.echo(line, err=True)


def reports_errors(func: F) -> F:
    """Turn a ProvisionError into one message with its fix and its exit code; no traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ProvisionError as exc:
            _err(f"error: {exc.message}")
            if exc.details:
                _err("\n".join("  | " + line for line in exc.details.splitlines()))
            if exc.fix:
                _err(f"  fix: {exc.fix}")
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            _err("interrupted")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def workspace() -> Workspace:
    return _state.get("workspace") or Workspace(resolve_workspace())


def _version(value: bool) -> None:
    if value:
        typer.echo(f"provision {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    workspace_dir: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            envvar="PROVISION_HOME",
            help="Folder holding compose/<client>/ (default: the current folder).",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Per-client demo and training environments for «Одно Окно» on Docker."""
    _state["workspace"] = Workspace(resolve_workspace(workspace_dir))


Client = Annotated[str, typer.Argument(help="Client name, e.g. demo or vodokanal-ensk.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _size(value: int | None) -> str:
    if value is None:
        return "-"
    size = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> None:
    cells = [[h for _, h in columns]] + [
        [str(r.get(k) if r.get(k) not in (None, "") else "-") for k, _ in columns] for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    for row in cells:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@app.command()
@reports_errors
def init(
    client: Client,
    title: Annotated[str | None, typer.Option(help="The customer's name, shown in lists.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing profile.")] = False,
) -> None:
    """Write a commented profile for a new client (compose/<client>/client.toml)."""
    from provision import lifecycle

    path = lifecycle.init_client(workspace(), client, title=title, force=force)
    typer.echo(f"wrote {path}\nedit it, then: provision up {client}")


@app.command()
@reports_errors
def render(client: Client) -> None:
    """Write compose/<client>/compose.yaml from the profile, without starting anything."""
    from provision import lifecycle

    typer.echo(str(lifecycle.render_client(workspace(), client)))


@app.command()
@reports_errors
def up(
    client: Client,
    build: Annotated[
        bool,
        typer.Option(
            "--build/--no-build",
            help="Build the PostgreSQL image from Debian's packages if it is absent and cannot be pulled.",
        ),
    ] = False,
    show_password: Annotated[
        bool, typer.Option("--show-password", help="Print the password in the connection string.")
    ] = False,
) -> None:
    """Start the client's database (idempotent), seed it on first start, print how to connect."""
    from provision import data

    with _seed_bar() as (bar, phase):
        result, seeded = data.up_and_seed(
            workspace(), client, build=build, progress=_err, seed_progress=bar, phase=phase
        )
    env = result.env
    verb = "is up" if result.changed else "was already up"
    typer.echo(f"{client} {verb} ({result.seconds:.1f} s), image {env.image}")
    if isinstance(seeded, dict):  # the customer's export, imported
        rejected = seeded["rejected"]["total"]
        typer.echo(
            f"  imported: {seeded['rows_loaded_total']:,} rows in {seeded['seconds']['total']:.1f} s, "
            f"{rejected:,} rows not loaded, leak scan clean; report: {seeded['report']}"
        )
    elif seeded is not None:
        typer.echo(
            f"  seeded:   {seeded.accounts} accounts, {seeded.months} months, {seeded.total_rows:,} rows "
            f"in {seeded.seconds['total']:.1f} s"
        )
    typer.echo(f"  connect:  {result.dsn_with_password() if show_password else env.dsn('***')}")
    typer.echo(f"  password: {env.password_file} (or rerun with --show-password)")
    typer.echo(f"  psql:     provision psql {client}")


class _seed_bar:
    """A progress bar on stderr for a seed: accounts done, rows written, time left."""

    def __enter__(self) -> tuple[Callable[[int, int, int], None], Callable[[str], None]]:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("accounts, {task.fields[rows]:,} rows"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self.task: Any = None

        def progress(done: int, total: int, rows: int) -> None:
            if self.task is None:
                self.bar.start()
                self.task = self.bar.add_task("loading", total=total, rows=0)
            self.bar.update(self.task, completed=done, rows=rows)

        def phase(name: str) -> None:
            if self.task is not None:
                self.bar.update(self.task, description=name)

        return progress, phase

    def __exit__(self, *exc: object) -> None:
        if self.task is not None:
            self.bar.stop()


Dsn = Annotated[str | None, typer.Option("--dsn", help="Any PostgreSQL, instead of a client: postgresql://...")]
OptionalClient = Annotated[str | None, typer.Argument(help="Client name (or use --dsn).")]


@app.command("seed")
@reports_errors
def seed_cmd(
    client: OptionalClient = None,
    dsn: Dsn = None,
    accounts: Annotated[int | None, typer.Option(help="Personal accounts (default: the profile's).")] = None,
    months: Annotated[int | None, typer.Option(help="Months of history up to the open period.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed: the same seed, the same data.")] = None,
    end_period: Annotated[str | None, typer.Option(help="The open period, YYYY-MM (default: this month).")] = None,
) -> None:
    """Generate synthetic books and load them; the old data stays until the new is complete."""
    from provision import data

    target = data.resolve_dsn(workspace(), client, dsn)
    profile = load_profile(workspace(), client) if client else None
    options: dict[str, Any] = {
        "accounts": accounts or (profile.seed_accounts if profile else 3000),
        "months": months or (profile.seed_months if profile else 12),
        "seed_value": seed if seed is not None else (profile.seed_random_seed if profile else 1),
        "end_period": data.parse_period(end_period),
    }
    with _seed_bar() as (bar, phase):
        if client:
            result = data.seed_client(workspace(), client, progress=bar, phase=phase, **options)
        else:
            result = data.seed_data(target, progress=bar, phase=phase, **options)
    typer.echo(
        f"seeded {data.hide_password(target)}: {result.accounts} accounts, {result.months} months "
        f"to {result.end_period:%Y-%m}, {result.total_rows:,} rows in {result.seconds['total']:.1f} s"
    )


@app.command()
@reports_errors
def check(
    client: OptionalClient = None,
    dsn: Dsn = None,
    as_json: JsonFlag = False,
) -> None:
    """Verify every invariant of the books; exit 4 if any is violated, showing the first offending rows."""
    from provision import data

    results = data.check_data(data.resolve_dsn(workspace(), client, dsn))
    bad = [r for r in results if not r.ok]
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "check": r.name,
                        "rule": r.rule,
                        "violations": r.violations,
                        "skipped": r.skipped or None,
                        "sample": [dict(zip(r.columns, row, strict=True)) for row in r.sample],
                    }
                    for r in results
                ],
                ensure_ascii=False,
                indent=2,
                default=str,
            )
        )
    else:
        for r in results:
            if r.skipped:
                typer.echo(f"skip  {r.name:32} {'':>8}  {r.skipped}")
                continue
            typer.echo(f"{'ok  ' if r.ok else 'FAIL'}  {r.name:32} {r.violations:>8}  {r.rule}")
            for row in r.sample:
                typer.echo("        " + ", ".join(f"{c}={v}" for c, v in zip(r.columns, row, strict=True)))
        skipped = sum(1 for r in results if r.skipped)
        applied = len(results) - skipped
        typer.echo(f"{applied - len(bad)} of {applied} checks hold" + (f"; {skipped} do not apply" if skipped else ""))
    if bad:
        raise typer.Exit(EXIT_FAILED)


@app.command()
@reports_errors
def stats(client: OptionalClient = None, dsn: Dsn = None, as_json: JsonFlag = False) -> None:
    """A one-screen summary for a trainer: accounts, residents, meters, charged and paid, debt by age."""
    from provision import data

    info = data.stats_data(data.resolve_dsn(workspace(), client, dsn))
    if as_json:
        typer.echo(json.dumps(info, ensure_ascii=False, indent=2, default=str))
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
    _table(
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
        {
            **m,
            "period": f"{m['period']:%Y-%m}",
            "charged": f"{m['charged']:,.2f}",
            "paid": f"{m['paid']:,.2f}",
        }
        for m in info["months"]
    ]
    _table(rows, [("period", "PERIOD"), ("status", "STATUS"), ("charged", "CHARGED"), ("paid", "PAID")])
    rate = info["collection_rate"]
    typer.echo(f"\ncollection rate: {rate:.1%}" if rate is not None else "\ncollection rate: -")
    typer.echo("")
    debt = [{**d, "debt": f"{d['debt']:,.2f}"} for d in info["debt_by_age"]]
    _table(debt, [("age", "DEBT AGE"), ("accounts", "ACCOUNTS"), ("debt", "DEBT, RUB")])


Seat = Annotated[int | None, typer.Option("--seat", help="One trainee's seat (1..seats).")]
AllSeats = Annotated[bool, typer.Option("--all", help="The working database and every seat.")]


@app.command()
@reports_errors
def reset(client: Client, seat: Seat = None, all_seats: AllSeats = False) -> None:
    """Put the working database (or a seat, or all) back to the baseline in about a second."""
    from provision import training

    started = time.monotonic()
    with training.serialized(workspace(), client):
        done = training.trainer_for(workspace(), client).reset(seat, all_seats)
    typer.echo(f"reset {', '.join(done)} from the baseline in {time.monotonic() - started:.2f} s")


@app.command()
@reports_errors
def seats(
    client: Client,
    as_json: JsonFlag = False,
    show_passwords: Annotated[bool, typer.Option("--show-passwords", help="Print the seats' passwords.")] = False,
) -> None:
    """The trainees' seats: database, login and connection string of each."""
    from provision import training

    rows = training.trainer_for(workspace(), client).seats()
    for row in rows:
        row["connect"] = row["dsn_with_password"] if show_passwords else row["dsn"]
        if not show_passwords:
            row.pop("dsn_with_password")
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    _table(rows, [("seat", "SEAT"), ("database", "DATABASE"), ("role", "LOGIN"), ("connect", "CONNECT")])


snapshot_app = typer.Typer(
    help="Named states of a client's databases: save, list, restore, delete.", no_args_is_help=True
)
app.add_typer(snapshot_app, name="snapshot")
SnapshotName = Annotated[str, typer.Argument(help="Snapshot name: lowercase letters, digits, '-', '_'.")]


@snapshot_app.command("save")
@reports_errors
def snapshot_save(client: Client, name: SnapshotName, seat: Seat = None) -> None:
    """Keep the working database (or a seat) as a named state."""
    from provision import training

    with training.serialized(workspace(), client):
        database = training.trainer_for(workspace(), client).snapshot_save(name, seat)
    typer.echo(f"saved snapshot {name} of {client} ({database})")


@snapshot_app.command("list")
@reports_errors
def snapshot_list(client: Client, as_json: JsonFlag = False) -> None:
    """The client's snapshots: name, source, size, time."""
    from provision import training

    rows = training.trainer_for(workspace(), client).snapshot_list()
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        row["size"] = _size(row["size_bytes"])
    _table(rows, [("name", "NAME"), ("source", "SOURCE"), ("size", "SIZE"), ("saved_at", "SAVED")])


@snapshot_app.command("restore")
@reports_errors
def snapshot_restore(client: Client, name: SnapshotName, seat: Seat = None, all_seats: AllSeats = False) -> None:
    """Put the working database (or a seat, or all) back to a snapshot; built aside, then swapped in."""
    from provision import training

    started = time.monotonic()
    with training.serialized(workspace(), client):
        done = training.trainer_for(workspace(), client).snapshot_restore(name, seat, all_seats)
    typer.echo(f"restored {', '.join(done)} from snapshot {name} in {time.monotonic() - started:.2f} s")


@snapshot_app.command("delete")
@reports_errors
def snapshot_delete(client: Client, name: SnapshotName) -> None:
    """Delete a snapshot (the baseline cannot be deleted)."""
    from provision import training

    with training.serialized(workspace(), client):
        training.trainer_for(workspace(), client).snapshot_delete(name)
    typer.echo(f"deleted snapshot {name} of {client}")


import_app = typer.Typer(
    help="The customer's own data: the standard export layout, analysis, loading.", no_args_is_help=True
)
app.add_typer(import_app, name="import")


@import_app.command("template")
@reports_errors
def import_template(
    directory: Annotated[Path, typer.Argument(help="Folder to write the empty export files into.")],
) -> None:
    """Write the standard export layout's empty files (Russian headers, ';', cp1251) to hand to a customer."""
    from seed.legacy.layout import write_template

    try:
        written = write_template(directory)
    except FileExistsError as exc:
        raise InputError(f"{exc} already exists", fix="choose an empty folder") from None
    typer.echo(f"wrote {len(written)} files to {directory}: " + ", ".join(p.name for p in written))
    typer.echo("the layout is described in docs/export-layout.md")


@import_app.command("sample")
@reports_errors
def import_sample(
    client: Client,
    directory: Annotated[Path, typer.Argument(help="An empty folder for the export files.")],
) -> None:
    """Write a client's books as an old system would export them (the standard layout, cp1251): a sample
    export to rehearse `import check` and `import load` on, or to show a customer the layout filled in."""
    from provision import legacy

    counts = legacy.sample_export(workspace(), client, directory)
    typer.echo(f"wrote {directory}: " + ", ".join(f"{entity} {n:,}" for entity, n in counts.items()))


@import_app.command("check")
@reports_errors
def import_check(
    client: Client,
    path: Annotated[Path, typer.Argument(help="The export folder.")],
    mapping: Annotated[Path | None, typer.Option(help="A mapping file (TOML) for a non-standard export.")] = None,
    html: Annotated[Path | None, typer.Option(help="Also write a self-contained HTML report to this file.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Analyse a legacy export before migration (loads nothing): problems with file and line, control totals."""
    from provision import legacy
    from seed.legacy.report import render_html

    info = legacy.check_export(workspace(), client, path, mapping).to_dict()
    if _reported(info, html, lambda: render_html(info, f"{client}: analysis of the export {path}"), as_json):
        return
    rows = ", ".join(f"{entity} {count:,}" for entity, count in info["rows"].items())
    typer.echo(f"read {rows}")
    if not info["problems"]:
        typer.echo("no problems found")
    for kind, problem in info["problems"].items():
        typer.echo(f"{problem['count']:>8}  {kind}: {problem['what']}")
        for ex in problem["examples"][:3]:
            where = f"{Path(ex['file']).name}:{ex['line']}" if ex["file"] else "-"
            typer.echo(f"          {where}  {ex['field']}={ex['value']}  {ex['message']}".rstrip())
    differences = info["totals_differences"]
    if differences:
        typer.echo(f"control totals differ from the old system's in {len(differences)} places, e.g.:")
        for d in differences[:5]:
            typer.echo(
                f"          {d['service']} {d['period']} {d['measure']}: export {d['export']}, "
                f"reported {d['reported']} ({d['difference']})"
            )
    elif "totals" in info["rows"]:
        typer.echo("control totals match the old system's")


def _reported(info: dict[str, Any], html: Path | None, page: Callable[[], str], as_json: bool) -> bool:
    """Write the HTML page if asked; print the JSON if asked (and say so: nothing more to print)."""
    if html is not None:
        html.write_text(page(), encoding="utf-8")
        _err(f"wrote {html}")
    if as_json:
        typer.echo(json.dumps(info, ensure_ascii=False, indent=2, default=str))
    return as_json


ExportPath = Annotated[Path, typer.Argument(help="The export folder.")]
MappingOption = Annotated[Path | None, typer.Option(help="A mapping file (TOML) for a non-standard export.")]


@import_app.command("load")
@reports_errors
def import_load(
    client: Client,
    path: ExportPath,
    mapping: MappingOption = None,
    strict: Annotated[
        bool, typer.Option(help="Refuse the whole load if any row cannot be loaded or a personal column has no rule.")
    ] = False,
    html: Annotated[Path | None, typer.Option(help="Also write the load report as self-contained HTML.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Anonymize a legacy export and load it as the client's books and baseline (all or nothing)."""
    from provision import legacy

    def progress(file: str, rows: int) -> None:
        if rows % 1_000_000 == 0:
            _err(f"  {file}: {rows:,} rows")

    from seed.legacy.report import render_load_html

    report = legacy.load_export(
        workspace(), client, path, mapping, strict=strict, progress=progress, phase=lambda m: _err(m + " ...")
    )
    if _reported(report, html, lambda: render_load_html(report, f"{client}: import of {path}"), as_json):
        return
    seconds = report["seconds"]
    read = sum(report["rows_read"].values())
    typer.echo(
        f"loaded {report['rows_loaded_total']:,} rows ({read:,} read from {len(report['rows_read'])} files) "
        f"in {seconds['total']:.1f} s; periods {report['periods'][0][:7]} .. {report['periods'][-1][:7]} (open)"
    )
    rejected = report["rejected"]
    if rejected["total"]:
        typer.echo(f"{rejected['total']:,} rows not loaded (all listed in {report['rejected_rows_file']}):")
        for reason, count in rejected["by_reason"].items():
            first = rejected["examples"][reason][0]
            typer.echo(f"{count:>8}  {reason}  (first: {first['file']}:{first['line']} {first['field']})")
    else:
        typer.echo("every row loaded")
    for flag in report["flags"]:
        typer.echo(f"flag: {flag}")
    for column in report["personal_columns_not_loaded"]:
        typer.echo(f"left out: {column}")
    scan = report["leak_scan"]
    typer.echo(f"leak scan: clean ({scan['original_values_checked']:,} original personal values looked for)")
    failing = [c for c in report["checks"] if c["violations"]]
    holding = sum(1 for c in report["checks"] if not c["skipped"]) - len(failing)
    violated = ", ".join(f"{c['check']} ({c['violations']})" for c in failing)
    typer.echo(
        f"invariants: {holding} hold"
        + (f", {len(failing)} violated: {violated}" if failing else "")
        + " (`provision check` shows the rows)"
    )
    typer.echo(f"baseline frozen; report: {legacy.report_dir(workspace(), client) / 'last-load.json'}")


@import_app.command("scan")
@reports_errors
def import_scan(client: Client, path: ExportPath, mapping: MappingOption = None, as_json: JsonFlag = False) -> None:
    """Look for any original personal value of an export in the client's database; exit 4 if one is found."""
    from provision import legacy

    checked, leaks = legacy.scan_client(workspace(), client, path, mapping)
    if as_json:
        typer.echo(json.dumps({"checked": checked, "leaks": [vars(x) for x in leaks]}, ensure_ascii=False, indent=2))
    elif leaks:
        for leak in leaks:
            typer.echo(f"LEAK  {leak.kind}: {leak.count} value(s) in {leak.table}.{leak.column}")
    else:
        typer.echo(f"clean: none of {checked:,} original personal values is in the database")
    if leaks:
        raise typer.Exit(EXIT_FAILED)


@app.command()
@reports_errors
def status(
    client: Annotated[str | None, typer.Argument(help="Client name; all clients when left out.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """State, port, image and data size of one client (or all)."""
    from provision import lifecycle

    rows = [lifecycle.status(workspace(), client)] if client else lifecycle.list_clients(workspace())
    _print_clients(rows, as_json)


@app.command("list")
@reports_errors
def list_(as_json: JsonFlag = False) -> None:
    """Every client of the workspace, and every one Docker knows by label."""
    from provision import lifecycle

    _print_clients(lifecycle.list_clients(workspace()), as_json)


def _print_clients(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        row["size"] = _size(row["data_bytes"])
        row["where"] = f"{row['host']}:{row['port']}" if row["port"] else ""
        row["state_health"] = row["state"] + (f" ({row['health']})" if row["health"] else "")
    _table(
        rows,
        [
            ("client", "CLIENT"),
            ("state_health", "STATE"),
            ("where", "ADDRESS"),
            ("image", "IMAGE"),
            ("size", "DATA"),
            ("title", "TITLE"),
        ],
    )


@app.command()
@reports_errors
def logs(
    client: Client,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines.")] = False,
    tail: Annotated[int, typer.Option(help="How many of the last lines to show.")] = 100,
) -> None:
    """The client's container logs."""
    from provision import lifecycle

    raise typer.Exit(subprocess.call(lifecycle.logs_command(workspace(), client, follow=follow, tail=tail)))


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@reports_errors
def psql(
    client: Client,
    args: Annotated[list[str] | None, typer.Argument(help="Extra psql arguments, e.g. -c 'SELECT 1'.")] = None,
) -> None:
    """An interactive psql inside the client's container."""
    from provision import lifecycle

    argv = lifecycle.psql_command(workspace(), client, list(args or []), tty=sys.stdin.isatty())
    raise typer.Exit(subprocess.call(argv))


@app.command()
@reports_errors
def down(client: Client) -> None:
    """Stop the client's containers; the data stays in its volume."""
    from provision import lifecycle

    env = lifecycle.down(workspace(), client)
    typer.echo(f"{client} is down; data kept in volume {env.project}_pgdata (`provision up {client}` restarts it)")


@app.command()
@reports_errors
def destroy(
    client: Client,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove the client's containers, network and data volume (the profile and password stay)."""
    from provision import lifecycle

    if not yes:
        if not sys.stdin.isatty():
            _err(f"error: destroying {client!r} deletes its data; pass --yes to confirm")
            raise typer.Exit(EXIT_INPUT)
        typer.confirm(f"Delete every container and the data volume of {client!r}?", abort=True)
    lifecycle.destroy(workspace(), client)
    typer.echo(f"{client} destroyed: containers, network and data volume removed")


# -- images ---------------------------------------------------------------------------------------
@image_app.command("build")
@reports_errors
def image_build(
    major: Annotated[int, typer.Option(help="PostgreSQL major version (15: Debian bookworm, 17: trixie).")] = 15,
    mirror: Annotated[
        str | None,
        typer.Option(help="Debian mirror URL (default: this machine's apt sources).", envvar="PROVISION_DEBIAN_MIRROR"),
    ] = None,
    tag: Annotated[str | None, typer.Option(help="Image tag (default provision/postgres:MAJOR).")] = None,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Rebuild the cached root filesystem too (for security updates).")
    ] = False,
) -> None:
    """Build a PostgreSQL image from Debian's packages, FROM scratch, with no registry."""
    from provision import imagebuild

    result = imagebuild.build_image(major, mirror=mirror, tag=tag, refresh=refresh, progress=_err)
    rootfs = "cached" if result.rootfs_cached else f"{result.rootfs_seconds:.0f} s"
    typer.echo(
        f"built {result.tag} ({_size(result.size_bytes)}): root filesystem {rootfs}, "
        f"image {result.docker_seconds:.0f} s"
    )


@image_app.command("status")
@reports_errors
def image_status(as_json: JsonFlag = False) -> None:
    """Which PostgreSQL images are present, and the cached root filesystems."""
    from provision import imagebuild, images

    refs = ["postgres:15", imagebuild.built_tag(imagebuild.DEFAULT_MAJOR)]
    info = images.status(refs)
    if as_json:
        typer.echo(json.dumps(info, indent=2))
        return
    for row in info["images"]:
        row["present_text"] = "present" if row["present"] else "absent"
        row["size"] = _size(row["size_bytes"]) if row["present"] else ""
        row["origin"] = "built from Debian packages" if row["built_by_provision"] else ""
    _table(
        info["images"],
        [
            ("tag", "IMAGE"),
            ("present_text", "STATE"),
            ("image_id", "ID"),
            ("size", "SIZE"),
            ("created", "CREATED"),
            ("origin", "ORIGIN"),
        ],
    )
    for cached in info["rootfs_cache"]:
        typer.echo(f"cached root filesystem: {cached['path']} ({_size(cached['size_bytes'])})")


@image_app.command("save")
@reports_errors
def image_save(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write (.tar, or .tar.gz to compress).")],
    image: Annotated[str, typer.Argument(help="Image to save.")] = "provision/postgres:15",
) -> None:
    """Write an image to one file, to carry to a site with no registry."""
    from provision import images

    size = images.save(image, output, progress=_err)
    typer.echo(f"saved {image} to {output} ({_size(size)}); there: provision image load {output.name}")


@image_app.command("load")
@reports_errors
def image_load(source: Annotated[Path, typer.Argument(help="File made by `provision image save`.")]) -> None:
    """Load images from a file made by `provision image save`."""
    from provision import images

    tags = images.load(source, progress=_err)
    typer.echo("loaded " + (", ".join(tags) if tags else "an untagged image"))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
