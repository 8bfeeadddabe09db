"""`import load` against a real PostgreSQL: synthetic books exported in the legacy layout come back with
the same balances and control totals, no original personal value, the same pseudonyms for the same key;
broken exports and refusals leave the previous books untouched."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from provision.books.seeding import check_data
from provision.cli import app
from provision.clients import lifecycle
from provision.clients.database import resolve_dsn
from provision.clients.workspace import Workspace
from seed import catalog
from seed.errors import ImportRefused, LegacyFormatError, MappingError
from seed.legacy.importer import collect_originals, import_export, scan_database
from seed.legacy.mapping import standard_mapping
from seed.legacy.report import render_load_html
from tests.import_load import (
    BALANCES,
    ENC,
    EXPORTED,
    KEY,
    OPENED,
    OTHER_KEY,
    TOTALS,
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


def test_a_round_trip_keeps_every_balance_and_control_total(pg_dsn: str, export: dict[str, Any]) -> None:
    result = import_export(pg_dsn, standard_mapping(export["folder"]), KEY)
    assert result.rejects.total == 0
    assert Counter(query(pg_dsn, BALANCES)) == export["balances"]
    assert query(pg_dsn, TOTALS) == export["totals"]
    opened, carried = query(pg_dsn, OPENED)[0]
    assert (
        opened == carried
        and opened == query(pg_dsn, "SELECT count(*) FROM okno.balance WHERE period = '2026-12-01'")[0][0]
    )
    assert (
        opened >= 1000
        and query(pg_dsn, "SELECT status FROM okno.billing_period WHERE period = '2026-12-01'")[0][0] == "open"
    )
    assert query(pg_dsn, "SELECT count(*), sum(amount) FROM okno.payment")[0] == export["payments"]
    assert query(pg_dsn, "SELECT count(*), sum(value1) FROM okno.meter_reading")[0] == export["readings"]
    assert query(pg_dsn, "SELECT count(*) FROM okno.account_person")[0][0] == export["persons"]
    assert query(pg_dsn, "SELECT count(*) FROM okno.meter")[0][0] == export["meters"]
    assert query(pg_dsn, "SELECT origin FROM okno.seed_info")[0][0] == "import"
    checks = {c.name: c for c in check_data(pg_dsn)}
    assert checks["balance_matches_charges"].skipped
    assert [name for name, c in checks.items() if not c.ok] == []
    assert result.leaks == [] and result.leak_values_checked > 1000


def test_no_original_personal_value_reaches_the_database(pg_dsn: str, export: dict[str, Any]) -> None:
    import_export(pg_dsn, standard_mapping(export["folder"]), KEY)
    originals = collect_originals(standard_mapping(export["folder"]))
    assert scan_database(pg_dsn, originals) == []
    people = lines(export["folder"] / "persons.csv")[1:]
    loaded = {r[0] for r in query(pg_dsn, "SELECT surname || ' ' || given_name || ' ' || patronymic FROM okno.person")}
    assert not {f"{p[1]} {p[2]} {p[3]}" for p in people} & loaded
    phones = {r[0] for r in query(pg_dsn, "SELECT phone FROM okno.person WHERE phone IS NOT NULL")}
    assert phones and not phones & {p[7] for p in people}
    # pseudonyms look real: СНИЛС and ИНН carry valid check digits, names agree in gender
    bad = query(pg_dsn, "SELECT count(*) FROM okno.person WHERE gender = 'F' AND patronymic LIKE '%вич'")[0][0]
    assert bad == 0


def test_the_leak_scan_catches_a_planted_original(pg_dsn: str, export: dict[str, Any]) -> None:
    import_export(pg_dsn, standard_mapping(export["folder"]), KEY)
    person = next(p for p in lines(export["folder"] / "persons.csv")[1:] if p[7])
    account = lines(export["folder"] / "accounts.csv")[1][0]
    with psycopg.connect(pg_dsn) as conn:
        conn.execute("UPDATE okno.person SET phone = %s WHERE id = 1", (person[7],))
        conn.execute("UPDATE okno.premise SET number = %s WHERE id = 2", (account,))
        conn.execute(
            "UPDATE okno.person SET surname = %s, given_name = %s, patronymic = %s WHERE id = 3",
            (person[1], person[2], person[3]),
        )
    found = scan_database(pg_dsn, collect_originals(standard_mapping(export["folder"])))
    leaks = {(leak.kind, leak.table) for leak in found}
    assert {("phone", "person"), ("account number", "premise"), ("full name", "person")} <= leaks


def test_the_same_key_gives_the_same_pseudonyms_and_another_key_others(pg_dsn: str, export: dict[str, Any]) -> None:
    sample = (
        "SELECT a.number, a.els, p.surname, p.given_name, p.phone, p.snils, m.serial FROM okno.account a "
        "JOIN okno.account_person ap ON ap.account_id = a.id JOIN okno.person p ON p.id = ap.person_id "
        "LEFT JOIN okno.meter m ON m.account_id = a.id ORDER BY a.id, p.id, m.id"
    )
    import_export(pg_dsn, standard_mapping(export["folder"]), KEY)
    first = query(pg_dsn, sample)
    import_export(pg_dsn, standard_mapping(export["folder"]), KEY)
    assert query(pg_dsn, sample) == first
    import_export(pg_dsn, standard_mapping(export["folder"]), OTHER_KEY)
    other = query(pg_dsn, sample)
    assert len(other) == len(first)
    assert sum(a[0] == b[0] for a, b in zip(first, other, strict=True)) < len(first) / 20
    assert sum(a[5] == b[5] and a[5] is not None for a, b in zip(first, other, strict=True)) < len(first) / 20


def test_rules_from_the_profile_drop_or_keep_what_they_say(pg_dsn: str, export: dict[str, Any]) -> None:
    result = import_export(
        pg_dsn,
        standard_mapping(export["folder"]),
        KEY,
        rules={"birth_date": "drop", "phone": "drop", "address": "keep"},
    )
    assert query(pg_dsn, "SELECT count(birth_date), count(phone) FROM okno.person")[0] == (0, 0)
    streets = {r[0] for r in query(pg_dsn, "SELECT street FROM okno.building")}
    assert streets == {r[3] for r in lines(export["folder"] / "accounts.csv")[1:]}
    assert any("real streets" in flag.text() for flag in result.flags)


def test_rows_that_cannot_load_are_reported_and_strict_mode_refuses(
    pg_dsn: str, export: dict[str, Any], tmp_path: Path
) -> None:
    folder = copy_export(export["folder"], tmp_path / "bad-rows")
    balances = lines(folder / "balances.csv")
    balances[5][0] = "NO-SUCH-ACCOUNT"
    balances[7][3] = "сто рублей"
    balances.append(list(balances[9]))
    save(folder / "balances.csv", balances)
    before = query(pg_dsn, "SELECT count(*) FROM okno.balance")[0][0]
    with pytest.raises(ImportRefused, match="strict mode refuses"):
        import_export(pg_dsn, standard_mapping(folder), KEY, strict=True)
    assert query(pg_dsn, "SELECT count(*) FROM okno.balance")[0][0] == before
    rejected = tmp_path / "rejected.csv"
    result = import_export(pg_dsn, standard_mapping(folder), KEY, rejected_csv=rejected)
    found = {(e["line"], reason) for reason, ex in result.rejects.examples.items() for e in ex}
    assert found == {
        (6, "unknown account"),
        (8, "not an amount"),
        (len(balances), "duplicate balance for the same period"),
    }
    assert "NO-SUCH-ACCOUNT" not in rejected.read_text(encoding="utf-8")  # account numbers are personal data
    assert len(rejected.read_text(encoding="utf-8").splitlines()) == 4
    exported = query(pg_dsn, "SELECT count(*) FROM okno.balance b WHERE " + EXPORTED)[0][0]
    assert exported == len(balances) - 1 - 3


def test_agents_are_matched_by_their_usual_names_and_an_added_one_is_named(
    pg_dsn: str, export: dict[str, Any], tmp_path: Path
) -> None:
    folder = copy_export(export["folder"], tmp_path / "agents")
    pays = lines(folder / "payments.csv")
    agent = pays[0].index("Агент")
    for i, name in enumerate(["сбербанк", "Сбер", "ФГУП Почта России", "почта", "Новый агент", "новый агент"]):
        pays[1 + i][agent] = name
    save(folder / "payments.csv", pays)
    result = import_export(pg_dsn, standard_mapping(folder), KEY)
    labels = [row[0] for row in query(pg_dsn, "SELECT name FROM okno.payment_agent ORDER BY id")]
    assert labels == [a[1] for a in catalog.AGENTS] + ["Новый агент"]
    added = [flag for flag in result.flags if flag.code == "load.agents_added"]
    assert [flag.text("ru") for flag in added] == [
        "добавлены платёжные агенты, которых нет среди известных (1): Новый агент"
    ]
    assert added[0].text() in result.to_dict()["flags"]


def test_a_personal_column_without_a_rule_stops_a_strict_load(
    pg_dsn: str, export: dict[str, Any], tmp_path: Path
) -> None:
    folder = copy_export(export["folder"], tmp_path / "extra-column")
    accounts = lines(folder / "accounts.csv")
    accounts[0].append("Контактный телефон")
    for i, row in enumerate(accounts[1:]):
        row.append(f"+7 (912) 555-{i % 100:02d}-{i % 97:02d}")
    save(folder / "accounts.csv", accounts)
    with pytest.raises(ImportRefused, match="Контактный телефон"):
        import_export(pg_dsn, standard_mapping(folder), KEY, strict=True)
    result = import_export(pg_dsn, standard_mapping(folder), KEY)
    assert [f.column for f in result.personal_columns] == ["Контактный телефон"]
    assert query(pg_dsn, "SELECT count(*) FROM okno.person WHERE phone LIKE '+7 (912) 555%'")[0][0] == 0


@pytest.mark.parametrize("damage", ["truncated", "wrong_encoding", "missing_column"])
def test_a_malformed_file_names_file_and_line_and_loads_nothing(
    pg_dsn: str, export: dict[str, Any], tmp_path: Path, damage: str
) -> None:
    import_export(pg_dsn, standard_mapping(export["folder"]), KEY)
    before = query(pg_dsn, "SELECT count(*), sum(closing) FROM okno.balance")
    folder = copy_export(export["folder"], tmp_path / damage)
    readings = folder / "readings.csv"
    raw = readings.read_bytes()
    if damage == "truncated":
        readings.write_bytes(raw[: len(raw) // 2].rsplit(b";", 2)[0])
        problem: type[Exception] = LegacyFormatError
        expected = r"readings\.csv, line \d+: \d fields where the header has 7"
    elif damage == "wrong_encoding":
        text = raw.decode(ENC)  # UTF-8 well past the 64 KiB the encoding is detected from, then cp1251
        readings.write_bytes(text[:80_000].encode("utf-8") + text[80_000:].encode(ENC))
        problem, expected = LegacyFormatError, r"readings\.csv, line \d+: not utf-8"
    else:
        rows = lines(readings)
        save(readings, [r[:2] + r[3:] for r in rows])
        problem, expected = MappingError, r"readings\.csv: missing column Период \(for period\)"
    with pytest.raises(problem, match=expected):
        import_export(pg_dsn, standard_mapping(folder), KEY)
    assert query(pg_dsn, "SELECT count(*), sum(closing) FROM okno.balance") == before
    stale = query(pg_dsn, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'okno\\_seed\\_%'")[0][0]
    assert stale == 0


def test_the_cli_loads_an_export_and_a_broken_one_leaves_the_baseline(
    export: dict[str, Any], tmp_path_factory: pytest.TempPathFactory, pg_image: str
) -> None:
    root = tmp_path_factory.mktemp("import-cli").resolve()
    workspace = Workspace(root)
    path = workspace.files("rso").profile
    path.parent.mkdir(parents=True)
    path.write_text(f'[seed]\nmode = "import"\nexport = "{export["folder"]}"\n[training]\nseats = 1\n', "utf-8")
    runner = CliRunner()
    try:
        up = runner.invoke(app, ["--workspace", str(root), "up", "rso"])
        assert up.exit_code == 0, up.output
        assert "imported: " in up.output and "0 rows not loaded, leak scan clean" in up.output
        key = workspace.files("rso").anonymization_key
        assert key.stat().st_mode & 0o777 == 0o600
        dsn = resolve_dsn(workspace, "rso", None)
        assert query(dsn, "SELECT count(*) FROM okno.account")[0][0] == 400
        baseline = "SELECT oid FROM pg_database WHERE datname = 'odno_okno__baseline'"
        frozen = query(dsn, baseline)
        assert frozen

        broken = copy_export(export["folder"], tmp_path_factory.mktemp("broken") / "export")
        raw = (broken / "payments.csv").read_bytes()
        (broken / "payments.csv").write_bytes(raw + b"12345;01.01.2026\r\n")
        done = runner.invoke(app, ["--workspace", str(root), "import", "load", "rso", str(broken)])
        assert done.exit_code == 2
        assert "payments.csv, line" in done.output and "fields where the header has 6" in done.output
        assert query(dsn, baseline) == frozen  # the baseline was not replaced
        assert query(dsn, "SELECT count(*) FROM okno.account")[0][0] == 400

        html = root / "load.html"
        load = ["--workspace", str(root), "import", "load", "rso", str(export["folder"]), "--html", str(html)]
        again = runner.invoke(app, load)
        assert again.exit_code == 0, again.output
        page = html.read_text(encoding="utf-8")
        assert "Чисто: ни одно из" in page and "Загружены все строки." in page  # in Russian by default
        report_file = workspace.files("rso").last_load
        english = render_load_html(json.loads(report_file.read_text(encoding="utf-8")), "rso", "en")
        assert "Clean: none of" in english and "Every row was loaded" in english
        people = lines(export["folder"] / "persons.csv")[1:]
        assert not any(p[1] in page or (p[7] and p[7] in page) for p in people)  # no personal value in the report
        sample = root / "sample"
        made = runner.invoke(app, ["--workspace", str(root), "import", "sample", "rso", str(sample)])
        assert made.exit_code == 0, made.output
        assert len(lines(sample / "accounts.csv")) == 401  # the pseudonymized books, in the legacy layout
        assert runner.invoke(app, ["--workspace", str(root), "import", "sample", "rso", str(sample)]).exit_code == 2
        scan = runner.invoke(app, ["--workspace", str(root), "import", "scan", "rso", str(export["folder"])])
        assert scan.exit_code == 0 and "clean" in scan.output
        report = workspace.files("rso").last_load
        assert '"clean": true' in report.read_text(encoding="utf-8")
    finally:
        lifecycle.destroy(workspace, "rso")


def test_noise_moves_amounts_and_readings_but_keeps_every_invariant(pg_dsn: str, export: dict[str, Any]) -> None:
    import_export(pg_dsn, standard_mapping(export["folder"]), KEY, noise=0.05)
    assert [c.name for c in check_data(pg_dsn) if not c.ok] == []
    totals = query(pg_dsn, TOTALS)
    assert totals != export["totals"]
    for (_, _, *noisy), (_, _, *original) in zip(totals, export["totals"], strict=True):
        for a, b in zip(noisy, original, strict=True):
            assert abs(a - b) <= abs(b) * Decimal("0.05") + 1
    payments = query(pg_dsn, "SELECT count(*), sum(amount) FROM okno.payment")[0]
    assert payments[0] == export["payments"][0] and payments[1] != export["payments"][1]
    first = query(pg_dsn, "SELECT sum(closing), sum(paid) FROM okno.balance")
    import_export(pg_dsn, standard_mapping(export["folder"]), KEY, noise=0.05)
    assert query(pg_dsn, "SELECT sum(closing), sum(paid) FROM okno.balance") == first  # keyed: the same again


def test_the_load_reports_are_private_paired_and_never_quote_a_planted_phone(
    export: dict[str, Any], tmp_path_factory: pytest.TempPathFactory, pg_image: str
) -> None:
    phone = "+7 916 555-01-02"
    planted = copy_export(export["folder"], tmp_path_factory.mktemp("planted") / "export")
    persons = lines(planted / "persons.csv")
    owner = next(i for i, row in enumerate(persons) if i and row[5] == "собственник")
    persons[owner][6] = phone  # a phone typed into a share: the row is left out, its value never shown
    save(planted / "persons.csv", persons)
    root = tmp_path_factory.mktemp("import-private").resolve()
    workspace = Workspace(root)
    path = workspace.files("rsp").profile
    path.parent.mkdir(parents=True)
    path.write_text(
        f'title = "МУП Тепловые сети"\n[seed]\nmode = "import"\nexport = "{planted}"\n[training]\nseats = 1\n', "utf-8"
    )
    reports = workspace.files("rsp").imports
    pair = [reports / "rejected.csv", reports / "last-load.json"]
    runner = CliRunner()
    try:
        up = runner.invoke(app, ["--workspace", str(root), "up", "rsp"])
        assert up.exit_code == 0, up.output
        assert reports.stat().st_mode & 0o777 == 0o700
        assert [p.stat().st_mode & 0o777 for p in pair] == [0o600, 0o600]
        (root / "pages").mkdir(mode=0o700)  # `--html` refuses a folder that does not exist (test_bad_input)
        html = root / "pages" / "load.html"
        load = ["--workspace", str(root), "import", "load", "rsp", str(planted)]
        done = runner.invoke(app, [*load, "--json", "--html", str(html)])
        assert done.exit_code == 0, done.output
        assert json.loads(done.output[done.output.index("{") :])["rejected"]["by_reason"] == {"share not in (0, 1]": 1}
        for text in (done.output, html.read_text(encoding="utf-8"), *(p.read_text(encoding="utf-8") for p in pair)):
            assert "916" not in text and "555-01-02" not in text
        assert f"persons.csv:{owner + 1} Доля" in html.read_text(encoding="utf-8")  # the customer's column
        assert "<h1>МУП Тепловые сети: загрузка выгрузки" in html.read_text(encoding="utf-8")  # the customer's name
        listed = pair[0].read_bytes().decode("utf-8")  # in Russian, with a BOM, so that Excel opens it as it is
        assert listed.startswith("\ufeffФайл;Строка;Причина;Поле;Значение\r\n")
        assert f'persons.csv;{owner + 1};"доля не в пределах (0; 1]";Доля;(персональные данные скрыты)' in listed
        assert html.stat().st_mode & 0o777 == 0o600 and html.parent.stat().st_mode & 0o777 == 0o700
        kept = [p.read_bytes() for p in pair]

        refused = runner.invoke(app, [*load, "--strict"])
        assert refused.exit_code == 4 and "strict mode refuses" in refused.output
        nul = copy_export(planted, tmp_path_factory.mktemp("nul") / "export")
        (nul / "payments.csv").write_bytes((nul / "payments.csv").read_bytes().replace(b";", b"\x00;", 1))
        long = copy_export(planted, tmp_path_factory.mktemp("long") / "export")
        with (long / "readings.csv").open("ab") as out:
            out.write(b"X;" + b"9" * 50 * 1024 * 1024 + b"\r\n")
        for folder, expected in ((nul, "payments.csv, line 1: a NUL byte"), (long, "readings.csv, line")):
            broken = runner.invoke(app, ["--workspace", str(root), "import", "load", "rsp", str(folder)])
            assert broken.exit_code == 2, broken.output
            assert expected in broken.output and "Traceback" not in broken.output
        assert "a field longer than 131,072 characters" in broken.output
        check = runner.invoke(app, ["--workspace", str(root), "import", "check", "rsp", str(nul)])
        assert check.exit_code == 2 and "payments.csv, line 1: a NUL byte" in check.output
        assert [p.read_bytes() for p in pair] == kept  # the refused and failed loads left the pair as it was
        assert sorted(p.name for p in reports.iterdir()) == ["last-load.json", "rejected.csv"]
    finally:
        lifecycle.destroy(workspace, "rsp")
