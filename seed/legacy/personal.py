"""Which fields carry personal data, what is done to each (the anonymization rules), and a detector for
columns that look like personal data although nothing says so.

Rules are set per client in the profile's ``[anonymize]`` table; every default masks. Keeping real
values is possible only where the value alone does not identify a person (account numbers, meter
serials, the street and house), and a kept address is flagged in the load report.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seed.legacy.layout import EXTRA_FIELDS, STANDARD
from seed.legacy.mapping import FileMapping, Mapping, check_columns, read_mapped
from seed.legacy.rules import DEFAULT_RULES, RULES
from seed.words.messages import Message

# (entity, field) of the standard layout -> the rule that covers it
FIELD_RULES: dict[tuple[str, str], str] = {
    ("persons", "surname"): "names",
    ("persons", "given_name"): "names",
    ("persons", "full_name"): "names",
    ("persons", "patronymic"): "names",
    ("persons", "birth_date"): "birth_date",
    ("persons", "phone"): "phone",
    ("persons", "email"): "email",
    ("persons", "snils"): "snils",
    ("persons", "inn"): "inn",
    ("persons", "passport"): "passport",
    ("accounts", "number"): "account_number",
    ("accounts", "els"): "els",
    ("accounts", "street"): "address",
    ("accounts", "house"): "address",
    ("accounts", "address"): "address",
    ("meters", "serial"): "meter_serial",
    ("readings", "serial"): "meter_serial",
}
for _entity in ("persons", "services", "meters", "balances", "payments"):
    FIELD_RULES[(_entity, "account")] = "account_number"


def rules_from(overrides: dict[str, str] | None) -> dict[str, str]:
    rules = dict(DEFAULT_RULES)
    for name, value in (overrides or {}).items():
        if name not in RULES or value not in RULES[name]:
            raise ValueError(f"anonymize.{name} = {value!r}: allowed {', '.join(RULES.get(name, ()))}")
        rules[name] = value
    return rules


HEADER_WORDS = re.compile(
    r"фио|фамил|^имя|отчеств|телеф|^тел|моб|e-?mail|почт|снилс|^инн|паспорт|рожд|^(?:плательщ|абонент|владел)|"
    r"^fio$|^fam|^im$|^ot$|phone|^tel|mail|snils|^inn|passp|birth|^dr$|^drog|payer|^plat",
    re.IGNORECASE,
)
PATTERNS: dict[str, re.Pattern[str]] = {
    "e-mail": re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-zА-Яа-я]{2,}$"),
    "phone": re.compile(r"^(\+7|8|7)?[\s(-]*9\d{2}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}$"),
    "СНИЛС": re.compile(r"^\d{3}-\d{3}-\d{3}[\s-]\d{2}$"),
    "passport": re.compile(r"^\d{2}\s?\d{2}\s№?\s?\d{6}$"),
    "ФИО": re.compile(r"^[А-ЯЁ][а-яё-]+\s+[А-ЯЁ][а-яё]+\s+[А-ЯЁ][а-яё]+(вич|вна|чна|ич|оглы|кызы)$"),
    "ФИО прописными": re.compile(r"^[А-ЯЁ][А-ЯЁ-]+\s+[А-ЯЁ]+\s+[А-ЯЁ]+(ВИЧ|ВНА|ЧНА|ИЧ|ОГЛЫ|КЫЗЫ)$"),
    "фамилия с инициалами": re.compile(r"^[А-ЯЁ][а-яё-]+\s+[А-ЯЁ]\.\s?[А-ЯЁ]\.?$"),
}
# the same values anywhere in a text (a message that quotes a value)
IN_TEXT = re.compile(
    "|".join(f"(?:{pattern.pattern[1:-1]})" for pattern in PATTERNS.values()).join(("(?<!\\w)(?:", ")(?!\\w)"))
)
HIDDEN = "(personal data, not shown)"
MIN_WRITTEN = 5  # a hidden value this long or longer is hidden wherever a message writes it out
# the fields of the layout no rule covers in any file, and the balance's five amounts read as one
NON_PERSONAL_FIELDS = frozenset(
    [f for _, fields in STANDARD.values() for f, _, _ in fields] + [f for fs in EXTRA_FIELDS.values() for f, _ in fs]
) - {fld for _, fld in FIELD_RULES} | {"amounts"}
SAMPLE_ROWS = 300
SHARE = 0.3


@dataclass(frozen=True)
class Finding:
    """A column that looks like personal data: where, why, and whether anything masks it."""

    entity: str
    file: str
    column: str
    why: Message  # why it looks personal: by its header, or by a sample of its values (said in either language)
    mapped_to: str | None  # the layout field it feeds, if any
    covered: bool  # an anonymization rule covers that field

    def describe(self) -> str:
        why = self.why.text("en")
        if self.mapped_to is None:
            return f"{self.file}: column {self.column!r} looks like personal data ({why}) and has no rule"
        return (
            f"{self.file}: column {self.column!r} feeds {self.entity}.{self.mapped_to}, which is not masked, "
            f"but looks like personal data ({why})"
        )


def looks_personal(value: str) -> bool:
    """Whether a single value looks like personal data (a phone, an e-mail, a СНИЛС, a passport, a ФИО)."""
    return any(pattern.match(value) for pattern in PATTERNS.values())


def shown(fld: str, value: str, personal: bool = False) -> str:
    """What a report, a rejected list or a JSON may show of a value of the export: the value itself only
    where its field is known to be non-personal and the value does not look like personal data (a phone
    typed into a share); otherwise :data:`HIDDEN`."""
    if not value:
        return ""
    if personal or fld not in NON_PERSONAL_FIELDS or looks_personal(value) or IN_TEXT.search(value):
        return HIDDEN
    return value


def shown_message(message: str, forms: tuple[object, ...], hidden: bool) -> str:
    """A message about a value, without the value when it is hidden (quoted in any of its ``forms``, as
    a reader's complaint quotes it, or written out when long enough not to be mistaken for a line number),
    and without anything in it that looks like personal data."""
    if hidden:
        for form in forms:
            message = message.replace(repr(form), HIDDEN)
            if isinstance(form, str) and len(form) >= MIN_WRITTEN:
                message = message.replace(form, HIDDEN)
    return IN_TEXT.sub(HIDDEN, message)


def _why(header: str, values: list[str]) -> Message | None:
    if HEADER_WORDS.search(header.strip()):
        return Message.of("personal.by_header")
    if not values:
        return None
    for name, pattern in PATTERNS.items():
        hits = sum(1 for v in values if pattern.match(v))
        if hits >= max(1, SHARE * len(values)):
            return Message.of("personal.by_sample", hits=hits, sampled=len(values), looks=name)
    return None


def _sample(rows: Iterator[tuple[int, list[Any]]], headers: list[str]) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {h: [] for h in headers}
    for n, (_, rec) in enumerate(rows):
        if n >= SAMPLE_ROWS:
            break
        for h, v in zip(headers, rec, strict=False):
            if v not in (None, ""):
                values[h].append(str(v).strip())
    return values


def find_personal_columns(mapping: Mapping) -> list[Finding]:
    """Every column of the mapped files that looks like personal data (by its header or a sample of its
    values) and is not fed into a field an anonymization rule covers. A file several entities read (accounts
    and persons in one) is judged once, by all of them: a column is left out only if none of them reads
    it, and unmasked if one of them feeds it into a field no rule covers."""
    files: dict[tuple[Path, str | None], list[FileMapping]] = {}
    for entity, fm in mapping.files.items():
        if entity == "totals" or (fm.optional and not fm.path.exists()):
            continue
        files.setdefault((fm.path, fm.sheet), []).append(fm)
    findings = []
    for fms in files.values():
        headers, rows = read_mapped(fms[0])
        for other in fms[1:]:
            check_columns(other, headers)
        sample = _sample(rows, headers)
        for header in headers:
            uses = [(fm.entity, fld) for fm in fms for fld, col in fm.columns.items() if col == header]
            unmasked = [(e, fld) for e, fld in uses if (e, fld) not in FIELD_RULES and not _harmless(e, fld)]
            if uses and not unmasked:
                continue
            why = _why(header, sample[header])
            if why is None:
                continue
            left_out: list[tuple[str, str | None]] = [(fms[0].entity, None)]
            for entity, fld in unmasked or left_out:
                findings.append(Finding(entity, fms[0].path.name, header, why, fld, False))
    return findings


def _harmless(entity: str, fld: str) -> bool:
    """Fields whose headers match a personal word by accident ('Дата рождения' is never mapped to them)."""
    return fld in ("service", "period", "role", "share")
