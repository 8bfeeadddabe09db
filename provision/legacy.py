"""The customer's own data, seen from the CLI: resolve the export folder and mapping, run the analysis,
turn reading errors into messages that name the file, line and fix."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from provision.errors import EnvironmentProblem, InputError, OperationFailed
from provision.workspace import Workspace


@contextmanager
def _reading(consequence: str = "") -> Iterator[None]:
    """An export file or mapping that cannot be read becomes one input error naming the file and line."""
    from seed.errors import LegacyFormatError, MappingError

    try:
        yield
    except LegacyFormatError as exc:
        raise InputError(f"{exc}{consequence}", fix="re-export the file, or fix it at the line named") from None
    except MappingError as exc:
        raise InputError(f"{exc}{consequence}", fix="correct the mapping (see docs/export-layout.md)") from None


def check_export(workspace: Workspace, client: str, folder: Path, mapping_file: Path | None) -> Any:
    from seed.legacy.analyze import analyze

    workspace.require_client(client)
    with _reading():
        return analyze(_mapping(folder, mapping_file))


def sample_export(workspace: Workspace, client: str, directory: Path) -> dict[str, int]:
    """Write a client's books in the standard layout, as an old system would export them."""
    from provision.data import guarded, resolve_dsn
    from seed.legacy.export import export_standard

    if directory.exists() and any(directory.iterdir()):
        raise InputError(f"{directory} is not empty", fix="choose an empty or new folder")
    dsn = resolve_dsn(workspace, client, None)
    return guarded(dsn, lambda: export_standard(dsn, directory))  # type: ignore[no-any-return]


def _mapping(folder: Path, mapping_file: Path | None) -> Any:
    from seed.legacy.mapping import load_mapping, standard_mapping

    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder", fix="give the folder that holds the export files")
    if mapping_file is not None and not mapping_file.is_file():
        raise InputError(f"{mapping_file}: no such mapping file", fix="give the path of the mapping TOML")
    return load_mapping(mapping_file, folder) if mapping_file else standard_mapping(folder)


def key_path(workspace: Workspace, client: str) -> Path:
    return workspace.secrets_dir(client) / "anonymization.key"


def report_dir(workspace: Workspace, client: str) -> Path:
    return workspace.client_dir(client) / "import"


def load_export(
    workspace: Workspace,
    client: str,
    folder: Path,
    mapping_file: Path | None,
    *,
    strict: bool = False,
    progress: Callable[[str, int], None] | None = None,
    phase: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Anonymize and load a client's legacy export as its books, check them, freeze the baseline.

    Returns the load report (also written to ``compose/<client>/import/last-load.json``)."""
    import psycopg

    from provision.data import check_data, hide_password, resolve_dsn
    from provision.profile import load_profile
    from provision.training import serialized, trainer_for
    from seed.errors import ImportRefused, SeedBusy, WorkerFailed
    from seed.legacy.anonymize import load_or_create_key
    from seed.legacy.importer import import_export

    workspace.require_client(client)
    profile = load_profile(workspace, client)
    dsn = resolve_dsn(workspace, client, None)
    reports = report_dir(workspace, client)
    reports.mkdir(parents=True, exist_ok=True)
    os.chmod(reports, 0o700)
    try:
        with _reading("; nothing was loaded, the current data is unchanged"):
            mapping = _mapping(folder, mapping_file)
            key = load_or_create_key(key_path(workspace, client))
            result = import_export(
                dsn,
                mapping,
                key,
                rules=dict(profile.anonymize),
                noise=profile.noise,
                strict=strict,
                rejected_csv=reports / "rejected.csv",
                progress=progress,
                phase=phase,
            )
    except ImportRefused as exc:
        raise OperationFailed(f"import refused: {exc}; the current data is unchanged") from None
    except WorkerFailed as exc:
        raise OperationFailed(f"the load failed: {hide_password(str(exc))}; the current data is unchanged") from None
    except SeedBusy as exc:
        raise EnvironmentProblem(str(exc)) from None
    except psycopg.Error as exc:
        reason = hide_password(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        raise OperationFailed(f"the load failed in PostgreSQL: {reason}; the current data is unchanged") from None
    report = result.to_dict()
    report["export"] = str(folder.resolve())
    report["mapping"] = str(mapping_file.resolve()) if mapping_file else "standard layout"
    report["strict"] = strict
    report["rejected_rows_file"] = str(reports / "rejected.csv") if result.rejects.total else None
    if phase:
        phase("checking the invariants")
    checks = check_data(dsn)
    report["checks"] = [
        {"check": c.name, "violations": c.violations, "skipped": c.skipped or None, "rule": c.rule} for c in checks
    ]
    if phase:
        phase("freezing the baseline")
    with serialized(workspace, client):
        trainer = trainer_for(workspace, client)
        trainer.freeze_baseline()
        trainer.sync_seats()
    report["report"] = str(reports / "last-load.json")
    (reports / "last-load.json").write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), "utf-8")
    return report


def scan_client(workspace: Workspace, client: str, folder: Path, mapping_file: Path | None) -> tuple[int, list[Any]]:
    """Look for the export's original personal values in the client's database: (values checked, leaks)."""
    from provision.data import guarded, resolve_dsn
    from seed.legacy.importer import collect_originals, scan_database

    workspace.require_client(client)
    dsn = resolve_dsn(workspace, client, None)
    with _reading():
        originals = collect_originals(_mapping(folder, mapping_file))
    leaks = guarded(dsn, lambda: scan_database(dsn, originals))
    return originals.size, leaks
