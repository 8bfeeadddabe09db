"""What the reports of an export may show: no value of a personal field, and no value of any other field
that looks like personal data (a phone typed into a share), in `import check`'s report (its examples,
JSON, HTML) or in the load's rejected rows (the list, the JSON)."""

from __future__ import annotations

import json
import re
import stat
from collections import defaultdict
from pathlib import Path
from typing import Any, cast

import pytest
from typer.testing import CliRunner

from provision.cli import app
from provision.clients.workspace import Workspace
from seed.errors import ImportRefused
from seed.legacy.analyze import analyze
from seed.legacy.importer import ImportState, finish
from seed.legacy.interpret import shown_value
from seed.legacy.mapping import standard_mapping
from seed.legacy.personal import HIDDEN
from seed.legacy.private import open_private, private_folder, write_private
from seed.legacy.report import render_html, render_load_html
from seed.words.messages import NONE, Message
from seed.words.word import HIDDEN_RU
from tests.small_export import account, balance, load_stages, meter, payment, person, reading, write_export

KEY = bytes(range(32))
PHONE = "+7 916 123-45-67"
SECRETS = (PHONE, "916 123", "9161234567", "Петрова", "31.02.1971", "112-233-445 00", "NO-SUCH-77")


def planted(folder: Path) -> Path:
    return write_export(
        folder,
        {
            "accounts": [account("1001"), account("1002", total_area=PHONE)],
            "persons": [
                person("1001", "Иванов", "Пётр", "Сергеевич", "owner", PHONE),  # a phone typed into a share
                person("1001", "Петрова", "Анна", "Ивановна", birth_date="31.02.1971"),  # not a date
                person("NO-SUCH-77", "Сидоров", "Иван", "Ильич", snils="112-233-445 00"),
            ],
            "meters": [meter("1001", "ХВС", "X-1")],
            "readings": [reading("X-1", "ХВС", "01.2026", "10"), reading("X-1", "ХВС", "02.2026", PHONE)],
            "balances": [
                balance("1001", "ХВС", "01.2026", "0", PHONE, "0", "1"),
                balance("1001", PHONE, "01.2026", "0", "1", "0", "1"),  # a phone as a service's name
            ],
            "payments": [
                payment("1001", "15.01.2026", "50", agent="Иванов Пётр Сергеевич"),
                payment("NO-SUCH-77", "15.01.2026", PHONE),
            ],
        },
    )


def assert_clean(text: str) -> None:
    found = [s for s in SECRETS if s in text]
    assert found == [], found


def said(fld: str, value: Any, message: Message = NONE) -> tuple[str, str]:
    shown, message = shown_value(fld, value, message)
    return shown, message.text("en")


def test_a_value_is_shown_only_from_a_non_personal_field_and_when_it_does_not_look_personal() -> None:
    assert said("share", "0,5") == ("0,5", "")
    assert said("share", PHONE, Message.of("not_a_number", value=repr(PHONE))) == (HIDDEN, f"not a number: {HIDDEN}")
    assert said("account", "1001") == (HIDDEN, "")  # account numbers are personal data
    not_a_date = Message.of("not_a_date", value=repr("31.02.1971"))
    assert said("birth_date", "31.02.1971", not_a_date) == (HIDDEN, f"not a date: {HIDDEN}")
    not_a_month = Message.of("not_a_month", value=repr("13.2026"))
    assert said("period", "13.2026", not_a_month) == ("13.2026", "not a month: '13.2026'")
    assert said("amounts", "1;2", Message.of("previous", value=PHONE))[1] == f"previous {HIDDEN}"
    assert said("no_such_field", "1") == (HIDDEN, "")  # only fields known to be non-personal
    first = Message.of("first_at_line", line=12)
    assert said("number", "12", first) == (HIDDEN, "first at line 12")  # not a line's number
    assert said("paid_on", 31.5, Message.of("not_a_date", value=31.5)) == ("31.5", "not a date: 31.5")
    assert said("account", 1234567.0, Message.of("not_a_date", value=1234567.0)) == (HIDDEN, f"not a date: {HIDDEN}")
    hidden = shown_value("share", PHONE, Message.of("not_a_number", value=repr(PHONE)))[1]
    assert hidden.text("ru") == "не число: (персональные данные скрыты)"  # said in Russian without it too


def test_the_analysis_shows_no_planted_personal_value(tmp_path: Path) -> None:
    report = analyze(standard_mapping(planted(tmp_path / "export")), examples=None)
    assert report.counts["bad_value"] >= 4 and report.counts["unknown_account"] >= 2
    info = report.to_dict()
    assert_clean(json.dumps(info, ensure_ascii=False))
    assert_clean(render_html(info, "check"))
    assert_clean(render_html(info, "check", "en"))
    shares = [p for p in report.examples["bad_value"] if p.field == "share"]
    assert [p.value for p in shares] == [HIDDEN]


def test_the_load_lists_no_planted_personal_value(tmp_path: Path) -> None:
    state = ImportState(standard_mapping(planted(tmp_path / "export")), KEY)
    written: dict[str, list[str]] = defaultdict(list)
    rejected = tmp_path / "rejected.csv"
    state.rejects.open(rejected)
    load_stages(state, lambda table, data: written[table].extend(data.splitlines()))
    state.rejects.close()
    assert state.rejects.counts["share not in (0, 1]"] == 1 and state.rejects.total >= 6
    assert_clean(rejected.read_text(encoding="utf-8"))
    assert_clean(json.dumps(state.result.to_dict(), ensure_ascii=False))
    for lang in ("ru", "en"):
        assert_clean(render_load_html(state.result.to_dict(), "load", lang))
    assert HIDDEN_RU in rejected.read_text(encoding="utf-8-sig")  # the list is in Russian


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_check_prints_and_writes_no_planted_personal_value_and_its_page_is_owner_only(
    workspace: Workspace, tmp_path: Path
) -> None:
    folder = planted(tmp_path / "export")
    (tmp_path / "pages").mkdir(mode=0o700)  # `--html` refuses a folder that does not exist (test_bad_input)
    page = tmp_path / "pages" / "check.html"
    runner = CliRunner()
    done = runner.invoke(app, ["import", "check", "demo", str(folder), "--html", str(page)])
    assert done.exit_code == 0, done.output
    assert_clean(done.output)
    assert_clean(page.read_text(encoding="utf-8"))
    assert mode(page) == 0o600 and mode(page.parent) == 0o700
    as_json = runner.invoke(app, ["import", "check", "demo", str(folder), "--json"])
    assert as_json.exit_code == 0 and json.loads(as_json.output)["problems"]["bad_value"]["count"] >= 4
    assert_clean(as_json.output)


def test_lists_and_reports_are_owner_only_in_an_owner_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "import"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    assert private_folder(folder) == folder and mode(folder) == 0o700
    listed = folder / "rejected.csv"
    listed.write_text("old", encoding="utf-8")
    listed.chmod(0o644)
    with open_private(listed) as out:  # an existing list is emptied and narrowed
        out.write("new")
    assert mode(listed) == 0o600 and listed.read_text(encoding="utf-8") == "new"
    report = folder / "last-load.json"
    write_private(report, "{}")
    assert mode(report) == 0o600 and sorted(p.name for p in folder.iterdir()) == ["last-load.json", "rejected.csv"]


@pytest.mark.parametrize(
    ("accounts", "balances", "expected"),
    [
        ([account("1001", total_area="0")], [balance("1001", "ХВС", "01.2026", "0", "1", "0", "1")],
         "every one of the 1 accounts was left out (total area not a positive number: 1, unknown account: 1), "
         "so no balance or reading can be loaded"),
        ([account("1001")], [balance("1001", "ХВС", "", "0", "1", "0", "1")],
         "every one of the 1 balance and reading rows was left out (not a period: 1)"),
        ([account("1001")], [], "the export holds no balances or readings"),
    ],
)  # fmt: skip
def test_no_billing_period_says_why(
    tmp_path: Path, accounts: list[list[str]], balances: list[list[str]], expected: str
) -> None:
    state = ImportState(standard_mapping(write_export(tmp_path, {"accounts": accounts, "balances": balances})), KEY)
    load_stages(state)
    with pytest.raises(ImportRefused, match=re.escape(f"{expected}: no billing period to load")):
        finish.write_reference(state, cast(Any, None), "work", [], {})
