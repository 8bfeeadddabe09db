"""The short files of an export, checked row by row: accounts, persons, services, meters.

Each row is read by the same function the load uses (:mod:`seed.legacy.interpret`); a row it refuses is
a problem of its reason's kind, and, as in the load, it is not known afterwards (its persons, meters and
readings refer to an unknown account or meter)."""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import numpy as np

from seed.legacy.analyze.examiner import Examiner
from seed.legacy.analyze.findings import Where
from seed.legacy.analyze.keyed import SeenKeys, TextKeys
from seed.legacy.analyze.spill import Cause
from seed.legacy.interpret import (
    DUPLICATE_ACCOUNT,
    DUPLICATE_METER,
    NULL,
    PLAIN_IDENT,
    RESIDENT_OF_DUPLICATE,
    SHARE_TOLERANCE,
    Refused,
    no_accounts,
)
from seed.legacy.rows import (
    INITIALS,
    AccountsRead,
    PersonRow,
    Residents,
    meter_of,
    person_of,
    read_account,
    read_service,
)
from seed.people import snils_check, valid_inn, valid_snils
from seed.words.messages import Message


def check_accounts(ex: Examiner) -> None:
    f, rows = ex.open("accounts")
    report = ex.report
    els_first = TextKeys()  # ЕЛС -> the line it was first given at
    read = AccountsRead(ex.mapping, ex.account_line)
    n = 0
    for row, rec in rows:
        assert f is not None
        n += 1
        ex.ident(row, "number", f.raw(rec, "number"))
        els = f.get(rec, "els")
        try:
            account = read_account(f, row.line, rec)
            if read.again(account):
                continue  # the account again, on the row of its next resident
        except Refused as why:
            if why.reason is DUPLICATE_ACCOUNT:  # later rows of the number attach to its first account
                ex.repeated_accounts.setdefault(str(why.value), Cause(DUPLICATE_ACCOUNT.kind, row.file, row.line))
            if els and len(els) != 10:
                report.add("els_format", row, "els", els)
            report.refused(row, why)
            continue
        if els and len(els) != 10:
            report.add("els_format", row, "els", els)
        if account.living != NULL and Decimal(account.living) > Decimal(account.total):
            report.add("living_over_total", row, "living_area", account.living, Message.of("total", area=account.total))
        first_els = els_first.get(els) if els else None
        if first_els is not None:
            report.add("duplicate_els", row, "els", els, Message.of("first_at_line", line=first_els))
        elif els:
            els_first.add(els, row.line)
        ex.add_account(account.number, row.line, account.closed)
    ex.duplicate_rows = read.duplicates
    if f is not None and not n:
        raise no_accounts(f)


def check_persons(ex: Examiner) -> None:
    f, rows = ex.open("persons")
    report, repeated = ex.report, ex.repeated_accounts
    seen = SeenKeys()  # (account, person)
    shares = Shares(len(ex.accounts))
    owner_lines = array("i", bytes(4 * len(ex.accounts)))  # per account, the line of its first owner's share
    residents = Residents(ex.mapping, ex.duplicate_rows)
    account_of = _Accounts(ex)
    shared = residents.shared  # else every row is a person
    for row, rec, snils_ok in _with_snils(f, rows):
        assert f is not None
        if shared:
            try:
                if not residents.person(f, row.line, rec):
                    continue  # an account's row with no one registered, in a file of accounts and persons
            except Refused as why:
                if why.reason is not RESIDENT_OF_DUPLICATE:
                    report.refused(row, why)
                # else: the resident on a duplicate account's row: that row is the duplicate, reported once
                continue
        account, known = account_of(row, f.raw(rec, "account"))
        v = f.texts(rec)  # read once, for the checks here and the row as loaded
        snils = v["snils"]
        if snils and not (valid_snils("".join(c for c in snils if c.isdigit())) if snils_ok is None else snils_ok):
            report.add("invalid_snils", row, "snils", snils)
        inn = ex.ident(row, "inn", f.raw(rec, "inn")) if v["inn"] else ""
        if inn and not valid_inn(inn):
            report.add("invalid_inn", row, "inn", inn)
        try:
            person = person_of(v, row.line)
        except Refused as why:
            report.refused(row, why)
            continue
        if not known:
            continue
        if person.future_birth or person.initials:
            _loaded_otherwise(ex, row, v, person)
        if seen.seen((account, person.identity)):
            names = f"{person.surname} {person.given} {person.patronymic}".lower()
            report.add("duplicate_person", row, "surname", names, cause=repeated.get(account))
            continue
        position = ex.accounts.get(account)
        if person.role == "owner" and person.share != NULL and position is not None:
            shares.add(position, Decimal(person.share))
            if not owner_lines[position]:
                owner_lines[position] = row.line
    persons_file, causes = ex.path("persons"), ex.caused_by() or {}
    for position, total in shares.totals():  # at the first owner's row and share: the number is personal
        if abs(total - 1) > SHARE_TOLERANCE:
            where = Where(persons_file, owner_lines[position])
            cause = causes.get(position) if total > 1 else None  # two accounts' owners under one number
            said = Message.of("shares_add_up")
            report.add("shares_not_one", where, "share", total, said, cause=cause)


def _loaded_otherwise(ex: Examiner, row: Where, v: dict[str, str], person: PersonRow) -> None:
    """A person's row the load changes (a birth date in the future loaded as unknown, initials given full
    invented names), at the column that says it; the values are personal, never shown."""
    if person.future_birth:
        ex.report.add("birth_in_future", row, "birth_date", v["birth_date"], personal=True)
    if person.initials:
        one_column = not v["surname"] and bool(v["full_name"])
        fld = "full_name" if one_column else "given_name" if INITIALS.fullmatch(person.given) else "patronymic"
        ex.report.add("initials_only", row, fld, v[fld], personal=True)


PERSON_ROWS = 4096  # persons whose СНИЛС are checked together (a check digit per call costs some 20 µs)


def _with_snils(f: Any, rows: Iterator[tuple[Where, list[Any]]]) -> Iterator[tuple[Where, list[Any], bool | None]]:
    """The rows, each with whether its СНИЛС's digits are a valid СНИЛС (:func:`~seed.people.valid_snils`;
    None: digits of another script, left to it): a few thousand rows read ahead, their usual СНИЛС (eleven
    digits) checked at once."""
    chunk: list[tuple[Where, list[Any]]] = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= PERSON_ROWS:
            yield from _snils_checked(f, chunk)
            chunk = []
    yield from _snils_checked(f, chunk)


def _snils_checked(f: Any, chunk: list[tuple[Where, list[Any]]]) -> Iterator[tuple[Where, list[Any], bool | None]]:
    if not chunk:
        return
    texts = [f.get(rec, "snils") for _, rec in chunk]
    digits = [t if t.isdigit() else "".join(ch for ch in t if ch.isdigit()) for t in texts]
    plain = [i for i, d in enumerate(digits) if len(d) == 11 and d.isascii()]
    ok: list[bool | None] = [False] * len(chunk)
    if plain:
        body = np.array([int(digits[i][:9]) for i in plain], dtype=np.int64)
        check = np.array([int(digits[i][9:]) for i in plain], dtype=np.int64)
        for i, good in zip(plain, (snils_check(body) == check).tolist(), strict=True):
            ok[i] = good
    for i, d in enumerate(digits):
        if len(d) == 11 and not d.isascii():  # digits of other scripts: read by valid_snils, where it comes to it
            ok[i] = None
    for (row, rec), good in zip(chunk, ok, strict=True):
        yield row, rec, good


class Shares:
    """The owners' shares summed per account (by position) exactly as Decimals sum, in 9 bytes an account
    rather than a dict's entry and a Decimal: each sum as its coefficient and exponent (a sum too long for
    them, which no export writes, kept aside as it is)."""

    def __init__(self, accounts: int) -> None:
        # arrays rather than numpy's: an element at a time, a Python int is read and written at once
        self.coefficients = array("q", bytes(8 * accounts))
        self.exponents = array("b", bytes(accounts))
        self.given = bytearray(accounts)
        self.long: dict[int, Decimal] = {}

    def add(self, position: int, share: Decimal) -> None:
        total = (self.total(position) if self.given[position] else Decimal()) + share
        self.given[position] = 1
        exponent = total.as_tuple().exponent
        assert isinstance(exponent, int)  # a share is a finite number
        coefficient = int(total.scaleb(-exponent))
        if -128 <= exponent < 128 and abs(coefficient) < 1 << 63:
            self.coefficients[position], self.exponents[position] = coefficient, exponent
            self.long.pop(position, None)
        else:
            self.long[position] = total

    def total(self, position: int) -> Decimal:
        kept = self.long.get(position)
        if kept is not None:
            return kept
        return Decimal(self.coefficients[position]).scaleb(self.exponents[position])

    def totals(self) -> Iterator[tuple[int, Decimal]]:
        """Each account with a share given (in the order of the accounts) and its sum."""
        for position in np.flatnonzero(np.frombuffer(self.given, dtype=np.uint8)).tolist():
            yield position, self.total(position)


def check_services(ex: Examiner) -> None:
    f, rows = ex.open("services")
    seen = SeenKeys()  # (account, service)
    report = ex.report
    account_of = _Accounts(ex)
    if f is None:
        return
    raw, names, seen_before = f.raw, report.service_names, seen.seen
    for row, rec in rows:
        account, known = account_of(row, raw(rec, "account"))
        try:
            code, _since = read_service(f, rec)
        except Refused as why:
            report.refused(row, why)
            continue
        if code not in names:
            report.named(code, raw(rec, "service"))
        if seen_before((account, code)) and known:
            cause = ex.repeated_accounts.get(account)
            report.add("duplicate_service", row, "service", f.raw(rec, "service"), cause=cause)


def check_meters(ex: Examiner) -> None:
    f, rows = ex.open("meters")
    meters = ex.meters
    report = ex.report
    account_of = _Accounts(ex)
    if f is None:
        meters.seal()
        return
    raw, texts, ident, find, names = f.raw, f.texts, ex.ident, meters.keys.find, report.service_names
    for row, rec in rows:
        account, known = account_of(row, raw(rec, "account"))
        serial = ident(row, "serial", raw(rec, "serial"))
        try:
            m = meter_of(texts(rec), row.line)
            key = hash((m.service, m.serial))  # MeterBook.key
            at = find(key)
            if at is not None:
                first = Message.of("first_at_line", line=meters.lines[at])
                ex.repeated_meters.setdefault((m.service, m.serial), Cause(DUPLICATE_METER.kind, row.file, row.line))
                raise Refused(DUPLICATE_METER, "serial", serial, message=first)
        except Refused as why:
            report.refused(row, why)
            continue
        if m.service not in names:
            report.named(m.service, raw(rec, "service"))
        if not known:
            continue
        ex.meters_file = row.file
        meters.note(key, m.service, row.line, m.installed, m.removed, m.next_verification, m.digits)
    meters.seal()


class _Accounts:
    """A row's account as :meth:`Examiner.ident` reads it and whether it is known (an unknown one reported,
    on every row): the rows of an account come together, so a plain known number as written on the row
    before, which reports nothing, is not read again."""

    def __init__(self, ex: Examiner) -> None:
        self.ex = ex
        self.raw: Any = None  # the number as written on the row before, when plain and known
        self.account = ""

    def __call__(self, row: Where, raw: Any) -> tuple[str, bool]:
        if raw == self.raw and type(raw) is str:
            return self.account, True
        ex = self.ex
        account = ex.ident(row, "account", raw)
        known = ex.known_account(row, account)
        self.raw = raw if known and type(raw) is str and PLAIN_IDENT(raw) else None
        self.account = account
        return account, known
