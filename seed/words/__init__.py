"""The words a customer or trainee reads, in one shape: each a code with its Russian and English side by side
(:class:`~seed.words.word.Word`), one module per subject, said in a language with its arguments by
:func:`say`. Nothing here knows where the words are shown."""

from __future__ import annotations

from typing import Any

from seed.words import checks, console, messages, personal, problems, reasons, report, suspense, switchover
from seed.words.word import LANGS, Lang, Word

# subject -> its words: a code is "subject.key" (the table's key)
SUBJECTS: dict[str, dict[str, Word]] = {
    "problem": problems.WHAT,
    "hint": problems.HINT,
    "cause": problems.CAUSE,
    "place": problems.PLACE,
    "list_header": problems.LIST_HEADERS,
    "reason": reasons.REASONS,
    "check": checks.RULES,
    "skipped": checks.SKIPPED,
    "rule": personal.RULES,
    "treatment": personal.TREATMENTS,
    "looks": personal.LOOKS,
    "personal": personal.SAID,
    "message": messages.MESSAGES,
    "report": report.TEXT,
    "entity": report.ENTITIES,
    "table": report.TABLES,
    "console": console.CONSOLE,
    "suspense": suspense.SUSPENSE,
    "change": switchover.CHANGES,
    "base": switchover.BASES,
    "step": switchover.STEPS,
    "recognition": switchover.RECOGNITION,
}


def word(code: str) -> Word:
    """The words of a code ("reason.not_a_date"); KeyError names a code that has none."""
    subject, _, key = code.partition(".")
    return SUBJECTS[subject][key]


def say(code: str, lang: str = "ru", **args: Any) -> str:
    """A code said in ``lang`` (Russian unless "en") with ``args`` put in."""
    return word(code).say(lang, **args)


__all__ = ["LANGS", "SUBJECTS", "Lang", "Word", "say", "word"]
