"""The complete problem list for the customer (`import check --problems`): every problem of an export,
in file and line order, with what it means, the customer's own column name, the value, how to fix it
and, for a row that only follows from an earlier duplicate, that duplicate. A CSV for Excel in Russia
(UTF-8 with BOM, ';') or an XLSX, both written as they stream from the spill, owner-only and whole
(:mod:`seed.outfile`)."""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from seed.legacy.analyze.spill import Spill
from seed.legacy.mapping import Mapping, file_columns
from seed.legacy.report import HEADERS
from seed.legacy.words import LIST_HEADERS, LIST_SHEET, cause_words, place, said_value, words
from seed.outfile import output, output_text
from seed.words.problems import WHAT

FORMATS = (".csv", ".xlsx")
SHEET_ROWS = 1_048_576 - 1  # a worksheet's rows, less its header: the list goes on in the next sheet
FORMULA_START = re.compile(r"[=+@\t\r]|-(?![\d.,]+$)").match  # what Excel would run as a formula
ILLEGAL_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def write_problem_list(path: Path, spill: Spill, mapping: Mapping, lang: str = "ru") -> int:
    """Write every problem of ``spill`` to ``path`` (.csv or .xlsx); the number of problems written."""
    rows = _rows(spill, mapping, lang)
    if path.suffix.lower() != ".xlsx":
        with output_text(path, private=True) as text:
            return _csv(text, rows, lang)
    saved = tempfile.tempdir  # openpyxl stages a sheet's rows in a temporary file: the spill's own folder
    tempfile.tempdir = str(spill.folder)
    try:
        with output(path, private=True) as out:
            return _xlsx(out, rows, lang)
    finally:
        tempfile.tempdir = saved


def _rows(spill: Spill, mapping: Mapping, lang: str) -> Iterator[list[Any]]:
    columns = {str(path): found for path, found in file_columns(mapping).items()}  # of every entity reading it
    key = "en" if lang == "en" else "ru"
    whole = place("", 0, lang)

    def standard(fld: str) -> str:  # a field no file maps (the balance's amounts read as one): as the layout says
        return fld if key == "en" else HEADERS.get(fld, fld)

    said = {kind: words(kind, lang) for kind in WHAT}
    for r in spill.sorted():
        meaning = said.get(r.kind) or words(r.kind, lang)
        column = columns.get(r.file, {}).get(r.field) or standard(r.field)  # a field this file does not have
        yield [
            r.kind,
            meaning.what,
            r.file.rsplit("/", 1)[-1] if r.file else whole,
            r.line if r.line > 0 else "",
            column,
            said_value(r.value, lang),
            r.said.text(lang),
            meaning.hint,
            cause_words(r.cause_kind, r.cause_file, r.cause_line, lang),
        ]


def _csv(out: TextIO, rows: Iterator[list[Any]], lang: str) -> int:
    count = 0
    out.write("\ufeff")  # Excel reads UTF-8 only with its mark
    writer = csv.writer(out, delimiter=";")
    writer.writerow(LIST_HEADERS["en" if lang == "en" else "ru"])
    for row in rows:
        writer.writerow([_inert(v) for v in row])
        count += 1
    return count


def _inert(value: Any) -> Any:
    """A text Excel would take for a formula, made plain text."""
    if type(value) is str and value and FORMULA_START(value):
        return "'" + value
    return value


def _xlsx(out: BinaryIO, rows: Iterator[list[Any]], lang: str) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    key = "en" if lang == "en" else "ru"
    book = Workbook(write_only=True)
    count, sheet, filled = 0, None, SHEET_ROWS
    for row in rows:
        if filled >= SHEET_ROWS:
            number = len(book.worksheets) + 1
            sheet = book.create_sheet(LIST_SHEET[key] + (f" {number}" if number > 1 else ""))
            sheet.append(list(LIST_HEADERS[key]))
            filled = 0
        assert sheet is not None
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, ILLEGAL_IN_XLSX.sub("", value) if type(value) is str else value)
            if type(value) is str:
                cell.data_type = "s"  # never a formula, whatever the export wrote
            cells.append(cell)
        sheet.append(cells)
        filled += 1
        count += 1
    if sheet is None:
        sheet = book.create_sheet(LIST_SHEET[key])
        sheet.append(list(LIST_HEADERS[key]))
    book.save(out)
    return count
