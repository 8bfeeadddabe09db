"""Nothing about a person "fixed" silently: a birth date in the future and names of initials only are problems
of the check at their own line and column (their values never shown), and the load says how many it loaded
otherwise than written (a birth date in the future as unknown, initials with invented full names)."""

from __future__ import annotations

from pathlib import Path

import pytest

from seed.legacy.analyze import analyze
from seed.legacy.importer import ImportState, import_export
from seed.legacy.interpret import NULL
from seed.legacy.mapping import standard_mapping
from seed.legacy.rows import person_of
from seed.words.messages import Message
from tests.import_load import KEY, query
from tests.small_export import account, balance, load_stages, person, write_export

FUTURE = "14.03.2031"


def silent_export(folder: Path) -> Path:
    return write_export(
        folder,
        {
            "accounts": [account("1001"), account("1002", flat="2"), account("1003", flat="3")],
            "persons": [
                person("1001", "Сидоров", "Пётр", "Ильич", "owner", "1"),
                person("1001", "Сидорова", "Анна", "Петровна", birth_date=FUTURE),  # line 3
                person("1002", "Иванов", "К.Г.", "", "owner", "1"),  # line 4: «Иванов К.Г.»
                person("1003", "Петрова", "А.", "В.", "owner", "1"),  # line 5: «Петрова А. В.»
            ],
            "balances": [balance("1001", "ХВС", "01.2026", "0", "100", "0", "100")],
        },
    )


def test_the_check_reports_each_at_its_line_and_column_without_its_value(tmp_path: Path) -> None:
    report = analyze(standard_mapping(silent_export(tmp_path / "export")), examples=None)
    assert report.counts["birth_in_future"] == 1
    assert report.counts["initials_only"] == 2
    found = {(p.kind, Path(p.file).name, p.line, p.field) for kind in ("birth_in_future", "initials_only")
             for p in report.examples[kind]}  # fmt: skip
    assert found == {
        ("birth_in_future", "persons.csv", 3, "birth_date"),
        ("initials_only", "persons.csv", 4, "given_name"),
        ("initials_only", "persons.csv", 5, "given_name"),
    }
    kinds = ("birth_in_future", "initials_only")
    shown = " ".join(p.value + p.message for kind in kinds for p in report.examples[kind])
    assert "2031" not in shown and "К.Г." not in shown and "А." not in shown
    assert not {"bad_value", "missing_value"} & set(report.counts)  # warnings: every row loads


@pytest.mark.parametrize(
    ("given", "patronymic", "full", "initials"),
    [
        ("К.Г.", "", "", True), ("А.", "В.", "", True), ("Анна", "В.", "", True), ("К. Г.", "", "", True),
        ("Анна", "Петровна", "", False), ("Ал.", "", "", False), ("", "", "Иванов К.Г.", True),
        ("", "", "Петрова А. В.", True), ("", "", "Петрова Анна Викторовна", False),
    ],
)  # fmt: skip
def test_initials_are_told_from_names_in_their_columns_or_in_one(
    given: str, patronymic: str, full: str, initials: bool
) -> None:
    v = dict.fromkeys(("account", "birth_date", "role", "share", "phone", "email", "snils", "inn", "passport"), "")
    v.update(surname="" if full else "Иванова", given_name=given, patronymic=patronymic, full_name=full)
    assert person_of(v, 2).initials is initials


def test_the_load_counts_them_and_keeps_no_birth_date_in_the_future(tmp_path: Path) -> None:
    state = ImportState(standard_mapping(silent_export(tmp_path / "export")), KEY)
    written: dict[str, list[str]] = {}
    load_stages(state, lambda table, text: written.setdefault(table, []).append(text))
    births = [line.split("\t")[5] for line in "".join(written["person"]).splitlines()]
    assert len(births) == 4 and births.count(NULL) == 1 and not any(b.startswith("2031") for b in births)
    flags = [flag for flag in state.result.flags if flag.code.startswith("load.") and flag.code != "load.els_invented"]
    assert flags == [Message.of("load.birth_in_future", count=1), Message.of("load.initials_only", count=2)]
    assert flags[0].text("ru") == "даты рождения в будущем загружены как неизвестные (пустые): 1"


@pytest.mark.docker
@pytest.mark.slow
def test_a_birth_date_in_the_future_is_loaded_as_unknown(pg_dsn: str, tmp_path: Path) -> None:
    result = import_export(pg_dsn, standard_mapping(silent_export(tmp_path / "export")), KEY)
    births = [r[0] for r in query(pg_dsn, "SELECT birth_date FROM okno.person ORDER BY id")]
    assert len(births) == 4 and births.count(None) == 1
    assert all(b.year < 2031 for b in births if b is not None)
    codes = {flag.code: flag for flag in result.flags}
    assert codes["load.birth_in_future"] == Message.of("load.birth_in_future", count=1)
    assert codes["load.initials_only"] == Message.of("load.initials_only", count=2)
