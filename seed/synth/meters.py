"""Meters and their readings: a meter per metered service of an account, and a second one where replaced.

A meter's id is the account id x 20 + service x 2 (+1 for the replacement). Readings are cumulative
register values in milli-units, split across the tariff zones of the meter and wrapped at its capacity.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from seed import catalog as C
from seed.pgbinary import Column, encode
from seed.synth.base import I64, NULL, Bools, Calendar, lines
from seed.synth.usage import ZONE_SHARES, Usage


def meters(
    rng: np.random.Generator, svc: int, owners: I64, use: Usage, calendar: Calendar
) -> tuple[bytes, int, str, int, npt.NDArray[Any]]:
    """The readings of one service's meters (and their count), then the meters (and theirs), and the next
    verification of each meter in place (for the statistics' summary); ``owners`` are the accounts, an entry
    each of ``use``."""
    old_id = owners * 20 + svc * 2
    days = calendar.period_days
    readings = reading_rows(rng, old_id, use.zones, use.cum, use.c, use.old_ok, svc, None, days)
    readings += reading_rows(rng, old_id + 1, use.zones, use.cum, use.c, use.new_ok, svc, use.replace, days)
    m_slot = np.flatnonzero(use.metered)
    lines, due = meter_lines(rng, svc, m_slot, old_id, use.zones, use.expire, use.replace, owners, calendar)
    replaced = int((use.replace[m_slot] < calendar.months).sum())
    return readings, int(use.old_ok.sum() + use.new_ok.sum()), lines, len(m_slot) + replaced, due


def reading_rows(
    rng: np.random.Generator,
    meter_id: I64,
    zones: I64,
    cum: I64,
    c: I64,
    ok: Bools,
    svc: int,
    replace: I64 | None,
    period_days: npt.NDArray[np.int32],
) -> bytes:
    """The ``meter_reading`` rows where ``ok``: of the first meters (``replace`` None, which start at a drawn
    register value), or of their replacements (which start at zero in the period ``replace``)."""
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
    for zc, shares in ZONE_SHARES:
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
                    Column("date", period_days[k]),
                    Column("date", period_days[k] + day[sel] - 1),
                    Column("int2", source[sel]),
                    *values,
                ],
                len(r),
            )
        )
    return b"".join(parts)


def meter_lines(
    rng: np.random.Generator,
    svc: int,
    m_slot: I64,
    old_id: I64,
    zones: I64,
    expire: I64,
    replace: I64,
    owners: I64,
    calendar: Calendar,
) -> tuple[str, npt.NDArray[Any]]:
    """The ``meter`` rows of the metered entries ``m_slot``: installation and verification dates that fit
    the window, and the replacement (which names the meter it replaced) where there is one; then the next
    verification of each meter in place (a first one not replaced, or its replacement)."""
    P = calendar.months
    years = C.SERVICES[svc][5]
    digits = C.SERVICES[svc][6]
    n = len(m_slot)
    if n == 0:
        return "", np.array([], dtype="datetime64[D]")
    span = np.timedelta64(round(years * 365.25), "D")
    periods = np.array(calendar.periods + [calendar.end], dtype="datetime64[D]")
    start, end = np.datetime64(calendar.start), np.datetime64(calendar.end)
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
    owner, svc_s, zone_s, digits_s = owners[m_slot].astype(str), str(svc), zones[m_slot].astype(str), str(digits)
    first = [
        ids.astype(str),
        owner,
        np.full(n, svc_s),
        np.array(serials(ids, installed)),
        zone_s,
        np.full(n, digits_s),
        installed.astype(str),
        verified.astype(str),
        nxt.astype(str),
        np.where(replaced, rday.astype(str), NULL),
        np.full(n, NULL),
    ]
    # A replaced meter's line is followed by its replacement's, which names it.
    new = np.flatnonzero(replaced)
    rday_s = rday[new].astype(str)
    second = [
        (ids[new] + 1).astype(str),
        owner[new],
        np.full(len(new), svc_s),
        np.array(serials(ids[new] + 1, rday[new]), dtype=first[3].dtype),
        zone_s[new],
        np.full(len(new), digits_s),
        rday_s,
        rday_s,
        (rday[new] + span).astype(str),
        np.full(len(new), NULL),
        ids[new].astype(str),
    ]
    order = np.argsort(np.concatenate([np.arange(n) * 2, new * 2 + 1]), kind="stable")
    due = np.concatenate([nxt[~replaced], rday[new] + span])
    return lines([np.concatenate([a, b])[order] for a, b in zip(first, second, strict=True)]), due


def serials(meter_ids: I64, made: npt.NDArray[Any]) -> list[str]:
    """Factory serials: the year made and a scramble of the meter id (a bijection on 9 digits)."""
    scrambled = (meter_ids * 387_420_489 + 12_345) % 1_000_000_000
    years = made.astype("datetime64[Y]").astype(np.int64) + 1970
    return [f"{y % 100:02d}{s:09d}" for y, s in zip(years.tolist(), scrambled.tolist(), strict=True)]
