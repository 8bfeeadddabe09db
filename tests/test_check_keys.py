"""The compact keys `import check` holds per account, person and meter (a few bytes each, not a dict's
entry): found exactly across the merges of their pending keys, two texts sharing a hash told apart, and the
owners' shares summed as Decimals sum them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from seed.legacy.analyze import keyed
from seed.legacy.analyze.keyed import HashPositions, SeenKeys, TextKeys
from seed.legacy.analyze.short import Shares


@pytest.fixture(autouse=True)
def small_pending(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyed, "PENDING", 7)  # many merges in a few keys


def test_texts_are_found_exactly_before_and_after_their_merge() -> None:
    keys = TextKeys()
    numbers = [f"{n:08d}" for n in range(100)] + ["Лс-1", ""]
    for at, number in enumerate(numbers):
        assert keys.get(number) is None
        keys.add(number, at * 10)
    assert len(keys) == len(numbers)
    for at, number in reversed(list(enumerate(numbers))):
        assert keys.get(number) == at * 10 and number in keys
    assert keys.get("00000100") is None and "0000001" not in keys


def test_texts_sharing_a_hash_are_told_apart_by_their_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyed, "hash", lambda _text: 42, raising=False)
    keys = TextKeys()
    for at in range(20):
        keys.add(f"n{at}", at)
    assert [keys.get(f"n{at}") for at in range(20)] == list(range(20))
    assert keys.get("n20") is None


def test_a_key_is_seen_once_whatever_merges_come_between() -> None:
    seen = SeenKeys()
    pairs = [(f"{a:05d}", f"person {p}") for a in range(30) for p in range(3)]
    assert [seen.seen(pair) for pair in pairs] == [False] * len(pairs)
    assert all(seen.seen(pair) for pair in pairs)


def test_a_hash_is_found_at_the_position_it_was_first_added_at() -> None:
    positions = HashPositions()
    for key in [5, 9, 5, *range(100, 120), 9]:
        positions.add(key)
    positions.seal()
    assert (positions.find(5), positions.find(9), positions.find(105), positions.find(6)) == (0, 1, 8, None)
    assert len(positions) == 24


def test_shares_sum_as_decimals_do() -> None:
    shares = Shares(4)
    written = {0: ["0.3333", "0.3333", "0.3333"], 2: ["1.0000"], 3: ["0.5", "0.25", "0." + "1" * 30]}
    for position, parts in written.items():
        for part in parts:
            shares.add(position, Decimal(part))
    expected = {p: sum((Decimal(x) for x in parts), Decimal()) for p, parts in written.items()}
    totals = dict(shares.totals())
    assert totals == expected
    assert [str(t) for t in totals.values()] == [str(t) for t in expected.values()]  # "1.0000", not "1"
