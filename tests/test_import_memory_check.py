"""What keeps `import check`'s memory from following the size of the books: the keys it meets once per
account or meter in twelve bytes each (a hash and a position, no copy in the order added), and the readings'
checks asking per meter only about the meters of the batch at hand."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from seed.legacy.analyze import keyed
from seed.legacy.analyze.findings import Finding, Where
from seed.legacy.analyze.keyed import HashPositions, SeenKeys, TextKeys
from seed.legacy.analyze.series import Capacity, reading_series, zone_decreases
from seed.legacy.importer.state import Ids
from seed.legacy.leaks import Digests
from seed.period import month_label
from seed.words.messages import Message


def test_hash_positions_find_the_first_position_of_a_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyed, "PENDING", 50)  # many merges, equal hashes across them
    rng = random.Random(3)
    found, first = HashPositions(), dict[int, int]()
    for n in range(2_000):
        key = rng.randrange(300) - 150  # repeats, negative hashes too
        found.add(key)
        first.setdefault(key, n)
    found.seal()
    assert len(found) == 2_000
    assert all(found.find(k) == p for k, p in first.items()) and found.find(10**6) is None
    asked = np.array([*first, 10**6, -(10**6)], dtype=np.int64)
    many = found.find_many(asked)
    assert many.dtype == np.int64 and many.tolist() == [*first.values(), -1, -1]
    assert found._sorted.order.dtype == np.int32 and not len(found._sorted.fresh)  # twelve bytes a hash


def test_text_keys_and_seen_keys_answer_as_a_dict_and_a_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyed, "PENDING", 64)
    rng = random.Random(5)
    texts, kept = TextKeys(), dict[str, int]()
    seen, seen_set = SeenKeys(), set()
    for n in range(3_000):
        text = f"{rng.randrange(2_000):07d}"
        if text not in texts:
            texts.add(text, n)
            kept[text] = n
        pair = (text, rng.randrange(3))
        assert seen.seen(pair) == (pair in seen_set)
        seen_set.add(pair)
    assert len(texts) == len(kept) and all(texts.get(t) == v for t, v in kept.items())
    assert texts.get("x") is None and texts.value_at(0) == next(iter(kept.values()))


def test_capacity_is_the_array_it_replaces() -> None:
    digits = np.array([4, 5, 8, 0, 12], dtype=np.int8)
    whole = 10.0**digits / 2
    at = np.array([4, 0, 2, 2, 3])
    assert (Capacity(digits)[at] == whole[at]).all() and Capacity(digits)[at].dtype == np.float64


def _old_reading_series(
    path: str, capacity: Any, water: Any, m: Any, p: Any, v: Any, ln: Any, v2: Any, v3: Any
) -> list[Finding]:
    """The readings' checks as they were, every meter's usual use in one array and the latest line of every
    meter in a dict (to compare with)."""
    found: list[Finding] = []
    order = np.lexsort((ln, p, m))
    m, p, v, ln, v2, v3 = m[order], p[order], v[order], ln[order], v2[order], v3[order]
    again = (m[1:] == m[:-1]) & (p[1:] == p[:-1])
    for i in np.flatnonzero(again).tolist():  # the load keeps the first, as here
        found.append(("duplicate_period", Where(path, int(ln[i + 1])), "period", month_label(int(p[i + 1])),
                      Message.of("same_meter_period", line=int(ln[i]))))  # fmt: skip
    if again.any():
        kept = np.r_[True, ~again]
        m, p, v, ln, v2, v3 = m[kept], p[kept], v[kept], ln[kept], v2[kept], v3[kept]
    same = m[1:] == m[:-1]
    prev, cur = v[:-1], v[1:]
    decrease = same & (cur < prev) & (prev - cur < capacity[m[1:]])
    for i in np.flatnonzero(decrease).tolist():
        found.append(
            ("reading_decrease", Where(path, int(ln[i + 1])), "value1", cur[i], Message.of("previous", value=prev[i]))
        )
    for fld, zone in (("value2", v2), ("value3", v3)):
        found += zone_decreases(path, capacity, fld, m, zone, ln)
    usable = same & (cur >= prev)
    dm, dv, dl = m[1:][usable], (cur - prev)[usable], ln[1:][usable]
    if not len(dm):
        return found
    by = np.lexsort((dv, dm))  # deltas sorted within each meter, for the medians
    sm, sv = dm[by], dv[by]
    starts = np.flatnonzero(np.r_[True, sm[1:] != sm[:-1]])
    counts = np.diff(np.r_[starts, len(sm)])
    median = (sv[starts + (counts - 1) // 2] + sv[starts + counts // 2]) / 2
    meters = sm[starts]
    usual = np.where(counts >= 3, median, np.nan)
    per_meter = np.full(len(capacity), np.nan)
    per_meter[meters] = usual
    jumps = np.flatnonzero((per_meter[dm] > 0) & (dv >= 5 * per_meter[dm]))
    for i in jumps.tolist():
        found.append(
            ("reading_jump", Where(path, int(dl[i])), "value1", round(float(dv[i]), 3),
             Message.of("usual_a_month", use=round(float(per_meter[dm[i]]), 3)))
        )  # fmt: skip
    last_line = dict(zip(m.tolist(), ln.tolist(), strict=True))  # sorted by month: the latest reading wins
    for k, u in zip(meters.tolist(), usual.tolist(), strict=True):
        if water[k] and u > 100:
            found.append(("unit_mixup", Where(path, last_line[k]), "value1", round(u, 3), Message.of("median_use")))
    return found


def test_reading_series_finds_what_it_found_with_arrays_of_every_meter() -> None:
    rng = np.random.default_rng(9)
    meters, months = 400, 14
    m = np.repeat(np.arange(meters, dtype=np.int64), months)
    p = np.tile(np.arange(months, dtype=np.int32), meters) + 24_300
    steps = rng.exponential(5.0, len(m))
    steps[rng.random(len(m)) < 0.02] *= 40  # jumps
    steps[rng.random(len(m)) < 0.02] *= -1  # decreases
    v = np.cumsum(steps).round(3)
    v[m >= 350] *= 1000  # litres where m³ are meant: unit mixups of the water meters
    ln = np.arange(2, len(m) + 2, dtype=np.int32)
    order = rng.permutation(len(m))
    nan = np.full(len(m), np.nan)
    columns = [m[order], p[order], v[order], ln[order], nan, nan]
    digits = rng.integers(4, 9, meters).astype(np.int8)
    water = rng.random(meters) < 0.5
    whole = _old_reading_series("r.csv", 10.0**digits / 2, water, *columns)
    per_batch = reading_series("r.csv", Capacity(digits), water, *columns)
    kinds = {f[0] for f in whole}
    assert {"reading_jump", "reading_decrease", "unit_mixup"} <= kinds
    assert [(k, w, f, v, s.to_dict()) for k, w, f, v, s in per_batch] == [
        (k, w, f, v, s.to_dict()) for k, w, f, v, s in whole
    ]
    # a mixup is reported at the meter's latest reading
    last = {int(mm): int(line) for mm, line in zip(m, ln, strict=True)}
    for kind, where, *_ in whole:
        if kind == "unit_mixup":
            assert where.line in last.values()


def test_digests_and_ids_across_their_recent_and_large_arrays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Digests, "PENDING", 64)
    monkeypatch.setattr(Digests, "RECENT", 500)  # the recent array joins the large one many times
    monkeypatch.setattr(Ids, "PENDING", 64)
    monkeypatch.setattr(Ids, "RECENT", 500)
    rng = random.Random(13)
    values = [f"{rng.randrange(10**6):06d}" for _ in range(6_000)]
    digests, kept = Digests(filter_bits=12), set()
    ids, given = Ids(), dict[int, int]()
    for n, value in enumerate(values[:4_000], start=1):
        if n % 3:
            digests.add(value)
        else:
            digests.add_many([value, values[n // 2]])
            kept.add(values[n // 2])
        kept.add(value)
        ids[hash(value)] = given[hash(value)] = n  # a value given again takes its new id
        if n % 250 == 0:
            assert digests.contains_many(values[n - 100 : n + 100]) == [v in kept for v in values[n - 100 : n + 100]]
            asked = [hash(v) for v in values[n - 300 : n + 50]]
            assert ids.get_many(asked) == [given.get(d, 0) for d in asked]
            assert all(ids.get(d) == given.get(d) for d in asked)
    assert len(digests) == len(kept) and all(v in digests for v in kept)
    assert [v in digests for v in values[4_000:]] == [v in kept for v in values[4_000:]]
    assert ids == given and len(ids) == len(given)
    assert ids.get_many([hash(v) for v in values]) == [given.get(hash(v), 0) for v in values]
