"""Typed cells of XLSX files, by example: each read as the text a CSV would hold, Excel's serial dates and
its damage to identifiers, formulas, and a mapping's conversions over spreadsheet numbers (the properties
over any cell are in test_read_properties)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from seed.legacy import convert, interpret
from seed.legacy.analyze import analyze
from seed.legacy.importer import ImportState
from seed.legacy.layout import STANDARD
from seed.legacy.mapping import FileMapping, standard_mapping
from seed.legacy.read import NumberCell, cell_text, read_records
from tests.small_export import load_stages, tiny_export
from tests.test_read_properties import KEY, write_xlsx


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        (dt.date(2026, 1, 5), "05.01.2026"),
        (dt.datetime(2026, 1, 5), "05.01.2026"),
        (dt.datetime(2026, 1, 5, 13, 45), "05.01.2026 13:45"),
        (dt.datetime(2026, 1, 5, 13, 45, 7), "05.01.2026 13:45:07"),
        (45292, "45292"),
        (1234.5, "1234.5"),
        (1234.0, "1234"),
        (0.1 + 0.2, "0.3"),
        (1.23456789012e11, "123456789012"),
        (True, "TRUE"),
        (None, ""),
        (Decimal("1.10"), "1.10"),
    ],
)
def test_typed_cells_read_as_a_csv_writes_them(cell: Any, written: str) -> None:
    assert cell_text(cell) == written


def test_excel_serial_dates_and_damaged_identifiers() -> None:
    assert convert.date("45292") == convert.date(NumberCell(45292)) == dt.date(2024, 1, 1)
    assert convert.date("45292,75") == dt.date(2024, 1, 1)
    assert interpret.month_number(NumberCell(45292)) == interpret.month_number("01.2024")
    assert interpret.iso_date(cell_text(dt.datetime(1980, 5, 17))) == "1980-05-17"
    assert convert.looks_mangled_by_excel(cell_text(1.23456789012e11))  # a number cell where an identifier was
    assert convert.looks_mangled_by_excel(cell_text("00123")) is None


def test_mapping_conversions_work_on_typed_cells(tmp_path: Path) -> None:
    """Service codes, YYYYMM periods and litres as the numbers a spreadsheet holds, through a mapping's
    values, format and scale: read by the analysis and the load alike."""
    from seed.legacy.mapping import load_mapping

    folder = tiny_export(tmp_path / "export")
    columns = [h for _, h, _ in STANDARD["readings"][1]]
    write_xlsx(
        folder / "pok.xlsx",
        columns,
        [["X-1", 1, 202601, 45300, 10500, None, None], ["X-1", 1, 202602.0, None, 12250.0]],
    )
    fields = "\n".join(f'{f} = "{h}"' for (f, _, _), h in zip(STANDARD["readings"][1], columns, strict=True))
    text = (
        f'[files.readings]\npath = "pok.xlsx"\n[files.readings.columns]\n{fields}\n[files.readings.convert]\n'
        'service = { values = { "1" = "ХВС" } }\nperiod = { format = "%Y%m" }\nvalue1 = { scale = 0.001 }\n'
    )
    (tmp_path / "m.toml").write_text(text, encoding="utf-8")
    mapping = load_mapping(tmp_path / "m.toml", folder)
    for entity, fm in standard_mapping(folder).files.items():
        mapping.files.setdefault(entity, fm)
    report = analyze(mapping)
    assert report.rows["readings"] == 2 and not report.problems
    state = ImportState(mapping, KEY)
    written: list[str] = []
    load_stages(state, lambda table, text: written.extend(text.splitlines()) if table == "meter_reading" else None)
    assert state.rejects.total == 0
    assert [line.split("\t")[1:5] for line in written] == [
        ["2026-01-01", "2024-01-09", "4", "10.5"],
        ["2026-02-01", "\\N", "4", "12.25"],
    ]


def test_excel_damage_to_an_account_number_is_still_reported(tmp_path: Path) -> None:
    """An account number that Excel wrote in exponent notation (1,23457E+11: its digits past the sixth lost)
    is read as its text by the load, and the analysis reports the damage at its line; one kept as text is
    not reported (nor is a number cell that holds a number whole: tests/test_check_excel_damage.py)."""
    folder = tiny_export(tmp_path / "export")
    mapping = standard_mapping(folder)
    fm = mapping.files["payments"]
    rows = [["1,23457E+11", "15.01.2026", 50, "Сбербанк", None, None], ["1001", "16.01.2026", 50.5, None, None, None]]
    path = write_xlsx(folder / "payments.xlsx", list(fm.columns.values()), rows)
    mapping.files["payments"] = FileMapping("payments", path, fm.columns)
    report = analyze(mapping)
    assert [(e.line, e.field) for e in report.examples["excel_damage"]] == [(2, "account")]
    assert [e.line for e in report.examples["unknown_account"]] == [2]  # no account is written so


def test_a_formula_reads_as_its_kept_value(tmp_path: Path) -> None:
    """A formula is read as the value the spreadsheet kept for it; one never calculated (openpyxl keeps
    none) is an empty cell, as a CSV saved from it would hold."""
    import zipfile

    path = write_xlsx(tmp_path / "f.xlsx", ["A", "B"], [["=1+1", 7]])
    _, rows = read_records(path)
    assert list(rows) == [(2, ["", "7"])]
    kept = tmp_path / "kept.xlsx"  # the same sheet as Excel saves it: the formula with its value, 2
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(kept, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<f>1+1</f><v />", b"<f>1+1</f><v>2</v>")
                assert b"<v>2</v>" in data
            target.writestr(item, data)
    _, rows = read_records(kept)
    assert list(rows) == [(2, ["2", "7"])]
