"""Property-based tests of the readers and the row readers: any mix of cell types (XLSX written with
openpyxl, DBF written here), encodings and garbage gives a value or a row-level problem (Refused, a problem
in the report, LegacyFormatError naming the file and line), never another exception; and a typed cell is
read exactly as its text in a CSV would be."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import struct
import tempfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seed.errors import LegacyFormatError, MappingError
from seed.legacy import interpret
from seed.legacy.analyze import analyze
from seed.legacy.importer import ImportState
from seed.legacy.interpret import NULL, EntityFile, Refused
from seed.legacy.layout import STANDARD
from seed.legacy.mapping import FileMapping, standard_mapping
from seed.legacy.read import NumberCell, cell_text, read_records, read_table
from seed.legacy.rows import (
    balance_amounts,
    payment_fields,
    read_account,
    read_meter,
    read_person,
    reading_reader,
)
from tests.small_export import load_stages, tiny_export

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KEY = bytes(range(32))

# text openpyxl can write (no control characters XML forbids) and no surrogates
PRINTABLE = st.characters(blacklist_categories=("Cs", "Cc"))
TEXTS = st.text(PRINTABLE, max_size=20)
WRITTEN = st.sampled_from(
    [
        "", " ", "0", "-1", "17", "52,5", "1 234,56", "1,234.56", "1/3", "0/0", "9" * 40 + "/7", "1e400", "-1E-9",
        "NaN", "Infinity", "-inf", "01.2026", "0126", "2026-01", "Январь 2026", "май 0000", "01.0000", "0000-01",
        "15.01.2026", "31.02.2026", "45292", "45292,5", "99999", "20260115", "1.23457E+11", "ХВС", "Электроэнергия",
        "собственник", "Tenant", "TRUE", "#DIV/0!", "٤٥٢٩٢", "²", "-0", "1" * 12, "0.5", "2.5", "0,004",
        "0.005", "7" * 31,
    ]
)  # fmt: skip
DATES = st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2200, 12, 31))
DATETIMES = st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2200, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)
# the values openpyxl gives for a cell (a formula's cached value is one of them)
CELLS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    DATES,
    DATETIMES,
    st.times().map(lambda t: t.replace(microsecond=0)),
    TEXTS,
    WRITTEN,
)
XLSX_CELLS = CELLS.filter(lambda v: not (isinstance(v, str) and v.startswith("=")))  # openpyxl: '=0' is a formula
# anything a caller may hand the field readers
RAW = st.one_of(CELLS, st.floats(), st.decimals(), st.builds(NumberCell, WRITTEN), st.binary(max_size=8))


# -- the text form of a typed cell ------------------------------------------------------------------------------
@FAST
@given(RAW)
def test_a_cell_has_one_text_form(value: Any) -> None:
    written = cell_text(value)
    assert isinstance(written, str)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        assert isinstance(written, NumberCell)
        if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15):
            assert written == str(int(value))  # no '.0', no exponent
        if isinstance(value, float) and math.isfinite(value):
            assert Decimal(written) == Decimal(format(value, ".15g"))  # Excel keeps 15 significant digits
        if isinstance(value, Decimal) and value.is_finite():
            assert Decimal(written) == value


# -- the field readers ------------------------------------------------------------------------------------------
@FAST
@given(RAW)
def test_field_readers_give_a_value_or_refuse(raw: Any) -> None:
    assert isinstance(interpret.text(raw), str)
    got = interpret.number(raw)
    assert got is None or abs(Decimal(got)) < interpret.LARGEST
    iso, why = attempt(lambda: interpret.iso_date(raw, fld="paid_on"))
    if why is None:
        assert iso == NULL or dt.date.fromisoformat(iso)
    else:
        assert why.reason == interpret.NOT_A_DATE and why.field == "paid_on"
    month = interpret.month_number(raw)
    assert month is None or 12 <= month < 10_000 * 12
    assert interpret.role(raw) in ("owner", "tenant", "resident")
    assert interpret.service_code(raw) in (None, *interpret.SERVICE_IDS)


@FAST
@given(CELLS)
def test_a_typed_cell_reads_as_its_text(cell: Any) -> None:
    """Each field reader gives for a cell what it gives for the cell's text in a CSV."""
    written = cell_text(cell)
    plain = str(written)  # as a CSV holds it: no trace of the cell's type
    assert interpret.number(written) == interpret.number(plain)
    assert interpret.month_number(written) == interpret.month_number(plain)
    assert _outcome(lambda: interpret.iso_date(written)) == _outcome(lambda: interpret.iso_date(plain))


def _outcome(read: Callable[[], Any]) -> Any:
    got, why = attempt(read)
    return got if why is None else why.reason


def attempt(read: Callable[[], Any], *expected: type[Exception]) -> tuple[Any, Any]:
    """(what ``read`` gives, None), or (None, the exception) when it raises one of ``expected`` (Refused
    unless told): any other exception fails the test."""
    caught = expected or (Refused,)
    try:
        return read(), None
    except caught as exc:
        return None, exc


def _whole(table: tuple[list[str], Iterator[Any]]) -> tuple[list[str], list[Any]]:
    return table[0], list(table[1])


# -- the row readers --------------------------------------------------------------------------------------------
def entity_file(entity: str, suffix: str = ".csv") -> EntityFile:
    fields = [f for f, _, _ in STANDARD[entity][1]]
    fm = FileMapping(entity, Path(f"{entity}{suffix}"), {f: f for f in fields})
    return EntityFile(entity, fm, {f: i for i, f in enumerate(fields)}, iter(()))


def records(entity: str) -> st.SearchStrategy[list[str]]:
    """A row as a reader gives it: every cell as its text form."""
    width = len(STANDARD[entity][1])
    return st.lists(CELLS.map(cell_text), min_size=width, max_size=width)


def _loads(row: tuple[Any, ...]) -> None:
    """What PostgreSQL needs of the values a row reader returns (else the whole load would fail)."""
    for value in row:
        assert isinstance(value, str | int)
        if isinstance(value, str):
            assert "\x00" not in value


SUFFIXES = st.sampled_from([".csv", ".xlsx"])


@FAST
@given(records("accounts"), SUFFIXES)
def test_an_account_row_loads_or_is_refused(rec: list[str], suffix: str) -> None:
    row, why = attempt(lambda: read_account(entity_file("accounts", suffix), 2, rec))
    if why is not None:
        assert why.reason.kind in ("missing_value", "bad_value")
        return
    _loads(row)
    assert 1 <= len(row.number) <= 30  # as the books hold an account number
    assert 0.005 <= float(row.total) < 1_000_000 and 0 <= int(row.residents) < 32768  # 0.01 m² once rounded
    assert row.rooms == NULL or 0 <= int(row.rooms) <= 20
    assert row.living == NULL or 0 <= float(row.living) < 1_000_000


@FAST
@given(records("persons"), SUFFIXES)
def test_a_person_row_loads_or_is_refused(rec: list[str], suffix: str) -> None:
    row, why = attempt(lambda: read_person(entity_file("persons", suffix), 2, rec))
    if why is not None:
        assert why.reason.kind in ("missing_value", "bad_value")
        return
    _loads(row)
    assert row.share == NULL or 0 < Decimal(row.share) <= 1
    assert row.birth == NULL or dt.date.fromisoformat(row.birth)


@FAST
@given(records("meters"), SUFFIXES)
def test_a_meter_row_loads_or_is_refused(rec: list[str], suffix: str) -> None:
    row, why = attempt(lambda: read_meter(entity_file("meters", suffix), 2, rec))
    if why is not None:
        assert why.reason.kind in ("missing_value", "bad_value", "unknown_service", "meter_dates")
        return
    _loads(row)
    assert 1 <= row.zones <= 3 and 4 <= row.digits <= 9


@FAST
@given(records("readings"), SUFFIXES)
def test_a_reading_row_loads_or_is_refused(rec: list[str], suffix: str) -> None:
    got, why = attempt(lambda: reading_reader(entity_file("readings", suffix))(rec))
    if why is not None:
        assert why.reason.kind == "bad_value"
        return
    month, values, taken = got
    assert 12 <= month < 10_000 * 12 and taken == NULL or dt.date.fromisoformat(taken)
    assert values[0] != NULL and all(v == NULL or 0 <= Decimal(v) < interpret.LARGEST for v in values)


@FAST
@given(records("balances"), records("payments"), SUFFIXES)
def test_money_rows_load_or_are_refused(balance_rec: list[str], payment_rec: list[str], suffix: str) -> None:
    amounts, why = attempt(lambda: balance_amounts(entity_file("balances", suffix), balance_rec))
    if why is None:
        assert len(amounts) == 5 and all(abs(Decimal(a)) < interpret.LARGEST for a in amounts)
    else:
        assert why.reason == interpret.NOT_AN_AMOUNT
    paid, why = attempt(lambda: payment_fields(entity_file("payments", suffix), payment_rec))
    if why is None:
        day, amount, month = paid
        assert dt.date.fromisoformat(day) and Decimal("0.005") <= Decimal(amount) < interpret.LARGEST and month >= 12
    else:
        assert why.reason.kind == "bad_value"


# -- whole files: XLSX, DBF and CSV as written, garbage included ---------------------------------------------------
def write_xlsx(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@SLOW
@given(st.lists(st.lists(XLSX_CELLS, min_size=3, max_size=3), max_size=6))
def test_an_xlsx_reads_as_the_csv_of_its_texts(rows: list[list[Any]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        book = write_xlsx(Path(folder) / "x.xlsx", ["A", "B", "C"], rows)
        headers, got = read_records(book)
        assert headers == ["A", "B", "C"]
        read = list(got)
        sheet = openpyxl.load_workbook(book, read_only=True).worksheets[0]
        cells = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]  # as the sheet holds them
    kept = [r for r in cells if any(cell_text(v).strip() for v in r)]  # empty rows are skipped, as in a CSV
    assert len(read) == len(kept) == len([r for r in rows if any(cell_text(v).strip() for v in r)])
    for (_, values), row in zip(read, kept, strict=True):
        assert all(isinstance(v, str) for v in values)
        assert values == [cell_text(v) for v in row]


def write_dbf(path: Path, fields: list[tuple[str, str, int]], records: list[list[bytes]], language: int = 0x65) -> Path:
    """A dBASE III table of raw field bytes (each padded or cut to its width)."""
    header_len = 32 + 32 * len(fields) + 1
    record_len = 1 + sum(f[2] for f in fields)
    head = struct.pack("<BBBBIHH", 3, 126, 1, 1, len(records), header_len, record_len) + bytes(17)
    head += bytes([language]) + bytes(2)
    desc = b"".join(
        name.encode("ascii").ljust(11, b"\x00") + kind.encode("ascii") + bytes(4) + bytes([width, 0]) + bytes(14)
        for name, kind, width in fields
    )
    body = b"".join(
        b" " + b"".join(v[:w].ljust(w) for v, (_, _, w) in zip(rec, fields, strict=True)) for rec in records
    )
    path.write_bytes(head + desc + b"\x0d" + body + b"\x1a")
    return path


DBF_FIELDS = [("LS", "C", 10), ("SUMMA", "N", 12), ("DATA", "D", 8), ("FLAG", "L", 1)]
DBF_VALUES = st.one_of(
    st.binary(max_size=12),
    st.sampled_from([b"", b"20260115", b"20261345", b"2026ab01", b"1234.56", b"T", b"?", b"\x00" * 8, b"ab\x00cd"]),
    TEXTS.map(lambda t: t.encode("cp866", errors="replace")),
)


@FAST
@given(st.lists(st.lists(DBF_VALUES, min_size=4, max_size=4), max_size=5), st.sampled_from([0x65, 0x57]))
def test_a_dbf_gives_text_rows_or_names_the_file_and_record(rows: list[list[bytes]], language: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_dbf(Path(folder) / "abon.dbf", DBF_FIELDS, rows, language)
        table, exc = attempt(lambda: _whole(read_records(path)), LegacyFormatError)
    if exc is not None:
        assert exc.path == str(path) and exc.line is not None and 1 <= exc.line <= len(rows)
        return
    headers, read = table
    assert headers == [f[0] for f in DBF_FIELDS] and len(read) == len(rows)
    for _, values in read:
        assert all(isinstance(v, str) and "\x00" not in v for v in values)
        assert _outcome(lambda v=values: interpret.iso_date(v[2])) is not None


@FAST
@given(st.binary(max_size=400), st.sampled_from(["x.csv", "x.dbf", "x.xlsx", "x.txt"]))
def test_garbage_in_any_format_is_refused_with_its_file(data: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        table, exc = attempt(lambda: _whole(read_table(path)), LegacyFormatError)
    if exc is not None:
        assert exc.path == str(path)
        return
    for row in table[1]:
        assert row.file == str(path) and all(isinstance(v, str) for v in row.values.values())


ENCODINGS = st.sampled_from(["cp1251", "utf-8", "utf-8-sig", "cp866", "koi8_r"])


@FAST
@given(st.lists(st.lists(TEXTS, min_size=3, max_size=3), max_size=5), ENCODINGS, st.sampled_from(["\r\n", "\n", "\r"]))
def test_a_csv_in_any_encoding_gives_rows_or_names_the_line(rows: list[list[str]], encoding: str, end: str) -> None:
    text = end.join(";".join(r) for r in [["ЛС", "Сумма", "Дата"], *rows]) + end
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.csv"
        path.write_bytes(text.encode(encoding, errors="replace"))
        table, exc = attempt(lambda: _whole(read_records(path)), LegacyFormatError)
    if exc is not None:
        assert exc.path == str(path) and exc.line is not None
        return
    for line, values in table[1]:
        assert line >= 2 and all(isinstance(v, str) for v in values)


# encodings a mapping may name: any text codec Python knows, the odd ones raise a plain UnicodeError
FORCED = st.sampled_from(["cp1251", "utf-8", "utf-16", "utf-32", "utf-7", "punycode", "idna", "utf-16-le"])


@FAST
@given(st.binary(max_size=200), FORCED)
def test_garbage_in_a_named_encoding_is_refused_with_its_line(data: bytes, encoding: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.csv"
        path.write_bytes(b"A;B\r\n" + data)
        table, exc = attempt(lambda: _whole(read_records(path, encoding=encoding)), LegacyFormatError)
    if exc is not None:
        assert exc.path == str(path) and exc.line is not None
    else:
        assert all(isinstance(v, str) for _, values in table[1] for v in values)


# -- the analysis and the load's stages over a small export with typed or garbage cells -------------------------------
def _typed(entity: str) -> st.SearchStrategy[list[list[Any]]]:
    width = len(STANDARD[entity][1])
    first = st.sampled_from(["1001", 1001, 1001.0, "1002", None, "X-1", 1.23457e11])
    row = st.tuples(first, st.lists(CELLS, min_size=width - 1, max_size=width - 1)).map(lambda t: [t[0], *t[1]])
    return st.lists(row, max_size=4)


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    """The rows as a CSV holds them: each cell's text, cp1251 (a character it lacks as '?'), quoted as needed."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerows([header, *([cell_text(v) for v in row] for row in rows)])
    path.write_bytes(out.getvalue().encode("cp1251", errors="replace"))
    return path


@SLOW
@given(
    st.sampled_from(["accounts", "persons", "meters", "readings", "balances", "payments"]),
    st.sampled_from([write_xlsx, write_csv]),
    st.data(),
)
def test_the_analysis_and_the_load_read_any_file_alike(
    entity: str, write: Callable[[Path, list[str], list[list[Any]]], Path], data: st.DataObject
) -> None:
    """One file of the export as an XLSX of any cells, or a CSV of their texts: the analysis gives a report
    and the load's stages (no database) leave out rows under reasons of the same kinds, or both refuse the
    file alike."""
    rows = data.draw(_typed(entity))
    with tempfile.TemporaryDirectory() as tmp:
        folder = tiny_export(Path(tmp) / "export")
        mapping = standard_mapping(folder)
        fm = mapping.files[entity]
        suffix = ".xlsx" if write is write_xlsx else ".csv"
        path = write(folder / f"{entity}-typed{suffix}", list(fm.columns.values()), rows)
        mapping.files[entity] = FileMapping(entity, path, fm.columns)
        report, refused = attempt(lambda: analyze(mapping), LegacyFormatError, MappingError)
        checked: Any = str(refused) if refused else {k for k, n in report.counts.items() if n}
        state = ImportState(mapping, KEY)
        _, exc = attempt(lambda: load_stages(state), LegacyFormatError, MappingError)
    if exc is not None:
        assert str(exc) == checked  # the same refusal of the same file
        return
    assert isinstance(checked, set)
    left_out = {interpret.REASONS[reason].kind for reason in state.rejects.counts}
    assert left_out <= checked
