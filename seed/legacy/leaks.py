"""The leak scan: after an import, no original personal value of the export may appear anywhere in the
demo database.

The original values stay on this machine: they are collected while the export is read, and the scan
pulls the distinct values of every text column out of the database to compare them here, so the
database never sees an original even for the comparison. Identifiers shorter than five characters are
not looked for (a flat number "12" is not a leaked account "12").
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

MIN_IDENTIFIER = 5
DIGIT_KINDS = ("phone", "СНИЛС", "ИНН", "passport")


NOT_DIGITS = re.compile(r"\D+")


def _digits(value: str) -> str:
    return NOT_DIGITS.sub("", value)


@dataclass(frozen=True)
class Leak:
    kind: str
    table: str
    column: str
    count: int


@dataclass
class Originals:
    """Normalised original values by kind: digits only for phones, СНИЛС, ИНН and passports (a phone
    stays the same phone whatever its punctuation), lower case for e-mails and names."""

    values: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    names: set[tuple[str, str, str]] = field(default_factory=set)

    def add(self, kind: str, value: str) -> None:
        value = value.strip()
        if not value:
            return
        if kind in DIGIT_KINDS:
            digits = _digits(value)
            if kind == "phone":
                digits = digits[-10:]
            if len(digits) >= 6:
                self.values[kind].add(digits)
            return
        if kind == "e-mail":
            self.values[kind].add(value.lower())
            return
        self.values[kind].add(value)

    def add_name(self, surname: str, given: str, patronymic: str) -> None:
        self.names.add((surname.strip().lower(), given.strip().lower(), patronymic.strip().lower()))

    @property
    def size(self) -> int:
        return sum(len(v) for v in self.values.values()) + len(self.names)

    def match(self, value: str) -> str | None:
        """The kind of original this database value is, if any."""
        text = value.strip()
        if len(text) >= MIN_IDENTIFIER:
            for kind in ("account number", "ЕЛС", "meter serial"):
                if text in self.values[kind]:
                    return kind
        if "@" in text and text.lower() in self.values["e-mail"]:
            return "e-mail"
        if len(text) >= 10:
            digits = _digits(text)
            if len(digits) >= 10 and len(digits) * 2 >= len(text):
                if digits[-10:] in self.values["phone"]:
                    return "phone"
                for kind in ("СНИЛС", "ИНН", "passport"):
                    if digits in self.values[kind]:
                        return kind
        if text.count(" ") >= 2:
            words = tuple(text.lower().split())
            if len(words) == 3 and words in self.names:
                return "full name"
        return None


def scan_leaks(conn: psycopg.Connection, schema: str, originals: Originals) -> list[Leak]:
    """Every text column of ``schema`` whose values include an original personal value, and the names of
    persons that are an original surname, given name and patronymic together."""
    found: dict[tuple[str, str, str], int] = defaultdict(int)
    columns = conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns c JOIN information_schema.tables t "
        "USING (table_schema, table_name) WHERE c.table_schema = %s AND t.table_type = 'BASE TABLE' "
        "AND c.data_type IN ('text', 'character varying', 'character') ORDER BY 1, 2",
        (schema,),
    ).fetchall()
    for table, column in columns:
        query = sql.SQL("SELECT DISTINCT {c} FROM {t} WHERE {c} IS NOT NULL").format(
            c=sql.Identifier(column), t=sql.Identifier(schema, table)
        )
        with conn.cursor(name="leak_scan") if not conn.autocommit else conn.cursor() as cur:
            cur.execute(query)
            while batch := cur.fetchmany(50_000):
                for (value,) in batch:
                    kind = originals.match(str(value))
                    if kind:
                        found[(kind, table, column)] += 1
    exists = conn.execute(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = 'person'", (schema,)
    ).fetchone()
    if exists and originals.names:
        cur = conn.execute(
            sql.SQL(
                "SELECT DISTINCT lower(surname), lower(given_name), lower(coalesce(patronymic, '')) FROM {}"
            ).format(sql.Identifier(schema, "person"))
        )
        hits = sum(1 for row in cur if tuple(row) in originals.names)
        if hits:
            found[("full name", "person", "surname, given_name, patronymic")] += hits
    return [Leak(kind, table, column, count) for (kind, table, column), count in sorted(found.items())]
