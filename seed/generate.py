"""Deterministic synthetic books of one supplier, generated a chunk of buildings at a time.

Every chunk draws from its own random stream (seed, chunk number), so the data for a seed does not
depend on chunk order or size of the run, and memory stays flat as the scale grows. Fact tables
(readings, charges, balances, payments) are built as numpy arrays and encoded in PostgreSQL's binary
COPY format; the smaller descriptive tables as text COPY lines. The parts live in ``seed.synth``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from seed import catalog as C
from seed.pgbinary import Column, encode, pg_days
from seed.synth.accounts import Accounts, premises_and_accounts
from seed.synth.base import I64, Calendar, Chunk, round_div
from seed.synth.buildings import chunk_ranges, plan_buildings
from seed.synth.households import households
from seed.synth.payments import Totals, balances_and_payments, registry_rows
from seed.synth.reference import reference_rows

__all__ = ["Chunk", "Generator"]

CONSUMED = [C.SERVICE_COLD, C.SERVICE_HOT, C.SERVICE_POWER, C.SERVICE_GAS]
COVERAGE = {C.SERVICE_COLD: 0.90, C.SERVICE_HOT: 0.90, C.SERVICE_POWER: 0.99, C.SERVICE_GAS: 0.50}
SUBMIT_PROB = np.array([0.93, 0.80, 0.45])  # by payer profile: full, late, chronic
RECALC_REASON = "показания после начислений по среднему или нормативу"


class Generator:
    """The books of ``accounts`` accounts over the ``months`` periods up to ``end_period``, for ``seed``.

    The reference rows come first, then the chunks; the payment registries sum what the chunks paid,
    so they come last.
    """

    def __init__(self, seed: int, accounts: int, months: int, end_period: dt.date, chunk_accounts: int = 2000):
        self.seed, self.accounts, self.months = seed, accounts, months
        self.cat = C.build_catalog(seed, end_period, months)
        self.calendar = Calendar.of(self.cat.periods)
        self.buildings = plan_buildings(seed, accounts)
        self.ranges = chunk_ranges(self.buildings, chunk_accounts)
        self.totals = Totals.empty(self.calendar.days)

    def reference_rows(self) -> dict[str, list[tuple[Any, ...]]]:
        return reference_rows(self.cat)

    def registry_rows(self) -> list[tuple[Any, ...]]:
        return registry_rows(self.totals, self.calendar.start)

    def chunks(self) -> Iterator[Chunk]:
        for number, (b0, b1) in enumerate(self.ranges):
            yield self.chunk(number, b0, b1)

    def chunk(self, number: int, b0: int, b1: int) -> Chunk:
        """Buildings ``b0`` to ``b1`` (exclusive), from the stream of chunk ``number``; the parts draw in turn."""
        rng = np.random.default_rng([self.seed, 0xC4, number])
        cat, calendar, out = self.cat, self.calendar, Chunk()
        acc = premises_and_accounts(rng, self.buildings, b0, b1, cat, calendar, out)
        households(rng, acc, calendar.end, cat.region, out)
        has = self._services(acc, out)
        charged, recalc = self._meters_and_charges(rng, acc, has, out)
        balances_and_payments(rng, acc, has, charged, recalc, calendar, self.totals, out)
        return out

    def _services(self, acc: Accounts, out: Chunk) -> npt.NDArray[np.bool_]:
        a = acc.n
        has = np.zeros((a, 7), dtype=bool)
        has[:, [C.SERVICE_COLD, C.SERVICE_SEWAGE, C.SERVICE_POWER, C.SERVICE_HEAT]] = True
        has[:, C.SERVICE_HOT] = self.buildings.hot[acc.bidx]
        has[:, C.SERVICE_GAS] = self.buildings.gas[acc.bidx]
        rows, svc = np.nonzero(has)
        out.binary["account_service"] = encode(
            [
                Column("int4", acc.ids[rows]),
                Column("int2", svc),
                Column("date", pg_days(acc.opened[rows])),
            ],
            len(rows),
        )
        out.rows["account_service"] = len(rows)
        return has

    # -- meters, readings and charges ------------------------------------------------------------
    def _meters_and_charges(
        self, rng: np.random.Generator, acc: Accounts, has: npt.NDArray[np.bool_], out: Chunk
    ) -> tuple[I64, I64]:
        cat, P = self.cat, self.months
        a = acc.n
        charged = np.zeros((a, 7, P), dtype=np.int64)  # kopecks
        recalc = np.zeros((a, 7, P), dtype=np.int64)
        vol = np.zeros((a, 7, P), dtype=np.int64)  # milli-units charged, for sewage
        rvol = np.zeros((a, 7, P), dtype=np.int64)
        method = np.zeros((a, 7, P), dtype=np.int64)
        persons = np.maximum(acc.residents, 1)
        charge_parts: list[bytes] = []
        recalc_parts: list[bytes] = []
        reading_parts: list[bytes] = []
        meter_lines: list[str] = []
        n_charges = n_recalc = n_readings = n_meters = 0
        month_idx = self.calendar.month_of - 1
        season = {
            C.SERVICE_COLD: np.array([0.95, 0.95, 0.97, 1.0, 1.03, 1.1, 1.12, 1.1, 1.02, 0.98, 0.96, 0.95]),
            C.SERVICE_HOT: np.array([1.05, 1.05, 1.03, 1.0, 0.95, 0.88, 0.6, 0.85, 0.95, 1.0, 1.03, 1.06]),
            C.SERVICE_POWER: np.array([1.2, 1.15, 1.05, 0.95, 0.88, 0.85, 0.85, 0.86, 0.92, 1.02, 1.12, 1.22]),
            C.SERVICE_GAS: np.array([1.05, 1.05, 1.0, 1.0, 0.97, 0.95, 0.93, 0.95, 0.98, 1.0, 1.03, 1.06]),
        }
        for svc in CONSUMED:
            slot = np.flatnonzero(has[:, svc])
            s = len(slot)
            if s == 0:
                continue
            pers = persons[slot]
            if svc == C.SERVICE_COLD:
                base = pers * rng.uniform(2.5, 3.5, s)
            elif svc == C.SERVICE_HOT:
                base = pers * rng.uniform(1.5, 2.5, s)
            elif svc == C.SERVICE_POWER:
                base = 220 * (0.55 + 0.18 * pers) * rng.uniform(0.8, 1.2, s)
            else:
                base = pers * rng.uniform(6.0, 12.0, s)
            cons = base[:, None] * season[svc][month_idx][None, :] * rng.lognormal(0, 0.12, (s, P))
            unit = 1000 if svc == C.SERVICE_POWER else 1  # electricity is read in whole kWh
            c = (np.round(cons * 1000 / unit) * unit).astype(np.int64)
            metered = rng.random(s) < COVERAGE[svc]
            zones = np.ones(s, dtype=np.int64)
            if svc == C.SERVICE_POWER:
                zones = rng.choice([1, 2, 3], size=s, p=[0.65, 0.30, 0.05])
            norm_vol = np.round(cat.norm_milli[svc] * pers[:, None] * cat.norm_factor(svc)[None, :]).astype(np.int64)
            avg_vol = (np.round(base * 1000 / unit) * unit).astype(np.int64)

            # Meter life: some pass their verification date inside the window, some are replaced.
            expire = np.full(s, P)
            exp_mask = metered & (rng.random(s) < 0.06)
            expire[exp_mask] = rng.integers(1, P, exp_mask.sum()) if P > 1 else P
            replace = np.full(s, P)
            rep_exp = exp_mask & (rng.random(s) < 0.55)
            replace[rep_exp] = np.minimum(expire[rep_exp] + rng.integers(1, 5, rep_exp.sum()), P)
            rep_fail = metered & ~exp_mask & (rng.random(s) < 0.02)
            if P > 1:
                replace[rep_fail] = rng.integers(1, P, rep_fail.sum())
            submitted = rng.random((s, P)) < SUBMIT_PROB[acc.profile[slot]][:, None]
            p_idx = np.arange(P)[None, :]
            old_ok = metered[:, None] & submitted & (p_idx < np.minimum(expire, replace)[:, None])
            new_ok = metered[:, None] & submitted & (p_idx >= replace[:, None])
            accepted = old_ok | new_ok
            cum = np.cumsum(c, axis=1)

            # Charges, month by month: by meter, else by average (3 months), else by norm.
            t_last = np.zeros(s, dtype=np.int64)
            est = np.zeros(s, dtype=np.int64)
            missing = np.zeros(s, dtype=np.int64)
            first_est = np.full(s, -1)
            vol_p = np.zeros((s, P), dtype=np.int64)
            rvol_p = np.zeros((s, P), dtype=np.int64)
            rfor = np.full((s, P), -1)
            meth = np.zeros((s, P), dtype=np.int64)
            for p in range(P):
                at_replace = replace == p
                if p > 0:
                    t_last = np.where(at_replace, cum[:, p - 1], t_last)
                est = np.where(at_replace, 0, est)
                missing = np.where(at_replace, 0, missing)
                ok = accepted[:, p]
                delta = cum[:, p] - t_last
                net = delta - est
                est_vol = np.where(missing + 1 <= 3, avg_vol, norm_vol[:, p])
                vol_p[:, p] = np.where(~metered, norm_vol[:, p], np.where(ok, np.maximum(net, 0), est_vol))
                meth[:, p] = np.where(
                    ~metered,
                    C.METHOD_NORM,
                    np.where(ok, C.METHOD_METER, np.where(missing + 1 <= 3, C.METHOD_AVERAGE, C.METHOD_NORM)),
                )
                rvol_p[:, p] = np.where(metered & ok & (net < 0), net, 0)
                rfor[:, p] = np.where(rvol_p[:, p] < 0, first_est, -1)
                est_now = metered & ~ok
                first_est = np.where(ok, -1, np.where(est_now & (first_est < 0), p, first_est))
                est = np.where(ok, 0, est + np.where(est_now, est_vol, 0))
                missing = np.where(ok, 0, missing + est_now)
                t_last = np.where(ok, cum[:, p], t_last)

            price = cat.price[svc, 0][None, :]
            vol[slot, svc], rvol[slot, svc], method[slot, svc] = vol_p, rvol_p, meth
            if svc == C.SERVICE_POWER:
                shares = {1: [(0, 1.0)], 2: [(1, 0.7), (2, 0.3)], 3: [(1, 0.25), (2, 0.30), (3, 0.45)]}
                for zc, parts in shares.items():
                    sel = zones == zc
                    remaining = vol_p[sel].copy()
                    for j, (zone, share) in enumerate(parts):
                        zv = remaining if j == len(parts) - 1 else np.round(vol_p[sel] * share).astype(np.int64)
                        remaining = remaining - zv if j < len(parts) - 1 else remaining
                        zprice = cat.price[svc, zone][None, :]
                        amount = round_div(zv * zprice, 100_000)
                        charged[slot[sel], svc] += amount
                        charge_parts.append(self._charge_rows(acc, slot[sel], svc, zone, zv, zprice, amount, meth[sel]))
                        n_charges += zv.size
            else:
                amount = round_div(vol_p * price, 100_000)
                charged[slot, svc] = amount
                charge_parts.append(self._charge_rows(acc, slot, svc, 0, vol_p, price, amount, meth))
                n_charges += vol_p.size
            ramount = round_div(rvol_p * cat.price[svc, 0][None, :], 100_000)
            recalc[slot, svc] = ramount
            recalc_parts.append(self._recalc_rows(acc, slot, svc, rvol_p, ramount, rfor))
            n_recalc += int((rvol_p < 0).sum())

            # Meters and their readings.
            m_slot = np.flatnonzero(metered)
            old_id = acc.ids[slot] * 20 + svc * 2
            reading_parts.append(self._reading_rows(rng, old_id, zones, cum, c, old_ok, svc, None))
            reading_parts.append(self._reading_rows(rng, old_id + 1, zones, cum, c, new_ok, svc, replace))
            n_readings += int(old_ok.sum() + new_ok.sum())
            meter_lines.append(self._meter_lines(rng, svc, m_slot, old_id, zones, expire, replace, acc, slot))
            n_meters += len(m_slot) + int((replace[m_slot] < P).sum())

        # Sewage follows the water volumes; heating is by area in the heating season.
        sew = C.SERVICE_SEWAGE
        vol[:, sew] = vol[:, C.SERVICE_COLD] + vol[:, C.SERVICE_HOT]
        rvol[:, sew] = rvol[:, C.SERVICE_COLD] + rvol[:, C.SERVICE_HOT]
        all_acc = np.arange(a)
        amount = round_div(vol[:, sew] * cat.price[sew, 0][None, :], 100_000)
        charged[:, sew] = amount
        sew_method = np.maximum(method[:, C.SERVICE_COLD], 1)
        charge_parts.append(
            self._charge_rows(acc, all_acc, sew, 0, vol[:, sew], cat.price[sew, 0][None, :], amount, sew_method)
        )
        n_charges += vol[:, sew].size
        ramount = round_div(rvol[:, sew] * cat.price[sew, 0][None, :], 100_000)
        recalc[:, sew] = ramount
        recalc_parts.append(
            self._recalc_rows(acc, all_acc, sew, rvol[:, sew], ramount, np.where(rvol[:, sew] < 0, 0, -1))
        )
        n_recalc += int((rvol[:, sew] < 0).sum())
        heat = C.SERVICE_HEAT
        season_p = np.flatnonzero(np.isin(self.calendar.month_of, list(C.HEATING_MONTHS)))
        if len(season_p):
            hv = np.round(
                acc.area_c[:, None] * cat.norm_milli[heat] / 100_000 * np.ones(len(season_p))[None, :]
            ).astype(np.int64)
            hprice = cat.price[heat, 0][season_p][None, :]
            amount = round_div(hv * hprice, 100_000)
            charged[:, heat, season_p] = amount
            charge_parts.append(
                self._charge_rows(
                    acc,
                    all_acc,
                    heat,
                    0,
                    hv,
                    hprice,
                    amount,
                    np.full(hv.shape, C.METHOD_NORM),
                    periods=season_p,
                )
            )
            n_charges += hv.size
        out.binary["charge"] = b"".join(charge_parts)
        out.binary["recalculation"] = b"".join(recalc_parts)
        out.binary["meter_reading"] = b"".join(reading_parts)
        out.text["meter"] = "".join(meter_lines)
        out.rows.update(charge=n_charges, recalculation=n_recalc, meter_reading=n_readings, meter=n_meters)
        return charged, recalc

    def _charge_rows(
        self,
        acc: Accounts,
        slot: I64,
        svc: int,
        zone: int,
        vol: I64,
        price: I64,
        amount: I64,
        meth: I64,
        periods: I64 | None = None,
    ) -> bytes:
        s, p = vol.shape
        pcols = self.calendar.period_days if periods is None else self.calendar.period_days[periods]
        return encode(
            [
                Column("int4", np.repeat(acc.ids[slot], p)),
                Column("int2", np.full(s * p, svc)),
                Column("date", np.tile(pcols, s)),
                Column("int2", np.full(s * p, zone)),
                Column("int2", meth.ravel()),
                Column("num", vol.ravel(), 3),
                Column("num", np.broadcast_to(price, (s, p)).ravel(), 4),
                Column("num", amount.ravel(), 2),
            ],
            s * p,
        )

    def _recalc_rows(self, acc: Accounts, slot: I64, svc: int, rvol: I64, ramount: I64, rfor: I64) -> bytes:
        rows, cols = np.nonzero(rvol < 0)
        forp = np.where(rfor[rows, cols] >= 0, rfor[rows, cols], np.maximum(cols - 1, 0))
        return encode(
            [
                Column("int4", acc.ids[slot][rows]),
                Column("int2", np.full(len(rows), svc)),
                Column("date", self.calendar.period_days[cols]),
                Column("date", self.calendar.period_days[forp]),
                Column("num", rvol[rows, cols], 3),
                Column("num", ramount[rows, cols], 2),
                Column("text", np.full(len(rows), RECALC_REASON.encode())),
            ],
            len(rows),
        )

    def _reading_rows(
        self,
        rng: np.random.Generator,
        meter_id: I64,
        zones: I64,
        cum: I64,
        c: I64,
        ok: npt.NDArray[np.bool_],
        svc: int,
        replace: I64 | None,
    ) -> bytes:
        s, P = cum.shape
        cap = 10 ** (C.SERVICES[svc][6] + 3)  # digits capacity, in milli-units
        if replace is None:
            months_before = rng.uniform(0, 48, s)
            start = np.round(months_before * c.mean(axis=1)).astype(np.int64)
            near_cap = rng.random(s) < 0.003  # a few meters roll over past their capacity
            start = np.where(near_cap, cap - np.round(c.mean(axis=1) * rng.uniform(0.5, 2, s)).astype(np.int64), start)
            if svc == C.SERVICE_POWER:
                start = start // 1000 * 1000
            total = start[:, None] + cum
        else:
            before = np.where(
                replace[:, None] > 0,
                np.take_along_axis(cum, np.clip(replace - 1, 0, P - 1)[:, None], axis=1),
                0,
            )
            total = cum - before
        rows, cols = np.nonzero(ok)
        parts = []
        day = rng.integers(15, 26, len(rows))
        source = rng.choice([1, 2, 3], size=len(rows), p=[0.55, 0.40, 0.05])
        for zc, shares in ((1, [1.0]), (2, [0.7, 0.3]), (3, [0.25, 0.30, 0.45])):
            sel = zones[rows] == zc
            r, k = rows[sel], cols[sel]
            t = total[r, k]
            values = []
            for share in shares:
                part = np.floor(t * share / (1000 if svc == C.SERVICE_POWER else 1)).astype(np.int64)
                if svc == C.SERVICE_POWER:
                    part *= 1000
                values.append(Column("num", part % cap, 3))
            while len(values) < 3:
                values.append(Column("null"))
            parts.append(
                encode(
                    [
                        Column("int4", meter_id[r]),
                        Column("date", self.calendar.period_days[k]),
                        Column("date", self.calendar.period_days[k] + day[sel] - 1),
                        Column("int2", source[sel]),
                        *values,
                    ],
                    len(r),
                )
            )
        return b"".join(parts)

    def _meter_lines(
        self,
        rng: np.random.Generator,
        svc: int,
        m_slot: I64,
        old_id: I64,
        zones: I64,
        expire: I64,
        replace: I64,
        acc: Accounts,
        slot: I64,
    ) -> str:
        P = self.months
        years = C.SERVICES[svc][5]
        digits = C.SERVICES[svc][6]
        n = len(m_slot)
        if n == 0:
            return ""
        span = np.timedelta64(round(years * 365.25), "D")
        periods = np.array(self.calendar.periods + [self.calendar.end], dtype="datetime64[D]")
        start, end = np.datetime64(self.calendar.start), np.datetime64(self.calendar.end)
        exp, rep = expire[m_slot], replace[m_slot]
        room = max(int((start + span - end) / np.timedelta64(1, "D")) - 2, 2)
        later = end + rng.integers(1, room, n).astype("timedelta64[D]")
        nxt = np.where(exp < P, periods[np.minimum(exp, P)], later)
        verified = np.minimum(nxt - span, start - np.timedelta64(1, "D"))
        earlier = np.maximum(verified - span, np.datetime64("1995-01-01"))
        installed = np.where(rng.random(n) < 0.6, verified, earlier)
        replaced = rep < P
        rday = periods[np.minimum(rep, P)] + rng.integers(0, 14, n).astype("timedelta64[D]")
        ids = old_id[m_slot]
        owner = acc.ids[slot[m_slot]]
        serial_old = self._serials(ids, installed)
        serial_new = self._serials(ids + 1, rday)
        inst_s, ver_s, nxt_s = installed.astype(str), verified.astype(str), nxt.astype(str)
        rday_s, new_next_s = rday.astype(str), (rday + span).astype(str)
        lines = []
        for i in range(n):
            removed = rday_s[i] if replaced[i] else "\\N"
            lines.append(
                f"{ids[i]}\t{owner[i]}\t{svc}\t{serial_old[i]}\t{zones[m_slot[i]]}\t{digits}\t"
                f"{inst_s[i]}\t{ver_s[i]}\t{nxt_s[i]}\t{removed}\t\\N\n"
            )
            if replaced[i]:
                lines.append(
                    f"{ids[i] + 1}\t{owner[i]}\t{svc}\t{serial_new[i]}\t{zones[m_slot[i]]}\t{digits}\t"
                    f"{rday_s[i]}\t{rday_s[i]}\t{new_next_s[i]}\t\\N\t{ids[i]}\n"
                )
        return "".join(lines)

    @staticmethod
    def _serials(meter_ids: I64, made: npt.NDArray[Any]) -> list[str]:
        """Factory serials: the year made and a scramble of the meter id (a bijection on 9 digits)."""
        scrambled = (meter_ids * 387_420_489 + 12_345) % 1_000_000_000
        years = made.astype("datetime64[Y]").astype(np.int64) + 1970
        return [f"{y % 100:02d}{s:09d}" for y, s in zip(years.tolist(), scrambled.tolist(), strict=True)]
