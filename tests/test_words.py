"""Every word a customer or trainee reads has its one home in seed/words/, in one shape: each code has its
Russian and its English, non-empty, with the same placeholders; and every code the code base says exists
there (kinds of problems, reasons, messages, checks, suspense reasons, switch-over words, the console's)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from seed.check import CHECKS, NOT_FOR_IMPORTS
from seed.legacy import interpret
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
        assert all(CYRILLIC.search(w.ru) and w.en for w in table.values()), name


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


def test_every_message_the_code_base_makes_has_words_and_every_message_is_made() -> None:
    text = source("seed/**/*.py")
    made = set(re.findall(r"""Message\.of\(\s*["']([\w.]+)["']""", text))
    made |= {code for _, code in interpret.COMPLAINTS}
    assert sorted(made - set(MESSAGES)) == []
    unmade = {code for code in MESSAGES if code and not code.startswith("reason.")} - made
    assert sorted(unmade - {"as_written"} - set(re.findall(r'"(\w+)"', source("seed/legacy/**/*.py")))) == []


def test_every_complaint_of_convert_reads_as_a_message() -> None:
    convert = source("seed/legacy/convert.py")
    said = [
        f"not a number: {'x'!r}", "not a date: '1' (expected dd.mm.yyyy)", "not a date: 45.5",
        "not a date: '01.01.1000' (a year from 1900 to 2099 expected)", "not a month: '13.2026'",
        "not a month: '01.1000' (a year from 1900 to 2099 expected)", "empty period",
    ]  # fmt: skip
    for complaint in said:
        assert interpret.complaint(complaint).text("en") == complaint
    for found in re.findall(r'return "([^"]+)"', convert[convert.index("def looks_mangled_by_excel") :])[:2]:
        assert interpret.complaint(found).text("en") == found
    with pytest.raises(ValueError, match="no message"):
        interpret.complaint("something convert never says")


def test_every_check_has_words_matching_its_rule() -> None:
    from seed.words import checks

    assert set(checks.RULES) == set(CHECKS)
    assert all(checks.RULES[name].en == rule for name, (rule, _) in CHECKS.items())
    assert all(checks.SKIPPED[name].en == why for name, why in NOT_FOR_IMPORTS.items())


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
