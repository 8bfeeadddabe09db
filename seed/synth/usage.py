"""What one metered service consumes over the window, how its meters live, and how each month is billed.

Volumes are integers in milli-units (whole kWh for electricity, which is read so). A month is billed by
the meter when a reading was accepted, else by the average (for three months), else by the norm; a
reading after estimated months nets them off, and a negative net becomes a recalculation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seed import catalog as C
from seed.synth.base import I64, Bools, Calendar

CONSUMED = [C.SERVICE_COLD, C.SERVICE_HOT, C.SERVICE_POWER, C.SERVICE_GAS]
COVERAGE = {C.SERVICE_COLD: 0.90, C.SERVICE_HOT: 0.90, C.SERVICE_POWER: 0.99, C.SERVICE_GAS: 0.50}
SUBMIT_PROB = np.array([0.93, 0.80, 0.45])  # by payer profile: full, late, chronic
# A meter of 1, 2 or 3 tariff zones: the share of the volume each zone takes (zone 1 first).
ZONE_SHARES = ((1, [1.0]), (2, [0.7, 0.3]), (3, [0.25, 0.30, 0.45]))
SEASON = {  # by calendar month
    C.SERVICE_COLD: np.array([0.95, 0.95, 0.97, 1.0, 1.03, 1.1, 1.12, 1.1, 1.02, 0.98, 0.96, 0.95]),
    C.SERVICE_HOT: np.array([1.05, 1.05, 1.03, 1.0, 0.95, 0.88, 0.6, 0.85, 0.95, 1.0, 1.03, 1.06]),
    C.SERVICE_POWER: np.array([1.2, 1.15, 1.05, 0.95, 0.88, 0.85, 0.85, 0.86, 0.92, 1.02, 1.12, 1.22]),
    C.SERVICE_GAS: np.array([1.05, 1.05, 1.0, 1.0, 0.97, 0.95, 0.93, 0.95, 0.98, 1.0, 1.03, 1.06]),
}


@dataclass(frozen=True)
class Usage:
    """One service of the accounts that have it: an entry (row) each, a column per period."""

    c: I64  # consumed each month
    cum: I64  # consumed since the window opened
    metered: Bools
    zones: I64  # tariff zones of the meter: 1, 2 or 3
    expire: I64  # period the meter passes its verification date (months: never)
    replace: I64  # period a new meter is put in (months: never)
    old_ok: Bools  # readings accepted from the first meter
    new_ok: Bools  # readings accepted from its replacement
    norm_vol: I64
    avg_vol: I64


@dataclass(frozen=True)
class Billed:
    """What each month is charged, how, and what is recalculated for which earlier period."""

    vol: I64
    rvol: I64  # negative: volume given back
    rfor: I64  # the first estimated period a recalculation is for (-1: the one before)
    meth: I64


def draw_usage(
    rng: np.random.Generator, svc: int, pers: I64, profile: I64, cat: C.Catalog, calendar: Calendar
) -> Usage:
    """Consumption by household size and season, meter coverage and life, readings submitted by profile."""
    s, P = len(pers), calendar.months
    if svc == C.SERVICE_COLD:
        base = pers * rng.uniform(2.5, 3.5, s)
    elif svc == C.SERVICE_HOT:
        base = pers * rng.uniform(1.5, 2.5, s)
    elif svc == C.SERVICE_POWER:
        base = 220 * (0.55 + 0.18 * pers) * rng.uniform(0.8, 1.2, s)
    else:
        base = pers * rng.uniform(6.0, 12.0, s)
    cons = base[:, None] * SEASON[svc][calendar.month_of - 1][None, :] * rng.lognormal(0, 0.12, (s, P))
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
    submitted = rng.random((s, P)) < SUBMIT_PROB[profile][:, None]
    p_idx = np.arange(P)[None, :]
    old_ok = metered[:, None] & submitted & (p_idx < np.minimum(expire, replace)[:, None])
    new_ok = metered[:, None] & submitted & (p_idx >= replace[:, None])
    cum = np.cumsum(c, axis=1)
    return Usage(c, cum, metered, zones, expire, replace, old_ok, new_ok, norm_vol, avg_vol)


def bill_months(use: Usage) -> Billed:
    """Charges, month by month: by meter, else by average (3 months), else by norm."""
    cum, metered, replace, norm_vol, avg_vol = use.cum, use.metered, use.replace, use.norm_vol, use.avg_vol
    accepted = use.old_ok | use.new_ok
    s, P = cum.shape
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
    return Billed(vol_p, rvol_p, rfor, meth)
