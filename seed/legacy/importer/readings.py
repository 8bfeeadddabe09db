"""Stage four: the meter readings (the longest file of an export), streamed by COPY."""

from __future__ import annotations

from array import array

from seed.legacy.importer.state import BATCH, ImportState
from seed.legacy.interpret import (
    NOT_A_PERIOD,
    NULL,
    READING,
    UNKNOWN_METER,
    Refused,
    iso_date,
    month_number,
    reading_values,
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
        self.lines = array("q")


def write_readings(state: ImportState) -> KeyColumns:
    """meter_reading by COPY; returns (meter, month) of each row written, for the duplicates."""
    keys = KeyColumns("q", "q")
    f = state.open("readings")
    if f is None:
        return keys
    ix = f.index
    i_serial, i_service, i_period, i_v1 = ix["serial"], ix["service"], ix["period"], ix["value1"]
    i_taken, i_v2, i_v3 = ix.get("taken_on"), ix.get("value2"), ix.get("value3")
    meters, month_of, month_text, fast = state.meter_ids.get, month_number, state.month, READING
    services: dict[object, int | None] = {}
    meter_col, month_col, line_col = keys.columns[0], keys.columns[1], keys.lines
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
            v1 = rec[i_v1]
            one_zone = (i_v2 is None or rec[i_v2] == "") and (i_v3 is None or rec[i_v3] == "")
            if one_zone and type(v1) is str and fast(v1.replace(",", ".")):
                values = [v1.replace(",", "."), NULL, NULL]  # the common case: one zone
            else:
                values = reading_values(f, rec)
            taken = iso_date(rec[i_taken], fld="taken_on") if i_taken is not None else NULL
        except Refused as why:
            refuse(f.name, line, why)
            continue
        meter_col.append(mid)
        month_col.append(month)
        line_col.append(line)
        out.append(f"{mid}\t{month_text(month)}\t{taken}\t{IMPORT_SOURCE}\t{values[0]}\t{values[1]}\t{values[2]}\n")
        if len(out) >= BATCH:
            state.emit("meter_reading", out)
    state.emit("meter_reading", out, True)
    return keys
