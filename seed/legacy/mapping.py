"""Mapping files (TOML): which file and column of a customer's export feeds which entity and field.

    [files.accounts]
    path = "ABON.DBF"            # relative to the export folder
    encoding = "cp866"           # optional: detected when left out
    [files.accounts.columns]
    number = "LS"                # field of the standard layout = the customer's column name
    total_area = "PLOSH"

Per-column conversions, applied as the file is read (by `import check` and `import load` alike):

    [files.readings.convert]
    value1 = { scale = 0.001 }                        # litres in the old system, m³ here
    period = { format = "%Y%m" }                      # 202601
    service = { values = { "1" = "ХВС", "2" = "ГВС" } }  # the old system's codes

``values`` replaces whole values (others pass unchanged), ``format`` reads dates and periods with a
strptime pattern, ``scale`` multiplies numbers; in that order. A value a conversion cannot read is left
as it is, so the analysis reports it at its line.

A field the export never writes may be given one value for every row (a one-town utility's city):

    [files.accounts.fixed]
    city = "Заречный"

A reading's service may be left out when a meters file is mapped (each reading takes its meter's), a
balance's when a services or meters file is (each takes its account's only service).

Entities and fields are those of the standard layout (docs/export-layout.md); with no mapping file the
standard layout itself is read.
"""

from __future__ import annotations

import datetime as dt
import difflib
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from seed.errors import MappingError, UnreadableFile
from seed.infile import read_small_text
from seed.legacy import convert
from seed.legacy.layout import DATE_FIELDS, EXTRA_FIELDS, STANDARD
from seed.legacy.read import read_records

PERIOD_FIELDS = {"period"}
CONVERSIONS = ("scale", "format", "values")
FILE_KEYS = ("path", "encoding", "delimiter", "sheet", "optional", "columns", "convert", "header_line", "fixed")
# entity -> the files whose rows tell the service of a row that has none (docs/export-layout.md)
INFERRED_SERVICE = {"readings": ("meters",), "balances": ("services", "meters")}


@dataclass(frozen=True)
class Conversion:
    scale: Decimal | None = None
    format: str | None = None
    values: dict[str, str] | None = None

    def __call__(self, value: Any, is_period: bool) -> Any:
        if self.values is not None:
            value = self.values.get(str(value).strip(), value)
        if self.format is not None and isinstance(value, str) and value.strip():
            try:
                parsed = dt.datetime.strptime(value.strip(), self.format)
            except ValueError:
                return value
            value = parsed.strftime("%m.%Y" if is_period else "%d.%m.%Y")
        if self.scale is not None and value not in (None, ""):
            try:  # read as any number of the export is ('1 234,5'), a spreadsheet's number cell as its text
                number = convert.decimal(value)
            except convert.ValueProblem:
                return value
            if number is not None:
                value = format((number * self.scale).normalize(), "f")
        return value


@dataclass(frozen=True)
class FileMapping:
    entity: str
    path: Path
    columns: dict[str, str]  # field -> column in the file
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    optional: bool = False
    convert: dict[str, Conversion] = field(default_factory=dict)  # field -> conversion
    header_line: int = 1  # the line (row) of the column names: lines above it are a title block
    fixed: dict[str, str] = field(default_factory=dict)  # field -> its value on every row


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


def _text(where: str, key: str, value: Any, allowed: str, ok: bool) -> Any:
    if not ok:
        raise MappingError(f"{where} {key} = {value!r} is not allowed; allowed: {allowed}")
    return value


def _file_options(where: str, spec: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """A file's encoding (one Python knows), delimiter (one character) and sheet (a name), when given."""
    for key in spec:
        if key not in FILE_KEYS:
            raise _unknown(where, key, list(FILE_KEYS))
    encoding, delimiter, sheet = spec.get("encoding"), spec.get("delimiter"), spec.get("sheet")
    if encoding is not None:
        known = isinstance(encoding, str) and bool(encoding)
        try:
            known = known and bool("a".encode(encoding))  # a text encoding: base64 or rot13 are refused here
        except LookupError:
            known = False
        _text(where, "encoding", encoding, "an encoding such as cp1251, cp866, koi8_r or utf-8", known)
    one_char = isinstance(delimiter, str) and len(delimiter) == 1 and delimiter not in '"\r\n'
    if delimiter is not None:
        _text(where, "delimiter", delimiter, 'one character such as ";", "," or "\\t" (not a quote)', one_char)
    if sheet is not None:
        _text(where, "sheet", sheet, "the name of a sheet of the XLSX file", isinstance(sheet, str) and bool(sheet))
    optional = spec.get("optional", False)
    _text(where, "optional", optional, "true or false", isinstance(optional, bool))
    return encoding, delimiter, sheet


def load_mapping(path: Path, folder: Path) -> Mapping:
    try:
        data = tomllib.loads(read_small_text(path))
    except UnreadableFile as exc:
        raise MappingError(f"{path}: cannot read the mapping: it {exc.reason}") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{path}: cannot read the mapping ({exc})") from None
    for key in data:  # a misspelt table ([file.accounts]) would otherwise be read as no mapping at all
        if key != "files":
            raise _unknown(f"{path}: [{key}]", key, ["files"])
    files = data.get("files")
    if not isinstance(files, dict):
        raise MappingError(f"{path}: no [files.<entity>] tables")
    mapping = Mapping()
    for entity, spec in files.items():
        if entity not in STANDARD:
            raise _unknown(f"{path}: [files.{entity}]", entity, list(STANDARD))
        where = f"{path}: [files.{entity}]"
        if not isinstance(spec, dict):
            raise MappingError(f'{where}: not a table; write [files.{entity}] with path = "FILE" and [..columns]')
        encoding, delimiter, sheet = _file_options(where, spec)
        known = [f for f, _, _ in STANDARD[entity][1]] + [f for f, _ in EXTRA_FIELDS.get(entity, [])]
        columns = spec.get("columns", {})
        if not isinstance(columns, dict) or not all(isinstance(c, str) and c for c in columns.values()):
            raise MappingError(f'{where}.columns must be a table of field = "COLUMN NAME"')
        for fld in columns:
            if fld not in known:
                raise _unknown(f"{path}: [files.{entity}.columns]", fld, known)
        fixed = _fixed(f"{path}: [files.{entity}.fixed]", spec.get("fixed", {}), columns, known)
        given = set(columns) | set(fixed)
        missing = [f for f, _, required in STANDARD[entity][1] if required and f not in given]
        if "full_name" in given:  # ФИО in one column stands for the three
            missing = [f for f in missing if f not in ("surname", "given_name")]
        if "address" in given:  # so does an address for its parts (a row without a town: a problem at its line)
            missing = [f for f in missing if f not in ("city", "street", "house")]
        if entity in INFERRED_SERVICE:  # told by another file: checked once every file is known
            missing = [f for f in missing if f != "service"]
        if missing:
            raise MappingError(
                f"{path}: [files.{entity}.columns] lacks required fields: {', '.join(missing)} "
                f"(map a column to each, or give it one value for every row under [files.{entity}.fixed])"
            )
        file_path = spec.get("path")
        if not isinstance(file_path, str) or not file_path.strip() or "\x00" in file_path:
            raise MappingError(f'{path}: [files.{entity}] needs path = "FILE" (relative to the export folder)')
        if _outside(file_path):
            raise MappingError(
                f"{path}: [files.{entity}] path = {file_path!r} is outside the export folder; give the file's "
                f'name relative to the folder (path = "ABON.DBF"), and copy the file into the folder if it is elsewhere'
            )
        convert = _conversions(path, entity, spec.get("convert", {}), columns)
        header_line = spec.get("header_line", 1)
        if isinstance(header_line, bool) or not isinstance(header_line, int) or not 1 <= header_line <= 1000:
            raise MappingError(f"{path}: [files.{entity}] header_line = {header_line!r} is not a line number")
        mapping.files[entity] = FileMapping(
            entity,
            folder / file_path,
            {k: str(v) for k, v in columns.items()},
            encoding,
            delimiter,
            sheet,
            bool(spec.get("optional", False)),
            convert,
            header_line,
            fixed,
        )
    _service_told(path, mapping)
    return mapping


def _fixed(where: str, raw: Any, columns: dict[str, Any], known: list[str]) -> dict[str, str]:
    """A file's fixed values: known fields not also given a column, each a text (or a number, as text)."""
    if not isinstance(raw, dict):
        raise MappingError(f'{where}: a table of field = "VALUE" (the value of that field on every row)')
    fixed = {}
    for fld, value in raw.items():
        if fld not in known:
            raise _unknown(where, fld, known)
        if fld in columns:
            raise MappingError(
                f"{where}: {fld} is given both a column ({columns[fld]!r}) and a fixed value ({value!r}); keep one"
            )
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            raise MappingError(f'{where}: {fld} = {value!r} is not a text or a number; write {fld} = "VALUE"')
        fixed[fld] = value if isinstance(value, str) else str(value)
    return fixed


def sharing(mapping: Mapping, entity: str) -> list[FileMapping]:
    """The other entities' mappings of the file an entity reads (accounts and persons in one file: one row
    per resident, the account's columns repeated)."""
    fm = mapping.files.get(entity)
    if fm is None:
        return []
    return [o for e, o in mapping.files.items() if e != entity and o.path == fm.path and o.sheet == fm.sheet]


def file_columns(mapping: Mapping) -> dict[Path, dict[str, str]]:
    """Each mapped file's columns by field, as the customer names them: of every entity that reads the file
    (accounts and persons from one file)."""
    found: dict[Path, dict[str, str]] = {}
    for fm in mapping.files.values():
        found.setdefault(fm.path, {}).update(fm.columns)
    return found


def service_given(fm: FileMapping) -> bool:
    """Whether a file's rows say their service (a column or a fixed value) rather than leave it inferred."""
    return "service" in fm.columns or "service" in fm.fixed


def _service_told(path: Path, mapping: Mapping) -> None:
    """A file whose rows do not say their service needs a file to tell it from (a meter's, an account's)."""
    for entity, sources in INFERRED_SERVICE.items():
        fm = mapping.files.get(entity)
        if fm is None or service_given(fm) or any(s in mapping.files for s in sources):
            continue
        names = " or ".join(f"[files.{s}]" for s in sources)
        raise MappingError(
            f"{path}: [files.{entity}] has no service: its rows cannot say which service they are of. Map its "
            f'service column, give one value for every row (service = "ХВС" under [files.{entity}.fixed]), '
            f"or map {names} so that each row takes the service from there"
        )


def _outside(file_path: str) -> bool:
    """Whether a mapping's path leaves the export folder: an absolute path (POSIX or Windows) or a '..'."""
    windows = PureWindowsPath(file_path)
    return (
        PurePosixPath(file_path).is_absolute()
        or bool(windows.drive or windows.root)
        or ".." in PurePosixPath(file_path).parts
        or ".." in windows.parts
    )


def _conversions(path: Path, entity: str, raw: Any, columns: dict[str, Any]) -> dict[str, Conversion]:
    where = f"{path}: [files.{entity}.convert]"
    if not isinstance(raw, dict):
        raise MappingError(f"{where}: a table of field = {{ scale = ..., format = ..., values = {{...}} }}")
    result = {}
    for fld, spec in raw.items():
        if fld not in columns:
            raise _unknown(where, fld, list(columns))
        if not isinstance(spec, dict) or not spec:
            raise MappingError(f"{where}: {fld} needs a table such as {{ scale = 0.001 }}")
        for key in spec:
            if key not in CONVERSIONS:
                raise _unknown(f"{where} {fld}", key, list(CONVERSIONS))
        scale = spec.get("scale")
        if scale is not None and (isinstance(scale, bool) or not isinstance(scale, int | float) or scale <= 0):
            raise MappingError(f"{where}: {fld}.scale = {scale!r} is not a positive number")
        fmt = spec.get("format")
        if fmt is not None:
            _date_format(where, fld, fmt)
        values = spec.get("values")
        if values is not None and not (isinstance(values, dict) and all(isinstance(v, str) for v in values.values())):
            raise MappingError(f'{where}: {fld}.values must be a table such as {{ "1" = "ХВС" }}')
        table = {str(k): v for k, v in values.items()} if values else None
        result[fld] = Conversion(Decimal(str(scale)) if scale is not None else None, fmt, table)
    return result


def _date_format(where: str, fld: str, fmt: Any) -> None:
    """A `format` reads a date field (day, month and year) or a period (month and year) with strptime;
    refused here, not on every row, when it cannot."""
    is_period = fld in PERIOD_FIELDS
    if fld not in DATE_FIELDS and not is_period:
        dates = ", ".join(sorted(DATE_FIELDS | PERIOD_FIELDS))
        raise MappingError(f"{where}: {fld}.format: {fld} is not a date; a format reads only these fields: {dates}")
    example = "%Y%m" if is_period else "%d/%m/%Y"
    problem = "not a text" if not isinstance(fmt, str) else convert.date_pattern_problem(fmt, is_period)
    if problem:
        needs = "the month and year" if is_period else "the day, month and year"
        raise MappingError(
            f'{where}: {fld}.format = {fmt!r} is not a date pattern ({problem}); write one such as "{example}" '
            f"with {needs}, from the directives {convert.ALLOWED_DIRECTIVES}"
        )


def converted(
    fm: FileMapping, headers: list[str], rows: Iterator[tuple[int, list[Any]]]
) -> Iterator[tuple[int, list[Any]]]:
    """The rows of a file with the mapping's per-column conversions applied (as they are read)."""
    if not fm.convert:
        return rows
    steps = [(headers.index(fm.columns[fld]), conv, fld in PERIOD_FIELDS) for fld, conv in fm.convert.items()]

    def convert() -> Iterator[tuple[int, list[Any]]]:
        for line, rec in rows:
            for i, conv, is_period in steps:
                rec[i] = conv(rec[i], is_period)
            yield line, rec

    return convert()


def read_mapped(fm: FileMapping) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """A mapped file's column names and its rows (line, values), its columns checked against the mapping
    and its conversions applied as it is read."""
    try:
        headers, rows = read_records(
            fm.path, encoding=fm.encoding, delimiter=fm.delimiter, sheet=fm.sheet, header_line=fm.header_line
        )
    except KeyError as exc:  # openpyxl's word for a sheet the workbook lacks
        if fm.sheet is None or "does not exist" not in str(exc):
            raise
        raise MappingError(f"{fm.path}: no sheet {fm.sheet!r} in the workbook; correct sheet = ...") from None
    check_columns(fm, headers)
    return headers, converted(fm, headers, rows)


def check_columns(fm: FileMapping, headers: list[str]) -> None:
    """Every mapped column must be in the file's header."""
    missing = [f"{col} (for {fld})" for fld, col in fm.columns.items() if col not in headers]
    if missing:
        hint = "" if fm.header_line > 1 else " (if the column names are not on the first line, set header_line = N)"
        raise MappingError(f"{fm.path}: missing column {', '.join(missing)}; the file has: {', '.join(headers)}{hint}")
