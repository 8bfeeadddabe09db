"""The shape of every word a customer or trainee reads: its Russian and English side by side, with
``{name}`` placeholders, said in a language with its arguments.

A placeholder may say how the Russian writes an argument of our own (``{amount:num}``: 12,5; ``{day:day}``:
01.05.2026; ``{month:month}``: 05.2026; ``{count:n}``: 24 799; ``{lag:months}``: 2 мес., 2 months), or that
it is a list of our codes to be named (``{fields:fields}``, ``{services:services}``). A value quoted as the
export wrote it stays as it is.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Lang = Literal["ru", "en"]
LANGS: tuple[Lang, ...] = ("ru", "en")
NBSP = "\u00a0"  # the thousands' separator of a Russian number
HIDDEN_EN = "(personal data, not shown)"  # seed.legacy.personal.HIDDEN: a value a report may not show
HIDDEN_RU = "(персональные данные скрыты)"

ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})").fullmatch
ISO_MONTH = re.compile(r"(\d{4})-(\d{2})").fullmatch
FRACTION = re.compile(r"-?\d+\.\d+").fullmatch


@dataclass(frozen=True)
class Word:
    """One thing said, in Russian and in English."""

    ru: str
    en: str

    def of(self, lang: str) -> str:
        """The template in ``lang`` (Russian unless "en")."""
        return self.en if lang == "en" else self.ru

    def say(self, lang: str = "ru", **args: Any) -> str:
        """The word in ``lang`` with ``args`` put in."""
        template = self.of(lang)
        return _Formatter(lang).vformat(template, (), args) if args or "{" in template else template


def placeholders(template: str) -> set[str]:
    """The names of a template's placeholders (their formats aside)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def russian(ours: str) -> str:
    """A number or ISO date of our own, the Russian way: 12.5 -> 12,5; 2026-05-01 -> 01.05.2026."""
    day = ISO_DAY(ours)
    if day:
        return f"{day[3]}.{day[2]}.{day[1]}"
    return ours.replace(".", ",") if FRACTION(ours) else ours


def thousands(n: int, lang: str = "ru") -> str:
    """A count as the language writes it: '24 799' in Russian, '24,799' in English."""
    return f"{n:,}" if lang == "en" else f"{n:,}".replace(",", NBSP)


# lists of our codes a placeholder names (set by seed.words.names, which holds them)
LISTS: dict[str, Mapping[str, Word]] = {}


class _Formatter(string.Formatter):
    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        said = str(value)
        if format_spec == "n":
            return thousands(int(value), self.lang)
        if format_spec == "months":
            return f"{said} мес." if self.lang != "en" else f"{said} month{'' if said == '1' else 's'}"
        if format_spec in LISTS:
            table = LISTS[format_spec]
            return ", ".join(table[w].of(self.lang) if w in table else w for w in said.split(", ")) if said else ""
        if self.lang == "en":
            return said
        said = said.replace(HIDDEN_EN, HIDDEN_RU)
        if format_spec in ("num", "day"):
            return russian(said)
        if format_spec == "month":
            month = ISO_MONTH(said)
            return f"{month[2]}.{month[1]}" if month else said
        if format_spec:
            raise ValueError(f"unknown format {format_spec!r} in a word")
        return said
