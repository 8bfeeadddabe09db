"""Pseudonyms for personal data, keyed by a per-client secret (HMAC-SHA256).

The same person, phone or account maps to the same pseudonym in every file and on every re-import with
the same key; without the key nobody can rebuild a phone number by hashing all of them. Replacements
look real: ФИО agree in gender, СНИЛС and ИНН carry valid check digits, numbers keep their format.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import string
from operator import mul
from pathlib import Path

from seed import catalog, people

KEY_BYTES = 32
INNER_PAD, OUTER_PAD = bytes(b ^ 0x36 for b in range(256)), bytes(b ^ 0x5C for b in range(256))  # HMAC's
INN10, INN11, INN12 = (2, 4, 10, 3, 5, 9, 4, 6, 8), (7, 2, 4, 10, 3, 5, 9, 4, 6, 8), (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
CYRILLIC_UPPER = "АБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЭЮЯ"
CYRILLIC_LOWER = CYRILLIC_UPPER.lower()


def load_or_create_key(path: Path) -> bytes:
    """The client's anonymization key, created once in its own 0600 file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(KEY_BYTES))
    text = path.read_text(encoding="ascii").strip()
    if len(text) != KEY_BYTES * 2:
        raise ValueError(f"{path}: not an anonymization key ({KEY_BYTES * 2} hex digits expected)")
    return bytes.fromhex(text)


def _replacement_tables() -> dict[str, str]:
    """For every character keep_format replaces: a 256-character table, byte -> its replacement."""
    tables = {}
    alphabets = [
        (string.digits, string.digits),
        (CYRILLIC_UPPER + "ЁЙЪЫЬ", CYRILLIC_UPPER),
        (CYRILLIC_LOWER + "ёйъыь", CYRILLIC_LOWER),
        (string.ascii_uppercase, string.ascii_uppercase),
        (string.ascii_lowercase, string.ascii_lowercase),
    ]
    for characters, target in alphabets:
        table = "".join(target[b % len(target)] for b in range(256))
        for ch in characters:
            tables[ch] = table
    return tables


_REPLACEMENTS = _replacement_tables()


class Anonymizer:
    def __init__(self, key: bytes) -> None:
        self.key = key
        # HMAC-SHA256 keyed once (RFC 2104: the key's inner and outer pads hashed), the two hashes copied for
        # every value: hmac's own copy() builds a Python object each time, at twice the cost
        block = hashlib.sha256().block_size
        padded = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
        self._inner = hashlib.sha256(padded.translate(INNER_PAD))
        self._outer = hashlib.sha256(padded.translate(OUTER_PAD))

    def _digest(self, data: bytes) -> bytes:
        inner, outer = self._inner.copy(), self._outer.copy()
        inner.update(data)
        outer.update(inner.digest())
        return outer.digest()

    def _stream(self, kind: str, value: str, length: int = 32) -> bytes:
        """A keyed pseudo-random byte stream for (kind, value), at least ``length`` bytes long."""
        stream = self._digest(f"{kind}\x00{value}".encode())
        while len(stream) < length:
            stream += self._digest(stream[-32:])
        return stream

    def _int(self, kind: str, value: str) -> int:
        return int.from_bytes(self._stream(kind, value)[:8], "big")

    def fraction(self, kind: str, value: str) -> float:
        """A keyed number in [0, 1) for (kind, value)."""
        return self._int(kind, value) / 2**64

    # -- people ----------------------------------------------------------------------------------
    @staticmethod
    def gender(surname: str, patronymic: str) -> str:
        """'M' or 'F' from the patronymic (-вич / -вна, -чна, кызы, оглы), else from the surname."""
        p, s = patronymic.strip().lower(), surname.strip().lower()
        if p.endswith(("вич", "ич", "оглы", "улы")):
            return "M"
        if p.endswith(("вна", "чна", "кызы", "гызы")):
            return "F"
        if s.endswith(("ова", "ева", "ёва", "ина", "ына", "ая", "яя")):
            return "F"
        return "M"

    def full_name(self, surname: str, given: str, patronymic: str, birth: str = "") -> tuple[str, str, str, str]:
        """A pseudonymous ФИО of the same gender; the same person always gets the same one."""
        gender = self.gender(surname, patronymic)
        who = f"{surname}|{given}|{patronymic}|{birth}".lower()
        n = self._int("fio", who)
        s_idx, g_idx, p_idx = n % len(people.SURNAMES_MALE), (n >> 16) % 30, (n >> 32) % 30
        if gender == "M":
            return people.SURNAMES_MALE[s_idx], people.GIVEN_MALE[g_idx], people.PATRONYMIC_MALE[p_idx], gender
        return people.SURNAMES_FEMALE[s_idx], people.GIVEN_FEMALE[g_idx], people.PATRONYMIC_FEMALE[p_idx], gender

    def phone(self, value: str) -> str:
        digits, key = self._digits(value)
        n = self._int("phone", digits[-10:] + key[len(digits) :])  # the last ten digits: +7 or 8 in front alike
        return f"+79{n % 100:02d}{(n >> 8) % 10_000_000:07d}"

    def email(self, value: str) -> str:
        return f"user{self._int('email', value.strip().lower()) % 10**8:08d}@example.ru"

    def snils(self, value: str) -> str:
        body = 2_000_000 + self._int("snils", value) % (999_999_999 - 2_000_000)
        total = sum(map(mul, map(int, f"{body:09d}"), range(9, 0, -1)))
        check = total if total < 100 else total % 101
        return f"{body:09d}{0 if check >= 100 else check:02d}"

    @staticmethod
    def _digits(value: str) -> tuple[str, str]:
        """The digits of a value and the key to draw its pseudonym from; a value may carry a redraw
        suffix ('...#2') that changes the draw but not the format."""
        base, _, attempt = value.partition("#")
        digits = "".join(filter(str.isdigit, base))
        return digits, f"{digits}#{attempt}" if attempt else digits

    def inn(self, value: str, length: int | None = None) -> str:
        """An ИНН of the original's length (10: organisations, 12: persons) or ``length``."""
        digits, key = self._digits(value)
        n = self._int("inn", key)
        body = list(map(int, f"{n % 10**10:010d}"))
        if len(digits) >= 2:
            body[0], body[1] = int(digits[0]), int(digits[1])  # the region code says nothing of the person
        if (length or len(digits)) == 10:
            return "".join(map(str, body[:9])) + str(sum(map(mul, body[:9], INN10)) % 11 % 10)
        full = body[:10] + [sum(map(mul, body[:10], INN11)) % 11 % 10]
        return "".join(map(str, full)) + str(sum(map(mul, full, INN12)) % 11 % 10)

    def inn_person(self, value: str) -> str:
        """A 12-digit personal ИНН (the schema's form) whatever the original's length."""
        return self.inn(value, 12)

    def passport(self, value: str) -> str:
        n = self._int("passport", self._digits(value)[1])
        return f"{n % 10_000:04d} {(n >> 16) % 1_000_000:06d}"

    def birth_date(self, value: dt.date, person: str) -> dt.date:
        """Shifted by up to half a year either way, never by zero days (a date kept exact is the person's own),
        the same shift for the same person. A shift that would pass today goes back as far instead."""
        shift = self._int("birth", person) % 361 - 180
        if not shift:  # drawn again from the days but zero, so that every other shift stays as likely as before
            shift = self._int("birth again", person) % 360 - 180
            shift += shift >= 0
        shifted = value + dt.timedelta(days=shift)
        today = dt.date.today()
        if shifted > today:
            shifted = value - dt.timedelta(days=abs(shift)) if value <= today else today
        return shifted

    # -- identifiers and addresses ---------------------------------------------------------------
    def keep_format(self, kind: str, value: str) -> str:
        """Every digit replaced by a digit, every letter by a letter of the same script and case;
        separators and length kept ('0012-34/А' -> '7391-05/К')."""
        stream, get = self._stream(kind, value, len(value)), _REPLACEMENTS.get
        return "".join([ch if (table := get(ch)) is None else table[b] for ch, b in zip(value, stream, strict=False)])

    def address(self, city: str, street: str, house: str, attempt: int = 0) -> tuple[str, str]:
        """Another street of the catalogue and a house number; ``attempt`` draws again."""
        n = self._int("address", f"{city}|{street}|{house}|{attempt}".lower())
        return catalog.STREETS[n % len(catalog.STREETS)], str((n >> 12) % 200 + 1)
