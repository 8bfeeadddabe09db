"""Stage four: the meter readings (the longest file of an export), streamed by COPY."""

from __future__ import annotations

from itertools import islice

from seed.legacy.importer.state import LOOKUP, ImportState, Seen
from seed.legacy.interpret import DUPLICATE_READING, UNKNOWN_METER, Refused, service_code, text
from seed.legacy.interpret import SERVICE_IDS as IDS
from seed.legacy.rows import ServiceOf, reading_reader

IMPORT_SOURCE = 4  # reading_source 'import'


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
    seen = Seen(len(state.meter_ids)).again
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

    rows = state.rows(f)
    while batch := list(islice(rows, LOOKUP)):  # the meters' ids a batch of rows at a time
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
    written.flush()
