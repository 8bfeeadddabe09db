"""Zero tracebacks over a corpus of bad exports: the real CLI (`import check`, `import load`, `import scan`)
refuses each with exit 2, names the offending file, prints no traceback, and a refused load leaves the
client's books and baseline as they were. One client, with a small export loaded, serves the corpus.

Cases tests/test_unreadable_export.py and tests/test_bad_input.py already cover for `import check` (a NUL
byte, a 50 MB line, most wrong types in a mapping) are run here for the load and the scan only."""

from __future__ import annotations

import re
import shutil
import struct
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner, Result

from provision.cli import app
from provision.clients import lifecycle
from provision.clients.database import resolve_dsn
from provision.clients.workspace import Workspace
from tests.small_export import account, balance, meter, payment, person, reading, write_export

CLIENT = "corpus"
BASELINE = "SELECT oid FROM pg_database WHERE datname = 'odno_okno__baseline'"
BOOKS = (
    "SELECT (SELECT count(*) FROM okno.account), (SELECT count(*) FROM okno.balance), "
    "(SELECT sum(closing) FROM okno.balance), (SELECT count(*) FROM okno.payment)"
)


def good_export(folder: Path) -> Path:
    return write_export(
        folder,
        {
            "accounts": [account("1001"), account("1002", flat="2"), account("1003", flat="3")],
            "persons": [person("1001", "Иванов", "Пётр", "Сергеевич", "owner", "1")],
            "meters": [meter("1001", "ХВС", "X-1")],
            "readings": [reading("X-1", "ХВС", "01.2026", "10"), reading("X-1", "ХВС", "02.2026", "12")],
            "balances": [
                balance("1001", "ХВС", "01.2026", "0", "100", "50", "50"),
                balance("1002", "ХВС", "01.2026", "0", "80", "80", "0"),
            ],
            "payments": [payment("1001", "15.01.2026", "50"), payment("1002", "16.01.2026", "80")],
        },
    )


# -- the corpus: each damages a copy of the good export; returns a mapping file (or None) and the message ---------
Damage = Callable[[Path], tuple[Path | None, str]]


def _empty_folder(folder: Path) -> tuple[Path | None, str]:
    for path in folder.iterdir():
        path.unlink()
    return None, r"accounts\.csv: no such file"


def _zero_bytes(folder: Path) -> tuple[Path | None, str]:
    (folder / "meters.csv").write_bytes(b"")
    return None, r"meters\.csv, line 1: empty: no header line"


def _header_only(folder: Path) -> tuple[Path | None, str]:
    path = folder / "accounts.csv"
    path.write_bytes(path.read_bytes().split(b"\r\n")[0] + b"\r\n")
    return None, r"accounts\.csv: no accounts below the header"


def _one_column(folder: Path) -> tuple[Path | None, str]:
    (folder / "persons.csv").write_bytes("ЛС\r\n1001\r\n".encode("cp1251"))
    return None, r"persons\.csv: missing column .*Фамилия \(for surname\).*; the file has: ЛС \("


def _binary(folder: Path) -> tuple[Path | None, str]:
    (folder / "balances.csv").write_bytes(bytes(range(1, 256)) * 40)  # read by the load's second process
    return None, r"balances\.csv, line \d+: not cp1251"


def _nul(folder: Path) -> tuple[Path | None, str]:
    path = folder / "readings.csv"
    path.write_bytes(path.read_bytes().replace(b"02.2026", b"02.20\x0026"))
    return None, r"readings\.csv, line 3: a NUL byte"


def _long_line(folder: Path) -> tuple[Path | None, str]:
    (folder / "payments.csv").write_bytes(b"x" * (50 * 1024 * 1024))
    return None, r"payments\.csv, line 1: a field longer than"


def _mapping(folder: Path, text: str) -> Path:
    """A mapping of the standard files, with ``text`` for the accounts."""
    path = folder.parent / f"{folder.name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


ACCOUNTS = (
    'columns = {number = "ЛС", city = "Город", street = "Улица", house = "Дом", total_area = "Общая площадь", '
    'residents = "Проживает"}\n'
)


def _text_as_xlsx(folder: Path) -> tuple[Path | None, str]:
    (folder / "abon.xlsx").write_text("ЛС;Город\n1001;Энск\n", encoding="utf-8")
    mapping = _mapping(folder, f'[files.accounts]\npath = "abon.xlsx"\n{ACCOUNTS}')
    return mapping, r"abon\.xlsx: not a readable XLSX file"


def _garbage_dbf(folder: Path) -> tuple[Path | None, str]:
    head = struct.pack("<BBBBIHH", 3, 126, 1, 1, 1000, 97, 40) + bytes(20)  # 1,000 records announced, none there
    (folder / "ABON.DBF").write_bytes(head + b"LS".ljust(11, b"\x00") + b"C" + bytes(20) + b"\x0d")
    mapping = _mapping(folder, f'[files.accounts]\npath = "ABON.DBF"\n{ACCOUNTS}')
    return mapping, r"ABON\.DBF: truncated: 1000 records announced"


def _folder_as_csv(folder: Path) -> tuple[Path | None, str]:
    (folder / "meters.csv").unlink()
    (folder / "meters.csv").mkdir()
    return None, r"meters\.csv: cannot open \(Is a directory\)"


def _folder_as_dbf(folder: Path) -> tuple[Path | None, str]:
    (folder / "ABON.DBF").mkdir()
    mapping = _mapping(folder, f'[files.accounts]\npath = "ABON.DBF"\n{ACCOUNTS}')
    return mapping, r"ABON\.DBF: cannot open \(Is a directory\)"


def _wrong_type(key_value: str, message: str) -> Damage:
    def damage(folder: Path) -> tuple[Path | None, str]:
        text = f'[files.accounts]\npath = "accounts.csv"\n{ACCOUNTS}{key_value}\n'
        if key_value.startswith("columns"):
            text = f'[files.accounts]\npath = "accounts.csv"\n{key_value}\n'
        return _mapping(folder, text), message

    return damage


def _outside(path: str) -> Damage:
    def damage(folder: Path) -> tuple[Path | None, str]:
        shutil.copy(folder / "accounts.csv", folder.parent / "x.csv")
        text = f"[files.accounts]\npath = '{path}'\n{ACCOUNTS}"
        return _mapping(folder, text), re.escape(f"path = {path!r} is outside the export folder")

    return damage


CORPUS: dict[str, Damage] = {
    "empty-folder": _empty_folder,
    "zero-bytes": _zero_bytes,
    "header-only": _header_only,
    "one-column": _one_column,
    "binary-garbage": _binary,
    "nul-byte": _nul,
    "50mb-line": _long_line,
    "text-named-xlsx": _text_as_xlsx,
    "garbage-dbf": _garbage_dbf,
    "folder-as-csv": _folder_as_csv,
    "folder-as-dbf": _folder_as_dbf,
    "columns-text": _wrong_type('columns = "x"', r"\[files\.accounts\]\.columns must be a table"),
    "header-line-text": _wrong_type('header_line = "2"', r"header_line = '2' is not a line number"),
    "header-line-bool": _wrong_type("header_line = true", r"header_line = True is not a line number"),
    "encoding-number": _wrong_type("encoding = 7", r"encoding = 7 is not allowed"),
    "convert-text": _wrong_type('convert = "x"', r"\[files\.accounts\.convert\]: a table of field"),
    "optional-number": _wrong_type("optional = 1", r"optional = 1 is not allowed"),
    "sheet-list": _wrong_type("sheet = [1]", r"sheet = \[1\] is not allowed"),
    "path-up": _outside("../x.csv"),
    "path-absolute": _outside("/etc/passwd"),
    "path-windows": _outside("C:\\export\\x.csv"),
    "path-up-inside": _outside("sub/../../x.csv"),
}
# cases test_unreadable_export.py and test_bad_input.py run through `import check` already
CHECKED_ELSEWHERE = {"nul-byte", "50mb-line", "encoding-number"}
# the scan reads only the files that hold personal values (accounts, persons, meters)
NOT_SCANNED = {"binary-garbage", "nul-byte", "50mb-line"}


def _query(dsn: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql).fetchall()


def assert_refused(done: Result, expected: str) -> None:
    assert "Traceback" not in done.output, done.output
    assert done.exception is None or isinstance(done.exception, SystemExit), repr(done.exception)
    assert done.exit_code == 2, done.output
    assert re.search(expected, done.output), done.output


# -- without a database: `import check` -------------------------------------------------------------------------
@pytest.mark.parametrize("case", [c for c in CORPUS if c not in CHECKED_ELSEWHERE])
def test_the_check_refuses_each_bad_export(workspace: Workspace, tmp_path: Path, case: str) -> None:
    folder = good_export(tmp_path / case)
    mapping, expected = CORPUS[case](folder)
    args = ["import", "check", "demo", str(folder)] + (["--mapping", str(mapping)] if mapping else [])
    assert_refused(CliRunner().invoke(app, args), expected)


@pytest.mark.parametrize("case", [c for c in CORPUS if c.startswith(("columns", "header-line", "convert", "path"))])
def test_a_wrong_mapping_names_the_mapping_file(workspace: Workspace, tmp_path: Path, case: str) -> None:
    folder = good_export(tmp_path / case)
    mapping, _ = CORPUS[case](folder)
    assert mapping is not None
    done = CliRunner().invoke(app, ["import", "check", "demo", str(folder), "--mapping", str(mapping)])
    assert done.exit_code == 2 and str(mapping) in done.output, done.output
    assert "correct the mapping" in done.output


def test_mixed_line_ends_are_read_by_the_check(workspace: Workspace, tmp_path: Path) -> None:
    """\\r\\n, \\n and \\r in one file: the csv module reads each as a line end, so the file is read, not
    refused (the load reads it the same way: test_the_load_reads_mixed_line_ends_as_the_check_does)."""
    folder = mixed_line_ends(good_export(tmp_path / "mixed"))
    done = CliRunner().invoke(app, ["import", "check", "demo", str(folder)])
    assert done.exit_code == 0 and "read accounts 3," in done.output, done.output
    assert "no problems found" in done.output


def mixed_line_ends(folder: Path) -> Path:
    path = folder / "accounts.csv"
    first, second, third, fourth, _ = path.read_bytes().split(b"\r\n")
    path.write_bytes(first + b"\r\n" + second + b"\n" + third + b"\r" + fourth + b"\r\n")
    return folder


# -- with one client and its database: `import load` and `import scan` ------------------------------------------------
@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, pg_image: str) -> Iterator[tuple[Workspace, str]]:
    root = tmp_path_factory.mktemp("corpus").resolve()
    workspace = Workspace(root)
    export = good_export(root / "good")
    path = workspace.files(CLIENT).profile
    path.parent.mkdir(parents=True)
    path.write_text(f'[seed]\nmode = "import"\nexport = "{export}"\n', encoding="utf-8")
    try:
        up = CliRunner().invoke(app, ["--workspace", str(root), "up", CLIENT])
        assert up.exit_code == 0, up.output
        yield workspace, resolve_dsn(workspace, CLIENT, None)
    finally:
        lifecycle.destroy(workspace, CLIENT)


LOAD_AND_SCAN = [("load", case) for case in CORPUS] + [("scan", case) for case in CORPUS if case not in NOT_SCANNED]


@pytest.mark.docker
@pytest.mark.parametrize(("command", "case"), LOAD_AND_SCAN)
def test_load_and_scan_refuse_each_bad_export_and_change_nothing(
    client: tuple[Workspace, str], tmp_path: Path, case: str, command: str
) -> None:
    workspace, dsn = client
    folder = good_export(tmp_path / case)
    mapping, expected = CORPUS[case](folder)
    before = _query(dsn, BASELINE), _query(dsn, BOOKS)
    assert before[0] and before[1][0][0] >= 1  # a baseline, and books
    args = ["--workspace", str(workspace.root), "import", command, CLIENT, str(folder)]
    done = CliRunner().invoke(app, args + (["--mapping", str(mapping)] if mapping else []))
    assert_refused(done, expected)
    assert (_query(dsn, BASELINE), _query(dsn, BOOKS)) == before  # nothing half-loaded, the baseline kept
    stale = _query(dsn, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'okno\\_seed\\_%'")[0][0]
    assert stale == 0


@pytest.mark.docker
def test_the_load_reads_mixed_line_ends_as_the_check_does(client: tuple[Workspace, str], tmp_path: Path) -> None:
    workspace, dsn = client
    folder = mixed_line_ends(good_export(tmp_path / "mixed"))
    check = CliRunner().invoke(app, ["--workspace", str(workspace.root), "import", "check", CLIENT, str(folder)])
    assert check.exit_code == 0 and "read accounts 3," in check.output, check.output
    done = CliRunner().invoke(app, ["--workspace", str(workspace.root), "import", "load", CLIENT, str(folder)])
    assert done.exit_code == 0 and "every row loaded" in done.output, done.output
    assert _query(dsn, "SELECT count(*) FROM okno.account")[0][0] == 3


@pytest.mark.docker
def test_a_readings_sheet_of_numbers_loads_through_the_cli(client: tuple[Workspace, str], tmp_path: Path) -> None:
    """The report that started this: a readings sheet holding numbers as numbers (and a date as Excel's
    serial number) is checked and loaded, not a traceback."""
    import datetime as dt

    import openpyxl

    from seed.legacy.layout import STANDARD

    workspace, dsn = client
    folder = good_export(tmp_path / "typed")
    (folder / "readings.csv").unlink()
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([h for _, h, _ in STANDARD["readings"][1]])
    sheet.append(["X-1", "ХВС", dt.datetime(2026, 1, 1), 46027, 10, None, None])  # 46027: 05.01.2026
    sheet.append(["X-1", "ХВС", "02.2026", dt.datetime(2026, 2, 5, 10, 30), 12.5, None, None])
    book.save(folder / "readings.xlsx")
    mapping = tmp_path / "typed.toml"  # the standard layout, the readings from the sheet
    text = ""
    for entity, (file_name, fields) in STANDARD.items():
        if entity != "totals":
            path = "readings.xlsx" if entity == "readings" else file_name
            columns = "\n".join(f'{f} = "{h}"' for f, h, _ in fields)
            text += f'[files.{entity}]\npath = "{path}"\n[files.{entity}.columns]\n{columns}\n'
    mapping.write_text(text, "utf-8")
    base = ["--workspace", str(workspace.root), "import"]
    check = CliRunner().invoke(app, [*base, "check", CLIENT, str(folder), "--mapping", str(mapping)])
    assert check.exit_code == 0 and "no problems found" in check.output, check.output
    done = CliRunner().invoke(app, [*base, "load", CLIENT, str(folder), "--mapping", str(mapping)])
    assert done.exit_code == 0 and "every row loaded" in done.output, done.output
    loaded = _query(dsn, "SELECT period, taken_on, value1 FROM okno.meter_reading ORDER BY period")
    assert loaded == [
        (dt.date(2026, 1, 1), dt.date(2026, 1, 5), Decimal("10.000")),
        (dt.date(2026, 2, 1), dt.date(2026, 2, 5), Decimal("12.500")),
    ]


@pytest.mark.docker
def test_a_year_far_off_is_a_row_left_out_and_a_span_too_long_is_refused(
    client: tuple[Workspace, str], tmp_path: Path
) -> None:
    """A reading of the year 1000 has a period no export holds: the row is left out (it once made the
    tariffs of a thousand years, and a traceback). A balance of 1950 among the others of 2026 has a real
    period, but books over 76 years are not: the load is refused, saying so, and nothing changes."""
    workspace, dsn = client
    base = ["--workspace", str(workspace.root), "import", "load", CLIENT]
    folder = good_export(tmp_path / "year-1000")
    path = folder / "readings.csv"
    path.write_bytes(path.read_bytes() + "X-1;ХВС;01.1000;;5;;\r\n".encode("cp1251"))
    done = CliRunner().invoke(app, [*base, str(folder)])
    assert done.exit_code == 0, done.output
    assert "1 rows not loaded" in done.output and "not a period  (first: readings.csv:4 period)" in done.output
    before = _query(dsn, BASELINE), _query(dsn, BOOKS)
    folder = good_export(tmp_path / "year-1950")
    path = folder / "balances.csv"
    path.write_bytes(path.read_bytes() + "1003;ХВС;01.1950;0;10;0;10;0\r\n".encode("cp1251"))
    done = CliRunner().invoke(app, [*base, str(folder)])
    assert "Traceback" not in done.output and done.exit_code == 4, done.output
    assert "periods run from 1950-01 to 2026-02, over 50 years" in done.output
    assert (_query(dsn, BASELINE), _query(dsn, BOOKS)) == before


# values that once got past the readers and failed the whole COPY (or a step after it), and their neighbours
MUTATIONS = [
    "",
    "0",
    "-1",
    "-0",
    "52,5",
    "1e400",
    "NaN",
    "1E+10",
    "1E-9",
    "0,0001",
    "0,004",
    "0,005",
    "1/3",
    "1/0",
    "9",
    "20",
    "21",
    "32768",
    "99999999999",
    "99999999999,995",  # rounds past numeric(14,2)
    "999999.99",
    "999999,995",  # rounds past numeric(8,2)
    "12026",
    "7" * 40,
    "01.2026",
    "0126",
    "45292",
    "31.02.2026",
    "01.01.1000",
    "01.01.1900",
    "12.12.2099",
    "Январь 2026",
    "ХВС",
    "Газ",
    "собственник",
    "№",
]


@pytest.mark.docker
@pytest.mark.parametrize("seed", range(30))
def test_a_mutated_export_loads_or_is_refused_never_failing_in_postgresql(
    client: tuple[Workspace, str], tmp_path: Path, seed: int
) -> None:
    """The good export with a few fields of each row replaced by odd values: whatever the readers let through,
    PostgreSQL takes (its checks and column sizes), so the load succeeds leaving rows out, or is refused as a
    whole for a reason of the export's, never by a database error."""
    import random

    from seed.errors import ImportRefused, LegacyFormatError
    from seed.legacy.importer import import_export
    from seed.legacy.mapping import standard_mapping
    from tests.small_export import HEADERS

    _, dsn = client
    rnd = random.Random(seed)
    folder = good_export(tmp_path / "export")
    for entity in ("accounts", "persons", "meters", "readings", "balances", "payments"):
        path = folder / f"{entity}.csv"
        rows = [line.split(";") for line in path.read_bytes().decode("cp1251").split("\r\n") if line][1:]
        for row in rows:
            for _ in range(rnd.randrange(0, 3)):
                row[rnd.randrange(1, len(row))] = rnd.choice(MUTATIONS)
        text = "\r\n".join(";".join(r) for r in [HEADERS[entity], *rows]) + "\r\n"
        path.write_bytes(text.encode("cp1251"))
    refused = ""
    try:
        result = import_export(dsn, standard_mapping(folder), bytes(32))
    except (ImportRefused, LegacyFormatError) as exc:  # the export's own fault, said so
        refused = str(exc)
    if refused:
        assert "every one of" in refused or "periods run from" in refused, refused
    else:
        assert _query(dsn, "SELECT count(*) FROM okno.account")[0][0] == result.rows["account"] >= 1
