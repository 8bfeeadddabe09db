"""The generator and its parts, without a database: identifiers, determinism, distributions."""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pytest

from seed import catalog, people
from seed.generate import Generator
from seed.pgbinary import Column, encode
from seed.synth.buildings import chunk_ranges, plan_buildings

END = dt.date(2026, 11, 1)


def test_snils_and_inn_carry_valid_check_digits() -> None:
    rng = np.random.default_rng(7)
    assert all(people.valid_snils(s) for s in people.snils(rng, 2000))
    assert all(people.valid_inn(s) for s in people.inn_person(rng, 2000, 69))
    assert all(people.valid_inn(people.inn_company(rng, 77)) for _ in range(200))
    assert people.valid_snils("11223344595")  # the textbook example
    assert not people.valid_snils("11223344596")
    assert people.valid_inn("7707083893")  # Sberbank
    assert not people.valid_inn("7707083894")


def test_names_agree_in_gender_and_children_carry_the_fathers_name() -> None:
    rng = np.random.default_rng(3)
    male = np.array([True, False, True, False])
    family = np.array([5, 5, 5, 5])
    father = np.array([-1, -1, 0, 0])  # index 0: Александр
    surname, given, patronymic, _ = people.names(rng, male, family, father)
    assert surname[0] == people.SURNAMES_MALE[5] and surname[1] == people.SURNAMES_FEMALE[5]
    assert surname[1].endswith("а") or surname[1].endswith("ая")
    assert patronymic[2] == "Александрович" and patronymic[3] == "Александровна"
    assert given[0] in people.GIVEN_MALE and given[1] in people.GIVEN_FEMALE
    assert patronymic[1].endswith("на") or patronymic[1].endswith("ична")


def _digest(seed: int) -> str:
    gen = Generator(seed, 1500, 6, END, chunk_accounts=500)
    digest = hashlib.sha256()
    for chunk in gen.chunks():
        for name in sorted(chunk.binary):
            digest.update(chunk.binary[name])
        for name in sorted(chunk.text):
            digest.update(chunk.text[name].encode())
        for name in sorted(chunk.apart):  # the open month's balances, written apart
            digest.update(chunk.apart[name])
    return digest.hexdigest()


def test_same_seed_same_data_other_seed_other_data() -> None:
    assert _digest(1) == _digest(1)
    assert _digest(1) != _digest(2)


def test_buildings_hold_exactly_the_accounts_asked_for() -> None:
    for accounts in (1, 57, 1000, 12_345):
        buildings = plan_buildings(4, accounts)
        assert int(buildings.flats.sum()) == accounts
        assert (buildings.flats > 0).all()
        assert set(np.unique(buildings.floors)) <= {2, 3, 4, 5, 9, 10, 12, 14, 16, 17}
        ranges = chunk_ranges(buildings, 500)
        assert ranges[0][0] == 0 and ranges[-1][1] == len(buildings)


def test_periods_and_tariffs_indexed_each_july() -> None:
    cat = catalog.build_catalog(1, END, 12)
    assert cat.periods[0] == dt.date(2025, 12, 1) and cat.periods[-1] == END
    cold = cat.price[catalog.SERVICE_COLD, 0]
    july = cat.periods.index(dt.date(2026, 7, 1))
    rise = cold[july] / cold[july - 1]
    assert 1.10 <= rise <= 1.15 + 1e-6
    assert (cold[:july] == cold[0]).all()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_rows_land_in_realistic_bands(seed: int) -> None:
    gen = Generator(seed, 4000, 12, END)
    counts: dict[str, int] = {}
    for chunk in gen.chunks():
        for key, value in chunk.rows.items():
            counts[key] = counts.get(key, 0) + value
    assert counts["account"] == 4000
    household = counts["person"] / counts["account"]
    assert 2.3 <= household <= 2.7  # 2.5 persons on average
    assert counts["charge"] / counts["account"] > 12 * 4  # several services a month each
    assert counts["meter_reading"] > counts["account"] * 12 * 1.8


def test_numeric_binary_layout() -> None:
    data = encode([Column("num", np.array([-123456]), 2)], 1)
    # field count, length 16, ndigits 4, weight 2, sign negative, dscale 2, digits 0 0 1234 5600
    assert data.hex() == "0001" + "00000010" + "0004" + "0002" + "4000" + "0002" + "0000" + "0000" + "04d2" + "15e0"


def test_the_surnames_kept_in_the_file_are_fakers_own() -> None:
    """The seed no longer imports Faker at its start; its surnames must stay Faker's ru_RU ones."""
    from faker.providers.person.ru_RU import Provider

    from seed import people

    assert people.SURNAMES_MALE.tolist() == list(Provider.last_names_male)
    assert people.SURNAMES_FEMALE.tolist() == list(Provider.last_names_female)
