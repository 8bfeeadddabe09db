"""The customer's own data, seen from the CLI: resolve the export folder and mapping, run the analysis,
turn reading errors into messages that name the file, line and fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from provision.errors import InputError
from provision.workspace import Workspace


def check_export(workspace: Workspace, client: str, folder: Path, mapping_file: Path | None) -> Any:
    from seed.legacy.analyze import analyze
    from seed.legacy.mapping import MappingError, load_mapping, standard_mapping
    from seed.legacy.read import LegacyFormatError

    workspace.require_client(client)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder", fix="give the folder that holds the export files")
    try:
        mapping = load_mapping(mapping_file, folder) if mapping_file else standard_mapping(folder)
        return analyze(mapping)
    except LegacyFormatError as exc:
        raise InputError(str(exc), fix="re-export the file, or fix it at the line named") from None
    except MappingError as exc:
        raise InputError(str(exc), fix="correct the mapping (see docs/export-layout.md)") from None
