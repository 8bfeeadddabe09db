"""`import load` of exports in other shapes than the standard layout, against a real PostgreSQL: codes and
litres through a mapping, DBF and XLSX files, a person's full name in one column, shares as fractions and
roles in capitals; each loads with the books' balances and invariants as the standard layout does."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from provision.books.seeding import check_data
from seed.legacy.importer import collect_originals, import_export, scan_database
from seed.legacy.mapping import standard_mapping
from tests.import_load import (
    BALANCES,
    KEY,
    copy_export,
    lines,
    query,
    save,
    seeded_export,
)

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.fixture(scope="module")
def export(pg_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return seeded_export(pg_dsn, tmp_path_factory)


def test_an_export_in_codes_and_litres_loads_through_a_mapping(
    pg_dsn: str, export: dict[str, Any], tmp_path: Path
) -> None:
    from seed.legacy.analyze import analyze
    from seed.legacy.layout import STANDARD
    from seed.legacy.mapping import FileMapping, load_mapping

    folder = copy_export(export["folder"], tmp_path / "codes")
    codes = {"ХВС": "1", "ГВС": "2", "Водоотведение": "3", "Электроэнергия": "4", "Отопление": "5", "Газ": "6"}
    readings = lines(folder / "readings.csv")
    for row in readings[1:]:
        row[1] = codes[row[1]]
        month, year = row[2].split(".")
        row[2] = f"{year}{month}"  # 202601
        row[4] = str(round(float(row[4].replace(",", ".")) * 1000))  # litres and watt-hours
    save(folder / "readings.csv", readings)
    columns = "\n".join(f'{f} = "{h}"' for f, h, _ in STANDARD["readings"][1])
    mapping_file = tmp_path / "mapping.toml"
    mapping_file.write_text(
        f'[files.readings]\npath = "readings.csv"\n[files.readings.columns]\n{columns}\n[files.readings.convert]\n'
        'value1 = { scale = 0.001 }\nperiod = { format = "%Y%m" }\nservice = { values = { '
        + ", ".join(f'"{v}" = "{k}"' for k, v in codes.items())
        + " } }\n",
        encoding="utf-8",
    )
    mapping = load_mapping(mapping_file, folder)
    for entity, (file_name, fields) in STANDARD.items():  # the other files as they are
        if entity != "readings":
            mapping.files[entity] = FileMapping(entity, folder / file_name, {f: h for f, h, _ in fields})
    report = analyze(mapping)
    assert not report.counts["unknown_service"] and not report.counts["unit_mixup"]
    result = import_export(pg_dsn, mapping, KEY)
    assert result.rejects.total == 0
    assert query(pg_dsn, "SELECT count(*), sum(value1) FROM okno.meter_reading")[0] == export["readings"]


def test_dbf_and_xlsx_files_load_like_csv(pg_dsn: str, export: dict[str, Any], tmp_path: Path) -> None:
    """The accounts as a FoxPro DBF in cp866 and the balances as an XLSX from 1С, through a mapping."""
    import openpyxl

    from seed.legacy.layout import STANDARD
    from seed.legacy.mapping import FileMapping, load_mapping
    from tests.test_legacy_read import write_dbf

    folder = copy_export(export["folder"], tmp_path / "mixed")
    accounts = lines(folder / "accounts.csv")
    names = [
        "LS",
        "ELS",
        "GOROD",
        "ULICA",
        "DOM",
        "KV",
        "PL_OBSH",
        "PL_JIL",
        "KOMN",
        "KOL_PROP",
        "DATA_OTKR",
        "DATA_ZAKR",
    ]
    widths = [12, 10, 30, 40, 8, 6, 10, 10, 3, 3, 10, 10]
    records = [[v.replace(",", ".") for v in row] for row in accounts[1:]]
    write_dbf(folder / "ABON.DBF", [(n, "C", w) for n, w in zip(names, widths, strict=True)], records)
    book = openpyxl.Workbook()
    sheet = book.active
    balances = lines(folder / "balances.csv")
    sheet.append(balances[0])
    for row in balances[1:]:
        sheet.append([row[0], row[1], row[2], *(float(v.replace(",", ".")) for v in row[3:])])
    book.save(folder / "SALDO.xlsx")
    accounts_columns = "\n".join(f'{f} = "{n}"' for (f, _, _), n in zip(STANDARD["accounts"][1], names, strict=True))
    balance_columns = "\n".join(f'{f} = "{h}"' for f, h, _ in STANDARD["balances"][1])
    mapping_file = tmp_path / "mixed.toml"
    mapping_file.write_text(
        f'[files.accounts]\npath = "ABON.DBF"\n[files.accounts.columns]\n{accounts_columns}\n'
        f'[files.balances]\npath = "SALDO.xlsx"\n[files.balances.columns]\n{balance_columns}\n',
        encoding="utf-8",
    )
    mapping = load_mapping(mapping_file, folder)
    for entity, (file_name, fields) in STANDARD.items():
        if entity not in mapping.files:
            mapping.files[entity] = FileMapping(entity, folder / file_name, {f: h for f, h, _ in fields})
    result = import_export(pg_dsn, mapping, KEY)
    assert result.rejects.total == 0
    assert Counter(query(pg_dsn, BALANCES)) == export["balances"]
    assert query(pg_dsn, "SELECT count(*) FROM okno.account")[0][0] == 400


def test_fio_in_one_column_is_split_masked_and_scanned(pg_dsn: str, export: dict[str, Any], tmp_path: Path) -> None:
    from seed.legacy.analyze import analyze
    from seed.legacy.layout import STANDARD
    from seed.legacy.mapping import load_mapping

    folder = copy_export(export["folder"], tmp_path / "fio")
    persons = lines(folder / "persons.csv")
    merged = [["ЛС", "ФИО", *persons[0][4:]]] + [[r[0], " ".join(r[1:4]).strip(), *r[4:]] for r in persons[1:]]
    save(folder / "persons.csv", merged)
    mapping_file = tmp_path / "fio.toml"
    columns = {f: h for f, h, _ in STANDARD["persons"][1] if f not in ("surname", "given_name", "patronymic")}
    mapping_file.write_text(
        '[files.persons]\npath = "persons.csv"\n[files.persons.columns]\nfull_name = "ФИО"\n'
        + "\n".join(f'{f} = "{h}"' for f, h in columns.items())
        + "\n",
        encoding="utf-8",
    )
    mapping = standard_mapping(folder)
    mapping.files["persons"] = load_mapping(mapping_file, folder).files["persons"]
    assert analyze(mapping).counts["duplicate_person"] == 0
    result = import_export(pg_dsn, mapping, KEY)
    assert result.rejects.total == 0 and result.leaks == []
    assert query(pg_dsn, "SELECT count(*) FROM okno.account_person")[0][0] == export["persons"]
    originals = collect_originals(mapping)
    assert len(originals.names) > 100 and scan_database(pg_dsn, originals) == []


def test_shares_written_as_fractions_and_roles_in_capitals(pg_dsn: str, export: dict[str, Any], tmp_path: Path) -> None:
    from seed.legacy.analyze import analyze

    folder = copy_export(export["folder"], tmp_path / "fractions")
    persons = lines(folder / "persons.csv")
    owners: dict[str, list[int]] = {}
    for i, row in enumerate(persons[1:], start=1):
        if row[5] == "собственник":
            owners.setdefault(row[0], []).append(i)
    for rows in owners.values():
        for i in rows:
            persons[i][5] = "Собственник"
            persons[i][6] = f"1/{len(rows)}"
    save(folder / "persons.csv", persons)
    assert analyze(standard_mapping(folder)).counts["shares_not_one"] == 0
    result = import_export(pg_dsn, standard_mapping(folder), KEY)
    assert result.rejects.total == 0
    assert query(pg_dsn, "SELECT count(*) FROM okno.account_person WHERE role = 'owner'")[0][0] == sum(
        len(r) for r in owners.values()
    )
    assert [c.name for c in check_data(pg_dsn) if not c.ok] == []


def test_an_address_in_one_column_is_read_into_its_parts(pg_dsn: str, export: dict[str, Any], tmp_path: Path) -> None:
    from seed.legacy.analyze import analyze
    from seed.legacy.interpret import ADDRESS
    from seed.legacy.layout import STANDARD
    from seed.legacy.mapping import load_mapping

    folder = copy_export(export["folder"], tmp_path / "address")
    accounts = lines(folder / "accounts.csv")  # ЛС;ЕЛС;Город;Улица;Дом;Квартира;...
    merged = [["ЛС", "ЕЛС", "Адрес", *accounts[0][6:]]]
    for row in accounts[1:]:
        flat = f", кв. {row[5]}" if row[5] else ""
        merged.append([row[0], row[1], f"г. {row[2]}, {row[3]}, д. {row[4]}{flat}", *row[6:]])
    merged[7][2] = "нет адреса"  # one that cannot be read: a problem at its line, the rest loads
    merged[9][2] = ""  # and an empty one
    save(folder / "accounts.csv", merged)
    columns = {f: h for f, h, _ in STANDARD["accounts"][1] if f not in ("city", "street", "house", "flat")}
    mapping_file = tmp_path / "address.toml"
    mapping_file.write_text(
        '[files.accounts]\npath = "accounts.csv"\n[files.accounts.columns]\naddress = "Адрес"\n'
        + "\n".join(f'{f} = "{h}"' for f, h in columns.items())
        + "\n",
        encoding="utf-8",
    )
    mapping = standard_mapping(folder)
    mapping.files["accounts"] = load_mapping(mapping_file, folder).files["accounts"]
    found = analyze(mapping)
    assert found.counts["bad_value"] >= 1
    result = import_export(pg_dsn, mapping, KEY)
    said = ADDRESS.label
    assert result.rejects.counts[said] == 2 and [e["line"] for e in result.rejects.examples[said]] == [8, 10]
    assert "нет адреса" not in str(result.rejects.examples)  # an address is personal: never shown
    assert query(pg_dsn, "SELECT count(*) FROM okno.account")[0][0] == 398
    buildings = {(r[2], r[3], r[4]) for k, r in enumerate(accounts[1:], start=1) if k not in (7, 9)}
    assert query(pg_dsn, "SELECT count(*) FROM okno.building")[0][0] == len(buildings)
    cities = {(city,) for city in {r[2] for r in accounts[1:]}}  # «г. » was the address's, not the town's
    assert set(query(pg_dsn, "SELECT DISTINCT city FROM okno.building")) == cities


def test_a_printed_reports_repeated_header_and_totals_are_passed_over(
    pg_dsn: str, export: dict[str, Any], tmp_path: Path
) -> None:
    from seed.legacy.analyze import analyze

    folder = copy_export(export["folder"], tmp_path / "printed")
    accounts = lines(folder / "accounts.csv")
    total = sum(float(r[6].replace(",", ".")) for r in accounts[1:])
    width = len(accounts[0])
    printed = [*accounts[:150], accounts[0], *accounts[150:], ["Итого:", *[""] * (width - 2), f"{total:.2f}"]]
    save(folder / "accounts.csv", printed)
    report = analyze(standard_mapping(folder))
    assert report.counts == analyze(standard_mapping(export["folder"])).counts
    assert report.to_dict()["printed_rows"] == {"accounts.csv": {"header": 1, "totals": 1}}
    result = import_export(pg_dsn, standard_mapping(folder), KEY)
    assert result.rejects.total == 0
    assert query(pg_dsn, "SELECT count(*) FROM okno.account")[0][0] == 400
