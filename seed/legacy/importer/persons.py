"""Stage two: the persons of each account (owners, tenants, residents), with every personal value masked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from seed.legacy.importer.state import Accepted, Ids, ImportState, escape
from seed.legacy.interpret import DUPLICATE_PERSON, NULL, Refused
from seed.legacy.leaks import Digests
from seed.legacy.rows import PersonRow, Residents, read_person


def read_persons(state: ImportState) -> Accepted:
    """The lines of the person rows that can be loaded; their originals noted for the leak scan (the rows
    themselves are read again to be written, once every original is known)."""
    accepted = Accepted()
    f = state.open("persons")
    if f is None:
        return accepted
    originals = state.originals
    residents = Residents(state.mapping, state.duplicate_rows)
    for line, rec, account in state.with_accounts(f, state.rows(f)):
        try:
            if not residents.person(f, line, rec):
                continue  # an account's row with no one registered, in a file of accounts and persons
            state.loaded(f, rec, account)
            row = read_person(f, line, rec)
        except Refused as why:
            state.rejects.refuse(f.name, line, why)
            continue
        originals.add_name(row.surname, row.given, row.patronymic)
        originals.add("phone", row.phone)
        originals.add("e-mail", row.email)
        originals.add("СНИЛС", row.snils)
        originals.add("ИНН", row.inn)
        originals.add("passport", row.passport)
        accepted.add(line)
    return accepted


def write_persons(state: ImportState, accepted: Accepted) -> None:
    """One person per identity (СНИЛС, else ФИО and birth date) across accounts, and their links."""
    persons = Ids()  # the identity's digest -> its id
    links, count = Digests(), 0
    with state.lines("person") as people, state.lines("account_person") as person_links:
        for f, line, rec, account in state.again_with_accounts("persons", accepted):
            row = read_person(f, line, rec)
            who = row.identity
            pid = persons.get(digest := hash(who))
            if pid is None:
                count += 1
                pid = persons[digest] = count
                people.add(_person_line(state, pid, who, row))
            if (account, pid) in links:
                state.rejects.refuse(f.name, line, Refused(DUPLICATE_PERSON, "surname", personal=True))
                continue
            links.add((account, pid))
            person_links.add(f"{account}\t{pid}\t{row.role}\t{row.share}\n")


def _person_line(state: ImportState, pid: int, who: str, row: PersonRow) -> str:
    a, rules = state.anon, state.rules
    gender = a.gender(row.surname, row.patronymic)
    birth = row.birth
    for attempt in range(64):
        seed_text = f"{birth}#{attempt}" if attempt else birth or ""
        s, g, p, _ = a.full_name(row.surname, row.given, row.patronymic, seed_text)
        if (s.lower(), g.lower(), p.lower()) not in state.originals.names:
            break
    if birth != NULL and rules["birth_date"] == "shift":
        birth_out = a.birth_date(dt.date.fromisoformat(birth), who).isoformat()
    else:
        birth_out = NULL

    def masked(rule: str, value: str, make: Callable[[str], str]) -> str:
        if not value or rules[rule] == "drop":
            return NULL
        return escape(state.names.draw(lambda k: make(value if k == 0 else f"{value}#{k}")))

    return (
        f"{pid}\t{s}\t{g}\t{p}\t{gender}\t{birth_out}\t{masked('phone', row.phone, a.phone)}\t"
        f"{masked('snils', row.snils, a.snils)}\t{masked('inn', row.inn, a.inn_person)}\t"
        f"{masked('email', row.email, a.email)}\t{masked('passport', row.passport, a.passport)}\n"
    )
