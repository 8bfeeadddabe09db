"""What keeps `import load`'s memory from following the size of the books: digests instead of values, a
bitmap of keys written instead of an array per row, the accepted lines of a file instead of its rows."""

from __future__ import annotations

import random

import pytest

from seed.legacy.importer.state import Accepted, Seen
from seed.legacy.leaks import Digests, Originals


def test_digests_answer_as_a_set_of_the_values_would(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Digests, "PENDING", 1_000)  # so the sorted array takes many merges
    rng = random.Random(7)
    values = [f"{rng.randrange(10**10):010d}" for _ in range(20_000)]
    kept, digests = set(), Digests(filter_bits=16)  # a small filter: most lookups pass it and search
    for value in values[:10_000]:
        kept.add(value)
        digests.add(value)
        digests.add(value)  # a value added twice is one value
    assert len(digests) == len(kept)
    assert all(v in digests for v in values[:10_000])
    assert sum(v in digests for v in values[10_000:]) == sum(v in kept for v in values[10_000:])
    assert ("account number", values[0]) not in digests  # a value with its kind is another value


def test_originals_hold_digests_and_still_match_as_before() -> None:
    originals = Originals()
    for i in range(5_000):
        originals.add("account number", f"{i:07d}")
        originals.add("phone", f"8 (912) {i:03d}-45-67")
        originals.add_name(f"Иванов{i}", "Иван", "Иванович")
    assert originals.size == 15_000
    assert originals.match("0004999") == "account number" and originals.match("0005000") is None
    assert originals.match("+7912123-45-67") == "phone"
    assert originals.match("иванов17 иван иванович") == "full name"
    assert ("иванов17", "иван", "иванович") in originals.names


def test_seen_tells_a_repeated_key_as_it_comes() -> None:
    seen = Seen(ids=100)
    first = [seen.again(month, ident) for month in (5, 6) for ident in (1, 2, 100)]
    assert not any(first)
    assert seen.again(5, 100) and seen.again(6, 1) and not seen.again(7, 1)
    assert all(len(bits) == 13 for bits in seen.groups.values())  # an eighth of a byte an id, per group


def test_accepted_lines_are_kept_as_bits() -> None:
    accepted = Accepted()
    lines = [2, 3, 9, 1_000, 100_000]
    for line in lines:
        accepted.add(line)
    assert len(accepted) == len(lines)
    assert [n for n in range(200_000) if n in accepted] == lines
    assert len(accepted.bits) <= 2 * (100_000 // 8 + 1)
