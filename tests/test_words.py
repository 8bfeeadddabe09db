"""Every word a customer or trainee reads has its one home in seed/words/, in one shape: each code has its
Russian and its English, non-empty, with the same placeholders; and every code the code base says exists
there (kinds of problems, reasons, messages, checks, suspense reasons, switch-over words, the console's)."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from seed.check import CHECKS, NOT_FOR_IMPORTS
from seed.legacy import convert, interpret
from seed.legacy.analyze.findings import KINDS
from seed.legacy.personal import HIDDEN
from seed.registry import codec
from seed.words import SUBJECTS, messages, problems, reasons, say, suspense, switchover
from seed.words.console import CONSOLE
from seed.words.messages import MESSAGES, Message
from seed.words.report import TEXT
from seed.words.word import HIDDEN_EN, LISTS, Word, placeholders, thousands

ROOT = Path(__file__).resolve().parent.parent
CYRILLIC = re.compile("[А-Яа-яЁё]")
# words whose Russian side holds no Cyrillic letter, and why
NOT_CYRILLIC = {
    "console.never": "a dash in either language",
    "console.language": "the link to the other language names it in its own words",
    "message.": "the empty message",
    "message.as_written": "the export's own words, as it wrote them",
    "cause.": "a place, as the customer reads it",
    "looks.e-mail": "written so in Russian too",
}
EVERY = [(f"{subject}.{key}", w) for subject, table in SUBJECTS.items() for key, w in table.items()]


def source(*paths: str) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for path in paths for p in sorted(ROOT.glob(path)))


@pytest.mark.parametrize(("code", "said"), EVERY, ids=[code for code, _ in EVERY])
def test_every_word_has_its_russian_and_english_with_the_same_placeholders(code: str, said: Word) -> None:
    assert (said.en.strip() and said.ru.strip()) or code in NOT_CYRILLIC, f"{code} is empty in a language"
    assert CYRILLIC.search(said.ru) or code in NOT_CYRILLIC, f"{code} has no Russian: {said.ru!r}"
    assert placeholders(said.ru) == placeholders(said.en), f"{code}: the languages take different arguments"


def test_every_list_a_word_names_has_its_russian() -> None:
    for name, table in LISTS.items():
        assert table, name
        assert all((CYRILLIC.search(w.ru) or f"{name}.{k}" in NOT_CYRILLIC) and w.en for k, w in table.items()), name


def test_say_and_a_message_say_a_code_with_its_arguments() -> None:
    assert say("reason.not_a_date") == "не дата" and say("reason.not_a_date", "en") == "not a date"
    assert say("console.locked_out", "ru", s=3) == "Слишком много неверных попыток; подождите 3 с"
    assert Message.of("usual_a_month", use=12.5).text("ru") == "обычно 12,5 в месяц"
    assert Message.of("usual_a_month", use=12.5).text() == "usual 12.5 a month"  # English unless asked
    with pytest.raises(KeyError):
        Message.of("no_such_message")
    said = Message.of("removed", day="2026-05-01")
    assert Message.from_dict(said.to_dict()) == said  # through the JSON and back
    assert thousands(24799) == "24\u00a0799" and thousands(24799, "en") == "24,799"


def test_a_hidden_value_is_said_so_in_either_language() -> None:
    assert HIDDEN_EN == HIDDEN
    hidden = Message.of("not_a_number", value=HIDDEN)
    assert hidden.text("en") == f"not a number: {HIDDEN}"
    assert hidden.text("ru") == "не число: (персональные данные скрыты)"


# -- every code used exists -------------------------------------------------------------------------------
def test_every_kind_of_problem_the_analysis_reports_has_words() -> None:
    text = source("seed/legacy/analyze/*.py", "seed/legacy/*.py")
    used = set(re.findall(r"""report\.add\(\s*["'](\w+)["']""", text)) | {r.kind for r in interpret.REASONS.values()}
    used |= set(re.findall(r"""^KIND = ["'](\w+)["']""", text, re.M))
    assert sorted(used - set(problems.WHAT)) == []
    assert set(KINDS) == set(problems.WHAT) == set(problems.HINT)
    assert set(problems.SUMMARY) <= set(problems.WHAT)


def test_every_reason_has_words_and_every_reason_word_a_reason() -> None:
    codes = {r.code for r in interpret.REASONS.values()}
    assert codes == set(reasons.REASONS)
    assert all(label == interpret.REASONS[label].label for label in interpret.REASONS)  # labels stay unique


# a message made with its code written out, or with the code's subject and a key (f"reason.{code}")
MADE = re.compile(r"""\b(?:Message\.of|Message|ValueProblem)\(\s*["']([\w.]*)["']""")
MADE_BY_SUBJECT = re.compile(r"""\b(?:Message\.of|Message|ValueProblem)\(\s*f["']([\w.]+)\{""")


def test_every_message_the_code_base_makes_has_words_and_every_message_is_made() -> None:
    text = source("seed/**/*.py", "provision/**/*.py")
    made, subjects = set(MADE.findall(text)), set(MADE_BY_SUBJECT.findall(text))
    assert {"not_a_date", "excel_number", "personal.kept", ""} <= made and {"reason.", "treatment."} <= subjects
    assert sorted(made - set(MESSAGES)) == []
    assert all(any(code.startswith(subject) for code in MESSAGES) for subject in subjects)
    unmade = {code for code in MESSAGES if code not in made and not any(code.startswith(s) for s in subjects)}
    assert sorted(unmade) == []


def complaint(read: Callable[[Any], Any], value: Any) -> convert.ValueProblem:
    with pytest.raises(convert.ValueProblem) as raised:
        read(value)
    return raised.value


def test_every_complaint_of_convert_is_a_message_with_its_arguments() -> None:
    said = {
        (convert.decimal, "x"): ("not_a_number", "not a number: 'x'"),
        (convert.date, "1"): ("not_a_date_expected", "not a date: '1' (expected dd.mm.yyyy)"),
        (convert.date, "31.02.2026"): ("not_a_date", "not a date: '31.02.2026'"),
        (convert.date, "1.1.1000"): ("not_a_date_year", "not a date: '1.1.1000' (a year from 1900 to 2099 expected)"),
        (convert.period, "13.2026"): ("not_a_month", "not a month: '13.2026'"),
        (convert.period, "1.1000"): ("not_a_month_year", "not a month: '1.1000' (a year from 1900 to 2099 expected)"),
        (convert.period, "  "): ("empty_period", "empty period"),
    }  # fmt: skip
    for (read, value), (code, english) in said.items():
        problem = complaint(read, value)
        assert (problem.said.code, str(problem), problem.said.text("en")) == (code, english, english)
        assert CYRILLIC.search(problem.said.text("ru"))
    made = set(MADE.findall(source("seed/legacy/convert.py")))
    assert made == {code for code, _ in said.values()} | {"excel_number", "excel_scientific"}
    assert convert.looks_mangled_by_excel(1.5) == Message.of("excel_number")
    assert convert.looks_mangled_by_excel("1,23457E+11") == Message.of("excel_scientific")
    assert convert.looks_mangled_by_excel("001234") is None


def english_fragments() -> set[str]:
    """The English of every word, cut at its placeholders: the pieces of two words or more."""
    found = set()
    for table in (*SUBJECTS.values(), MESSAGES):
        for said in table.values():
            found |= {f.strip(" :;,.()") for f in re.split(r"\{[^}]*\}", said.en)}
    return {f for f in found if len(f) >= 8 and " " in f}


def patterns_reading_words(text: str, fragments: set[str]) -> list[str]:
    """The regular expressions of a module's source that match a word's English (to read a code back)."""
    tree = ast.parse(text)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    regexes = [c.args[0].value for c in calls if getattr(c.func.value, "id", None) == "re" and c.args
               and isinstance(c.args[0], ast.Constant) and isinstance(c.args[0].value, str)]  # fmt: skip
    regexes += [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                and ("(?P<" in n.value or "(?:" in n.value)]  # fmt: skip
    return [r for r in regexes if any(f in re.sub(r"\\(.)", r"\1", r) for f in fragments)]


def test_no_module_reads_a_code_back_from_english_text() -> None:
    """A message is made from its code and arguments and said from them: nothing turns finished English back
    into a code by regular expressions (as interpret.COMPLAINTS and report.NOISE/KEPT/SAMPLED once did)."""
    fragments = english_fragments()
    old = r'COMPLAINTS = tuple((re.compile(p), c) for p, c in ((r"not a date: (?P<value>.*) \(expected.*", "x"),))'
    assert patterns_reading_words(old, fragments), "the test no longer finds a read-back"
    assert patterns_reading_words(r're.compile(r".*\(anonymize\.(?P<rule>\w+) = \'keep\'\)")', fragments)
    for path in sorted((ROOT / "seed").rglob("*.py")):
        if "words" not in path.relative_to(ROOT).parts:
            assert patterns_reading_words(path.read_text(encoding="utf-8"), fragments) == [], path
    assert "groupdict" not in source("seed/legacy/**/*.py"), "a pattern's groups as a message's arguments"


def test_every_check_has_words_and_its_rule_lives_only_there() -> None:
    from seed.words import checks

    assert set(checks.RULES) == set(CHECKS) and set(checks.SKIPPED) <= set(CHECKS)
    assert all(checks.RULES[name].en == rule for name, (rule, _) in CHECKS.items())
    assert all(checks.SKIPPED[name].en == why for name, why in NOT_FOR_IMPORTS.items())
    check = source("seed/check.py")
    assert not [w.en for w in (*checks.RULES.values(), *checks.SKIPPED.values()) if w.en in check]


def test_the_load_report_says_the_importers_own_flags_and_treatments_from_their_codes(tmp_path: Path) -> None:
    from seed.legacy.importer.pipeline import refuse_unruled_personal_data
    from seed.legacy.importer.state import ImportState
    from seed.legacy.mapping import standard_mapping
    from seed.legacy.report import render_load_html
    from tests.small_export import account, write_export

    folder = write_export(tmp_path / "export", {"accounts": [account("1001")]})
    accounts = folder / "accounts.csv"
    rows = accounts.read_bytes().decode("cp1251").splitlines()
    rows = [rows[0] + ";Контакт", *(row + ";+7 912 345 67 89" for row in rows[1:])]
    accounts.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1251"))
    state = ImportState(standard_mapping(folder), b"k" * 32, rules={"els": "keep"}, noise=0.05)
    refuse_unruled_personal_data(state, strict=False)
    info = {**state.result.to_dict(), "leak_scan": {"original_values_checked": 0, "leaks": [], "clean": True}}
    assert info["flags"] == ["real elss are kept (anonymize.els = 'keep')"]  # the English as it always was
    assert info["anonymization"]["noise"] == "amounts per account and readings per meter scaled by up to ±5%"
    assert info["personal_columns_left_out"][0]["why"] == "1 of 1 sampled values look like a phone"
    page = render_load_html(info, "t")
    assert "ЕЛС оставлены настоящими (anonymize.els = &#x27;keep&#x27;)" in page
    assert "изменены не более чем на ±5%" in page and "(1 из 1 проверенных значений похожи на телефон)" in page
    assert "<td>заменены псевдонимами (по ключу клиента)</td>" in page
    english = render_load_html(info, "t", "en")
    assert "Flag: real elss are kept" in english and "scaled by up to ±5%" in english


def test_every_suspense_reason_has_words() -> None:
    text = source("seed/registry/*.py")
    used = set(re.findall(r"THEN '(\w+)'", text)) | set(re.findall(r"problem = '(\w+)' WHERE", text))
    used |= {codec.BAD_DATE, codec.BAD_PERIOD}
    tree = ast.parse(source("seed/registry/sample.py"))
    used |= {
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value in suspense.SUSPENSE
    }
    assert len(used) >= 8 and sorted(used - set(suspense.SUSPENSE)) == []


def test_every_word_of_the_switchover_report_exists() -> None:
    text = source("seed/legacy/switchover_report.py")
    used = set(re.findall(r"""\bt\(\s*["'](\w+)["']""", text))
    used |= {w for pair in re.findall(r"""t\(\s*["'](\w+)["'] if .*? else ["'](\w+)["']""", text) for w in pair}
    used |= set(re.findall(r"""\{[^}]*["'](\w+)["']\)*\}\.get\(share\)""", text))
    used |= {"half", "tenth"}
    assert len(used) > 30 and sorted(used - set(switchover.REPORT)) == []
    assert not CYRILLIC.search(text), "the switch-over report's words belong in seed/words/switchover.py"


def test_every_word_of_the_console_exists() -> None:
    templates = source("provision/console/templates/*.html")
    used = set(re.findall(r"(?<![\w.])w\.(\w+)", templates))
    code = source("provision/console/*.py")
    used |= set(re.findall(r"""\b(?:w|words)\[["'](\w+)["']\]""", code))
    used |= {f"age_{age.split(': ', 1)[1]}" for age in re.findall(r"THEN '(\d: [^']+)'", source("seed/stats.py"))}
    used |= {"age_" + age.split(": ", 1)[1] for age in re.findall(r"ELSE '(\d: [^']+)'", source("seed/stats.py"))}
    assert len(used) > 40 and sorted(used - set(CONSOLE)) == []


def test_every_word_of_the_reports_exists() -> None:
    text = source("seed/legacy/report.py")
    used = set(re.findall(r"""\bsay\(\s*["']([\w ]+)["']""", text))
    for group in re.findall(r"""say\(k, lang\) for k in \(([^)]*)\)""", text):
        used |= set(re.findall(r"""["']([\w ]+)["']""", group))
    assert len(used) > 30 and sorted(used - set(TEXT)) == []


def test_no_customer_word_lives_outside_seed_words() -> None:
    """The modules that render words hold none of their own in Russian (beside the customer's own column
    names of the standard layout)."""
    paths = ("seed/legacy/words.py", "seed/legacy/report.py", "seed/legacy/switchover.py",
             "seed/legacy/switchover_report.py", "seed/registry/load.py", "provision/console/words.py")  # fmt: skip
    for path in paths:
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        documented = [n for n in ast.walk(tree) if isinstance(n, ast.Module | ast.FunctionDef | ast.ClassDef)]
        docstrings = {ast.get_docstring(n, clean=False) for n in documented}
        strings = [
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and CYRILLIC.search(n.value)
            and n.value not in docstrings
        ]  # fmt: skip
        assert [s for s in strings if "Одно Окно" not in s and "лицевой счёт" not in s] == [], path
    assert messages.NONE.text("ru") == "" and messages.NONE.text("en") == ""
