"""Deterministic synthetic books of one supplier, generated a chunk of buildings at a time.

Every chunk draws from its own random stream (seed, chunk number), so the data for a seed does not
depend on chunk order or size of the run, and memory stays flat as the scale grows. Fact tables
(readings, charges, balances, payments) are built as numpy arrays and encoded in PostgreSQL's binary
COPY format; the smaller descriptive tables as text COPY lines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from seed import catalog as C
from seed import people
from seed.pgbinary import Column, encode, pg_days
from seed.synth.base import I64, Chunk, round_div
from seed.synth.buildings import building_lines, chunk_ranges, plan_buildings
from seed.synth.reference import reference_rows

__all__ = ["Chunk", "Generator"]

CONSUMED = [C.SERVICE_COLD, C.SERVICE_HOT, C.SERVICE_POWER, C.SERVICE_GAS]
COVERAGE = {C.SERVICE_COLD: 0.90, C.SERVICE_HOT: 0.90, C.SERVICE_POWER: 0.99, C.SERVICE_GAS: 0.50}
SUBMIT_PROB = np.array([0.93, 0.80, 0.45])  # by payer profile: full, late, chronic
PROFILES = np.array(["full", "late", "chronic"])
ELS_LETTERS = "АБВГДЕЖИКЛМНПРСТУФХЦ"
RECALC_REASON = "показания после начислений по среднему или нормативу"


def _days(dates: list[dt.date]) -> npt.NDArray[np.int32]:
    return pg_days(np.array(dates, dtype="datetime64[D]"))


@dataclass
class Totals:
    """Registry control totals, summed over chunks: [agent, day of the window]."""

    count: I64
    amount: I64


class Generator:
    def __init__(self, seed: int, accounts: int, months: int, end_period: dt.date, chunk_accounts: int = 2000):
        self.seed, self.accounts, self.months = seed, accounts, months
        self.cat = C.build_catalog(seed, end_period, months)
        self.buildings = plan_buildings(seed, accounts)
        self.ranges = chunk_ranges(self.buildings, chunk_accounts)
        self.window_start = self.cat.periods[0]
        self.window_end = C.month_add(self.cat.periods[-1], 1) - dt.timedelta(days=1)
        self.window_days = (self.window_end - self.window_start).days + 1
        self.totals = Totals(
            np.zeros((len(C.AGENTS) + 1, self.window_days), dtype=np.int64),
            np.zeros((len(C.AGENTS) + 1, self.window_days), dtype=np.int64),
        )
        self.period_days = _days(self.cat.periods)
        self.month_of = np.array([p.month for p in self.cat.periods])

    # -- the small tables ------------------------------------------------------------------------
    def reference_rows(self) -> dict[str, list[tuple[Any, ...]]]:
        return reference_rows(self.cat)

    def registry_rows(self) -> list[tuple[Any, ...]]:
        rows = []
        for agent in range(1, len(C.AGENTS) + 1):
            for day in np.flatnonzero(self.totals.count[agent]).tolist():
                date = self.window_start + dt.timedelta(days=day)
                rows.append(
                    (
                        self.registry_id(agent, day),
                        agent,
                        date,
                        f"reestr_{agent:02d}_{date:%Y%m%d}.txt",
                        int(self.totals.count[agent, day]),
                        f"{int(self.totals.amount[agent, day]) / 100:.2f}",
                    )
                )
        return rows

    def registry_id(self, agent: Any, day: Any) -> Any:
        return agent * 10_000 + day + 1

    def chunks(self) -> Iterator[Chunk]:
        for number, (b0, b1) in enumerate(self.ranges):
            yield self.chunk(number, b0, b1)

    # -- one chunk -------------------------------------------------------------------------------
    def chunk(self, number: int, b0: int, b1: int) -> Chunk:
        rng = np.random.default_rng([self.seed, 0xC4, number])
        out = Chunk()
        acc = self._premises_and_accounts(rng, b0, b1, out)
        self._people(rng, acc, out)
        has = self._services(acc, out)
        charged, recalc = self._meters_and_charges(rng, acc, has, out)
        self._balances_and_payments(rng, acc, has, charged, recalc, out)
        return out

    def _premises_and_accounts(self, rng: np.random.Generator, b0: int, b1: int, out: Chunk) -> dict[str, Any]:
        bld = self.buildings
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
        latest = np.datetime64(C.month_add(self.window_start, -2))
        opened = earliest + (rng.random(a) * (latest - earliest).astype(np.int64)).astype("timedelta64[D]")
        opened = np.minimum(opened.astype("datetime64[D]"), latest)
        region = self.cat.region
        els_idx = ids // 1_000_000
        out.text["building"] = building_lines(rng, bld, b0, b1, self.cat)
        out.rows["building"] = b1 - b0
        prem, accs = [], []
        opened_s = opened.astype(str)
        for i in range(a):
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
        out.text["premise"], out.text["account"] = "".join(prem), "".join(accs)
        out.rows["premise"] = out.rows["account"] = a
        return {
            "ids": ids,
            "bidx": bidx,
            "area_c": area_c,
            "residents": residents,
            "profile": profile,
            "opened": opened,
            "n": a,
        }

    def _people(self, rng: np.random.Generator, acc: dict[str, Any], out: Chunk) -> None:
        size = np.maximum(acc["residents"], 1)
        hh = np.repeat(np.arange(acc["n"]), size)
        k = np.arange(len(hh)) - np.repeat(np.cumsum(size) - size, size)
        n = len(hh)
        owner_male = rng.random(acc["n"]) < 0.5
        male = np.where(
            k == 0,
            owner_male[hh],
            np.where(k == 1, ~owner_male[hh] ^ (rng.random(n) < 0.1), rng.random(n) < 0.5),
        )
        child = (k >= 2) & (rng.random(n) < 0.7)
        family = rng.integers(0, len(people.SURNAMES_MALE), acc["n"])[hh]
        family = np.where((k == 1) & (rng.random(n) < 0.15), rng.integers(0, 250, n), family)
        # Fathers: the first male adult of each household names the children.
        father_given = rng.choice(30, size=acc["n"], p=people.NAME_WEIGHTS)
        father = np.where(child, father_given[hh], -1)
        surname, given, patronymic, given_idx = people.names(rng, male, family, father)
        adult_male_first = male & (k <= 1)
        given = np.where(adult_male_first, people.GIVEN_MALE[father_given[hh]], given)
        owner_age = rng.integers(22, 86, acc["n"])
        age = np.where(
            k == 0,
            owner_age[hh],
            np.where(
                k == 1,
                np.clip(owner_age[hh] + rng.integers(-5, 6, n), 18, 95),
                np.where(child, rng.integers(0, 18, n), rng.integers(18, 90, n)),
            ),
        )
        end = np.datetime64(self.window_end)
        birth = end - (age * 365.25 + rng.integers(0, 365, n)).astype("timedelta64[D]")
        phone = people.phones(rng, n)
        has_phone = np.where(child, (age >= 12) & (rng.random(n) < 0.5), rng.random(n) < 0.85)
        snils = people.snils(rng, n)
        has_snils = rng.random(n) < 0.95
        inn = people.inn_person(rng, n, self.cat.region)
        has_inn = ~child & (rng.random(n) < 0.6)
        pid = acc["ids"][hh] * 10 + k
        birth_s = birth.astype(str)
        lines = []
        for i in range(n):
            lines.append(
                f"{pid[i]}\t{surname[i]}\t{given[i]}\t{patronymic[i]}\t{'M' if male[i] else 'F'}\t{birth_s[i]}\t"
                f"{phone[i] if has_phone[i] else chr(92) + 'N'}\t{snils[i] if has_snils[i] else chr(92) + 'N'}\t"
                f"{inn[i] if has_inn[i] else chr(92) + 'N'}\t\\N\t\\N\n"
            )
        out.text["person"] = "".join(lines)
        out.rows["person"] = n
        co_owner = (k == 1) & ~child & (rng.random(n) < 0.2)
        co_household = np.zeros(acc["n"], dtype=bool)
        co_household[hh[co_owner]] = True
        role = np.where(k == 0, "owner", np.where(co_owner, "owner", "resident"))
        share = np.where(k == 0, np.where(co_household[hh], "0.5000", "1.0000"), np.where(co_owner, "0.5000", "\\N"))
        out.text["account_person"] = "".join(
            f"{acc['ids'][hh[i]]}\t{pid[i]}\t{role[i]}\t{share[i]}\n" for i in range(n)
        )
        out.rows["account_person"] = n

    def _services(self, acc: dict[str, Any], out: Chunk) -> npt.NDArray[np.bool_]:
        a = acc["n"]
        has = np.zeros((a, 7), dtype=bool)
        has[:, [C.SERVICE_COLD, C.SERVICE_SEWAGE, C.SERVICE_POWER, C.SERVICE_HEAT]] = True
        has[:, C.SERVICE_HOT] = self.buildings.hot[acc["bidx"]]
        has[:, C.SERVICE_GAS] = self.buildings.gas[acc["bidx"]]
        rows, svc = np.nonzero(has)
        out.binary["account_service"] = encode(
            [
                Column("int4", acc["ids"][rows]),
                Column("int2", svc),
                Column("date", pg_days(acc["opened"][rows])),
            ],
            len(rows),
        )
        out.rows["account_service"] = len(rows)
        return has

    # -- meters, readings and charges ------------------------------------------------------------
    def _meters_and_charges(
        self, rng: np.random.Generator, acc: dict[str, Any], has: npt.NDArray[np.bool_], out: Chunk
    ) -> tuple[I64, I64]:
        cat, P = self.cat, self.months
        a = acc["n"]
        charged = np.zeros((a, 7, P), dtype=np.int64)  # kopecks
        recalc = np.zeros((a, 7, P), dtype=np.int64)
        vol = np.zeros((a, 7, P), dtype=np.int64)  # milli-units charged, for sewage
        rvol = np.zeros((a, 7, P), dtype=np.int64)
        method = np.zeros((a, 7, P), dtype=np.int64)
        persons = np.maximum(acc["residents"], 1)
        charge_parts: list[bytes] = []
        recalc_parts: list[bytes] = []
        reading_parts: list[bytes] = []
        meter_lines: list[str] = []
        n_charges = n_recalc = n_readings = n_meters = 0
        month_idx = self.month_of - 1
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
            submitted = rng.random((s, P)) < SUBMIT_PROB[acc["profile"][slot]][:, None]
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
            old_id = acc["ids"][slot] * 20 + svc * 2
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
        season_p = np.flatnonzero(np.isin(self.month_of, list(C.HEATING_MONTHS)))
        if len(season_p):
            hv = np.round(acc["area_c"][:, None] * cat.norm_milli[heat] / 100_000 * np.ones(len(season_p))[None, :])
            hv = hv.astype(np.int64)
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
        acc: dict[str, Any],
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
        pcols = self.period_days if periods is None else self.period_days[periods]
        return encode(
            [
                Column("int4", np.repeat(acc["ids"][slot], p)),
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

    def _recalc_rows(self, acc: dict[str, Any], slot: I64, svc: int, rvol: I64, ramount: I64, rfor: I64) -> bytes:
        rows, cols = np.nonzero(rvol < 0)
        forp = np.where(rfor[rows, cols] >= 0, rfor[rows, cols], np.maximum(cols - 1, 0))
        return encode(
            [
                Column("int4", acc["ids"][slot][rows]),
                Column("int2", np.full(len(rows), svc)),
                Column("date", self.period_days[cols]),
                Column("date", self.period_days[forp]),
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
                        Column("date", self.period_days[k]),
                        Column("date", self.period_days[k] + day[sel] - 1),
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
        acc: dict[str, Any],
        slot: I64,
    ) -> str:
        P = self.months
        years = C.SERVICES[svc][5]
        digits = C.SERVICES[svc][6]
        n = len(m_slot)
        if n == 0:
            return ""
        span = np.timedelta64(round(years * 365.25), "D")
        periods = np.array(self.cat.periods + [self.window_end], dtype="datetime64[D]")
        start, end = np.datetime64(self.window_start), np.datetime64(self.window_end)
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
        owner = acc["ids"][slot[m_slot]]
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

    # -- balances and payments -------------------------------------------------------------------
    def _balances_and_payments(
        self,
        rng: np.random.Generator,
        acc: dict[str, Any],
        has: npt.NDArray[np.bool_],
        charged: I64,
        recalc: I64,
        out: Chunk,
    ) -> None:
        a, P = acc["n"], self.months
        profile = acc["profile"]
        typical = np.where(charged[:, :, 0] > 0, charged[:, :, 0], charged.mean(axis=2).astype(np.int64))
        backlog = np.select([profile == 0, profile == 1], [np.ones(a), rng.uniform(1, 3, a)], rng.uniform(3, 18, a))
        opening = np.zeros((a, 7, P), dtype=np.int64)
        paid = np.zeros((a, 7, P), dtype=np.int64)
        closing = np.zeros((a, 7, P), dtype=np.int64)
        opening[:, :, 0] = np.round(typical * backlog[:, None]).astype(np.int64) * has
        pay_total = np.zeros((a, P), dtype=np.int64)
        agent_pref = rng.choice(np.arange(1, len(C.AGENTS) + 1), size=a, p=[x[2] for x in C.AGENTS])
        for p in range(P):
            if p > 0:
                opening[:, :, p] = closing[:, :, p - 1]
            due = np.clip(opening[:, :, p], 0, None).sum(axis=1)
            bill = (charged[:, :, p - 1] + recalc[:, :, p - 1]).sum(axis=1) if p > 0 else typical.sum(axis=1)
            roll = rng.random(a)
            # Most pay what they owe; late payers part of the last bill (now and then all of it);
            # chronic debtors a part of a bill now and then.
            total = np.select(
                [profile == 0, profile == 1],
                [
                    np.where(roll < 0.97, due, 0),
                    np.where(roll < 0.08, due, np.where(roll < 0.72, bill * rng.uniform(0.6, 1.0, a), 0)),
                ],
                np.where(roll < 0.25, bill * rng.uniform(0.3, 1.0, a), 0),
            )
            total = np.where(profile == 0, np.round(total), np.round(total / 1000) * 1000).astype(np.int64)
            total = np.clip(total, 0, np.maximum(due, 0))
            pay_total[:, p] = total
            weights = np.clip(opening[:, :, p], 0, None)
            wsum = weights.sum(axis=1)
            share = np.where(wsum[:, None] > 0, total[:, None] * weights // np.maximum(wsum, 1)[:, None], 0)
            rest = total - share.sum(axis=1)
            share[np.arange(a), weights.argmax(axis=1)] += rest
            paid[:, :, p] = share
            closing[:, :, p] = opening[:, :, p] + charged[:, :, p] + recalc[:, :, p] - paid[:, :, p]

        rows, svc = np.nonzero(has)
        cols = [
            Column("int4", np.repeat(acc["ids"][rows], P)),
            Column("int2", np.repeat(svc, P)),
            Column("date", np.tile(self.period_days, len(rows))),
        ] + [Column("num", arr[rows, svc].ravel(), 2) for arr in (opening, charged, recalc, paid, closing)]
        out.binary["balance"] = encode(cols, len(rows) * P)
        out.rows["balance"] = len(rows) * P

        pa, pp = np.nonzero(pay_total > 0)
        agent = np.where(
            rng.random(len(pa)) < 0.85,
            agent_pref[pa],
            rng.choice(np.arange(1, len(C.AGENTS) + 1), size=len(pa)),
        )
        last = P - 1
        day = np.where(pp == last, rng.integers(1, 21, len(pa)), rng.integers(1, 29, len(pa)))
        paid_on = self.period_days[pp] + day - 1
        day_index = paid_on - int(self.period_days[0])
        amounts = pay_total[pa, pp]
        np.add.at(self.totals.count, (agent, day_index), 1)
        np.add.at(self.totals.amount, (agent, day_index), amounts)
        out.binary["payment"] = encode(
            [
                Column("int8", acc["ids"][pa].astype(np.int64) * 100 + pp),
                Column("int4", acc["ids"][pa]),
                Column("int2", agent),
                Column("int4", self.registry_id(agent, day_index)),
                Column("date", paid_on),
                Column("date", self.period_days[pp]),
                Column("num", amounts, 2),
            ],
            len(pa),
        )
        out.rows["payment"] = len(pa)
