"""What goes to the customer is in the customer's language and words: the HTML reports of `import check`
and `import load` in Russian by default (English with --lang en), services as the export wrote them,
files by their own names, fields by the customer's columns, and words for every kind of problem, every
reason for leaving a row out and every invariant."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from provision.books.switchover import SwitchoverReport
from provision.cli import app
from provision.clients.profile import load_profile
from provision.clients.workspace import Workspace
from seed.check import CHECKS, NOT_FOR_IMPORTS
from seed.legacy import convert, switchover
from seed.legacy.analyze import KINDS, analyze
from seed.legacy.interpret import REASONS
from seed.legacy.mapping import standard_mapping
from seed.legacy.personal import HIDDEN, RULES
from seed.legacy.report import check_rule, number, period, reason, render_html, render_load_html
from seed.legacy.switchover_guard import LARGE, Recognition
from seed.legacy.switchover_report import render_switchover_html
from seed.legacy.words import said_value, words
from seed.words import checks, personal
from seed.words.messages import Message
from seed.words.problems import HINT, WHAT
from seed.words.switchover import BASES, CHANGES, RECOGNITION, STEPS
from tests.small_export import account, balance, meter, payment, person, reading, write_export

ENGLISH_HEADINGS = ("Files", "Problems", "Control totals", "Leak scan", "Rows not loaded", "Personal data")


def export(folder: Path) -> Path:
    """A small export with problems of several kinds, its services written the customer's way."""
    return write_export(
        folder,
        {
            "accounts": [account("1001"), account("1002", total_area="0")],
            "persons": [person("1001", "Иванов", "Пётр", "Сергеевич", "собственник", "1")],
            "meters": [meter("1001", "Холодная вода", "X-1")],
            "readings": [
                reading("X-1", "ХВС", "01.2026", "10"),
                reading("X-1", "ХВС", "02.2026", "8"),  # a decrease
                reading("X-1", "ХВС", "03.2026", "12"),
            ],
            "balances": [
                balance("1001", "Холодная вода", "01.2026", "0", "1234567,89", "0", "1234567,89"),
                balance("1001", "Отопление", "01.2026", "0", "10", "0", "11"),  # does not reconcile
                balance("1001", "Свет на лестнице", "01.2026", "0", "1", "0", "1"),  # an unknown service
            ],
            "payments": [payment("1001", "15.01.2026", "50"), payment("1001", "15.01.2026", "50")],
            "totals": [["ХВС", "01.2026", "0", "1234567,89", "0", "1234500"]],  # the old system's closing differs
        },
    )


@pytest.fixture(scope="module")
def info(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return analyze(standard_mapping(export(tmp_path_factory.mktemp("ru") / "export")), examples=None).to_dict()


def headings(page: str) -> list[str]:
    return re.findall(r"<h[12][^>]*>([^<]*)</h[12]>", page)


def test_the_check_report_is_russian_by_default(info: dict[str, Any]) -> None:
    page = render_html(info, "демо: анализ")
    assert "<html lang=ru>" in page
    assert all(re.search("[А-Яа-яЁё]", h) for h in headings(page)), headings(page)
    assert not any(h in page for h in ENGLISH_HEADINGS)
    for kind in info["problems"]:  # each kind in Russian, with its hint, and never its English description
        assert words(kind, "ru").what in page and words(kind, "ru").hint in page
        assert KINDS[kind] not in page
    assert "1\u00a0234\u00a0567,89" in page  # the Russian way with numbers
    assert "<td>01.2026</td>" in page and "2026-01" not in page  # and with periods


def test_services_files_and_columns_are_named_as_the_export_does(info: dict[str, Any], tmp_path: Path) -> None:
    # the meters file wrote cold water first as «Холодная вода»; heating is named only in the balances,
    # which the forked child reads: what it learned is merged
    assert info["service_names"] == {"cold_water": "Холодная вода", "heating": "Отопление"}
    page = render_html(info, "демо")
    assert "<td>Холодная вода</td>" in page and "<td>Отопление</td>" in page
    assert "cold_water" not in page and "heating" not in page
    assert str(tmp_path.parent) not in page and "<td>balances.csv</td>" in page  # files by their own name
    examples = {e["field"]: e for p in info["problems"].values() for e in p["examples"]}
    assert examples["closing"]["column"] == "Сальдо исходящее" and examples["value1"]["column"] == "Показание 1"
    assert "balances.csv:3 Сальдо исходящее = 11 (ожидалось 10)" in page
    assert "Свет на лестнице" in page  # an unknown service as written


def test_differences_from_the_old_systems_totals_in_russian(info: dict[str, Any]) -> None:
    page = render_html(info, "демо")
    assert "<h2 class=bad>Расхождения с итогами старой системы</h2>" in page
    row = "<td>Холодная вода</td><td>01.2026</td><td>исходящее сальдо</td><td class=n>1\u00a0234\u00a0567,89</td>"
    assert row + "<td class=n>1\u00a0234\u00a0500,00</td><td class=n>67,89</td>" in page


def test_a_problem_of_the_whole_export_says_so() -> None:
    info = {
        "files": {}, "rows": {}, "control_totals": [], "totals_differences": [],
        "problems": {"mixed_encodings": {"what": KINDS["mixed_encodings"], "count": 1, "examples": [
            {"kind": "mixed_encodings", "file": "", "line": 0, "field": "encoding", "value": "cp1251, utf-8",
             "message": ""}]}},
    }  # fmt: skip
    page = render_html(info, "демо")
    assert "вся выгрузка кодировка = cp1251, utf-8" in page and not re.search(r"\w:0\b", page)
    assert "whole export encoding" in render_html(info, "demo", "en")


def test_english_on_request(info: dict[str, Any]) -> None:
    page = render_html(info, "demo: analysis", "en")
    assert "<html lang=en>" in page and "<h2>Problems</h2>" in page
    for kind in info["problems"]:
        assert words(kind, "en").what in page and words(kind, "ru").what not in page
    assert "1,234,567.89" in page and "<td>2026-01</td>" in page
    assert "Холодная вода" in page  # the customer's own names stay in either language


def test_numbers_and_periods_the_customers_way() -> None:
    assert number("1234567.891", "ru", 2) == "1\u00a0234\u00a0567,89" and number(-5, "ru") == "-5"
    assert number("1234567.891", "en", 2) == "1,234,567.89" and number("n/a", "ru") == "n/a"
    assert period("2026-03", "ru") == "03.2026" and period("2026-03", "en") == "2026-03"
    assert said_value("2026-09-01") == "01.09.2026" and said_value("2026-09-01", "en") == "2026-09-01"
    assert said_value("01.2026") == "01.2026"  # a value as the export wrote it stays
    assert said_value(HIDDEN) == "(персональные данные скрыты)" and said_value(HIDDEN, "en") == HIDDEN


@pytest.mark.parametrize("kind", list(KINDS) + ["ambiguous_service", "paid_not_payments"])
def test_every_kind_of_problem_has_words_in_both_languages(kind: str) -> None:
    assert kind in WHAT and kind in HINT, f"seed.words.problems has no words for {kind!r}"
    ru, en = words(kind, "ru"), words(kind, "en")
    assert ru.what and ru.hint and en.what and en.hint and ru != en
    assert re.search("[а-яё]", ru.what + ru.hint)


def test_every_reason_check_and_treatment_has_russian_words() -> None:
    assert sorted(set(CHECKS) - set(checks.RULES)) == [], "seed.words.checks lacks these checks"
    assert sorted(set(NOT_FOR_IMPORTS) - set(checks.SKIPPED)) == []
    assert all(checks.SKIPPED[name].en == why for name, why in NOT_FOR_IMPORTS.items())
    assert sorted(set(RULES) - set(personal.RULES)) == []
    assert sorted({t for ts in RULES.values() for t in ts} - set(personal.TREATMENTS)) == []
    for label in REASONS:
        assert reason(label, "en") == label and re.search("[а-яё]", reason(label, "ru"))
    for name, (rule, _) in CHECKS.items():
        assert check_rule(name, rule, "en") == rule and check_rule(name, rule, "ru") != rule


def test_messages_about_a_value_in_russian() -> None:
    assert Message.of("first_at_line", line=12).text("ru") == "впервые в строке 12"
    with pytest.raises(convert.ValueProblem) as raised:
        convert.date("31.02.1971 г.")
    said = raised.value.said  # a complaint of the reader: a message, its code and its arguments
    assert said.text("ru") == "не дата: '31.02.1971 г.' (ожидается ДД.ММ.ГГГГ)"
    assert said.text("en") == str(raised.value) == "not a date: '31.02.1971 г.' (expected dd.mm.yyyy)"
    assert Message.of("previous_closing", amount="1.5").text("ru") == "исходящее сальдо предыдущего месяца 1,5"
    assert Message.of("removed", day="2026-05-01").text("ru") == "снят 01.05.2026"  # our own numbers and dates
    quoted = Message.of("not_a_number", value=repr("1.5"))
    assert quoted.text("ru") == "не число: '1.5'"  # a value quoted as written stays so
    assert Message.of("reason.share").text("ru") == "доля не в пределах (0; 1]"
    assert Message.of("not_a_number", value=HIDDEN).text("ru") == "не число: (персональные данные скрыты)"
    assert Message.of("first_at_line", line=12).text("en") == "first at line 12"
    differing = Message.of("first_at_line_differing", line=3, fields="els, city")
    assert differing.text("ru") == "впервые в строке 3, отличаются: ЕЛС, город"
    assert differing.text("en") == "first at line 3, with another els, city"
    lagging = Message.of("payments_for_lagging", month="2026-01", amount="1.5", lag="2-3")
    assert lagging.text("ru") == "платежи за 01.2026: 1,5; платежи поступают через 2-3 мес. после периода"
    assert lagging.text("en") == "payments for 2026-01: 1.5; payments arrive 2-3 months after the period they pay for"


def load_info() -> dict[str, Any]:
    """A load's report as ImportReport.to_dict() makes it (what last-load.json holds)."""
    return {
        "export": "/home/deployer/exports/vodokanal", "mapping": "standard layout",
        "rows_read": {"accounts.csv": 1234, "persons.csv": 2},
        "rows_loaded": {"account": 1233, "person": 2},
        "rejected": {
            "total": 2, "by_reason": {"share not in (0, 1]": 1, "unknown service": 1},
            "examples": {
                "share not in (0, 1]": [{"file": "persons.csv", "line": 7, "field": "share", "value": HIDDEN,
                                         "column": "Доля"}],
                "unknown service": [{"file": "balances.csv", "line": 9, "field": "service", "value": "Лифт"}],
            },
        },
        "anonymization": {"names": "pseudonym", "birth_date": "shift", "address": "keep",
                          "noise": "amounts per account and readings per meter scaled by up to ±5%"},
        "anonymization_said": {
            "names": {"code": "treatment.pseudonym", "args": {}}, "birth_date": {"code": "treatment.shift", "args": {}},
            "address": {"code": "treatment.keep", "args": {}},
            "noise": {"code": "treatment.noise", "args": {"share": "5%"}},
        },
        "flags": ["real streets and house numbers are kept (anonymize.address = 'keep')"],
        "flags_said": [{"code": "personal.kept", "args": {"rule": "address"}}],
        "personal_columns_not_loaded": ["persons.csv: column 'Примечание' looks like personal data (its header) and "
                                        "has no rule"],
        "personal_columns_left_out": [{"file": "persons.csv", "column": "Примечание", "why": "its header",
                                       "why_said": {"code": "personal.by_header", "args": {}}}],
        "columns": {"balances.csv": {"service": "Услуга"}},
        "leak_scan": {"original_values_checked": 4321, "leaks": [], "clean": True},
        "checks": [
            {"check": "balance_reconciles", "violations": 0, "skipped": None, "rule": CHECKS["balance_reconciles"][0]},
            {"check": "balance_matches_charges", "violations": 0, "skipped": NOT_FOR_IMPORTS["balance_matches_charges"],
             "rule": CHECKS["balance_matches_charges"][0]},
            {"check": "els_format", "violations": 3, "skipped": None, "rule": CHECKS["els_format"][0]},
        ],
    }  # fmt: skip


def test_the_load_report_is_russian_by_default() -> None:
    page = render_load_html(load_info(), "демо: загрузка")
    assert all(re.search("[А-Яа-яЁё]", h) for h in headings(page)), headings(page)
    assert not any(h in page for h in ENGLISH_HEADINGS)
    assert "Чисто: ни одно из 4\u00a0321 исходных персональных значений не попало в базу." in page
    assert "доля не в пределах (0; 1]" in page and "persons.csv:7 Доля" in page
    assert "неизвестная услуга" in page and "balances.csv:9 Услуга" in page  # the column from the mapping
    assert "<td>даты рождения</td><td>сдвинуты на случайное число дней</td>" in page
    assert "±5%" in page and "улицы и номера домов оставлены настоящими" in page
    assert "столбец «Примечание» похож на персональные данные (по заголовку)" in page
    assert "<td>ЕЛС из 10 знаков и не повторяется</td><td>нарушена</td><td class=n>3</td>" in page
    assert "не применяется: в выгрузке начисления даны итогом" in page
    assert "<td>лицевые счета</td><td class=n>1\u00a0233</td>" in page
    assert "/home/deployer" not in page and "«vodokanal»" in page


def test_the_load_report_in_english() -> None:
    info = load_info()
    page = render_load_html(info, "demo: import", "en")
    assert "Clean: none of 4,321 original personal values is in the database." in page
    assert "<td>share not in (0, 1]</td>" in page and "<td>account</td><td class=n>1,233</td>" in page
    assert f"<td>{CHECKS['els_format'][0]}</td><td>violated</td>" in page and "Flag: real streets" in page
    del info["personal_columns_left_out"]  # a report of an earlier version still renders
    assert "Left out: persons.csv: column" in render_load_html(info, "demo: import", "en")


def test_the_cli_writes_the_check_report_in_either_language(workspace: Workspace, tmp_path: Path) -> None:
    folder = export(tmp_path / "export")
    (tmp_path / "pages").mkdir(mode=0o700)
    runner = CliRunner()
    ru, en = tmp_path / "pages" / "ru.html", tmp_path / "pages" / "en.html"
    done = runner.invoke(app, ["import", "check", "demo", str(folder), "--html", str(ru), "--json"])
    assert done.exit_code == 0, done.output
    shown = json.loads(done.output[done.output.index("{") :])
    assert shown["service_names"]["cold_water"] == "Холодная вода" and "what" in shown["problems"]["bad_value"]
    page = ru.read_text(encoding="utf-8")
    title = load_profile(workspace, "demo").title  # the customer's name, not the client's
    assert f"<title>{title}: анализ выгрузки «export»</title>" in page and str(tmp_path) not in page
    done = runner.invoke(app, ["import", "check", "demo", str(folder), "--html", str(en), "--lang", "en"])
    assert done.exit_code == 0, done.output
    assert f"<title>{title}: analysis of the export export</title>" in en.read_text(encoding="utf-8")
    wrong = runner.invoke(app, ["import", "check", "demo", str(folder), "--lang", "de"])
    assert wrong.exit_code == 2 and "de" in wrong.output


def switchover_info(accepted: list[str]) -> dict[str, Any]:
    """A rehearsal's report as SwitchoverReport.to_dict() makes it: its export recognized, two large changes."""
    changes = dict.fromkeys(CHANGES, 0) | {"persons_moved_out": 1250, "accounts_unrecognized": 7}
    outcome = switchover.Outcome(
        switchover.Books(dt.date(2026, 3, 1), 4321),
        dt.date(2026, 3, 1),
        changes=changes,
        accepted=accepted,
        recognition=Recognition(4321, 4300, 4293, 4296, 4101, 4280),
        large={"persons_moved_out": {"count": 1250, "of": 9800}, "balances_corrected": {"count": 6000, "of": 51852}},
        seconds={"load": 8.7, "guard": 0.5, "compare": 2.8},
    )
    return SwitchoverReport("rehearsal", outcome, Path("/home/deployer/final"), refused=False).to_dict()


def test_every_word_of_the_switchover_report_has_its_russian() -> None:
    cyrillic = re.compile("[а-яё]")
    assert all(kind in CHANGES for kind in LARGE), "seed.words.switchover.CHANGES lacks a large kind"
    assert set(LARGE.values()) <= set(BASES), "seed.words.switchover.BASES lacks a base"
    assert set(Recognition(1, 1, 1, 1, 1, 1).to_dict()) == set(RECOGNITION)
    outcome = switchover.Outcome(switchover.Books(dt.date(2026, 3, 1), 1), dt.date(2026, 3, 1))
    outcome.seconds = dict.fromkeys(("load", "keys", "analyze", "guard", "compare", "reconcile", "switch"), 1.0)
    report = SwitchoverReport("run", outcome, Path("final"), refused=False)
    report.steps = dict.fromkeys(("copy aside", "snapshot", "baseline", "checks", "drop"), 1.0)
    steps = report.step_seconds()
    assert len(steps) == 12 and "recognize the books' accounts" in steps
    assert sorted(set(steps) - set(STEPS)) == [], "seed.words.switchover.STEPS lacks these steps"
    assert all(cyrillic.search(STEPS[step].ru) for step in steps)


def test_the_switchover_report_says_how_the_export_was_recognized_and_what_changed_much() -> None:
    page = render_switchover_html(switchover_info(["balances_corrected"]), "демо")
    assert "<h2>Лицевые счета текущей базы в выгрузке</h2>" in page
    verdict = "Узнано 4\u00a0293 из 4\u00a0321 лицевых счетов текущей базы (99,4\u00a0%): выгрузка того же клиента."
    assert verdict in page
    for said, count in (
        ("лицевых счетов в текущей базе", "4\u00a0321"),
        ("из них есть в выгрузке (тот же номер)", "4\u00a0300"),
        ("из них узнаны по адресу, проживающим и приборам учёта", "4\u00a0293"),
        ("из них с тем же адресом", "4\u00a0296"),
        ("из них с теми же проживающими", "4\u00a0101"),
        ("из них с теми же приборами учёта", "4\u00a0280"),
        ("с тем же номером, но не узнаны", "7"),
    ):
        assert f"<tr><td>{said}</td><td class=n>{count}</td></tr>" in page, said
    assert "меньше половины лицевых счетов текущей базы" in page
    assert "<h2 class=bad>Крупные изменения: 2</h2>" in page
    row = (
        "<tr><td>выбывшие</td><td>persons_moved_out</td><td class=n>1\u00a0250</td>"
        "<td>9\u00a0800 связей лица и лицевого счёта</td><td>12,8\u00a0%</td>"
        "<td>не принято: переход с ним не пройдёт</td>"
    )
    assert row in page
    assert (
        "<td class=n>6\u00a0000</td><td>51\u00a0852 сальдо закрытых месяцев</td><td>11,6\u00a0%</td><td>принято</td>"
        in page
    )
    assert "больше десятой части своей базы" in page and "строку с его кодом, например «persons_moved_out»" in page
    assert "узнавание лицевых счетов по адресу, проживающим и приборам учёта</td><td class=n>0,5</td>" in page
    assert "Расхождений, не принятых к сведению: 1." in page


def test_a_switchover_report_with_no_large_change_or_of_an_earlier_version() -> None:
    info = switchover_info([])
    info["large_changes"], info["differences"] = {}, []
    info["recognized"] = {"books": 4321, "by_number": 4300, "by_fingerprint": 4293}  # before the parts were counted
    page = render_switchover_html(info, "демо")
    assert "<p class=ok>Крупных изменений (больше десятой части своей базы) нет.</p>" in page
    assert "из них узнаны по адресу" in page and "из них с тем же адресом" not in page
    del info["large_changes"], info["recognized"]
    page = render_switchover_html(info, "демо")  # a report kept before the guard still renders
    assert "Крупн" not in page and "Лицевые счета текущей базы" not in page and "Расхождений нет" in page
