"""Reading customers' exports: encodings, delimiters, XLSX, DBF, Russian number and date formats."""

from __future__ import annotations

import datetime as dt
import struct
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provision.cli import app
from seed.errors import LegacyFormatError
from seed.legacy import convert
from seed.legacy.layout import STANDARD, write_template
from seed.legacy.read import detect_encoding, read_table

ROWS = [
    ["ЛС", "Фамилия", "Имя", "Отчество", "Сумма"],
    ["001234", "Щербакова", "Анна", "Сергеевна", "1 234,56"],
    ["001235", "Ёлкин", "Пётр", "Ильич", "17,00"],
]


def write_csv(path: Path, encoding: str, delimiter: str = ";", rows: list[list[str]] = ROWS) -> Path:
    text = "\r\n".join(delimiter.join(r) for r in rows) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["cp1251", "cp866", "koi8_r", "utf-8", "utf-8-sig"])
def test_encodings_are_detected_and_rows_keep_their_line(tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "persons.csv", encoding)
    assert detect_encoding(path.read_bytes()) == encoding
    headers, rows = read_table(path)
    assert headers == ROWS[0]
    got = list(rows)
    assert [r.line for r in got] == [2, 3]
    assert got[0].values["Фамилия"] == "Щербакова" and got[1].values["Имя"] == "Пётр"
    assert got[0].values["ЛС"] == "001234"  # leading zeros kept: CSV values stay text


@pytest.mark.parametrize("encoding", ["cp1251", "koi8_r"])
def test_a_header_in_capitals_alone_is_read_in_its_encoding(tmp_path: Path, encoding: str) -> None:
    """Letter frequencies cannot tell 'ЛС;ФИО' in cp1251 from 'кя;жхн' in koi8-r: capitals alone are a header."""
    path = tmp_path / "p.csv"
    path.write_bytes("ЛС;ФИО\r\n".encode(encoding))
    assert detect_encoding(path.read_bytes()) == encoding
    assert read_table(path)[0] == ["ЛС", "ФИО"]
    path.write_bytes("ЛС;ФИО\r\n1001;Щербакова Анна\r\n".encode(encoding))  # with text below, as before
    assert detect_encoding(path.read_bytes()) == encoding


@pytest.mark.parametrize("encoding", ["cp1251", "koi8_r", "cp866"])
def test_names_in_capitals_and_initials_are_read_in_their_encoding(encoding: str) -> None:
    """A payments file whose payers are written in capitals or with initials, as registries print them."""
    names = ["Иванов И.И.", "ПЕТРОВ ПЁТР ПЕТРОВИЧ", "СИДОРОВА А. В.", "кВт·ч"]
    text = "ЛС;Дата;Сумма;Плательщик\r\n" + "".join(f"{i};01.11.2026;100;{names[i % 4]}\r\n" for i in range(20))
    assert detect_encoding(text.encode(encoding)) == encoding


@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
def test_delimiters_are_detected(tmp_path: Path, delimiter: str) -> None:
    rows = [r[:4] for r in ROWS]  # no decimal commas when ',' separates fields
    headers, it = read_table(write_csv(tmp_path / "a.csv", "cp1251", delimiter, rows))
    assert headers == ROWS[0][:4]
    assert len(list(it)) == 2


def test_a_short_line_names_the_file_and_line(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv", "cp1251", rows=[*ROWS, ["001236", "Иванов"]])
    _, rows = read_table(path)
    with pytest.raises(LegacyFormatError) as info:
        list(rows)
    assert str(path) in str(info.value) and "line 4" in str(info.value) and "2 fields" in str(info.value)


def test_a_wrongly_forced_encoding_fails_with_the_file(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", "cp1251")
    headers, rows = read_table(path, encoding="latin-1")  # decodes anything: wrong but readable
    assert headers[0] != "ЛС"
    with pytest.raises(LegacyFormatError, match=r"x\.csv.*not utf-8"):
        read_table(path, encoding="utf-8")


def test_missing_and_unknown_files(tmp_path: Path) -> None:
    with pytest.raises(LegacyFormatError, match="no such file"):
        read_table(tmp_path / "nothing.csv")
    (tmp_path / "x.doc").write_text("x")
    with pytest.raises(LegacyFormatError, match="unknown format"):
        read_table(tmp_path / "x.doc")


def test_xlsx_rows_and_excel_damage(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["ЛС", "Фамилия", "Дата рождения", "ИНН"])
    sheet.append([1234, "Иванова", dt.datetime(1980, 5, 17), 1.23456789012e11])
    book.save(tmp_path / "export.xlsx")
    headers, rows = read_table(tmp_path / "export.xlsx")
    row = next(rows)
    assert headers[1] == "Фамилия" and row.line == 2
    assert convert.date(row.values["Дата рождения"]) == dt.date(1980, 5, 17)
    assert convert.looks_mangled_by_excel(row.values["ИНН"])
    assert convert.looks_mangled_by_excel("1,23457E+11")
    assert convert.looks_mangled_by_excel("001234") is None


def write_dbf(path: Path, fields: list[tuple[str, str, int]], records: list[list[str]], truncate: int = 0) -> Path:
    header_len = 32 + 32 * len(fields) + 1
    record_len = 1 + sum(f[2] for f in fields)
    head = (
        struct.pack("<BBBBIHH", 3, 126, 11, 28, len(records), header_len, record_len) + bytes(17) + b"\x65" + bytes(2)
    )
    desc = b"".join(
        name.encode().ljust(11, b"\x00") + kind.encode() + bytes(4) + bytes([length, 0]) + bytes(14)
        for name, kind, length in fields
    )
    body = b"".join(
        b" " + b"".join(v.encode("cp866").ljust(f[2]) for v, f in zip(rec, fields, strict=True)) for rec in records
    )
    data = head + desc + b"\x0d" + body + b"\x1a"
    path.write_bytes(data[: len(data) - truncate] if truncate else data)
    return path


def test_dbf_in_cp866(tmp_path: Path) -> None:
    fields = [("LS", "C", 10), ("FAM", "C", 20), ("DR", "D", 8), ("SUMMA", "N", 10)]
    path = write_dbf(
        tmp_path / "abon.dbf", fields, [["001234", "Щербакова", "19800517", "1234.56"], ["001235", "Ёлкин", "", "17"]]
    )
    headers, rows = read_table(path)
    got = list(rows)
    assert headers == ["LS", "FAM", "DR", "SUMMA"]
    # a date field reads as a date cell's text, as a CSV writes it
    assert got[0].values == {"LS": "001234", "FAM": "Щербакова", "DR": "17.05.1980", "SUMMA": "1234.56"}
    assert got[1].values["FAM"] == "Ёлкин"


def test_truncated_dbf_is_refused(tmp_path: Path) -> None:
    path = write_dbf(tmp_path / "cut.dbf", [("LS", "C", 10)], [["1"], ["2"], ["3"]], truncate=15)
    with pytest.raises(LegacyFormatError, match=r"cut\.dbf.*truncated"):
        read_table(path)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1 234,56", Decimal("1234.56")),
        ("17", Decimal(17)),
        ("-0,5", Decimal("-0.5")),
        ("1,234.50", Decimal("1234.50")),
        ("", None),
        (12.5, Decimal("12.5")),
        ("1/3", Decimal("0.3333")),
        ("1/2", Decimal("0.5")),
    ],
)
def test_decimals(text: object, value: Decimal | None) -> None:
    assert convert.decimal(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0126", dt.date(2026, 1, 1)),
        ("01.2026", dt.date(2026, 1, 1)),
        ("2026-11", dt.date(2026, 11, 1)),
        ("15.03.2025", dt.date(2025, 3, 1)),
        ("Январь 2026", dt.date(2026, 1, 1)),
        ("май 2026", dt.date(2026, 5, 1)),
        ("Март 2026 г.", dt.date(2026, 3, 1)),
        ("сент. 2025", dt.date(2025, 9, 1)),
    ],
)
def test_periods(text: str, value: dt.date) -> None:
    assert convert.period(text) == value


def test_bad_values_are_named() -> None:
    with pytest.raises(convert.ValueProblem, match="not a number"):
        convert.decimal("двадцать")
    with pytest.raises(convert.ValueProblem, match="not a date"):
        convert.date("32.13.2020")
    with pytest.raises(convert.ValueProblem, match="not a month"):
        convert.period("1326")


def test_template_command_writes_the_standard_layout(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["import", "template", str(tmp_path / "export")])
    assert result.exit_code == 0, result.output
    for file_name, fields in STANDARD.values():
        headers, rows = read_table(tmp_path / "export" / file_name)
        assert headers == [h for _, h, _ in fields]
        assert list(rows) == []
    assert detect_encoding((tmp_path / "export" / "persons.csv").read_bytes()) == "cp1251"
    again = runner.invoke(app, ["import", "template", str(tmp_path / "export")])
    assert again.exit_code == 2 and "already exists" in again.output
    with pytest.raises(FileExistsError):
        write_template(tmp_path / "export")


def test_the_example_mapping_loads_and_typos_are_named(tmp_path: Path) -> None:
    from seed.errors import MappingError
    from seed.legacy.mapping import load_mapping

    example = Path(__file__).resolve().parent.parent / "docs" / "mapping-example.toml"
    mapping = load_mapping(example, tmp_path)
    assert mapping.files["accounts"].columns["number"] == "LS"
    assert mapping.files["accounts"].encoding == "cp866"
    assert mapping.files["payments"].path == tmp_path / "reestr_sber.csv"
    broken = tmp_path / "broken.toml"
    broken.write_text(example.read_text(encoding="utf-8").replace("total_area =", "totl_area ="), encoding="utf-8")
    with pytest.raises(MappingError, match=r"broken\.toml.*unknown 'totl_area' \(did you mean 'total_area'\?\)"):
        load_mapping(broken, tmp_path)
    stray = tmp_path / "stray.toml"  # a table outside [files]: refused, not read as nothing
    stray.write_text(example.read_text(encoding="utf-8") + '\n[file.extra]\npath = "X.DBF"\n', encoding="utf-8")
    with pytest.raises(MappingError, match=r"stray\.toml: \[file\]: unknown 'file' \(did you mean 'files'\?\)"):
        load_mapping(stray, tmp_path)
    missing = tmp_path / "missing.toml"
    missing.write_text('[files.accounts]\npath = "A.DBF"\n[files.accounts.columns]\nnumber = "LS"\n', encoding="utf-8")
    with pytest.raises(MappingError, match="lacks required fields: city, street, house, total_area, residents"):
        load_mapping(missing, tmp_path)


def test_a_dbf_export_is_analysed_through_a_mapping(tmp_path: Path) -> None:
    from seed.legacy.analyze import analyze
    from seed.legacy.mapping import load_mapping

    fields = [
        ("LS", "C", 10),
        ("GOROD", "C", 20),
        ("ULICA", "C", 30),
        ("DOM", "C", 5),
        ("PL_OBSH", "N", 8),
        ("KOL_PROP", "N", 3),
    ]
    write_dbf(
        tmp_path / "ABON.DBF",
        fields,
        [["0001", "Тверь", "улица Мира", "5", "52.5", "2"], ["0001", "Тверь", "улица Мира", "5", "40", "1"]],
    )
    mapping_file = tmp_path / "m.toml"
    mapping_file.write_text(
        '[files.accounts]\npath = "ABON.DBF"\n[files.accounts.columns]\nnumber = "LS"\n'
        'city = "GOROD"\nstreet = "ULICA"\nhouse = "DOM"\ntotal_area = "PL_OBSH"\n'
        'residents = "KOL_PROP"\n',
        encoding="utf-8",
    )
    report = analyze(load_mapping(mapping_file, tmp_path))
    assert report.rows["accounts"] == 2
    assert report.counts["duplicate_account"] == 1
    assert report.examples["duplicate_account"][0].line == 2


def test_conversions_in_a_mapping_are_checked_and_applied(tmp_path: Path) -> None:
    from seed.errors import MappingError
    from seed.legacy.mapping import converted, load_mapping

    base = '[files.readings]\npath = "r.csv"\n[files.readings.columns]\nserial = "N"\nservice = "U"\nperiod = "P"\n'
    base += 'value1 = "V"\n[files.readings.convert]\n'
    good = tmp_path / "good.toml"
    good.write_text(
        base + 'value1 = { scale = 0.001 }\nperiod = { format = "%Y%m" }\nservice = { values = { "1" = "ХВС" } }\n',
        encoding="utf-8",
    )
    fm = load_mapping(good, tmp_path).files["readings"]
    rows = [(2, ["A1", "1", "202601", "12345,5"]), (3, ["A1", "7", "2026-13", "x"])]
    out = list(converted(fm, ["N", "U", "P", "V"], iter(rows)))
    assert out[0] == (2, ["A1", "ХВС", "01.2026", "12.3455"])
    assert out[1] == (3, ["A1", "7", "2026-13", "x"])  # what cannot be converted is left for the analysis to name
    for bad, message in (
        ("value1 = { scale = -1 }", "not a positive number"),
        ('period = { format = "YYYYMM" }', "not a date pattern"),
        ("value2 = { scale = 2 }", "unknown 'value2'"),
        ("value1 = { scael = 2 }", "did you mean 'scale'"),
    ):
        broken = tmp_path / "bad.toml"
        broken.write_text(base + bad + "\n", encoding="utf-8")
        with pytest.raises(MappingError, match=message):
            load_mapping(broken, tmp_path)


def test_a_title_block_above_the_header_is_skipped_with_header_line(tmp_path: Path) -> None:
    """1С reports put a title and a date above the column names."""
    import openpyxl

    from seed.errors import MappingError
    from seed.legacy.mapping import load_mapping, read_mapped

    title = [
        "Оборотно-сальдовая ведомость за январь 2026",
        "Сформирован 01.02.2026",
        "ЛС;Город;Улица;Дом;Площадь;Жильцов",
    ]
    (tmp_path / "abon.csv").write_bytes(
        ("\r\n".join([*title, "001;Энск;Мира;1;50,5;2", "002;Энск;Мира;1;40;1"]) + "\r\n").encode("cp1251")
    )
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (
        ["Ведомость"],
        [],
        ["ЛС", "Город", "Улица", "Дом", "Площадь", "Жильцов"],
        ["003", "Энск", "Мира", "2", 61.2, 3],
    ):
        sheet.append(row)
    book.save(tmp_path / "abon.xlsx")
    fields = {"number": "ЛС", "city": "Город", "street": "Улица", "house": "Дом", "total_area": "Площадь"}
    columns = "".join(f'{f} = "{c}"\n' for f, c in {**fields, "residents": "Жильцов"}.items())
    for name, lines in (("abon.csv", [4, 5]), ("abon.xlsx", [4])):
        spec = f'[files.accounts]\npath = "{name}"\nheader_line = 3\n[files.accounts.columns]\n{columns}'
        (tmp_path / "m.toml").write_text(spec, encoding="utf-8")
        _, rows = read_mapped(load_mapping(tmp_path / "m.toml", tmp_path).files["accounts"])
        assert [line for line, _ in rows] == lines
    (tmp_path / "m.toml").write_text(
        f'[files.accounts]\npath = "abon.csv"\n[files.accounts.columns]\n{columns}', encoding="utf-8"
    )
    with pytest.raises(MappingError, match="set header_line = N"):
        read_mapped(load_mapping(tmp_path / "m.toml", tmp_path).files["accounts"])
