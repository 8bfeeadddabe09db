"""Mapping files (TOML): which file and column of a customer's export feeds which entity and field.

    [files.accounts]
    path = "ABON.DBF"            # relative to the export folder
    encoding = "cp866"           # optional: detected when left out
    [files.accounts.columns]
    number = "LS"                # field of the standard layout = the customer's column name
    total_area = "PLOSH"

Entities and fields are those of the standard layout (docs/export-layout.md); with no mapping file the
standard layout itself is read.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seed.legacy.layout import STANDARD


class MappingError(ValueError):
    """A mapping that does not fit: names the mapping file and the key."""


@dataclass(frozen=True)
class FileMapping:
    entity: str
    path: Path
    columns: dict[str, str]  # field -> column in the file
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    optional: bool = False


@dataclass
class Mapping:
    files: dict[str, FileMapping] = field(default_factory=dict)


def standard_mapping(folder: Path) -> Mapping:
    return Mapping(
        {
            entity: FileMapping(entity, folder / file_name, {f: h for f, h, _ in fields}, optional=entity == "totals")
            for entity, (file_name, fields) in STANDARD.items()
        }
    )


def _unknown(where: str, key: str, allowed: list[str]) -> MappingError:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return MappingError(f"{where}: unknown {key!r}{hint}; allowed: {', '.join(allowed)}")


def load_mapping(path: Path, folder: Path) -> Mapping:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise MappingError(f"{path}: cannot read the mapping ({exc})") from None
    files = data.get("files")
    if not isinstance(files, dict):
        raise MappingError(f"{path}: no [files.<entity>] tables")
    mapping = Mapping()
    for entity, spec in files.items():
        if entity not in STANDARD:
            raise _unknown(f"{path}: [files.{entity}]", entity, list(STANDARD))
        known = [f for f, _, _ in STANDARD[entity][1]]
        columns = spec.get("columns", {})
        for fld in columns:
            if fld not in known:
                raise _unknown(f"{path}: [files.{entity}.columns]", fld, known)
        missing = [f for f, _, required in STANDARD[entity][1] if required and f not in columns]
        if missing:
            raise MappingError(f"{path}: [files.{entity}.columns] lacks required fields: {', '.join(missing)}")
        if "path" not in spec:
            raise MappingError(f'{path}: [files.{entity}] needs path = "FILE"')
        mapping.files[entity] = FileMapping(
            entity,
            folder / str(spec["path"]),
            {k: str(v) for k, v in columns.items()},
            spec.get("encoding"),
            spec.get("delimiter"),
            spec.get("sheet"),
            bool(spec.get("optional", False)),
        )
    return mapping


def check_columns(fm: FileMapping, headers: list[str]) -> None:
    """Every mapped column must be in the file's header."""
    missing = [f"{col} (for {fld})" for fld, col in fm.columns.items() if col not in headers]
    if missing:
        raise MappingError(f"{fm.path}: missing column {', '.join(missing)}; the file has: {', '.join(headers)}")


def row_fields(fm: FileMapping, values: dict[str, Any]) -> dict[str, Any]:
    return {fld: values.get(col, "") for fld, col in fm.columns.items()}
