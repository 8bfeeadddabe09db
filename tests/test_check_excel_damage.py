"""`import check` by example: Excel's damage reported only where a digit was lost (a number cell that holds
an account number whole is none), and the owners' shares reported at the persons' own rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seed.legacy.analyze import analyze
from seed.legacy.analyze.lengths import lost_digits
from seed.legacy.analyze.spill import Spill
from seed.legacy.mapping import FileMapping, standard_mapping
from tests.small_export import HEADERS, account, meter, person, write_export

pytest.importorskip("openpyxl")
from tests.test_read_properties import write_xlsx  # noqa: E402

NUMBERS = ["10010001", "10020002", "10030003", "10040004"]


def accounts_as_numbers(tmp_path: Path, numbers: list[Any]) -> Any:
    """A small export whose accounts file is an XLSX with the account numbers as ``numbers`` (number cells
    where ints), its other files in CSV naming the accounts of ``NUMBERS``."""
    folder = write_export(
        tmp_path / "export",
        {
            "accounts": [account(n) for n in NUMBERS],
            "persons": [person(n, "Иванов", "Пётр", "Сергеевич", "owner", "1") for n in NUMBERS],
            "meters": [meter(NUMBERS[0], "ХВС", "00000001")],
        },
    )
    mapping = standard_mapping(folder)
    fm = mapping.files["accounts"]
    rows = [[number, *account("")[1:]] for number in numbers]
    path = write_xlsx(folder / "accounts.xlsx", HEADERS["accounts"], rows)
    mapping.files["accounts"] = FileMapping("accounts", path, fm.columns)
    return mapping


def test_number_cells_of_the_usual_length_are_no_damage(tmp_path: Path) -> None:
    report = analyze(accounts_as_numbers(tmp_path, [int(n) for n in NUMBERS]))
    assert report.counts["excel_damage"] == 0 and report.counts["unknown_account"] == 0


@pytest.mark.parametrize("spilled", [False, True])
def test_a_number_cell_shorter_than_its_column_is_damage(tmp_path: Path, spilled: bool) -> None:
    """«00012345» held as the number 12345 lost its leading zeros (the column keeps such zeros as text in
    another row): reported at its line, once; exponent notation and more than 15 digits are damage whatever
    the column's lengths."""
    numbers: list[Any] = ["00010001", *[int(n) for n in NUMBERS[:3]], 12345, "1,23457E+11", 12345678901234567]
    mapping = accounts_as_numbers(tmp_path, numbers)
    spill = Spill(tmp_path / "spill") if spilled else None
    if spill is not None:
        spill.folder.mkdir()
    report = analyze(mapping, spill=spill)
    found = [(Path(e.file).name, e.line, e.field) for e in report.examples["excel_damage"]]
    assert report.counts["excel_damage"] == 3  # the values themselves are not shown: account numbers
    assert sorted(found) == [("accounts.xlsx", line, "number") for line in (6, 7, 8)]
    codes = {e.line: e.said.code for e in report.examples["excel_damage"]}
    assert codes == {6: "excel_number", 7: "excel_scientific", 8: "excel_scientific"}  # the sheet keeps 1.23e16


def test_more_than_15_significant_digits_lost_some() -> None:
    assert lost_digits("1234567890123456") and lost_digits("-12345678901234567")
    assert not lost_digits("123456789012345") and not lost_digits("000123456789012345")


def test_number_cells_past_the_examples_kept_are_counted(tmp_path: Path) -> None:
    numbers: list[Any] = ["00010001", *[int(n) for n in NUMBERS] * 3, *[123 + k for k in range(7)]]
    report = analyze(accounts_as_numbers(tmp_path, numbers), examples=2)
    assert report.counts["excel_damage"] == 7
    assert [e.line for e in report.examples["excel_damage"]] == [15, 16]


def test_numbers_of_many_lengths_with_no_zero_anywhere_are_no_damage(tmp_path: Path) -> None:
    """Accounts numbered 1 to 150 in number cells: shorter ones than the usual are not zeros lost."""
    report = analyze(accounts_as_numbers(tmp_path, list(range(1, 151))))
    assert report.counts["excel_damage"] == 0


def test_shares_that_do_not_add_up_are_at_the_owners_row_and_share_column(tmp_path: Path) -> None:
    """Two owners at a share of 1 each: the problem is at the first owner's row of the persons file, under
    its share column, not at the account's row of the accounts file."""
    folder = write_export(
        tmp_path / "export",
        {
            "accounts": [account("1001"), account("1002")],
            "persons": [
                person("1001", "Иванов", "Пётр", "Сергеевич", "owner", "1"),
                person("1002", "Петров", "Иван", "Ильич", "owner", "1"),
                person("1002", "Петрова", "Анна", "Ильинична", "owner", "1"),
            ],
        },
    )
    report = analyze(standard_mapping(folder))
    assert report.counts["shares_not_one"] == 1
    (problem,) = report.examples["shares_not_one"]
    assert (Path(problem.file).name, problem.line, problem.field) == ("persons.csv", 3, "share")
    shown = report.to_dict()["problems"]["shares_not_one"]["examples"][0]
    assert shown["column"] == dict(standard_mapping(folder).files["persons"].columns)["share"]
