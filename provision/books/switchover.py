"""The month-end switch-over of a client whose books came from its old system (`provision import load`):
rehearsed on a copy of the working database made aside, then run on the working database itself after a
snapshot. Both load the old system's final export through the import's pipeline, count what changed, open
the next month on the closing balances and reconcile with the old system's control totals; the run
switches the new books in only when they reconcile (or the differences are accepted), then refreezes the
baseline. The work itself is :mod:`seed.legacy.switchover`'s.

A run notes its report in ``pending-run.json`` just before the switch-in; the report becomes the last one
when the run ends, or, if it was killed, at the next `switchover` command (status included) once the new
books are found in: so the status never shows the new books without the run that brought them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provision.books.legacy import Load, anonymization_key, export_mapping, key_path
from provision.books.seeding import check_data
from provision.clients.database import UNCHANGED, running_dsn, user_errors
from provision.clients.profile import load_profile
from provision.clients.record import ClientFiles
from provision.clients.render import ClientEnv, env_for
from provision.clients.workspace import Workspace
from provision.errors import InputError
from provision.training import copies
from provision.training.seats import Trainer, busy, operation, repaired, replacing_books
from provision.training.snapshots import Snapshots
from seed.check import CheckResult
from seed.errors import AcceptFileError, OtherClientsExport, ReconciliationFailed
from seed.legacy.mapping import Mapping
from seed.legacy.private import aside, private_folder, write_private
from seed.legacy.switchover import Books, Outcome, books_before, switch_over
from seed.legacy.switchover_guard import read_accepted

Phase = Callable[[str], None]


@dataclass
class SwitchoverReport:
    """What a rehearsal or a run did and found; ``refused``: differences not accepted, nothing switched."""

    mode: str  # "rehearsal" or "run"
    outcome: Outcome
    export: Path
    refused: bool
    checks: list[CheckResult] = field(default_factory=list)
    snapshot: str = ""
    report_file: Path | None = None
    steps: dict[str, float] = field(default_factory=dict)  # the steps around the load, in seconds

    def step_seconds(self) -> dict[str, float]:
        """Every step's duration, in the order a night runs them."""
        load = self.outcome.seconds
        order = {
            "copy aside": self.steps.get("copy aside"),
            "snapshot": self.steps.get("snapshot"),
            "read, anonymize, load": load.get("load"),
            "keys and indexes": load.get("keys"),
            "vacuum and analyze": load.get("analyze"),
            "recognize the books' accounts": load.get("guard"),
            "compare with the books": load.get("compare"),
            "reconcile": load.get("reconcile"),
            "switch in": load.get("switch"),
            "baseline and seats": self.steps.get("baseline"),
            "checks": self.steps.get("checks"),
            "drop the copy": self.steps.get("drop"),
        }
        return {name: round(value, 2) for name, value in order.items() if value is not None}

    def to_dict(self) -> dict[str, Any]:
        report = self.outcome.to_dict()
        del report["seconds"]
        report.update(
            {
                "mode": self.mode,
                "export": str(self.export),
                "refused": self.refused,
                "snapshot": self.snapshot or None,
                "steps": self.step_seconds(),
                "total_seconds": round(sum(self.step_seconds().values()), 2),
                "checks": [
                    {"check": c.name, "violations": c.violations, "skipped": c.skipped or None} for c in self.checks
                ],  # fmt: skip
                "rows_left_out": self.outcome.import_result.rejects.total if self.outcome.import_result else None,
                "report": str(self.report_file) if self.report_file else None,
            }
        )
        return report


@dataclass(frozen=True)
class _Night:
    """What a switch-over works with, each read and checked once before anything is done."""

    env: ClientEnv
    mapping: Mapping
    key: bytes
    accepted: list[str]
    load: Load


def _prepared(workspace: Workspace, client: str, load: Load, accept: Path | None) -> _Night:
    """The client, the export's mapping, its key and the accepted differences, all checked first."""
    profile = load_profile(workspace, client)
    if profile.noise:
        raise InputError(
            f"client {client!r} adds noise to amounts (noise = {profile.noise}): a switch-over loads them as they are",
            fix=f"set noise = 0 in {workspace.files(client).profile}",
        )
    with user_errors(loading=True):
        mapping = export_mapping(load.folder, load.mapping)
    env = env_for(workspace, profile)
    if not key_path(env).exists():
        raise InputError(
            f"client {client!r} has no anonymization key: its books were not imported from its old system",
            fix=f"load the first export first: `provision import load {client} FOLDER`",
        )
    if accept is not None and not accept.is_file():
        raise InputError(f"--accept {accept}: no such file", fix="list the accepted differences, one per line")
    try:
        accepted = read_accepted(accept)
    except AcceptFileError as exc:
        raise InputError(f"{exc}; nothing was switched over", fix=exc.fix or None) from None
    return _Night(env, mapping, anonymization_key(key_path(env)), accepted, load)


def _save(env: ClientEnv, report: SwitchoverReport) -> None:
    report.report_file = env.files.switchover_report(report.mode, f"{report.outcome.month:%Y-%m}")
    _keep(env.files, report.report_file, report.to_dict())


def _keep(files: ClientFiles, path: Path, report: dict[str, Any]) -> None:
    """A report as the last one (a run's pending note, if any, is then spent)."""
    text = json.dumps(report, ensure_ascii=False, indent=2, default=str)
    private_folder(files.switchovers)
    write_private(path, text)
    write_private(files.last_switchover, text)
    files.pending_switchover.unlink(missing_ok=True)


def _note_pending(night: _Night, snapshot: str, books: str | None) -> Callable[[Outcome], None]:
    """What a run notes just before its switch-in: its report, and the books it replaces."""
    env, export = night.env, night.load.folder.resolve()

    def note(outcome: Outcome) -> None:
        report = SwitchoverReport("run", outcome, export, refused=False, snapshot=snapshot).to_dict()
        report.update({"books_before": books, "interrupted": True})
        private_folder(env.files.switchovers)
        write_private(env.files.pending_switchover, json.dumps(report, ensure_ascii=False, default=str))

    return note


def _settle(env: ClientEnv, books: Books, holding: bool = False) -> None:
    """A run killed after its switch-in becomes the last report once its new books are found in (and a
    run killed before it, none). Unless ``holding`` the client's lock, a command that holds it may be
    that run still going: left alone."""
    files = env.files
    path = files.pending_switchover
    if not path.exists() or (busy(env) and not holding):
        return
    noted = _last_report(path)
    month = f"{books.open_month:%Y-%m}"
    if noted and noted.get("opened_month") == month and Trainer.of(env).books() != noted.get("books_before"):
        noted["report"] = str(files.switchover_report("run", str(noted["closed_month"])))
        _keep(files, Path(noted["report"]), noted)
        return
    path.unlink(missing_ok=True)


def _switch(night: _Night, dsn: str, mode: str, noted: Callable[[Outcome], None] | None = None) -> SwitchoverReport:
    """Load the final export into the books at ``dsn``; the refusal of a reconciliation is a report."""
    env, load = night.env, night.load
    private_folder(env.files.switchovers)
    rejected = env.files.switchover_rejected(mode)
    with user_errors(dsn, loading=True):
        try:
            outcome = switch_over(
                dsn,
                night.mapping,
                night.key,
                rules=dict(env.profile.anonymize),
                accepted=night.accepted,
                rejected_csv=aside(rejected),
                progress=load.progress,
                phase=load.phase,
                before_switch_in=noted,
            )
            refused = False
        except ReconciliationFailed as exc:
            outcome, refused = exc.outcome, True
        except OtherClientsExport as exc:
            raise InputError(
                f"{exc}{UNCHANGED}",
                fix=f"give the final export of {env.client!r} itself; keep its key ({key_path(env)}) and the "
                "[anonymize] rules of its first import",
            ) from None
    if aside(rejected).exists():
        aside(rejected).replace(rejected)
    return SwitchoverReport(mode, outcome, load.folder.resolve(), refused)


def rehearse(
    workspace: Workspace, client: str, load: Load, accept: Path | None = None, keep: bool = False
) -> SwitchoverReport:
    """`provision switchover rehearse`: the whole night on a copy of the working database made aside (its
    sessions are disconnected while it is copied, a second or two; its data, the seats and snapshots stay
    as they are)."""
    night = _prepared(workspace, client, load, accept)
    env = night.env
    working = running_dsn(env)
    say = load.phase or (lambda _message: None)
    with operation(env, "switchover rehearse", load.phase):
        with user_errors(working):
            _settle(env, books_before(working), holding=True)
        trainer = Trainer.of(env)
        names = trainer.names
        started = time.monotonic()
        say("copying the working database aside")
        with trainer.admin() as conn:
            copies.aside(conn, names.db, names.rehearsal, names.work(names.rehearsal), trainer.note("rehearsal"))
        copied = time.monotonic() - started
        dsn = trainer.dsn(names.rehearsal)
        try:
            report = _switch(night, dsn, "rehearsal")
            report.steps["copy aside"] = copied
            if not report.refused:
                say("checking the new books")
                mark = time.monotonic()
                report.checks = check_data(dsn)
                report.steps["checks"] = time.monotonic() - mark
        finally:
            if not keep:
                mark = time.monotonic()
                with trainer.admin() as conn:
                    copies.drop(conn, names.rehearsal)
                dropped = time.monotonic() - mark
    if not keep:
        report.steps["drop"] = dropped
    _save(env, report)
    return report


def run(workspace: Workspace, client: str, load: Load, accept: Path | None = None) -> SwitchoverReport:
    """`provision switchover run`: the switch-over of the working database, after a snapshot of it; the new
    books replace the old only when they reconcile, and the baseline and seats follow them."""
    night = _prepared(workspace, client, load, accept)
    env = night.env
    dsn = running_dsn(env)
    say = load.phase or (lambda _message: None)
    with user_errors(dsn):
        books = books_before(dsn)
    snapshot = f"before-switchover-{books.open_month:%Y-%m}"
    with replacing_books(env, "switchover run", load.phase) as switched:
        _settle(env, books, holding=True)
        mark = time.monotonic()
        say(f"saving the snapshot {snapshot}")
        snapshots = Snapshots(Trainer.of(env))
        if snapshot in {s.name for s in snapshots.saved()}:
            snapshots.delete(snapshot)  # a refused run's: the books are still those it saved
        snapshots.save(snapshot)
        saved = time.monotonic() - mark
        report = _switch(night, dsn, "run", _note_pending(night, snapshot, Trainer.of(env).books()))
        report.snapshot, report.steps["snapshot"] = snapshot, saved
        if not report.refused:
            mark = time.monotonic()
            switched()
            report.steps["baseline"] = time.monotonic() - mark
    if not report.refused:
        say("checking the new books")
        mark = time.monotonic()
        report.checks = check_data(dsn)
        report.steps["checks"] = time.monotonic() - mark
    _save(env, report)
    return report


def status(workspace: Workspace, client: str) -> dict[str, Any]:
    """`provision switchover status`: the month the books have open, and the last switch-over's report."""
    env = repaired(env_for(workspace, load_profile(workspace, client)), "switchover status")
    dsn = running_dsn(env)
    with user_errors(dsn):
        books = books_before(dsn)
    _settle(env, books)
    last = env.files.last_switchover
    return {
        "client": client,
        "open_month": books.open_month.strftime("%Y-%m"),
        "accounts": books.accounts,
        "last": _last_report(last),
    }


def _last_report(path: Path) -> dict[str, Any] | None:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # none yet, or damaged: the next rehearsal writes it again
        return None
    return report if isinstance(report, dict) else None
