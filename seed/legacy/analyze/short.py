"""The short files of an export, checked row by row: accounts, persons, services, meters.

Each row is read by the same function the load uses (:mod:`seed.legacy.interpret`); a row it refuses is
a problem of its reason's kind, and, as in the load, it is not known afterwards (its persons, meters and
readings refer to an unknown account or meter)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from seed.legacy.analyze.examiner import Examiner, Meter
from seed.legacy.analyze.findings import Where
from seed.legacy.analyze.spill import Cause
from seed.legacy.interpret import (
    DUPLICATE_ACCOUNT,
    DUPLICATE_METER,
    NULL,
    RESIDENT_OF_DUPLICATE,
    SHARE_TOLERANCE,
    Refused,
    no_accounts,
)
from seed.legacy.rows import AccountsRead, Residents, read_account, read_meter, read_person, read_service
from seed.people import valid_inn, valid_snils
from seed.words.messages import Message


def check_accounts(ex: Examiner) -> None:
    f, rows = ex.open("accounts")
    report = ex.report
    els_first: dict[str, int] = {}
    read = AccountsRead(ex.mapping)
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
        if els and els in els_first:
            report.add("duplicate_els", row, "els", els, Message.of("first_at_line", line=els_first[els]))
        elif els:
            els_first[els] = row.line
        ex.add_account(account.number, row.line, account.closed)
    ex.duplicate_rows = read.duplicates
    if f is not None and not n:
        raise no_accounts(f)


def check_persons(ex: Examiner) -> None:
    f, rows = ex.open("persons")
    report, repeated = ex.report, ex.repeated_accounts
    seen: set[tuple[str, str]] = set()  # (account, person)
    shares: dict[str, Decimal] = defaultdict(Decimal)
    residents = Residents(ex.mapping, ex.duplicate_rows)
    for row, rec in rows:
        assert f is not None
        try:
            if not residents.person(f, row.line, rec):
                continue  # an account's row with no one registered, in a file of accounts and persons
        except Refused as why:
            if why.reason is not RESIDENT_OF_DUPLICATE:
                report.refused(row, why)
            # else: the resident on a duplicate account's row: that row is the duplicate, reported once
            continue
        account = ex.ident(row, "account", f.raw(rec, "account"))
        known = ex.known_account(row, account)
        snils = f.get(rec, "snils")
        if snils and not valid_snils("".join(ch for ch in snils if ch.isdigit())):
            report.add("invalid_snils", row, "snils", snils)
        inn = ex.ident(row, "inn", f.raw(rec, "inn")) if f.get(rec, "inn") else ""
        if inn and not valid_inn(inn):
            report.add("invalid_inn", row, "inn", inn)
        try:
            person = read_person(f, row.line, rec)
        except Refused as why:
            report.refused(row, why)
            continue
        if not known:
            continue
        key = (account, person.identity)
        if key in seen:
            names = f"{person.surname} {person.given} {person.patronymic}".lower()
            report.add("duplicate_person", row, "surname", names, cause=repeated.get(account))
            continue
        seen.add(key)
        if person.role == "owner" and person.share != NULL:
            shares[account] += Decimal(person.share)
    accounts_file = ex.path("accounts")
    for account, total in shares.items():  # named by its line in the accounts file: its number is personal
        if abs(total - 1) > SHARE_TOLERANCE:
            where = Where(accounts_file, ex.account_lines[ex.accounts[account]])
            cause = repeated.get(account) if total > 1 else None  # two accounts' owners under one number
            said = Message.of("shares_add_up")
            report.add("shares_not_one", where, "share", total, said, cause=cause)


def check_services(ex: Examiner) -> None:
    f, rows = ex.open("services")
    seen: set[tuple[str, str]] = set()
    for row, rec in rows:
        assert f is not None
        account = ex.ident(row, "account", f.raw(rec, "account"))
        known = ex.known_account(row, account)
        try:
            code, _since = read_service(f, rec)
        except Refused as why:
            ex.report.refused(row, why)
            continue
        ex.report.named(code, f.raw(rec, "service"))
        if known and (account, code) in seen:
            cause = ex.repeated_accounts.get(account)
            ex.report.add("duplicate_service", row, "service", f.raw(rec, "service"), cause=cause)
        seen.add((account, code))


def check_meters(ex: Examiner) -> None:
    f, rows = ex.open("meters")
    meters = ex.meters
    for row, rec in rows:
        assert f is not None
        account = ex.ident(row, "account", f.raw(rec, "account"))
        known = ex.known_account(row, account)
        serial = ex.ident(row, "serial", f.raw(rec, "serial"))
        try:
            m = read_meter(f, row.line, rec)
            first_line = meters.line_of(m.service, m.serial)
            if first_line is not None:
                first = Message.of("first_at_line", line=first_line)
                ex.repeated_meters.setdefault((m.service, m.serial), Cause(DUPLICATE_METER.kind, row.file, row.line))
                raise Refused(DUPLICATE_METER, "serial", serial, message=first)
        except Refused as why:
            ex.report.refused(row, why)
            continue
        ex.report.named(m.service, f.raw(rec, "service"))
        if not known:
            continue
        ex.meters_file = row.file
        meters.add(Meter(m.service, row.line, m.installed, m.removed, m.next_verification, m.digits), m.serial)
    meters.seal()
