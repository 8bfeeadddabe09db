"""The customer's own data: check an export, load it anonymized as a client's books, scan for leaks, and
write a client's books as an old system would export them. Reading errors name the file, line and fix."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provision.books.seeding import check_data
from provision.clients.database import running_dsn, user_errors
from provision.clients.profile import load_profile
from provision.clients.render import ClientEnv, env_for
from provision.clients.workspace import Workspace
from provision.errors import EnvironmentProblem, InputError
from provision.inputs import check_output_file, parse_period
from provision.training.seats import repaired, replacing_books
from seed import outfile
from seed.check import CheckResult
from seed.legacy import layout
from seed.legacy.analyze import Report, Spill, analyze
from seed.legacy.analyze.listing import FORMATS, write_problem_list
from seed.legacy.anonymize import load_or_create_key
from seed.legacy.export import export_standard
from seed.legacy.importer import ImportResult, collect_originals, import_export, scan_database
from seed.legacy.leaks import Leak
from seed.legacy.mapping import Mapping, load_mapping, standard_mapping
from seed.legacy.private import aside, private_folder, write_private
from seed.legacy.words import LANGS
from seed.months import book_months

FileProgress = Callable[[str, int], None]
Phase = Callable[[str], None]


def export_mapping(folder: Path, mapping_file: Path | None) -> Mapping:
    try:
        is_folder, mapping_found = folder.is_dir(), mapping_file is None or mapping_file.is_file()
    except OSError as exc:  # a name longer than the system allows, a loop of links: not a path to read
        raise InputError(
            f"{shown_path(Path(exc.filename or folder))}: cannot be opened ({exc.strerror})",
            fix="give the export folder's path (and the mapping file's) as they are on disk",
        ) from None
    if not is_folder:
        raise InputError(f"{folder}: not a folder", fix="give the folder that holds the export files")
    if not mapping_found:
        raise InputError(f"{mapping_file}: no such mapping file", fix="give the path of the mapping TOML")
    return load_mapping(mapping_file, folder) if mapping_file else standard_mapping(folder)


def shown_path(path: Path) -> str:
    """A path as a message names it: a hostile one of thousands of characters cut to its ends."""
    text = str(path)
    return text if len(text) <= 200 else f"{text[:80]}...{text[-80:]} ({len(text)} characters)"


def key_path(env: ClientEnv) -> Path:
    return env.files.anonymization_key


def key_file(workspace: Workspace, client: str) -> Path:
    return workspace.files(client).anonymization_key


def anonymization_key(path: Path) -> bytes:
    """The client's key (made the first time); a damaged one is refused, never silently replaced."""
    try:
        return load_or_create_key(path)
    except ValueError:  # not 64 hex digits, or not ASCII at all
        raise InputError(
            f"{path}: not an anonymization key (64 hex digits expected)",
            fix="restore the file from a backup; or delete it to make a new key (every pseudonym then changes)",
        ) from None


def report_dir(env: ClientEnv) -> Path:
    return env.files.imports


@dataclass(frozen=True)
class ImportReport:
    """What `provision import load` did: the seed-side result, what was loaded from where, the checks after."""

    result: ImportResult
    export: Path
    mapping: Path | None  # None: the standard layout
    strict: bool
    rejected_rows_file: Path | None
    checks: list[CheckResult]
    report_file: Path  # where to_dict() is kept
    customer: str = ""  # the profile's title: whose books, as the reports are titled

    @property
    def seconds(self) -> float:
        return round(self.result.seconds["total"], 2)

    def to_dict(self) -> dict[str, Any]:
        report = self.result.to_dict()
        report["export"] = str(self.export)
        report["mapping"] = str(self.mapping) if self.mapping else "standard layout"
        report["strict"] = self.strict
        report["rejected_rows_file"] = str(self.rejected_rows_file) if self.rejected_rows_file else None
        report["checks"] = [
            {"check": c.name, "violations": c.violations, "skipped": c.skipped or None, "rule": c.rule}
            for c in self.checks
        ]
        report["report"] = str(self.report_file)
        report["customer"] = self.customer
        return report


@dataclass(frozen=True)
class ScanReport:
    checked: int  # original personal values looked for
    leaks: list[Leak]

    def to_dict(self) -> dict[str, Any]:
        return {"checked": self.checked, "leaks": [vars(x) for x in self.leaks]}


@dataclass(frozen=True)
class Load:
    """One import: the export folder, its mapping file (None: the standard layout), and how to load it."""

    folder: Path
    mapping: Path | None = None
    strict: bool = False
    progress: FileProgress | None = None
    phase: Phase | None = None


def load_export(env: ClientEnv, dsn: str, load: Load) -> ImportReport:
    """Anonymize and load a client's legacy export as its books, check them, freeze the baseline.

    The report is also written to ``compose/<client>/import/last-load.json``, beside the rows left out
    (``rejected.csv``); both owner-only, and both replaced only when the load succeeds, so the two always
    describe the same load."""
    folder, mapping_file, phase = load.folder, load.mapping, load.phase
    profile = env.profile
    with user_errors(dsn, loading=True):
        mapping = export_mapping(folder, mapping_file)
    key = anonymization_key(key_path(env))
    private_folder(report_dir(env))
    rejected, report_file = env.files.rejected_rows, env.files.last_load
    try:
        with replacing_books(env, "import load", phase) as switched:
            with user_errors(dsn, loading=True):
                result = import_export(
                    dsn,
                    mapping,
                    key,
                    rules=dict(profile.anonymize),
                    noise=profile.noise,
                    strict=load.strict,
                    rejected_csv=aside(rejected),
                    progress=load.progress,
                    phase=phase,
                )
            switched()
        if phase:
            phase("checking the invariants")
        checks = check_data(dsn)
        report = ImportReport(
            result=result,
            export=folder.resolve(),
            mapping=mapping_file.resolve() if mapping_file else None,
            strict=load.strict,
            rejected_rows_file=rejected if result.rejects.total else None,
            checks=checks,
            report_file=report_file,
            customer=env.profile.title or env.client,
        )
        write_private(report_file, json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str))
        os.replace(aside(rejected), rejected)
    finally:
        aside(rejected).unlink(missing_ok=True)
    return report


# -- what the commands call ---------------------------------------------------------------------------
def write_template(directory: Path) -> list[Path]:
    """`provision import template`: the standard layout's empty files, to hand to a customer."""
    if "\x00" in str(directory):
        raise InputError(f"{str(directory)!r}: a path cannot hold a NUL character", fix="give the folder's path")
    try:
        return layout.write_template(directory)
    except FileExistsError as exc:
        raise InputError(f"{exc} already exists", fix="choose an empty folder") from None
    except OSError as exc:  # /proc, /sys, a read-only or full disk, a name too long: nothing of ours is left
        raise InputError(
            f"{shown_path(directory)}: cannot write the export files there ({exc.strerror or exc})",
            fix="give a new or empty folder on a disk you can write to",
        ) from None


@dataclass(frozen=True)
class ProblemList:
    """`import check --problems`: where the complete list of problems goes, in which language, and whether
    it shows personal values (it goes back to the data's owner)."""

    path: Path
    lang: str = "ru"
    with_personal: bool = False


def problem_list(path: Path | None, lang: str = "ru", with_personal: bool = False) -> ProblemList | None:
    """The list's options, checked before any work: a .csv or .xlsx file that can be written, a known
    language; personal values only into a list."""
    if lang not in LANGS:
        raise InputError(f"--lang {lang!r} is not a language of the list", fix=f"give one of: {', '.join(LANGS)}")
    if path is None:
        if with_personal:
            raise InputError(
                "--with-personal applies to the problem list only", fix="add --problems FILE.csv (or .xlsx)"
            )
        return None
    check_output_file(path, "--problems")
    if path.suffix.lower() not in FORMATS and not outfile.in_place(path):  # a device or FIFO takes the CSV
        raise InputError(
            f"--problems {path}: not a .csv or .xlsx file",
            fix="name the list problems.csv (for Excel, ';' and UTF-8) or problems.xlsx",
        )
    return ProblemList(path, lang, with_personal)


def _not_the_export(path: Path, mapping: Mapping, mapping_file: Path | None) -> None:
    """The list may not be written over a file of the export or its mapping."""
    target = path.resolve()
    theirs = [fm.path for fm in mapping.files.values()] + ([mapping_file] if mapping_file else [])
    if any(p.resolve() == target for p in theirs):
        raise InputError(
            f"--problems {path} is a file of the export (or its mapping): writing the list would destroy it",
            fix="write the list elsewhere, e.g. --problems problems.xlsx",
        )


def customer_name(workspace: Workspace, client: str) -> str:
    """The customer's name as the reports are titled: the profile's title (the client's name without one)."""
    return load_profile(workspace, client).title or client


def check_export(
    workspace: Workspace, client: str, folder: Path, mapping_file: Path | None, problems: ProblemList | None = None
) -> Report:
    """`provision import check`: the analysis of an export before migration (loads nothing); with
    ``problems``, every problem also into that list, sorted by file and line."""
    workspace.require_client(client)
    with user_errors():
        mapping = export_mapping(folder, mapping_file)
        if problems is None:
            return analyze(mapping)
        _not_the_export(problems.path, mapping, mapping_file)
        with Spill.private(problems.with_personal) as spill:
            report = analyze(mapping, spill=spill)
            try:
                write_problem_list(problems.path, spill, mapping, problems.lang)
            except OSError as exc:  # a full disk, a folder made read-only meanwhile
                raise EnvironmentProblem(
                    f"--problems {problems.path}: cannot write the list ({exc.strerror or exc})",
                    fix="free some space, or write the list elsewhere",
                ) from None
        return report


def sample_export(workspace: Workspace, client: str, directory: Path, through: str | None = None) -> dict[str, int]:
    """`provision import sample`: a client's books in the standard layout, as an old system would export
    them; with ``through`` (YYYY-MM), as they stood at that month's end."""
    month = parse_period(through, "--through")
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise InputError(f"{directory} is not an empty folder", fix="choose an empty or new folder")
    env = env_for(workspace, load_profile(workspace, client))
    dsn = running_dsn(env)
    repaired(env, "import sample")
    with user_errors(dsn):
        if month is not None:
            first, last = book_months(dsn)
            if not first <= month <= last:
                raise InputError(
                    f"--through {through}: the books hold {first:%Y-%m} .. {last:%Y-%m}",
                    fix=f"name a month from {first:%Y-%m} to {last:%Y-%m}",
                )
        return export_standard(dsn, directory, through=month)


def import_load(workspace: Workspace, client: str, load: Load) -> ImportReport:
    """`provision import load`: see :func:`load_export`."""
    profile = load_profile(workspace, client)
    with user_errors(loading=True):
        export_mapping(load.folder, load.mapping)  # a wrong folder, mapping or key is refused before anything else
    if key_file(workspace, client).exists():
        anonymization_key(key_file(workspace, client))
    env = env_for(workspace, profile)
    return load_export(env, running_dsn(env), load)


def scan_client(workspace: Workspace, client: str, folder: Path, mapping_file: Path | None) -> ScanReport:
    """`provision import scan`: look for the export's original personal values in the client's database."""
    profile = load_profile(workspace, client)
    with user_errors():
        mapping = export_mapping(folder, mapping_file)
    env = env_for(workspace, profile)
    dsn = running_dsn(env)
    repaired(env, "import scan")
    with user_errors():
        originals = collect_originals(mapping)
    with user_errors(dsn):
        return ScanReport(originals.size, scan_database(dsn, originals))
