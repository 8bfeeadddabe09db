"""Checks over many rows at once: the long files' rows held as compact columns per meter or account,
sorted and compared with numpy."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any

import numpy as np

from seed.legacy.analyze.findings import Finding, Where
from seed.legacy.analyze.scratch import Parts
from seed.legacy.analyze.spill import Overflow
from seed.period import month_label
from seed.words.messages import Message

BATCH_ROWS = 200_000  # rows of complete groups checked at once
DTYPES = {"i": np.int32, "q": np.int64, "d": np.float64}  # an array's typecode as numpy's


class GroupedColumns:
    """The rows of a long file as compact columns, grouped by a key (a meter, an account).

    While the file keeps each key's rows together, as exports do, every group is complete once the next
    one starts: complete groups are checked in batches and dropped, so memory does not grow with the
    file. A key that comes back after another breaks that; the caller then reads the file again into
    one set of columns (``whole``) checked at the end."""

    def __init__(self, typecodes: str, check: Callable[[list[Any]], list[Finding]], whole: bool = False) -> None:
        self.typecodes, self.check, self.whole = typecodes, check, whole
        self.columns = [array(t) for t in typecodes]
        self.done = bytearray()  # by key (a position): 1 for a group complete, a byte a key rather than a set's entry
        self.current: int | None = None
        self.scattered = False
        self.findings: Overflow[Finding] = Overflow()  # millions of findings do not stay in memory

    def add(self, key: int, *values: Any) -> None:
        if key != self.current:
            if not self.whole:
                if self.current is not None:
                    _mark(self.done, self.current)
                if key < len(self.done) and self.done[key]:
                    self.scattered = True
                if self.scattered:
                    return
                if len(self.columns[0]) >= BATCH_ROWS:
                    self.flush()
            self.current = key
        elif self.scattered:
            return
        for column, value in zip(self.columns, values, strict=True):
            column.append(value)

    def extend(self, keys: Any, values: list[Any]) -> None:
        """Rows at once (numpy columns, ``keys`` the group of each), as :meth:`add` of each row in turn, and
        of the rows of the current group straight into :attr:`columns`, would take them."""
        n = len(keys)
        if not n:
            return
        before = -1 if self.current is None else self.current
        starts = np.flatnonzero(np.r_[keys[0] != before, keys[1:] != keys[:-1]]).tolist()
        if self.whole or not starts:
            self._append(values, 0, n)
            self.current = int(keys[-1]) if starts else self.current
            return
        if self.scattered:
            return
        pending = 0  # rows not yet appended: a batch's rows go in before it is flushed
        for s, key in zip(starts, keys[starts].tolist(), strict=True):
            if self.current is not None:
                _mark(self.done, self.current)
            if key < len(self.done) and self.done[key]:
                self.scattered = True
                return
            if len(self.columns[0]) + s - pending >= BATCH_ROWS:
                self._append(values, pending, s)
                pending = s
                self.flush()
            self.current = key
        self._append(values, pending, n)

    def _append(self, values: list[Any], start: int, end: int) -> None:
        if end > start:
            for column, value in zip(self.columns, values, strict=True):
                column.frombytes(np.ascontiguousarray(value[start:end], dtype=DTYPES[column.typecode]).tobytes())

    def flush(self) -> None:
        if len(self.columns[0]):
            self.findings.extend(self.check([np.array(c) for c in self.columns]))
        self.columns = [array(t) for t in self.typecodes]

    def finish(self) -> Iterable[Finding] | None:
        """The findings, or None if the file's groups were scattered (read it again, ``whole``)."""
        if self.scattered:
            return None
        self.flush()
        return self.findings


def _mark(done: bytearray, key: int) -> None:
    if key >= len(done):
        done.extend(bytes(max(key + 1 - len(done), len(done))))  # doubled: a few extensions in all
    done[key] = 1


def reading_series(
    path: str, capacity: Any, water: Any, m: Any, p: Any, v: Any, ln: Any, v2: Any, v3: Any
) -> list[Finding]:
    """Readings of complete meters, checked at once: sorted by meter and month, each zone's value against
    the one before (decreases that are not a rollover), each month's use against the meter's median
    (jumps), the median itself against what a flat uses (litres for m³). A second reading of a meter's
    month is left out, as the load leaves it out; zones 2 and 3 are NaN where the reading has none."""
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
    # each delta's meter's usual use: found among this batch's meters (sorted), not in an array of every meter
    of_delta = usual[meters.searchsorted(dm)]
    jumps = np.flatnonzero((of_delta > 0) & (dv >= 5 * of_delta))
    for i in jumps.tolist():
        found.append(
            ("reading_jump", Where(path, int(dl[i])), "value1", round(float(dv[i]), 3),
             Message.of("usual_a_month", use=round(float(of_delta[i]), 3)))
        )  # fmt: skip
    mixed = np.flatnonzero(water[meters] & (usual > 100))
    if len(mixed):  # each such meter's latest reading (rows sorted by meter and month): the last of its rows
        ends = np.flatnonzero(np.r_[m[1:] != m[:-1], True])
        last_line = ln[ends[m[ends].searchsorted(meters[mixed])]].tolist()
        for k, line in zip(mixed.tolist(), last_line, strict=True):
            u = float(usual[k])
            found.append(("unit_mixup", Where(path, line), "value1", round(u, 3), Message.of("median_use")))
    return found


class Capacity:
    """Each meter's rollover threshold, half its digits' capacity (``10 ** digits / 2``), computed for the
    meters asked about from a byte a meter, rather than held as eight bytes a meter for the whole export."""

    def __init__(self, digits: Any) -> None:
        self.digits = digits  # int8, by meter

    def __getitem__(self, meters: Any) -> Any:
        return 10.0 ** self.digits[meters] / 2


def zone_decreases(path: str, capacity: Any, fld: str, m: Any, z: Any, ln: Any) -> list[Finding]:
    """Decreases of one zone's values (sorted by meter and month; NaN where a reading has no such zone),
    each against the meter's previous value of that zone, as `provision check` compares them."""
    given = ~np.isnan(z)
    if not given.any():
        return []
    m, z, ln = m[given], z[given], ln[given]
    prev, cur = z[:-1], z[1:]
    decrease = (m[1:] == m[:-1]) & (cur < prev) & (prev - cur < capacity[m[1:]])
    return [
        ("reading_decrease", Where(path, int(ln[i + 1])), fld, cur[i], Message.of("previous", value=prev[i]))
        for i in np.flatnonzero(decrease).tolist()
    ]


def carry_over(path: str, ac: Any, sv: Any, mo: Any, op: Any, cl: Any, ln: Any) -> list[Finding]:
    """Balances of complete accounts, sorted by account, service and month: each opening against the
    closing of the month before; two rows of one month (the load keeps the first)."""
    order = np.lexsort((ln, mo, sv, ac))
    ac, sv, mo, op, cl, ln = ac[order], sv[order], mo[order], op[order], cl[order], ln[order]
    again = (ac[1:] == ac[:-1]) & (sv[1:] == sv[:-1]) & (mo[1:] == mo[:-1])
    found: list[Finding] = [
        ("duplicate_period", Where(path, int(ln[i + 1])), "period", month_label(int(mo[i + 1])),
         Message.of("same_account_period", line=int(ln[i])))
        for i in np.flatnonzero(again).tolist()
    ]  # fmt: skip
    if again.any():  # the load keeps the first row of a month: the next month carries over from it
        kept = np.r_[True, ~again]
        ac, sv, mo, op, cl, ln = ac[kept], sv[kept], mo[kept], op[kept], cl[kept], ln[kept]
    same = (ac[1:] == ac[:-1]) & (sv[1:] == sv[:-1])
    broken = same & (mo[1:] == mo[:-1] + 1) & (op[1:] != cl[:-1])
    return found + [
        ("balance_carry_over", Where(path, int(ln[i + 1])), "opening", Decimal(int(op[i + 1])) / 100,
         Message.of("previous_closing", amount=Decimal(int(cl[i])) / 100))
        for i in np.flatnonzero(broken).tolist()
    ]  # fmt: skip


def repeated_payments(path: str, hashed: Parts) -> Iterator[Finding]:
    """Payments with the same hash of (account, day, amount) as an earlier line: overlapping registries
    (made one at a time as they are asked for, in file order). Equal hashes are in one part, in file order."""
    found: list[tuple[Any, Any, Any]] = []  # the repeats' lines, their originals' lines, their amounts
    for part in range(hashed.count):
        keys, kopecks, lines = hashed.read(part)
        order = np.argsort(keys, kind="stable")  # equal keys stay in file order: the first is the original
        sk, sl, sa = keys[order], lines[order], kopecks[order]
        again = np.flatnonzero(sk[1:] == sk[:-1]) + 1
        first = np.maximum.accumulate(np.where(np.r_[True, sk[1:] != sk[:-1]], np.arange(len(sk)), 0))
        found.append((sl[again], sl[first[again]], sa[again]))
    lines, firsts, amounts = (np.concatenate(c) for c in zip(*found, strict=True))
    by_line = np.argsort(lines, kind="stable")
    return (
        ("payment_duplicate", Where(path, line), "amount", Decimal(amount) / 100,
         Message.of("same_as_line", line=first))
        for line, first, amount in zip(
            lines[by_line].tolist(), firsts[by_line].tolist(), amounts[by_line].tolist(), strict=True
        )
    )  # fmt: skip
