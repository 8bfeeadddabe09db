"""Stage four: the meter readings (the longest file of an export), streamed by COPY."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import repeat

import numpy as np

from seed.legacy.blocks import Block, decimal_column
from seed.legacy.importer import blockwise, bulk
from seed.legacy.importer.state import ImportState, Seen
from seed.legacy.interpret import (
    DUPLICATE_READING,
    NULL,
    UNKNOWN_METER,
    Refused,
    iso_date,
    month_number,
    service_code,
    text,
)
from seed.legacy.interpret import SERVICE_IDS as IDS
from seed.legacy.rows import ServiceOf, reading_reader

IMPORT_SOURCE = 4  # reading_source 'import'
PLAIN_LINE = f"{{}}\t{{}}\t{{}}\t{IMPORT_SOURCE}\t{{}}\t{{}}\t{{}}\n"  # meter, month, taken, three zones' values


def zone(cols: list[tuple[object, ...]], i: int | None, rows: int) -> Iterable[str] | None:
    """A second or third zone's values as COPY text (NULL where it is empty), if each is a reading written
    plainly (as :func:`~seed.legacy.rows.reading_values` reads it then)."""
    if i is None or cols[i].count("") == rows:
        return repeat(NULL)
    found = bulk.OPTIONAL_READING_LINES.lines(cols[i], rows)  # type: ignore[arg-type]
    return None if found is None else [value or NULL for value in found]


def write_readings(state: ImportState) -> None:
    """meter_reading by COPY; a reading of a meter and month read before is left out (the first stays)."""
    f = state.open("readings")
    if f is None:
        return
    ix = f.index
    i_serial, i_service = ix["serial"], ix.get("service", -1)
    service_of = ServiceOf(state.mapping, "readings").of_serial if i_service < 0 else None
    meters, month_text, reading = state.meter_ids.get_many, state.month, reading_reader(f)
    services: dict[object, int | None] = {}
    written = state.lines("meter_reading")
    add = written.add
    refuse = state.rejects.refuse

    refused: dict[int, Refused] = {}  # a batch's lines whose service could not be told

    def key(line: int, rec: list[object]) -> int:
        """The digest the row's meter is under: one under no meter's when its service is not known, -1 (a
        digest Python's hash never gives) when it cannot be told."""
        raw_serial = rec[i_serial]
        serial = raw_serial.strip() if type(raw_serial) is str else text(raw_serial)
        if service_of is not None:  # no service column: the meter's, by its serial
            try:
                code = service_of(serial)
            except Refused as why:
                refused[line] = why
                return -1
            sid = IDS[code] if code else None
        else:
            raw_service = rec[i_service]
            sid = services.get(raw_service, -1)
            if sid == -1:
                code = service_code(raw_service)
                sid = services[raw_service] = IDS[code] if code else None
        return hash((sid, serial))

    i_period, i_taken = ix["period"], ix.get("taken_on")
    i_v1, i_v2, i_v3 = ix["value1"], ix.get("value2"), ix.get("value3")
    months: dict[object, int | None] = {}
    dates: dict[object, str | None] = {}
    seen_keys = Seen(len(state.meter_ids))
    seen = seen_keys.again

    def date(raw: object) -> str | None:
        try:
            return iso_date(raw, fld="taken_on")
        except Refused:
            return None

    def plain(batch: list[tuple[int, list[object]]]) -> bool:
        """The batch written a column at a time, if every row of it loads with its zones written plainly."""
        cols = bulk.columns(batch) if service_of is None else None
        if cols is None:
            return False
        try:  # a cell that is not text (an XLSX number) is the row-at-a-time path's to read
            serials = list(map(str.strip, cols[i_serial]))
            values = bulk.READING_LINES.lines(cols[i_v1], len(batch))
            more = [zone(cols, i, len(batch)) for i in (i_v2, i_v3)]
        except TypeError:
            return False
        sids = bulk.read_once(cols[i_service], services, bulk.service_id)
        periods = bulk.read_once(cols[i_period], months, month_number)
        taken = bulk.read_once(cols[i_taken], dates, date) if i_taken is not None else repeat(NULL)
        if values is None or None in more or sids is None or periods is None or taken is None:
            return False
        found = meters(list(map(hash, zip(sids, serials, strict=True))))
        if 0 in found or not seen_keys.fresh(periods, found):
            return False
        texts = {m: month_text(m) for m in set(periods)}
        lines = map(PLAIN_LINE.format, found, map(texts.__getitem__, periods), taken, values, *more)
        written.add_block("".join(lines), len(batch))
        return True

    def one_by_one(batch: list[tuple[int, list[object]]]) -> None:
        """The rows written a row at a time, refused where they must be."""
        refused.clear()
        for (line, rec), mid in zip(batch, meters([key(line, rec) for line, rec in batch]), strict=True):
            try:
                if not mid:
                    raise refused.get(line) or Refused(UNKNOWN_METER, "serial", rec[i_serial], personal=True)
                month, values, taken = reading(rec)
                if seen(month, mid):
                    raise Refused(DUPLICATE_READING, "period")
            except Refused as why:
                refuse(f.name, line, why)
                continue
            v1, v2, v3 = values
            add(f"{mid}\t{month_text(month)}\t{taken}\t{IMPORT_SOURCE}\t{v1}\t{v2}\t{v3}\n")

    def block_of(block: Block) -> None:
        """A block's usual rows written a run at a time (:mod:`~seed.legacy.importer.blockwise`), the
        others a row at a time, in order."""
        n = len(block)
        for known in (services, months, dates):  # each written form read once, some thousands of them kept
            if len(known) > bulk.KNOWN:
                known.clear()
        names, service = blockwise.distinct(block, i_service)
        sid_of = [services[v] if v in services else services.setdefault(v, bulk.service_id(v)) for v in names]
        starts, ends, serials = blockwise.key_runs(block, i_serial, service)
        sids = [sid_of[u] for u in service[starts].tolist()]
        mid = np.repeat(np.array(meters(list(map(hash, zip(sids, serials, strict=True))))), ends - starts)
        names, period = blockwise.distinct(block, i_period)
        month_of = [months[v] if v in months else months.setdefault(v, month_number(v)) for v in names]
        month = np.array([-1 if m is None else m for m in month_of], dtype=np.int64)[period]
        _, usual = decimal_column(block, i_v1)
        usual &= (mid > 0) & (month >= 0)
        tail: list[blockwise.Field] = [("col", i_v1, None)]
        for k in (i_v2, i_v3):
            if k is None:
                tail.append(("tab", [NULL], np.zeros(n, dtype=np.int64)))
                continue
            empty = block.ends[:, k] == block.starts[:, k]
            given = np.flatnonzero(~empty)
            if len(given):  # a zone most meters have not: only its values read
                plain = np.zeros(n, dtype=bool)
                plain[given] = decimal_column(block, k, given)[1]
                usual &= plain | empty
            tail.append(("col", k, NULL))
        taken: blockwise.Field = ("tab", [NULL], np.zeros(n, dtype=np.int64))
        if i_taken is not None:
            names, day = blockwise.distinct(block, i_taken)
            day_of = [dates[v] if v in dates else dates.setdefault(v, date(v)) for v in names]
            usual &= np.array([d is not None for d in day_of], dtype=bool)[day]
            taken = ("tab", [NULL if d is None else d for d in day_of], day)
        dead = mid == 0  # refused as an unknown meter, before anything is seen
        for lo, hi, plain_run in blockwise.runs(usual | dead):
            if not plain_run:
                one_by_one(blockwise.records(block, lo, hi))
                continue
            some, gone = blockwise.split(lo, usual[lo:hi], dead[lo:hi])
            new = blockwise.fresh(seen_keys, month[some], mid[some])
            rows = some[new]
            if len(rows):
                texts = {m: month_text(m) for m in set(month[rows].tolist())}
                months_in, month_index = np.unique(month[rows], return_inverse=True)
                mids_in, mid_index = np.unique(mid[rows], return_inverse=True)
                fields: list[blockwise.Field] = [
                    ("tab", list(map(str, mids_in.tolist())), mid_index.ravel()),
                    ("tab", [texts[m] for m in months_in.tolist()], month_index.ravel()),
                    (taken[0], taken[1], taken[2][rows]),
                    ("tab", [str(IMPORT_SOURCE)], np.zeros(len(rows), dtype=np.int64)),
                    *[(kind, what, how[rows] if kind == "tab" else how) for kind, what, how in tail],
                ]
                written.add_block(blockwise.gather(block, rows, fields), len(rows))
            if len(rows) < hi - lo:  # repeated keys and unknown meters refused, in line order
                one_by_one(blockwise.picked(block, blockwise.merged(some[~new], gone)))

    def records(batch: list[blockwise.Record]) -> None:
        if not plain(batch):
            one_by_one(batch)

    blockwise.each(state, f, block_of, records, blocks=service_of is None)
    written.flush()
