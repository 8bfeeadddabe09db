"""Premises and their accounts: one flat, one account, drawn a run of buildings at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from seed import catalog as C
from seed.period import month_add
from seed.synth.base import I64, Calendar, Chunk
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
    prem, accs = [], []
    opened_s = acc.opened.astype(str)
    for i in range(acc.n):
        pid = int(ids[i])
        prem.append(
            f"{pid}\t{bidx[i] + 1}\t{flat[i]}\tflat\t{floor[i]}\t{entrance[i]}\t{rooms[i]}\t"
            f"{area_c[i] / 100:.2f}\t{living_c[i] / 100:.2f}\n"
        )
        idx = int(els_idx[i])
        els = f"{region:02d}{ELS_LETTERS[idx // 20 % 20]}{ELS_LETTERS[idx % 20]}{pid % 1_000_000:06d}"
        accs.append(
            f"{pid}\t{bidx[i] + 1:05d}{flat[i]:03d}\t{els}\t{pid}\t{opened_s[i]}\t\\N\t"
            f"{residents[i]}\t{area_c[i] / 100:.2f}\t{PROFILES[profile[i]]}\n"
        )
    return "".join(prem), "".join(accs)


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
