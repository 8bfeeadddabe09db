"""What keeps `import load`'s memory from following the size of the books: digests instead of values, ids
in sorted arrays under digests instead of dicts, a bitmap of keys written instead of an array per row, the
accepted lines of a file instead of its rows."""

from __future__ import annotations

import random

import pytest

from seed.legacy.importer.places import Premises
from seed.legacy.importer.state import Accepted, Ids, Seen
from seed.legacy.interpret import NULL
from seed.legacy.leaks import Digests, Originals
from seed.legacy.rows import AccountRow


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


def test_ids_answer_as_a_dict_of_the_digests_would(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Ids, "PENDING", 1_000)  # so the sorted arrays take many merges
    rng = random.Random(11)
    values = [f"{rng.randrange(10**10):010d}" for _ in range(12_000)]
    kept: dict[int, int] = {}
    ids = Ids()
    for n, value in enumerate(values[:10_000], start=1):
        kept[hash(value)] = ids[hash(value)] = n
        if n % 7 == 0:  # a digest given again takes its new id, as in a dict
            kept[hash(values[n // 2])] = ids[hash(values[n // 2])] = -n
    assert ids.get(hash(values[3])) == kept[hash(values[3])]  # some still pending
    assert ids == kept and len(ids) == len(kept)
    asked = [hash(v) for v in values]
    assert ids.get_many(asked) == [kept.get(d, 0) for d in asked]
    assert ids.get(hash(values[-1])) is None and Ids().get_many(asked[:3]) == [0, 0, 0]
    assert ids.get_many([-1]) == [0]  # the digest Python's hash never gives: under no id


def _account(flat: str, total: str, living: str, rooms: str) -> AccountRow:
    return AccountRow(1, "1001", "", "Тверь", "Ленина", "1", flat, total, living, rooms, "1", NULL, NULL)


def test_premises_are_counted_in_arrays_and_written_as_before() -> None:
    premises = Premises()
    ids = [
        premises.add(1, _account("5", "20.5", "12.25", "1")),
        premises.add(1, _account("7\tб", "40", NULL, "2")),  # a flat number COPY must escape
        premises.add(1, _account("5", "30", "15.5", "3")),  # a second account: flat 5 is a shared flat
        premises.add(2, _account("5", "33.3", "20", "2")),  # flat 5 of another building
    ]
    assert ids == [1, 2, 1, 3]
    assert list(premises.lines()) == [
        f"1\t1\t5\troom\t\\N\t\\N\t{NULL}\t50.50\t27.75\n",
        f"2\t1\t7\\tб\tflat\t\\N\t\\N\t2\t40.00\t{NULL}\n",
        "3\t2\t5\tflat\t\\N\t\\N\t2\t33.30\t20.00\n",
    ]
