"""Charges and recalculations: volumes priced by the tariff of each period, with their COPY rows.

Amounts are kopecks, prices 1/10000 rouble, volumes milli-units: an amount is volume x price / 100,000,
rounded half away from zero as PostgreSQL rounds.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from seed import catalog as C
from seed.pgbinary import Column, encode
from seed.synth.base import I64, Chunk, round_div
from seed.synth.usage import ZONE_SHARES, Billed

RECALC_REASON = "показания после начислений по среднему или нормативу"


def charge_rows(
    ids: I64, svc: int, zone: int, vol: I64, price: I64, amount: I64, meth: I64, days: npt.NDArray[np.int32]
) -> bytes:
    """The ``charge`` rows of accounts ``ids`` (rows of ``vol``) for the periods ``days`` (its columns)."""
    s, p = vol.shape
    return encode(
        [
            Column("int4", np.repeat(ids, p)),
            Column("int2", np.full(s * p, svc)),
            Column("date", np.tile(days, s)),
            Column("int2", np.full(s * p, zone)),
            Column("int2", meth.ravel()),
            Column("num", vol.ravel(), 3),
            Column("num", np.broadcast_to(price, (s, p)).ravel(), 4),
            Column("num", amount.ravel(), 2),
        ],
        s * p,
    )


def recalc_rows(ids: I64, svc: int, rvol: I64, ramount: I64, rfor: I64, period_days: npt.NDArray[np.int32]) -> bytes:
    """The ``recalculation`` rows where ``rvol`` is negative; each is for the period ``rfor`` names, or else
    for the period before."""
    rows, cols = np.nonzero(rvol < 0)
    forp = np.where(rfor[rows, cols] >= 0, rfor[rows, cols], np.maximum(cols - 1, 0))
    return encode(
        [
            Column("int4", ids[rows]),
            Column("int2", np.full(len(rows), svc)),
            Column("date", period_days[cols]),
            Column("date", period_days[forp]),
            Column("num", rvol[rows, cols], 3),
            Column("num", ramount[rows, cols], 2),
            Column("text", np.full(len(rows), RECALC_REASON.encode())),
        ],
        len(rows),
    )


class Ledger:
    """A chunk's charges and recalculations, [account, service, period], and the rows that carry them."""

    def __init__(self, ids: I64, price: I64, period_days: npt.NDArray[np.int32]) -> None:
        a, P = len(ids), len(period_days)
        self.ids, self.price, self.period_days = ids, price, period_days
        self.charged = np.zeros((a, 7, P), dtype=np.int64)  # kopecks
        self.recalc = np.zeros((a, 7, P), dtype=np.int64)
        self.vol = np.zeros((a, 7, P), dtype=np.int64)  # milli-units charged, for sewage
        self.rvol = np.zeros((a, 7, P), dtype=np.int64)
        self.method = np.zeros((a, 7, P), dtype=np.int64)
        self.charge_parts: list[bytes] = []
        self.recalc_parts: list[bytes] = []
        self.charges = self.recalcs = 0

    def charge(self, slot: I64, svc: int, zone: int, vol: I64, meth: I64, periods: I64 | None = None) -> None:
        """Charge the accounts ``slot`` the volumes ``vol`` at the zone's tariff, in every period or in
        ``periods``."""
        cols = slice(None) if periods is None else periods
        price = self.price[svc, zone][cols][None, :]
        amount = round_div(vol * price, 100_000)
        charged = self.charged[:, svc]
        if periods is None:
            charged[slot] += amount
        else:
            charged[np.ix_(slot, periods)] += amount
        self.charge_parts.append(
            charge_rows(self.ids[slot], svc, zone, vol, price, amount, meth, self.period_days[cols])
        )
        self.charges += vol.size

    def recalculate(self, slot: I64, svc: int, rvol: I64, rfor: I64) -> None:
        ramount = round_div(rvol * self.price[svc, 0][None, :], 100_000)
        self.recalc[slot, svc] = ramount
        self.recalc_parts.append(recalc_rows(self.ids[slot], svc, rvol, ramount, rfor, self.period_days))
        self.recalcs += int((rvol < 0).sum())

    def bill(self, slot: I64, svc: int, zones: I64, billed: Billed) -> None:
        """A metered service's months; electricity by the zones of each meter (one zone: the flat tariff)."""
        vol_p, meth = billed.vol, billed.meth
        self.vol[slot, svc], self.rvol[slot, svc], self.method[slot, svc] = vol_p, billed.rvol, meth
        if svc == C.SERVICE_POWER:
            for zc, shares in ZONE_SHARES:
                sel = zones == zc
                tariff_zones = [0] if zc == 1 else range(1, zc + 1)
                remaining = vol_p[sel].copy()
                for j, (zone, share) in enumerate(zip(tariff_zones, shares, strict=True)):
                    zv = remaining if j == len(shares) - 1 else np.round(vol_p[sel] * share).astype(np.int64)
                    remaining = remaining - zv if j < len(shares) - 1 else remaining
                    self.charge(slot[sel], svc, zone, zv, meth[sel])
        else:
            self.charge(slot, svc, 0, vol_p, meth)
        self.recalculate(slot, svc, billed.rvol, billed.rfor)

    def sewage(self) -> None:
        """Sewage follows the water volumes, billed as the cold water is (a norm at the least)."""
        every = np.arange(len(self.ids))
        vol = self.vol[:, C.SERVICE_COLD] + self.vol[:, C.SERVICE_HOT]
        rvol = self.rvol[:, C.SERVICE_COLD] + self.rvol[:, C.SERVICE_HOT]
        self.charge(every, C.SERVICE_SEWAGE, 0, vol, np.maximum(self.method[:, C.SERVICE_COLD], 1))
        self.recalculate(every, C.SERVICE_SEWAGE, rvol, np.where(rvol < 0, 0, -1))

    def heating(self, area_c: I64, norm_milli: int, month_of: I64) -> None:
        """Heating by area, at the norm, in the months of the heating season."""
        season_p = np.flatnonzero(np.isin(month_of, list(C.HEATING_MONTHS)))
        if len(season_p):
            hv = np.round(area_c[:, None] * norm_milli / 100_000 * np.ones(len(season_p))[None, :]).astype(np.int64)
            every = np.arange(len(self.ids))
            self.charge(every, C.SERVICE_HEAT, 0, hv, np.full(hv.shape, C.METHOD_NORM), periods=season_p)

    def write(self, out: Chunk) -> None:
        out.add_binary("charge", b"".join(self.charge_parts), self.charges)
        out.add_binary("recalculation", b"".join(self.recalc_parts), self.recalcs)
