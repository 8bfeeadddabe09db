"""The words of the analysis's reports and problem list, said from :mod:`seed.words` (their one home): each
kind of problem (what it means and how to fix it), where a problem is, what a row follows from, the list's
headers, and the note on payments that arrive after their period.
"""

from __future__ import annotations

from typing import NamedTuple

from seed.words.personal import SAID
from seed.words.problems import CAUSE, HINT, NOTES, PLACE, WHAT
from seed.words.problems import LIST_HEADERS as HEADERS
from seed.words.word import ISO_DAY, LANGS, Lang, russian

__all__ = [
    "LANGS",
    "LIST_HEADERS",
    "LIST_SHEET",
    "Lang",
    "Words",
    "cause_words",
    "payments_lag",
    "place",
    "said_value",
    "words",
]


class Words(NamedTuple):
    what: str  # what the problem is
    hint: str  # what the data's owner does about it


# the complete problem list's columns (`import check --problems`) and its sheet, by language
LIST_HEADERS: dict[str, tuple[str, ...]] = {lang: tuple(w.of(lang) for w in HEADERS.values()) for lang in LANGS}
LIST_SHEET: dict[str, str] = {lang: PLACE["sheet"].of(lang) for lang in LANGS}


def words(kind: str, lang: str = "ru") -> Words:
    """What a kind of problem means and how to fix it, in ``lang`` (Russian unless "en")."""
    if kind not in WHAT:
        return Words(kind, "")
    return Words(WHAT[kind].of(lang), HINT[kind].of(lang))


def cause_words(kind: str, file: str, line: int, lang: str = "ru") -> str:
    """What a problem follows from, as the customer reads it; '' for a problem of its own."""
    if not kind:
        return ""
    return CAUSE.get(kind, CAUSE[""]).say(lang, place=place(file, line, lang))


def payments_lag(lags: list[int], differing: int, after: dict[int, int], lang: str = "ru") -> str:
    """The note on payments dated ``lags`` months after the period they pay for: of ``differing``
    account-months whose paid differs from their payments, ``after[k]`` still differ with the payments
    moved k months back."""
    lag = f"{lags[0]}" if len(lags) == 1 else f"{lags[0]}-{lags[-1]}"
    shifts = ", ".join(NOTES["shift"].say(lang, lag=k, count=n) for k, n in after.items())
    return NOTES["payments_lag"].say(lang, lag=lag, differing=differing, shifts=shifts)


def place(file: str, line: int, lang: str = "ru") -> str:
    """Where a problem is, as the customer reads it: 'абоненты.csv:59', 'весь файл' or 'вся выгрузка'."""
    name = file.rsplit("/", 1)[-1]
    if not name:
        return PLACE["whole_export"].of(lang)
    if line <= 0:
        return f"{name}: {PLACE['whole_file'].of(lang)}"
    return f"{name}:{line}"


def said_value(shown: str, lang: str = "ru") -> str:
    """A value as a report may show it (:func:`seed.legacy.interpret.shown_value`), in ``lang``: a date of
    the analysis's own (ISO) the Russian way, a hidden value said so; a value as the export wrote it stays."""
    if lang == "en":
        return shown
    if shown == SAID["hidden"].en:
        return SAID["hidden"].ru
    return russian(shown) if ISO_DAY(shown) else shown
