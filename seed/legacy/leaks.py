"""The leak scan: after an import, no original personal value of the export may appear anywhere in the
demo database.

The original values stay on this machine, and only as keyed digests: they are collected while the export
is read, and the scan pulls the distinct values of every text column out of the database to compare them
here, so the database never sees an original even for the comparison. Identifiers shorter than five characters are
not looked for (a flat number "12" is not a leaked account "12").
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from itertools import compress
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

MIN_IDENTIFIER = 5
DIGIT_KINDS = ("phone", "СНИЛС", "ИНН", "passport")
MATCHED = 5_000  # database values fetched and matched at once
IDENTIFIERS = ("account number", "ЕЛС", "meter serial")  # looked for in every text of five characters or more


NOT_DIGITS = re.compile(r"\D+")


def _digits(value: str) -> str:
    return NOT_DIGITS.sub("", value)


@dataclass(frozen=True)
class Leak:
    kind: str
    table: str
    column: str
    count: int


DIGEST = (1 << 64) - 1


class Digests:
    """A set of values kept as their 64-bit digests (Python's hash, keyed afresh in every process, of a value
    with its kind): eight bytes a value in a sorted numpy array, the latest in a small set until they join
    it, and a bitmap of the digests' low bits that answers most misses without a search. Values are never
    kept, so the set holds a million accounts' personal values in tens of megabytes, on this machine only,
    and for this process only."""

    # A set's entry costs some 60 bytes: few wait in it. They join a small sorted array, which joins the large
    # one once it holds RECENT, so the large one is copied rarely (a merge copies the array it joins).
    PENDING = 8_192  # digests added before they join the recent sorted array
    RECENT = 1 << 19  # digests in the recent sorted array before it joins the large one

    def __init__(self, filter_bits: int = 24) -> None:
        self._filter = bytearray(1 << (filter_bits - 3))
        self._mask = (1 << filter_bits) - 1
        self._sorted = np.empty(0, dtype=np.uint64)
        self._recent = np.empty(0, dtype=np.uint64)
        self._pending: set[int] = set()

    def __len__(self) -> int:
        return len(self._sorted) + len(self._recent) + len(self._pending)

    def add(self, value: Hashable) -> None:
        digest = hash(value) & DIGEST
        low = digest & self._mask
        at, bit = low >> 3, 1 << (low & 7)
        if self._filter[at] & bit and self._known(digest):
            return
        self._filter[at] |= bit
        self._pending.add(digest)
        if len(self._pending) >= self.PENDING:
            self._merge()

    def add_many(self, values: Sequence[Hashable]) -> None:
        """:meth:`add` of many values, the filter and the sorted array asked of all at once."""
        if not values:
            return
        digests = np.fromiter(map(hash, values), dtype=np.int64, count=len(values)).view(np.uint64)
        low = digests & np.uint64(self._mask)
        at, bit = low >> np.uint64(3), np.uint8(1) << (low & np.uint64(7)).astype(np.uint8)
        bits = np.frombuffer(self._filter, dtype=np.uint8)
        maybe = np.flatnonzero(bits[at] & bit)
        new = np.ones(len(values), dtype=bool)
        if len(maybe):
            wanted = digests[maybe]
            new[maybe] = ~(sorted_has(self._sorted, wanted) | sorted_has(self._recent, wanted))
            pending = self._pending
            for i in maybe[new[maybe]].tolist():
                new[i] = int(digests[i]) not in pending
        np.bitwise_or.at(bits, at[new], bit[new])
        self._pending.update(digests[new].tolist())
        if len(self._pending) >= self.PENDING:
            self._merge()

    def __contains__(self, value: object) -> bool:
        digest = hash(value) & DIGEST
        low = digest & self._mask
        return bool(self._filter[low >> 3] & (1 << (low & 7))) and self._known(digest)

    def contains_many(self, values: Sequence[Hashable]) -> list[bool]:
        """``value in self`` for each of many values, the filter and the sorted array asked of all at once."""
        if not values:
            return []
        digests = np.fromiter(map(hash, values), dtype=np.int64, count=len(values)).view(np.uint64)
        low = digests & np.uint64(self._mask)
        bits = np.frombuffer(self._filter, dtype=np.uint8)[low >> np.uint64(3)]
        maybe = np.flatnonzero(bits & (np.uint8(1) << (low & np.uint64(7)).astype(np.uint8)))
        found = np.zeros(len(values), dtype=bool)
        if len(maybe):
            wanted = digests[maybe]
            found[maybe] = sorted_has(self._sorted, wanted) | sorted_has(self._recent, wanted)
            pending = self._pending
            for i in maybe[~found[maybe]].tolist():
                found[i] = int(digests[i]) in pending
        return found.tolist()

    def _known(self, digest: int) -> bool:
        if digest in self._pending:
            return True
        for kept in (self._recent, self._sorted):
            at = int(kept.searchsorted(np.uint64(digest)))
            if at < len(kept) and int(kept[at]) == digest:
                return True
        return False

    def _merge(self) -> None:
        new = np.fromiter(self._pending, dtype=np.uint64, count=len(self._pending))
        new.sort()
        self._recent = np.insert(self._recent, self._recent.searchsorted(new), new)
        self._pending.clear()
        if len(self._recent) >= self.RECENT:
            self._sorted = np.insert(self._sorted, self._sorted.searchsorted(self._recent), self._recent)
            self._recent = np.empty(0, dtype=np.uint64)


def sorted_has(kept: Any, wanted: Any) -> Any:
    """Whether each of ``wanted`` is in the sorted array ``kept`` (of the same dtype), all at once."""
    if not len(kept):
        return np.zeros(len(wanted), dtype=bool)
    at = np.minimum(kept.searchsorted(wanted), len(kept) - 1)
    return kept[at] == wanted


def upsert(keys: Any, ids: Any, new: Any, new_ids: Any) -> tuple[Any, Any]:
    """Sorted distinct ``keys`` with ``ids`` beside them, and ``new`` keys (distinct) with theirs: a key already
    there takes its new id (in place), the others are inserted in order."""
    order = new.argsort()
    new, new_ids = new[order], new_ids[order]
    at = keys.searchsorted(new)
    there = at < len(keys)
    there[there] = keys[at[there]] == new[there]
    ids[at[there]] = new_ids[there]
    fresh = ~there
    return np.insert(keys, at[fresh], new[fresh]), np.insert(ids, at[fresh], new_ids[fresh])


class Originals:
    """Normalised original values by kind: digits only for phones, СНИЛС, ИНН and passports (a phone
    stays the same phone whatever its punctuation), lower case for e-mails and names; as digests
    (:class:`Digests`), so the memory they take is a few bytes a value."""

    def __init__(self) -> None:
        self.values = Digests(27)  # (kind, value)
        self.names = Digests(25)  # (surname, given name, patronymic)

    def add(self, kind: str, value: str) -> None:
        value = value.strip()
        if not value:
            return
        if kind in DIGIT_KINDS:
            digits = _digits(value)
            if kind == "phone":
                digits = digits[-10:]
            if len(digits) >= 6:
                self.values.add((kind, digits))
            return
        if kind == "e-mail":
            self.values.add((kind, value.lower()))
            return
        self.values.add((kind, value))

    def add_many(self, kind: str, values: Sequence[str]) -> None:
        """:meth:`add` of many values of one kind, the digests looked up at once."""
        texts = [text for text in map(str.strip, values) if text]
        if kind in DIGIT_KINDS:
            digits = [_digits(text)[-10:] for text in texts] if kind == "phone" else list(map(_digits, texts))
            self.values.add_many([(kind, d) for d in digits if len(d) >= 6])
        elif kind == "e-mail":
            self.values.add_many([(kind, text.lower()) for text in texts])
        else:
            self.values.add_many([(kind, text) for text in texts])

    def add_names(self, names: Sequence[tuple[str, str, str]]) -> None:
        """:meth:`add_name` of many (surname, given name, patronymic)."""
        self.names.add_many([(s.strip().lower(), g.strip().lower(), p.strip().lower()) for s, g, p in names])

    def add_name(self, surname: str, given: str, patronymic: str) -> None:
        self.names.add((surname.strip().lower(), given.strip().lower(), patronymic.strip().lower()))

    @property
    def size(self) -> int:
        return len(self.values) + len(self.names)

    def match(self, value: str) -> str | None:
        """The kind of original this database value is, if any."""
        text = value.strip()
        values = self.values
        if len(text) >= MIN_IDENTIFIER:
            for kind in IDENTIFIERS:
                if (kind, text) in values:
                    return kind
        return self._match_more(text)

    def match_many(self, values: Sequence[str]) -> list[str | None]:
        """:meth:`match` of each of many values, the identifiers (most of a database's text) looked up a
        kind at a time for all of them."""
        texts = list(map(str.strip, values))
        kinds: list[str | None] = [None] * len(texts)
        rest = [i for i, text in enumerate(texts) if len(text) >= MIN_IDENTIFIER]
        for kind in IDENTIFIERS:
            hits = self.values.contains_many([(kind, texts[i]) for i in rest])
            for i in compress(rest, hits):
                kinds[i] = kind
            rest = [i for i, hit in zip(rest, hits, strict=True) if not hit]
        self._match_more_many(texts, kinds)
        return kinds

    def _match_more_many(self, texts: list[str], kinds: list[str | None]) -> None:
        """:meth:`_match_more` of each text whose kind is still None, each of its look-ups asked of all of
        them at once, in the same order (the first that holds decides)."""
        values = self.values
        open_ = [i for i, kind in enumerate(kinds) if kind is None]
        mails = [i for i in open_ if "@" in texts[i]]
        for i in compress(mails, values.contains_many([("e-mail", texts[i].lower()) for i in mails])):
            kinds[i] = "e-mail"
        numbers = []  # (i, its digits)
        for i in open_:
            text = texts[i]
            if len(text) >= 10 and kinds[i] is None:
                digits = _digits(text)
                if len(digits) >= 10 and len(digits) * 2 >= len(text):
                    numbers.append((i, digits))
        for kind in ("phone", "СНИЛС", "ИНН", "passport"):
            if not numbers:
                break
            end = -10 if kind == "phone" else 0
            hits = values.contains_many([(kind, digits[end:]) for _, digits in numbers])
            for (i, _), hit in zip(numbers, hits, strict=True):
                if hit:
                    kinds[i] = kind
            numbers = list(compress(numbers, [not hit for hit in hits]))
        named = []  # (i, its three words)
        for i in open_:
            text = texts[i]
            if kinds[i] is None and text.count(" ") >= 2:
                words = tuple(text.lower().split())
                if len(words) == 3:
                    named.append((i, words))
        if named and len(self.names):
            for (i, _), hit in zip(named, self.names.contains_many([words for _, words in named]), strict=True):
                if hit:
                    kinds[i] = "full name"

    def _match_more(self, text: str) -> str | None:
        """:meth:`match` past the identifiers: an e-mail, a number of digits, a full name."""
        values = self.values
        if "@" in text and ("e-mail", text.lower()) in values:
            return "e-mail"
        if len(text) >= 10:
            digits = _digits(text)
            if len(digits) >= 10 and len(digits) * 2 >= len(text):
                if ("phone", digits[-10:]) in values:
                    return "phone"
                for kind in ("СНИЛС", "ИНН", "passport"):
                    if (kind, digits) in values:
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
            while batch := cur.fetchmany(MATCHED):
                for kind in originals.match_many([str(value) for (value,) in batch]):
                    if kind:
                        found[(kind, table, column)] += 1
    exists = conn.execute(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = 'person'", (schema,)
    ).fetchone()
    if exists and len(originals.names):
        cur = conn.execute(
            sql.SQL(
                "SELECT DISTINCT lower(surname), lower(given_name), lower(coalesce(patronymic, '')) FROM {}"
            ).format(sql.Identifier(schema, "person"))
        )
        hits = sum(1 for row in cur if tuple(row) in originals.names)
        if hits:
            found[("full name", "person", "surname, given_name, patronymic")] += hits
    return [Leak(kind, table, column, count) for (kind, table, column), count in sorted(found.items())]
