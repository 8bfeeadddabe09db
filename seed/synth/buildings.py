"""The building plan of a run: how many buildings of which kind hold the accounts, and their rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seed import catalog as C
from seed.pgbinary import text_row
from seed.synth.base import I64, Bools


@dataclass(frozen=True)
class Buildings:
    floors: I64
    entrances: I64
    per_floor: I64
    flats: I64
    year: I64
    hot: Bools
    gas: Bools
    street: I64
    house: I64
    first_account: I64  # 1-based id of the building's first flat/account

    def __len__(self) -> int:
        return len(self.flats)


def plan_buildings(seed: int, accounts: int) -> Buildings:
    """Buildings of realistic floors and entrances until they hold ``accounts`` flats."""
    rng = np.random.default_rng([seed, 0xB1D6])
    n = max(8, accounts // 40 + 8)
    while True:
        floors = rng.choice(
            [2, 3, 4, 5, 9, 10, 12, 14, 16, 17],
            size=n,
            p=[0.04, 0.04, 0.04, 0.33, 0.27, 0.06, 0.06, 0.04, 0.08, 0.04],
        )
        entrances = np.where(
            floors <= 4,
            rng.integers(1, 5, n),
            np.where(floors == 5, rng.integers(2, 9, n), rng.integers(1, 7, n)),
        )
        per_floor = np.where(
            floors <= 4,
            rng.integers(2, 5, n),
            np.where(floors <= 10, rng.choice([3, 4, 4, 4], n), rng.integers(4, 7, n)),
        )
        flats = floors * entrances * per_floor
        if flats.sum() >= accounts:
            break
        n *= 2
    last = int(np.searchsorted(np.cumsum(flats), accounts))
    floors, entrances, per_floor, flats = (
        floors[: last + 1],
        entrances[: last + 1],
        per_floor[: last + 1],
        flats[: last + 1],
    )
    flats[-1] -= int(flats.sum()) - accounts
    n = len(flats)
    year = np.where(
        floors <= 4,
        rng.integers(1950, 2016, n),
        np.where(
            floors == 5,
            rng.integers(1958, 1986, n),
            np.where(floors <= 10, rng.integers(1970, 1996, n), rng.integers(1978, 2025, n)),
        ),
    )
    old = (year < 1986) & (floors <= 9)
    gas = rng.random(n) < np.where(old, 0.6, 0.08)
    hot = rng.random(n) < 0.86
    street = rng.integers(0, len(C.STREETS), n)
    house = np.zeros(n, dtype=np.int64)
    for s in np.unique(street):
        idx = np.flatnonzero(street == s)
        house[idx] = np.cumsum(rng.integers(1, 4, len(idx)))
    first = np.concatenate([[1], 1 + np.cumsum(flats)[:-1]])
    return Buildings(floors, entrances, per_floor, flats, year, hot, gas, street, house, first)


def chunk_ranges(buildings: Buildings, chunk_accounts: int) -> list[tuple[int, int]]:
    """Consecutive building ranges of about ``chunk_accounts`` flats each."""
    ranges, start, count = [], 0, 0
    for b, flats in enumerate(buildings.flats.tolist()):
        count += flats
        if count >= chunk_accounts:
            ranges.append((start, b + 1))
            start, count = b + 1, 0
    if start < len(buildings):
        ranges.append((start, len(buildings)))
    return ranges


def building_lines(rng: np.random.Generator, bld: Buildings, b0: int, b1: int, cat: C.Catalog) -> str:
    """The ``building`` rows of buildings ``b0`` to ``b1`` (exclusive), each with a GUID drawn from ``rng``."""
    street_names = np.array(C.STREETS)
    building_rows = []
    for b in range(b0, b1):
        guid = "%08x-%04x-4%03x-%04x-%012x" % (  # noqa: UP031 - a UUID from a seeded stream
            int(rng.integers(0, 2**32)),
            int(rng.integers(0, 2**16)),
            int(rng.integers(0, 2**12)),
            0x8000 | int(rng.integers(0, 2**14)),
            int(rng.integers(0, 2**48)),
        )
        building_rows.append(
            text_row(
                (
                    b + 1,
                    cat.city,
                    street_names[bld.street[b]],
                    str(bld.house[b]),
                    guid,
                    cat.oktmo,
                    bld.year[b],
                    bld.floors[b],
                    bld.entrances[b],
                    "t" if bld.hot[b] else "f",
                    "t" if bld.gas[b] else "f",
                )
            )
        )
    return "".join(building_rows)
