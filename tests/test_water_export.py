"""A small water utility's own export, read end to end through a mapping: fixed values, services told by
the meters and accounts, accounts and residents in one file; the check finds every planted fault where it
was planted, the load (without a database here, through the CLI against PostgreSQL below) leaves out
exactly the rows the check reported, and mapping mistakes are told clearly."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provision.cli import app
from provision.clients import lifecycle
from provision.clients.workspace import Workspace
from seed.errors import MappingError
from seed.legacy import interpret
from seed.legacy.analyze import analyze
from seed.legacy.importer import ImportState
from seed.legacy.mapping import load_mapping
from seed.legacy.personal import find_personal_columns
from tests.small_export import load_stages
from tests.water_export import ACCOUNTS, CITY, MAPPING, expected_counts, write_water_export

KEY = bytes(range(32))


def test_the_check_finds_every_planted_fault_at_its_file_and_line(tmp_path: Path) -> None:
    folder, mapping_file, faults = write_water_export(tmp_path / "export")
    report = analyze(load_mapping(mapping_file, folder), examples=None)
    found = sorted(
        {(p.kind, Path(p.file).name if p.file else "", p.line) for ps in report.examples.values() for p in ps}
    )
    assert found == faults
    assert report.rows["accounts"] == report.rows["persons"] == 11  # one row per resident, both read it


def _stages(tmp_path: Path) -> tuple[ImportState, dict[str, list[str]], list[tuple[str, str, int]]]:
    folder, mapping_file, faults = write_water_export(tmp_path / "export")
    state = ImportState(load_mapping(mapping_file, folder), KEY)
    state.rejects.limit = None  # every row left out, not the first five of each reason
    written: dict[str, list[str]] = defaultdict(list)
    load_stages(state, lambda table, data: written[table].extend(data.splitlines()))
    return state, written, faults


def test_the_load_reads_it_as_the_check_does(tmp_path: Path) -> None:
    state, written, faults = _stages(tmp_path)
    counts = expected_counts()
    assert {table: len(written[table]) for table in counts} == counts
    assert {line.split("\t")[1] for line in written["building"]} == {CITY}  # the fixed city on every building
    services = {line.split("\t")[1] for line in written["balance"]}
    assert services == {str(interpret.SERVICE_IDS["cold_water"]), str(interpret.SERVICE_IDS["hot_water"])}
    left_out = sorted(
        {
            (interpret.REASONS[reason].kind, e["file"], e["line"])
            for reason, found in state.rejects.examples.items()
            for e in found
        }
    )
    reported_only = {"reading_decrease", "mixed_encodings", "paid_not_payments"}  # loaded, for the customer to judge
    assert left_out == [f for f in faults if f[0] not in reported_only]


def test_a_repeated_account_with_its_own_values_is_the_same_account(tmp_path: Path) -> None:
    """Accounts and residents in one file: the account's columns on every resident's row are one account;
    a row under the same number with other values is a duplicate, in the check and the load alike."""
    state, written, _ = _stages(tmp_path)
    assert state.rejects.counts["duplicate account number"] == 1
    assert state.rejects.counts["resident on the row of a duplicate account number"] == 1  # whose, cannot be told
    account_rows = [line.split("\t") for line in written["account"]]
    assert [row[6] for row in account_rows] == [a[5] for a in ACCOUNTS]  # the registered counts, once each
    links = [line.split("\t")[0] for line in written["account_person"]]
    assert links.count("3") == 3 and "4" not in links  # three Сидоровы on 100003; no one on 100004


def test_a_column_is_judged_by_every_entity_that_reads_its_file(tmp_path: Path) -> None:
    folder, mapping_file, _ = write_water_export(tmp_path / "export")
    assert find_personal_columns(load_mapping(mapping_file, folder)) == []  # persons' columns are masked
    alone = mapping_file.with_name("accounts-only.toml")
    alone.write_text(MAPPING.split("[files.persons]")[0], encoding="utf-8")
    left_out = {f.column for f in find_personal_columns(load_mapping(alone, folder)) if f.mapped_to is None}
    assert {"Фамилия", "Телефон", "Дата рождения"} <= left_out
    unmasked = mapping_file.with_name("phone-as-flat.toml")  # the phone fed into a field no rule covers
    unmasked.write_text(MAPPING.replace('flat = "Кв"', 'flat = "Телефон"'), encoding="utf-8")
    found = find_personal_columns(load_mapping(unmasked, folder))
    assert [(f.entity, f.column, f.mapped_to) for f in found] == [("accounts", "Телефон", "flat")]


def _mapping(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapping.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_fixed_values_are_checked_like_columns(tmp_path: Path) -> None:
    folder = tmp_path
    head = '[files.accounts]\npath = "a.csv"\n[files.accounts.columns]\nnumber = "LS"\nstreet = "U"\nhouse = "D"\n'
    head += 'total_area = "S"\nresidents = "P"\n'
    ok = load_mapping(_mapping(tmp_path, head + '[files.accounts.fixed]\ncity = "Заречный"\nrooms = 2\n'), folder)
    assert ok.files["accounts"].fixed == {"city": "Заречный", "rooms": "2"}
    with pytest.raises(MappingError, match="lacks required fields: city"):
        load_mapping(_mapping(tmp_path, head), folder)
    with pytest.raises(MappingError, match=r"street is given both a column \('U'\) and a fixed value"):
        load_mapping(_mapping(tmp_path, head + '[files.accounts.fixed]\ncity = "З"\nstreet = "Мира"\n'), folder)
    with pytest.raises(MappingError, match="unknown 'cty' \\(did you mean 'city'\\?\\)"):
        load_mapping(_mapping(tmp_path, head + '[files.accounts.fixed]\ncty = "З"\n'), folder)
    for wrong in ("true", "[1, 2]", "{ a = 1 }"):
        with pytest.raises(MappingError, match="city = .* is not a text or a number"):
            load_mapping(_mapping(tmp_path, head + f"[files.accounts.fixed]\ncity = {wrong}\n"), folder)
    with pytest.raises(MappingError, match="fixed.*a table"):
        load_mapping(
            _mapping(tmp_path, head.replace("[files.accounts.columns]", 'fixed = "З"\n[files.accounts.columns]')),
            folder,
        )


def test_a_service_nothing_can_tell_is_refused_by_the_mapping(tmp_path: Path) -> None:
    readings_only = (
        '[files.readings]\npath = "r.csv"\n[files.readings.columns]\nserial = "N"\nperiod = "P"\nvalue1 = "V"\n'
    )
    with pytest.raises(MappingError, match=r"\[files.readings\] has no service.*\[files.meters\]"):
        load_mapping(_mapping(tmp_path, readings_only), tmp_path)
    fixed = load_mapping(_mapping(tmp_path, readings_only + '[files.readings.fixed]\nservice = "ХВС"\n'), tmp_path)
    assert fixed.files["readings"].fixed == {"service": "ХВС"}
    balances = '[files.balances]\npath = "b.csv"\n[files.balances.columns]\naccount = "A"\nperiod = "P"\n'
    balances += 'opening = "O"\ncharged = "C"\npaid = "Y"\nclosing = "Z"\n'
    with pytest.raises(MappingError, match=r"\[files.services\] or \[files.meters\]"):
        load_mapping(_mapping(tmp_path, balances), tmp_path)
    services = '[files.services]\npath = "s.csv"\n[files.services.columns]\naccount = "A"\nservice = "U"\n'
    assert "balances" in load_mapping(_mapping(tmp_path, balances + services), tmp_path).files


def test_a_fixed_service_reads_on_the_fast_paths(tmp_path: Path) -> None:
    """Every meter, reading and balance of a cold-water-only export, with no service column anywhere."""
    folder, mapping_file, _ = write_water_export(tmp_path / "export")
    text = mapping_file.read_text(encoding="utf-8")
    text = text.replace('service = "Услуга"\n', "").replace(
        "[files.meters.columns]", '[files.meters.fixed]\nservice = "ХВС"\n[files.meters.columns]'
    )
    text += '[files.balances.fixed]\nservice = "холодная вода"\n[files.readings.fixed]\nservice = "ХВС"\n'
    mapping = load_mapping(_mapping(tmp_path, text), folder)
    report = analyze(mapping, examples=None)
    assert report.counts["duplicate_meter"] == 1  # С-777 twice, both cold water now
    assert not report.counts["ambiguous_service"] and not report.counts["unknown_service"]
    assert {s for s, _ in report.totals} == {"cold_water"}
    state = ImportState(mapping, KEY)
    written: dict[str, list[str]] = defaultdict(list)
    load_stages(state, lambda table, data: written[table].extend(data.splitlines()))
    assert len(written["meter_reading"]) == 18 and len(written["balance"]) == 18


@pytest.mark.docker
@pytest.mark.slow
def test_the_cli_loads_the_water_utilitys_export(tmp_path_factory: pytest.TempPathFactory, pg_image: str) -> None:
    folder, mapping_file, faults = write_water_export(tmp_path_factory.mktemp("water") / "export")
    root = tmp_path_factory.mktemp("water-cli").resolve()
    workspace = Workspace(root)
    path = workspace.files("vodokanal").profile
    path.parent.mkdir(parents=True)
    path.write_text('[postgres]\nmemory_limit = "1g"\n[seed]\nmode = "none"\n', encoding="utf-8")
    runner = CliRunner()
    base = ["--workspace", str(root)]
    try:
        lifecycle.up(workspace, "vodokanal")
        check = runner.invoke(app, [*base, "import", "check", "vodokanal", str(folder), "--mapping", str(mapping_file),
                                    "--json"])  # fmt: skip
        assert check.exit_code == 0, check.output
        problems = json.loads(check.output)["problems"]
        assert sorted(problems) == sorted({kind for kind, _, _ in faults})
        load = runner.invoke(app, [*base, "import", "load", "vodokanal", str(folder), "--mapping", str(mapping_file),
                                   "--json"])  # fmt: skip
        assert load.exit_code == 0, load.output
        assert "Traceback" not in load.output
        info = json.loads(load.output[load.output.index("{") :])
        assert {table: info["rows_loaded"][table] for table in expected_counts()} == expected_counts()
        assert info["personal_columns_not_loaded"] == []  # the residents' columns are the persons', masked
        assert info["leak_scan"]["clean"] and info["rejected"]["total"] == 11
        assert info["rejected"]["by_reason"]["service cannot be told (no service column)"] == 6
    finally:
        lifecycle.destroy(workspace, "vodokanal")


def test_every_planted_fault_is_in_the_customers_problem_list_at_its_file_and_line(
    tmp_path: Path, workspace: Workspace
) -> None:
    """The issue's acceptance: mapped without touching the files, checked through the CLI, and the list for the
    customer (XLSX, Russian) holds every planted fault at its file and line, and nothing else."""
    import openpyxl

    folder, mapping_file, faults = write_water_export(tmp_path / "export")
    out = tmp_path / "проблемы.xlsx"
    args = ["import", "check", "demo", str(folder), "--mapping", str(mapping_file), "--problems", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    sheet = openpyxl.load_workbook(out, read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)][1:]
    listed = sorted((r[0], "" if r[2] == "вся выгрузка" else r[2], int(r[3] or 0)) for r in rows)
    assert listed == sorted(faults)
    assert all(r[1] and r[7] for r in rows)  # what it means and how to fix it, for each
    assert not any(r[8] for r in rows)  # nothing here follows from another row
