"""Premises and their accounts: one flat, one account, drawn a run of buildings at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from seed import catalog as C
from seed.period import month_add
from seed.synth.base import I64, NULL, Calendar, Chunk, lines
from seed.synth.buildings import Buildings, building_lines

PROFILES = np.array(["full", "late", "chronic"])
ELS_LETTERS = "АБВГДЕЖИКЛМНПРСТУФХЦ"


@dataclass(frozen=True)
class Accounts:
    """The accounts of one chunk, an array entry each; later parts draw from these."""

    ids: I64  # account id = premise id
    bidx: I64  # 0-based building index
    flat: I64
    floor: I64
    entrance: I64
    rooms: I64
    area_c: I64  # in 1/100 m2
    living_c: I64
    residents: I64
    profile: I64  # payer profile: index into PROFILES
    opened: npt.NDArray[Any]  # datetime64[D]

    @property
    def n(self) -> int:
        return len(self.ids)


def draw_accounts(rng: np.random.Generator, bld: Buildings, b0: int, b1: int, calendar: Calendar) -> Accounts:
    """The flats of buildings ``b0`` to ``b1`` (exclusive): size, residents, payer profile, date opened."""
    bidx = np.repeat(np.arange(b0, b1), bld.flats[b0:b1])
    a = len(bidx)
    ids = np.arange(bld.first_account[b0], bld.first_account[b0] + a)
    flat = ids - bld.first_account[bidx] + 1
    per_floor, floors = bld.per_floor[bidx], bld.floors[bidx]
    floor = ((flat - 1) // per_floor) % floors + 1
    entrance = (flat - 1) // (per_floor * floors) + 1
    band = rng.choice(5, size=a, p=np.array([12, 37, 26, 12, 4]) / 91)
    low = np.array([18.0, 35.0, 50.0, 65.0, 80.0])[band]
    high = np.array([35.0, 50.0, 65.0, 80.0, 110.0])[band]
    area_c = np.round(rng.uniform(low, high) * 100).astype(np.int64)  # in 1/100 m2
    rooms = np.digitize(area_c / 100 + rng.normal(0, 4, a), [38, 56, 75]) + 1
    living_c = np.round(area_c * rng.uniform(0.55, 0.68, a)).astype(np.int64)
    residents = rng.choice(7, size=a, p=[0.03, 0.24, 0.29, 0.22, 0.14, 0.06, 0.02])
    profile = rng.choice(3, size=a, p=[0.85, 0.10, 0.05])
    built = bld.year[bidx]
    earliest = np.maximum(np.datetime64("2000-01-01"), (built + 1 - 1970).astype("datetime64[Y]"))
    latest = np.datetime64(month_add(calendar.start, -2))
    opened = earliest + (rng.random(a) * (latest - earliest).astype(np.int64)).astype("timedelta64[D]")
    opened = np.minimum(opened.astype("datetime64[D]"), latest)
    return Accounts(ids, bidx, flat, floor, entrance, rooms, area_c, living_c, residents, profile, opened)


def premise_and_account_lines(acc: Accounts, region: int) -> tuple[str, str]:
    """The ``premise`` and ``account`` rows; the ELS (single personal account) is the region and the id."""
    ids, bidx, flat, floor, entrance = acc.ids, acc.bidx, acc.flat, acc.floor, acc.entrance
    rooms, area_c, living_c, residents, profile = acc.rooms, acc.area_c, acc.living_c, acc.residents, acc.profile
    els_idx = ids // 1_000_000
    ids_s, building_s, flat_s = ids.astype(str), (bidx + 1).astype(str), flat.astype(str)
    area_s = [f"{a:.2f}" for a in (area_c / 100).tolist()]
    living_s = [f"{a:.2f}" for a in (living_c / 100).tolist()]
    premises = [
        ids_s,
        building_s,
        flat_s,
        np.full(acc.n, "flat"),
        floor.astype(str),
        entrance.astype(str),
        rooms.astype(str),
        np.array(area_s),
        np.array(living_s),
    ]
    letters = np.array(list(ELS_LETTERS))
    els = np.char.add(
        np.char.add(f"{region:02d}", np.char.add(letters[els_idx // 20 % 20], letters[els_idx % 20])),
        np.char.zfill((ids % 1_000_000).astype(str), 6),
    )
    accounts = [
        ids_s,
        np.char.add(np.char.zfill(building_s, 5), np.char.zfill(flat_s, 3)),
        els,
        ids_s,
        acc.opened.astype(str),
        np.full(acc.n, NULL),
        residents.astype(str),
        np.array(area_s),
        PROFILES[profile],
    ]
    return lines(premises), lines(accounts)


def premises_and_accounts(
    rng: np.random.Generator, bld: Buildings, b0: int, b1: int, cat: C.Catalog, calendar: Calendar, out: Chunk
) -> Accounts:
    """The ``building``, ``premise`` and ``account`` tables of buildings ``b0`` to ``b1`` (exclusive)."""
    acc = draw_accounts(rng, bld, b0, b1, calendar)
    out.add_text("building", building_lines(rng, bld, b0, b1, cat), b1 - b0)
    premises, accounts = premise_and_account_lines(acc, cat.region)
    out.add_text("premise", premises, acc.n)
    out.add_text("account", accounts, acc.n)
    return acc
