"""`import check --problems`: the complete list of an export's problems for the customer, every row at its
file and line, sorted, masked unless asked otherwise; and rows that only follow from a duplicate account
number or meter serial, listed under that duplicate and counted apart."""

from __future__ import annotations

import csv
import os
import random
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from provision.cli import app
from provision.clients.workspace import Workspace
from seed.legacy.analyze import Cause, Report, Spill, analyze, spill
from seed.legacy.analyze.listing import write_problem_list
from seed.legacy.analyze.spill import Record
from seed.legacy.mapping import standard_mapping
from seed.legacy.report import render_html
from seed.legacy.words import LIST_HEADERS
from seed.legacy.words import words as kind_words
from seed.words.messages import NONE
from seed.words.word import HIDDEN_RU
from tests.small_export import account, balance, meter, payment, person, reading, write_export

PLANTED = {
    ("accounts.csv", 4, "missing_value"),
    ("accounts.csv", 5, "bad_value"),
    ("persons.csv", 3, "unknown_account"),
    ("persons.csv", 4, "bad_value"),
    ("readings.csv", 3, "reading_decrease"),
    ("readings.csv", 4, "unknown_meter"),
    ("balances.csv", 2, "balance_not_reconciling"),
    ("balances.csv", 2, "paid_not_payments"),  # the payment twice: 100 paid, where the balance says 50
    ("payments.csv", 3, "payment_duplicate"),
    ("payments.csv", 4, "unknown_account"),
}


def planted(folder: Path) -> Path:
    """An export with exactly the problems of PLANTED."""
    return write_export(
        folder,
        {
            "accounts": [
                account("1001"),
                account("1002", flat="2"),
                account("", flat="3"),  # empty number
                account("1004", flat="4", total_area="0"),  # area not positive
            ],
            "persons": [
                person("1001", "Иванов", "Пётр", "Сергеевич"),
                person("9999", "Петров", "Иван", "Ильич"),  # unknown account
                person("1002", "Сидоров", "Олег", "Ильич", birth_date="31.02.1970"),  # not a date
            ],
            "meters": [meter("1001", "ХВС", "X-1")],
            "readings": [
                reading("X-1", "ХВС", "01.2026", "10"),
                reading("X-1", "ХВС", "02.2026", "5"),  # lower than the month before
                reading("NOPE", "ХВС", "01.2026", "1"),  # unknown meter
            ],
            "balances": [balance("1001", "ХВС", "01.2026", "0", "100", "50", "60")],  # 0 + 100 - 50 is not 60
            "payments": [
                payment("1001", "15.01.2026", "50"),
                payment("1001", "15.01.2026", "50"),  # the same payment twice
                payment("8888", "15.01.2026", "50"),  # unknown account
            ],
        },
    )


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with its mark
    return list(csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))


def read_xlsx(path: Path) -> list[list[object]]:
    book = openpyxl.load_workbook(path, read_only=True)
    rows = (row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True))
    return [["" if v is None else v for v in row] for row in rows]


def listed(folder: Path, out: Path, lang: str = "ru", with_personal: bool = False, examples: int = 5) -> Report:
    mapping = standard_mapping(folder)
    with Spill.private(with_personal) as sink:
        report = analyze(mapping, examples=examples, spill=sink)
        count = write_problem_list(out, sink, mapping, lang)
    assert count == report.problems + report.consequent
    return report


def test_every_planted_problem_is_one_row_at_its_file_and_line_in_csv_and_xlsx(tmp_path: Path) -> None:
    folder = planted(tmp_path / "export")
    for name in ("problems.csv", "problems.xlsx"):
        out = tmp_path / name
        listed(folder, out)
        rows = read_csv(out) if name.endswith(".csv") else read_xlsx(out)
        assert rows[0] == list(LIST_HEADERS["ru"])
        assert {(r[2], int(r[3]), r[0]) for r in rows[1:]} == PLANTED and len(rows) == len(PLANTED) + 1
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
        decrease = next(r for r in rows if r[0] == "reading_decrease")
        what, hint = kind_words("reading_decrease", "ru")
        assert decrease[1] == what and decrease[7] == hint
        assert decrease[4] == "Показание 1"  # the customer's column, not our field name
        assert decrease[5] in ("5", "5.0") and decrease[8] == ""


def test_the_list_is_sorted_by_file_and_line_whole_export_problems_first(tmp_path: Path) -> None:
    folder = planted(tmp_path / "export")
    services = folder / "services.csv"  # one file in UTF-8, the others in cp1251
    services.write_bytes(services.read_bytes().decode("cp1251").encode("utf-8"))
    out = tmp_path / "problems.csv"
    listed(folder, out, lang="en")
    rows = read_csv(out)[1:]
    assert rows[0][0] == "mixed_encodings" and rows[0][2] == "whole export" and rows[0][3] == ""
    places = [(r[2], int(r[3])) for r in rows[1:]]
    assert places == sorted(places) and len(places) == len(PLANTED)


def test_personal_values_are_masked_unless_the_list_goes_back_to_the_owner(tmp_path: Path) -> None:
    folder = planted(tmp_path / "export")
    masked, full = tmp_path / "masked.csv", tmp_path / "full.csv"
    listed(folder, masked)
    listed(folder, full, with_personal=True)
    text = masked.read_text(encoding="utf-8-sig")
    assert "9999" not in text and "8888" not in text and "31.02.1970" not in text
    unknown = [r for r in read_csv(masked) if r[0] == "unknown_account"]
    assert [r[5] for r in unknown] == [HIDDEN_RU] * 2
    owner = {(r[2], r[0]): r for r in read_csv(full)}
    assert owner[("persons.csv", "unknown_account")][5] == "9999"
    assert owner[("payments.csv", "unknown_account")][5] == "8888"
    assert owner[("persons.csv", "bad_value")][5] == "31.02.1970"


def test_the_report_keeps_its_examples_while_the_list_has_every_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The problems go to the spill, a few at a time, not into the report: the list has 40 bad periods of
    readings and 30 of balances (read by the forked worker) while the report keeps 5 examples of a kind."""
    monkeypatch.setattr(spill, "CHUNK", 7)  # many chunks, merged in rounds
    monkeypatch.setattr(spill, "FAN_IN", 3)
    folder = write_export(
        tmp_path / "export",
        {
            "accounts": [account("1001")],
            "meters": [meter("1001", "холодная вода", "X-1")],
            "readings": [reading("X-1", "холодная вода", f"13.{2000 + i}", "1") for i in range(40)],
            "balances": [balance("1001", "холодная вода", f"14.{2000 + i}", "0", "1", "0", "1") for i in range(30)],
        },
    )
    out = tmp_path / "problems.csv"
    report = listed(folder, out)
    assert report.counts["bad_value"] == 70 and len(report.examples["bad_value"]) == 5
    rows = read_csv(out)[1:]
    assert [(r[2], int(r[3])) for r in rows] == [("balances.csv", i) for i in range(2, 32)] + [
        ("readings.csv", i) for i in range(2, 42)
    ]


def test_a_spill_merges_its_chunks_in_order_in_an_owner_only_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spill, "CHUNK", 5)
    monkeypatch.setattr(spill, "FAN_IN", 2)
    places = [(f"/x/{f}.csv", line) for f in "abc" for line in range(1, 40)]
    random.Random(3).shuffle(places)
    with Spill.private() as sink:
        worker = sink.fork()
        for i, (file, line) in enumerate(places):
            (sink if i % 2 else worker).add("bad_value", file, line, "period", "13.2026", NONE, False, None)
        sink.adopt(worker)
        assert stat.S_IMODE(os.stat(sink.folder).st_mode) == 0o700
        assert all(stat.S_IMODE(os.stat(c).st_mode) == 0o600 for c in sink.chunks)
        merged = list(sink.sorted())
        folder = sink.folder
    assert [(r.file, r.line) for r in merged] == sorted(places) and sink.count == len(places)
    assert not folder.exists()
    assert merged[0] == Record("/x/a.csv", 1, "bad_value", "period", "13.2026", NONE, "", "", 0)


# -- causes and consequences ------------------------------------------------------------------------------
def test_a_duplicated_account_number_is_one_problem_and_its_rows_follow_from_it(tmp_path: Path) -> None:
    """The issue: one account number given to two accounts, each with its own balances and payments, showed
    up as carry-over breaks, periods twice and a duplicate payment. Now they are listed under the duplicate
    and counted apart; a real duplicate payment of another account still counts."""
    folder = write_export(
        tmp_path / "export",
        {
            "accounts": [account("1001"), account("1002", flat="2"), account("1002", flat="3"), account("1003")],
            "balances": [
                balance("1002", "ХВС", "01.2026", "0", "100", "0", "100"),
                balance("1002", "ХВС", "02.2026", "100", "100", "0", "200"),
                balance("1002", "ХВС", "03.2026", "200", "100", "0", "300"),
                balance("1002", "ХВС", "01.2026", "0", "50", "0", "50"),  # the second account's own
                balance("1002", "ХВС", "02.2026", "50", "50", "0", "100"),
                balance("1002", "ХВС", "03.2026", "100", "50", "0", "150"),
            ],
            "payments": [
                payment("1002", "15.01.2026", "100"),
                payment("1002", "15.01.2026", "100"),  # the second account paid the same that day
                payment("1003", "20.01.2026", "10"),
                payment("1003", "20.01.2026", "10"),  # a real duplicate
            ],
        },
    )
    out = tmp_path / "problems.csv"
    report = listed(folder, out)
    # 1003 paid with no balance to say so: after the load, its paid would not equal its payments either
    assert dict(report.counts) == {"duplicate_account": 1, "payment_duplicate": 1, "paid_not_payments": 1}
    cause = Cause("duplicate_account", str(folder / "accounts.csv"), 4)
    assert report.consequences == {
        cause: {"duplicate_period": 3, "payment_duplicate": 1, "paid_not_payments": 1}
    }  # the repeat's months are left out before the carry-over is compared, as the load leaves them out
    assert report.to_dict()["consequences"] == [
        {
            "cause": "duplicate_account",
            "file": cause.file,
            "line": 4,
            "count": 5,
            "kinds": {"duplicate_period": 3, "paid_not_payments": 1, "payment_duplicate": 1},
        }
    ]
    rows = read_csv(out)[1:]
    follows = [r for r in rows if r[8]]
    assert len(follows) == 5 and len(rows) == 8
    assert {r[8] for r in follows} == {"следует из повторного номера лицевого счёта, accounts.csv:4"}
    assert {(r[2], int(r[3])) for r in rows if r[0] == "payment_duplicate" and not r[8]} == {("payments.csv", 5)}

    page = render_html(report.to_dict(), "check")
    assert (
        "Строки, следующие из повторов" in page
        and "следует из повторного номера лицевого счёта, accounts.csv:4" in page
    )
    assert "1002" not in page

    result = CliRunner().invoke(app, ["import", "check", "demo", str(folder)])
    assert result.exit_code == 0, result.output
    assert "5  more rows follow from 1 duplicate (" in result.output


def test_a_duplicated_meter_serial_is_one_problem_and_its_readings_follow_from_it(tmp_path: Path) -> None:
    folder = write_export(
        tmp_path / "export",
        {
            "accounts": [account("1001"), account("1002", flat="2")],
            "meters": [meter("1001", "ХВС", "X-1"), meter("1002", "ХВС", "X-1"), meter("1001", "ГВС", "Y-1")],
            "readings": [
                reading("X-1", "ХВС", "01.2026", "10"),
                reading("X-1", "ХВС", "02.2026", "20"),
                reading("X-1", "ХВС", "03.2026", "30"),
                reading("X-1", "ХВС", "04.2026", "5"),  # the other flat's meter of the same serial
                reading("X-1", "ХВС", "05.2026", "6"),
                reading("Y-1", "ГВС", "01.2026", "10"),
                reading("Y-1", "ГВС", "02.2026", "5"),  # a real decrease
            ],
        },
    )
    out = tmp_path / "problems.xlsx"
    report = listed(folder, out, lang="en")
    assert dict(report.counts) == {"duplicate_meter": 1, "reading_decrease": 1}
    cause = Cause("duplicate_meter", str(folder / "meters.csv"), 3)
    assert report.consequences == {cause: {"reading_decrease": 1}}
    rows = read_xlsx(out)[1:]
    assert [(r[0], r[2], r[3], r[8]) for r in rows] == [
        ("duplicate_meter", "meters.csv", 3, ""),
        ("reading_decrease", "readings.csv", 5, "follows from duplicate meter serial at meters.csv:3"),
        ("reading_decrease", "readings.csv", 8, ""),
    ]


# -- the command ----------------------------------------------------------------------------------------
def test_the_command_writes_the_list_and_refuses_what_it_cannot_do(tmp_path: Path, workspace: Workspace) -> None:
    folder = str(planted(tmp_path / "export"))
    runner = CliRunner()
    out = tmp_path / "list.xlsx"
    result = runner.invoke(app, ["import", "check", "demo", folder, "--problems", str(out), "--with-personal"])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}: {len(PLANTED)} rows" in result.output
    assert "9999" in {str(c) for row in read_xlsx(out) for c in row}
    refusals = [
        (["--problems", str(tmp_path / "list.txt")], "not a .csv or .xlsx file"),
        (["--with-personal"], "--with-personal applies to the problem list only"),
        (["--problems", str(tmp_path / "list.csv"), "--lang", "de"], "--lang"),
        (["--problems", str(tmp_path / "no-such" / "list.csv")], "no folder"),
        (["--problems", str(tmp_path)], "is a folder"),
        (["--problems", str(Path(folder) / "accounts.csv")], "is a file of the export"),
    ]
    for options, said in refusals:
        result = runner.invoke(app, ["import", "check", "demo", folder, *options])
        assert result.exit_code == 2 and said in result.output, (options, result.output)
    assert not (tmp_path / "list.csv").exists() and not (tmp_path / "list.txt").exists()
    assert (Path(folder) / "accounts.csv").read_bytes().startswith("ЛС;".encode("cp1251"))  # the export untouched


def test_findings_beyond_the_limit_wait_on_disk_and_come_back_in_order() -> None:
    found: spill.Overflow[int] = spill.Overflow(limit=4)
    for start in range(0, 30, 3):
        found.extend(range(start, start + 3))
    assert len(found.items) < 4 and found.file is not None
    assert list(found) == list(range(30)) and found.file is None


@pytest.fixture
def full_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder on a file system of its own that is full: a tmpfs of four pages, three of them taken."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder = tmp_path / "full"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(folder)], check=True)
    try:
        (folder / "filler").write_bytes(b"x" * 3 * 4096)
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=False)


def test_a_list_that_cannot_be_written_is_one_message_and_the_old_list_stays(
    tmp_path: Path, workspace: Workspace, full_folder: Path
) -> None:
    folder = str(planted(tmp_path / "export"))
    out = full_folder / "list.csv"
    out.write_text("the list of last week", encoding="utf-8")  # its page is the last one free
    result = CliRunner().invoke(app, ["import", "check", "demo", folder, "--problems", str(out)])
    assert result.exit_code == 3 and "cannot write the list" in result.output, result.output
    assert out.read_text(encoding="utf-8") == "the list of last week"
    assert sorted(p.name for p in full_folder.iterdir()) == ["filler", "list.csv"]  # nothing aside is left


def test_a_duplicate_accounts_rows_apart_from_the_firsts_follow_from_it_too(tmp_path: Path) -> None:
    """The repeat's balances after another account's: the file is read again whole, and the same rows
    follow from the duplicate."""
    folder = write_export(
        tmp_path / "export",
        {
            "accounts": [account("1001"), account("1002", flat="2"), account("1002", flat="3")],
            "balances": [
                balance("1002", "ХВС", "01.2026", "0", "100", "0", "100"),
                balance("1002", "ХВС", "02.2026", "100", "100", "0", "200"),
                balance("1001", "ХВС", "01.2026", "0", "10", "0", "10"),
                balance("1002", "ХВС", "01.2026", "0", "50", "0", "50"),  # the second account's own
                balance("1002", "ХВС", "02.2026", "50", "50", "0", "100"),
            ],
        },
    )
    report = listed(folder, tmp_path / "problems.csv")
    assert dict(report.counts) == {"duplicate_account": 1}
    cause = Cause("duplicate_account", str(folder / "accounts.csv"), 4)
    # the repeat's months are left out before the carry-over is compared (as the load leaves them out)
    assert report.consequences == {cause: {"duplicate_period": 2}}


def test_what_excel_would_run_as_a_formula_is_listed_as_text(tmp_path: Path) -> None:
    folder = write_export(
        tmp_path / "export",
        {"accounts": [account("1001", total_area="=1+1"), account("1002", flat="2", total_area="-")]},
    )
    listed(folder, tmp_path / "problems.csv")
    values = [r[5] for r in read_csv(tmp_path / "problems.csv")[1:]]
    assert values == ["'=1+1", "'-"]
    listed(folder, tmp_path / "problems.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "problems.xlsx").worksheets[0]
    assert [(c.value, c.data_type) for c in sheet["F"][1:]] == [("=1+1", "s"), ("-", "s")]
