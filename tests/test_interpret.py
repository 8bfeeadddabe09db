"""One reading of an export for the analysis and the load: the field rules, the import's stages on a small
export without a database, and (against a real PostgreSQL) the agreement of `import check` and
`import load` on every row the load leaves out."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest

from seed import period
from seed.legacy import interpret
from seed.legacy.analyze import Spill, analyze
from seed.legacy.importer import ImportState, import_export
from seed.legacy.mapping import Mapping, load_mapping, standard_mapping
from seed.words.reasons import REASONS as REASON_WORDS
from tests.small_export import account, balance, load_stages, meter, payment, person, reading, write_export
from tests.water_export import write_water_export

KEY = bytes(range(32))


def test_roles_shares_periods_and_services_are_read_one_way() -> None:
    assert [interpret.role(w) for w in ("owner", "Собственник", "СОБСТВ.", "наниматель", "Tenant", "", "жилец")] == [
        "owner", "owner", "owner", "tenant", "tenant", "resident", "resident",
    ]  # fmt: skip
    assert interpret.number("1/3") == "0.3333" and interpret.number("1 234,50") == "1234.50"
    assert interpret.number("сто") is None and interpret.number("") is None
    assert interpret.month_number("Январь 2026") == interpret.month_number("01.2026") == 2026 * 12
    assert period.month_iso(2026 * 12 + 1) == "2026-02-01" and period.month_label(2026 * 12) == "2026-01"
    assert interpret.service_code("ХВС") == interpret.service_code("cold_water") == "cold_water"
    assert interpret.service_code("Вывоз мусора") is None
    assert interpret.default_digits("electricity") == 6 and interpret.default_digits("cold_water") == 5
    same = interpret.person_identity("Иванов", "Пётр", "Сергеевич", "1970-02-01", "112-233-445 95")
    assert same == interpret.person_identity("Петров", "Иван", "", "\\N", "11223344595")
    assert interpret.REASONS["unknown account"].kind == interpret.REASONS["payment for an unknown account"].kind


def test_a_tally_keeps_first_examples_or_all_and_merges() -> None:
    first: interpret.Tally[int] = interpret.Tally(2)
    for i in range(5):
        first.add("a", i)
    other: interpret.Tally[int] = interpret.Tally(2)
    other.add("a", 9)
    other.add("b", 7)
    first.merge(other)
    assert first.counts == {"a": 6, "b": 1} and first.examples["a"] == [0, 1] and first.total == 7
    every: interpret.Tally[int] = interpret.Tally(None)
    for i in range(7):
        every.add("a", i)
    assert every.examples["a"] == list(range(7))


def small_export(folder: Path) -> Path:
    """Three owners of thirds written three ways, and a row of each kind the load leaves out."""
    return write_export(
        folder,
        {
            "accounts": [
                account("1001", els="12АБ345678"),
                account("1002", flat="2"),
                account("1002", flat="3"),  # duplicate account number
                account("", flat="4"),  # empty account number
                account("1005", flat="5", total_area="0"),  # total area not positive
                account("1006", flat="6", closed_on="31.02.2025"),  # not a date
            ],
            "persons": [
                person("1001", "Иванов", "Пётр", "Сергеевич", "owner", "1/3"),
                person("1001", "Иванова", "Анна", "Петровна", "Собственник", "1/3"),
                person("1001", "Иванов", "Сергей", "Петрович", "собственник", "1/3"),
                person("1001", "Иванов", "Пётр", "Сергеевич", "owner", "1/3"),  # twice on one account
                person("1002", "", "Олег", "Ильич"),  # no surname
                person("1002", "Орлов", "Олег", "Ильич", "собственник", "1,5"),  # share above 1
                person("1005", "Сидоров", "Иван", "Ильич"),  # its account was refused
            ],
            "services": [
                ["1001", "ХВС", ""],
                ["1001", "холодная вода", ""],  # listed twice
                ["1002", "Вывоз мусора", ""],
                ["9999", "ГВС", ""],
            ],  # fmt: skip
            "meters": [
                meter("1001", "ХВС", "X-0001"),
                meter("1001", "Электроэнергия", "E-0001", zones="2"),
                meter("1001", "ХВС", "X-0001"),  # duplicate serial
                meter("1002", "ХВС", ""),  # empty serial
                meter("1002", "ГВС", "H-0002", zones="5"),  # zones not 1..3
                meter("1002", "ГВС", "H-0003", capacity_digits="12"),  # digits not 4..9
                meter("1002", "ГВС", "H-0004", installed_on="01.01.2021", removed_on="01.01.2020"),
                meter("7777", "ХВС", "X-7777"),  # unknown account
            ],
            "readings": [
                reading("X-0001", "ХВС", "01.2026", "10,5"),
                reading("X-0001", "ХВС", "02.2026", "12,25"),
                reading("X-0001", "ХВС", "02.2026", "12,25"),  # duplicate period
                reading("X-0001", "ХВС", "", "13"),  # no period
                reading("X-0001", "ХВС", "03.2026", "-1"),  # negative
                reading("E-0001", "Электроэнергия", "0126", "100", "31.13.2026"),  # not a date
                reading("NOPE", "ХВС", "01.2026", "1"),  # unknown meter
                ["E-0001", "Электроэнергия", "02.2026", "", "120", "60", ""],  # two zones
            ],
            "balances": [
                balance("1001", "ХВС", "01.2026", "0", "100", "50", "50"),
                balance("1001", "ХВС", "02.2026", "50", "100", "150", "0"),
                balance("1001", "ХВС", "02.2026", "50", "100", "150", "0"),  # duplicate period
                balance("1001", "Вывоз мусора", "02.2026", "0", "1", "0", "1"),  # unknown service
                balance("1001", "ГВС", "", "0", "1", "0", "1"),  # no period
                balance("1001", "ГВС", "03.2026", "0", "сто", "0", "1"),  # not an amount
                balance("8888", "ГВС", "03.2026", "0", "1", "0", "1"),  # unknown account
                balance("1002", "ХВС", "01.2026", "0", "10", "", "10"),  # an empty amount is a zero
            ],
            "payments": [
                payment("1001", "15.01.2026", "50"),
                payment("1001", "15.02.2026", "150,00"),
                payment("1001", "", "10"),  # no date
                payment("1001", "16.02.2026", "0"),  # not positive
                payment("8888", "16.02.2026", "10"),  # unknown account
            ],
        },
    )


def test_the_stages_run_on_a_small_export_without_a_database(tmp_path: Path) -> None:
    state = ImportState(standard_mapping(small_export(tmp_path / "export")), KEY)
    written: dict[str, list[str]] = defaultdict(list)
    registries, _agents = load_stages(state, lambda table, data: written[table].extend(data.splitlines()))

    assert state.account_ids == {hash("1001"): 1, hash("1002"): 2}
    shown = [line.split("\t")[1] for line in written["account"]]
    assert shown != ["1001", "1002"] and all(len(n) == 4 for n in shown)
    owners = [line.split("\t") for line in written["account_person"] if line.split("\t")[2] == "owner"]
    assert [o[3] for o in owners] == ["0.3333"] * 3  # "owner", "Собственник" and "собственник" alike
    assert len(written["person"]) == 3 and len(written["meter"]) == 2
    assert all("Иванов" not in line for line in written["person"])
    assert len(written["meter_reading"]) == 3 and written["meter_reading"][-1].endswith("\t120\t60\t\\N")
    assert len(written["balance"]) == 3 and written["balance"][-1].endswith("\t0\t10\t0\t0\t10")
    assert len(written["payment"]) == 2 and [(r.lines, r.kopecks) for r in registries] == [(1, 5_000), (1, 15_000)]
    repeated = ("duplicate reading for the same period", "duplicate balance for the same period")
    assert [[e["line"] for e in state.rejects.examples[r]] for r in repeated] == [[4], [4]]
    assert state.months == {2026 * 12, 2026 * 12 + 1}
    lines = sorted((e["file"], e["line"], r) for r, ex in state.rejects.examples.items() for e in ex)
    assert ("accounts.csv", 4, "duplicate account number") in lines and (
        "persons.csv",
        5,
        "the same person twice on one account",
    ) in lines
    assert state.rejects.counts["unknown account"] == 4  # a refused account's person; a service, meter, balance


def test_the_analysis_reads_roles_and_fractions_as_the_load_does(tmp_path: Path) -> None:
    report = analyze(standard_mapping(small_export(tmp_path / "export")), examples=None)
    assert not report.counts["shares_not_one"]  # 1/3 + 1/3 + 1/3 by "owner", "Собственник", "собственник"
    assert report.counts["duplicate_person"] == 1 and report.counts["duplicate_service"] == 1


def _water(folder: Path) -> Mapping:
    """The water utility's export: services told by meters and accounts, accounts and residents in one file."""
    folder, mapping_file, _faults = write_water_export(folder)
    return load_mapping(mapping_file, folder)


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize(("export", "least"), [(lambda f: standard_mapping(small_export(f)), 20), (_water, 10)])
def test_every_row_the_load_leaves_out_is_a_problem_the_check_reported(
    pg_dsn: str, tmp_path: Path, export: Callable[[Path], Mapping], least: int
) -> None:
    mapping = export(tmp_path / "export")
    with Spill.private() as spill:  # every problem, those that follow from a duplicate too
        analyze(mapping, spill=spill)
        checked = {(Path(p.file).name, p.line, p.kind) for p in spill.sorted()}
    listed = tmp_path / "rejected.csv"
    result = import_export(pg_dsn, mapping, KEY, rejected_csv=listed)
    with listed.open(encoding="utf-8-sig") as rows:  # in Russian, for Excel: «Файл;Строка;Причина;...»
        listing = list(csv.DictReader(rows, delimiter=";"))
    by_words = {REASON_WORDS[r.code].ru: r for r in interpret.REASONS.values()}
    rejected = {(r["Файл"], int(r["Строка"]), by_words[r["Причина"]].kind) for r in listing}
    assert result.rejects.total == len(listing) and len(rejected) >= least
    assert rejected - checked == set()


def test_a_readings_sheet_with_numbers_as_numbers_loads(tmp_path: Path) -> None:
    import openpyxl

    from seed.legacy.mapping import FileMapping

    folder = small_export(tmp_path / "export")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Заводской номер", "Услуга", "Период", "Дата показаний", "Показание 1", "Показание 2"])
    sheet.append(["X-0001", "ХВС", "01.2026", None, 10.5, None])
    sheet.append(["E-0001", "Электроэнергия", "02.2026", None, 120, 60])
    book.save(folder / "readings.xlsx")
    mapping = standard_mapping(folder)
    fm = mapping.files["readings"]
    columns = {k: v for k, v in fm.columns.items() if k != "value3"}
    mapping.files["readings"] = FileMapping("readings", folder / "readings.xlsx", columns)
    state = ImportState(mapping, KEY)
    written: dict[str, list[str]] = defaultdict(list)
    load_stages(state, lambda table, data: written[table].extend(data.splitlines()))
    values = [line.split("\t")[4:] for line in written["meter_reading"]]
    assert values == [["10.5", "\\N", "\\N"], ["120", "60", "\\N"]]
    assert not [e for found in state.rejects.examples.values() for e in found if e["file"] == "readings.xlsx"]
