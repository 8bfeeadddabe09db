"""Stage four: the meter readings (the longest file of an export), streamed by COPY."""

from __future__ import annotations

from array import array
from typing import Any

from seed.legacy.importer.state import BATCH, ImportState
from seed.legacy.interpret import (
    NOT_A_PERIOD,
    NULL,
    UNKNOWN_METER,
    Refused,
    iso_date,
    month_number,
    reading_reader,
    service_code,
    text,
)
from seed.legacy.interpret import SERVICE_IDS as IDS

IMPORT_SOURCE = 4  # reading_source 'import'


class KeyColumns:
    """The identity of each row written (a few integer columns) and its line, to find the rows that
    repeat a key once the file is loaded."""

    def __init__(self, *typecodes: str) -> None:
        self.columns = [array(t) for t in typecodes]
        self.lines = array("i")

    def appenders(self) -> list[Any]:
        """The append of each key column, then of the lines: for a loop that adds a row at a time."""
        return [c.append for c in self.columns] + [self.lines.append]


def write_readings(state: ImportState) -> KeyColumns:
    """meter_reading by COPY; returns (meter, month) of each row written, for the duplicates."""
    keys = KeyColumns("i", "i")
    f = state.open("readings")
    if f is None:
        return keys
    ix = f.index
    i_serial, i_service, i_period, i_taken = ix["serial"], ix["service"], ix["period"], ix.get("taken_on")
    meters, month_of, month_text, zones = state.meter_ids.get, month_number, state.month, reading_reader(f)
    services: dict[object, int | None] = {}
    add_meter, add_month, add_line = keys.appenders()
    refuse = state.rejects.refuse
    out: list[str] = []
    for line, rec in state.rows(f):
        try:
            raw_service = rec[i_service]
            sid = services.get(raw_service, -1)
            if sid == -1:
                code = service_code(raw_service)
                sid = services[raw_service] = IDS[code] if code else None
            serial = rec[i_serial]
            mid = meters((sid, serial.strip() if type(serial) is str else text(serial))) if sid is not None else None
            if mid is None:
                raise Refused(UNKNOWN_METER, "serial", serial, personal=True)
            month = month_of(rec[i_period])
            if month is None:
                raise Refused(NOT_A_PERIOD, "period", rec[i_period])
            values = zones(rec)
            taken = iso_date(rec[i_taken], fld="taken_on") if i_taken is not None else NULL
        except Refused as why:
            refuse(f.name, line, why)
            continue
        add_meter(mid)
        add_month(month)
        add_line(line)
        out.append(f"{mid}\t{month_text(month)}\t{taken}\t{IMPORT_SOURCE}\t{values[0]}\t{values[1]}\t{values[2]}\n")
        if len(out) >= BATCH:
            state.emit("meter_reading", out)
    state.emit("meter_reading", out, True)
    return keys
