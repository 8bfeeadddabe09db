"""Stage two: the persons of each account (owners, tenants, residents), with every personal value masked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from itertools import islice

from seed.legacy.importer.state import LOOKUP, Accepted, Ids, ImportState, escape
from seed.legacy.interpret import DUPLICATE_PERSON, NULL, Refused
from seed.legacy.leaks import Digests
from seed.legacy.rows import PersonRow, Residents, read_person
from seed.words.messages import Message


def read_persons(state: ImportState) -> Accepted:
    """The lines of the person rows that can be loaded; their originals noted for the leak scan (the rows
    themselves are read again to be written, once every original is known). The rows loaded otherwise than
    written (a birth date in the future as unknown, initials given full invented names) are counted in the
    load report's flags, as the check reports each of them."""
    accepted = Accepted()
    future = initials = 0
    f = state.open("persons")
    if f is None:
        return accepted
    residents = Residents(state.mapping, state.duplicate_rows)
    read: list[PersonRow] = []
    for line, rec, account in state.with_accounts(f, state.rows(f)):
        try:
            if not residents.person(f, line, rec):
                continue  # an account's row with no one registered, in a file of accounts and persons
            state.loaded(f, rec, account)
            row = read_person(f, line, rec)
        except Refused as why:
            state.rejects.refuse(f.name, line, why)
            continue
        read.append(row)
        accepted.add(line)
        future += row.future_birth
        initials += row.initials
        if len(read) >= LOOKUP:
            _originals(state, read)
    _originals(state, read)
    if future:
        state.result.flags.append(Message.of("load.birth_in_future", count=future))
    if initials:
        state.result.flags.append(Message.of("load.initials_only", count=initials))
    return accepted


def _originals(state: ImportState, rows: list[PersonRow]) -> None:
    """The personal values of persons read, noted for the leak scan a batch at a time; ``rows`` emptied."""
    originals = state.originals
    originals.add_names([(row.surname, row.given, row.patronymic) for row in rows])
    for kind, fld in (
        ("phone", "phone"),
        ("e-mail", "email"),
        ("СНИЛС", "snils"),
        ("ИНН", "inn"),
        ("passport", "passport"),
    ):
        originals.add_many(kind, [getattr(row, fld) for row in rows])
    rows.clear()


def write_persons(state: ImportState, accepted: Accepted) -> None:
    """One person per identity (СНИЛС, else ФИО and birth date) across accounts, and their links; the new
    persons of :data:`LOOKUP` rows at a time masked together (:func:`_person_lines`)."""
    persons = Ids()  # the identity's digest -> its id
    links, count = Digests(), 0
    rows = state.again_with_accounts("persons", accepted)
    with state.lines("person") as people, state.lines("account_person") as person_links:
        while batch := list(islice(rows, LOOKUP)):
            fresh: list[tuple[int, str, PersonRow]] = []
            for f, line, rec, account in batch:
                row = read_person(f, line, rec)
                who = row.identity
                pid = persons.get(digest := hash(who))
                if pid is None:
                    count += 1
                    pid = persons[digest] = count
                    fresh.append((pid, who, row))
                if (account, pid) in links:
                    state.rejects.refuse(f.name, line, Refused(DUPLICATE_PERSON, "surname", personal=True))
                    continue
                links.add((account, pid))
                person_links.add(f"{account}\t{pid}\t{row.role}\t{row.share}\n")
            for text in _person_lines(state, fresh):
                people.add(text)


MASKED = ("phone", "snils", "inn", "email", "passport")  # the person's fields masked by a pseudonym, in column order


def _person_lines(state: ImportState, fresh: list[tuple[int, str, PersonRow]]) -> list[str]:
    """The COPY lines of new persons (id, identity, row): each as :func:`_person_line` writes it, the
    originals asked about every first candidate of the batch at once."""
    a, rules, names = state.anon, state.rules, state.names
    makes: dict[str, Callable[[str], str]] = {
        "phone": a.phone, "snils": a.snils, "inn": a.inn_person, "email": a.email, "passport": a.passport,
    }  # fmt: skip
    drawn = [[NULL] * len(MASKED) for _ in fresh]
    for k, rule in enumerate(MASKED):
        if rules[rule] == "drop":
            continue
        make, at, values = makes[rule], [], []
        for i, (_, _, row) in enumerate(fresh):
            value = getattr(row, rule)
            if value:
                at.append(i)
                values.append(value)
        firsts = list(map(make, values))
        for i, pseudonym in zip(at, names.draw_many(firsts, [partial(_redraw, make, v) for v in values]), strict=True):
            drawn[i][k] = escape(pseudonym)
    full = [a.full_name(row.surname, row.given, row.patronymic, row.birth or "") for _, _, row in fresh]
    taken = state.originals.names.contains_many([(s.lower(), g.lower(), p.lower()) for s, g, p, _ in full])
    out = []
    for (pid, who, row), (s, g, p, gender), again, (phone, snils, inn, email, passport) in zip(
        fresh, full, taken, drawn, strict=True
    ):
        if again:
            s, g, p = _name(state, row)
        out.append(
            f"{pid}\t{s}\t{g}\t{p}\t{gender}\t{_birth(state, who, row.birth)}\t{phone}\t{snils}\t{inn}\t{email}\t"
            f"{passport}\n"
        )
    return out


def _redraw(make: Callable[[str], str], value: str, k: int) -> str:
    return make(value if k == 0 else f"{value}#{k}")


def _name(state: ImportState, row: PersonRow) -> tuple[str, str, str]:
    """A pseudonymous ФИО that is no original person's name (the 64th draw if none is)."""
    birth = row.birth
    for attempt in range(64):
        seed_text = f"{birth}#{attempt}" if attempt else birth or ""
        s, g, p, _ = state.anon.full_name(row.surname, row.given, row.patronymic, seed_text)
        if (s.lower(), g.lower(), p.lower()) not in state.originals.names:
            break
    return s, g, p


def _birth(state: ImportState, who: str, birth: str) -> str:
    if birth != NULL and state.rules["birth_date"] == "shift":
        return state.anon.birth_date(dt.date.fromisoformat(birth), who).isoformat()
    return NULL
