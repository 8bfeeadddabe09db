"""The people of each account: an owner, a household of family around them, and who owns what share."""

from __future__ import annotations

import datetime as dt

import numpy as np

from seed import people
from seed.synth.accounts import Accounts
from seed.synth.base import NULL, Chunk, lines


def households(rng: np.random.Generator, acc: Accounts, end: dt.date, region: int, out: Chunk) -> None:
    """The ``person`` and ``account_person`` tables; ages are as of ``end``, the window's last day."""
    size = np.maximum(acc.residents, 1)
    hh = np.repeat(np.arange(acc.n), size)
    k = np.arange(len(hh)) - np.repeat(np.cumsum(size) - size, size)
    n = len(hh)
    owner_male = rng.random(acc.n) < 0.5
    male = np.where(
        k == 0,
        owner_male[hh],
        np.where(k == 1, ~owner_male[hh] ^ (rng.random(n) < 0.1), rng.random(n) < 0.5),
    )
    child = (k >= 2) & (rng.random(n) < 0.7)
    family = rng.integers(0, len(people.SURNAMES_MALE), acc.n)[hh]
    family = np.where((k == 1) & (rng.random(n) < 0.15), rng.integers(0, 250, n), family)
    # Fathers: the first male adult of each household names the children.
    father_given = rng.choice(30, size=acc.n, p=people.NAME_WEIGHTS)
    father = np.where(child, father_given[hh], -1)
    surname, given, patronymic, given_idx = people.names(rng, male, family, father)
    adult_male_first = male & (k <= 1)
    given = np.where(adult_male_first, people.GIVEN_MALE[father_given[hh]], given)
    owner_age = rng.integers(22, 86, acc.n)
    age = np.where(
        k == 0,
        owner_age[hh],
        np.where(
            k == 1,
            np.clip(owner_age[hh] + rng.integers(-5, 6, n), 18, 95),
            np.where(child, rng.integers(0, 18, n), rng.integers(18, 90, n)),
        ),
    )
    birth = np.datetime64(end) - (age * 365.25 + rng.integers(0, 365, n)).astype("timedelta64[D]")
    phone = people.phones(rng, n)
    has_phone = np.where(child, (age >= 12) & (rng.random(n) < 0.5), rng.random(n) < 0.85)
    snils = people.snils(rng, n)
    has_snils = rng.random(n) < 0.95
    inn = people.inn_person(rng, n, region)
    has_inn = ~child & (rng.random(n) < 0.6)
    ids = acc.ids
    pid = (ids[hh] * 10 + k).astype(str)
    person = [
        pid,
        surname,
        given,
        patronymic,
        np.where(male, "M", "F"),
        birth.astype(str),
        np.where(has_phone, phone, NULL),
        np.where(has_snils, snils, NULL),
        np.where(has_inn, inn, NULL),
        np.full(n, NULL),
        np.full(n, NULL),
    ]
    out.add_text("person", lines(person), n)
    co_owner = (k == 1) & ~child & (rng.random(n) < 0.2)
    co_household = np.zeros(acc.n, dtype=bool)
    co_household[hh[co_owner]] = True
    role = np.where(k == 0, "owner", np.where(co_owner, "owner", "resident"))
    share = np.where(k == 0, np.where(co_household[hh], "0.5000", "1.0000"), np.where(co_owner, "0.5000", NULL))
    out.add_text("account_person", lines([ids[hh].astype(str), pid, role, share]), n)
