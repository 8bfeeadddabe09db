"""Stage three: the services each account receives, and the meters."""

from __future__ import annotations

from collections import defaultdict

from seed.legacy.importer.state import ImportState, escape
from seed.legacy.interpret import DUPLICATE_METER, DUPLICATE_SERVICE, SERVICE_IDS, Refused
from seed.legacy.rows import MeterRow, read_meter, read_service


def write_services(state: ImportState) -> dict[int, set[int]]:
    """account_service by COPY; the service ids of each account id (a building's hot water and gas
    follow from its accounts')."""
    services: dict[int, set[int]] = defaultdict(set)
    f = state.open("services")
    if f is None:
        return services
    with state.lines("account_service") as lines:
        for line, rec in state.rows(f):
            try:
                account = state.account_of(f, rec)
                code, since = read_service(f, rec)
                sid = SERVICE_IDS[code]
                if sid in services[account]:
                    raise Refused(DUPLICATE_SERVICE, "service", f.raw(rec, "service"))
            except Refused as why:
                state.rejects.refuse(f.name, line, why)
                continue
            services[account].add(sid)
            lines.add(f"{account}\t{sid}\t{since}\n")
    return services


def read_meters(state: ImportState) -> list[tuple[int, MeterRow]]:
    """(account id, meter) of every meter that can be loaded; serials noted for the scan."""
    f = state.open("meters")
    if f is None:
        return []
    rows = []
    seen: set[tuple[str, str]] = set()
    for line, rec in state.rows(f):
        try:
            account = state.account_of(f, rec)
            row = read_meter(f, line, rec)
            if (row.service, row.serial) in seen:
                raise Refused(DUPLICATE_METER, "serial", row.serial, personal=True)
        except Refused as why:
            state.rejects.refuse(f.name, line, why)
            continue
        seen.add((row.service, row.serial))
        state.originals.add("meter serial", row.serial)
        rows.append((account, row))
    return rows


def write_meters(state: ImportState, rows: list[tuple[int, MeterRow]]) -> None:
    used: dict[int, set[str]] = defaultdict(set)
    keep = state.rules["meter_serial"] == "keep"
    with state.lines("meter") as lines:
        for mid, (account, m) in enumerate(rows, start=1):
            sid = SERVICE_IDS[m.service]
            pseudo = m.serial if keep else state.names.ident(f"serial:{sid}", m.serial, used[sid])
            state.meter_ids[(sid, m.serial)] = mid
            lines.add(
                f"{mid}\t{account}\t{sid}\t{escape(pseudo)}\t{m.zones}\t{m.digits}\t{m.installed}\t"
                f"{m.verified}\t{m.next_verification}\t{m.removed}\t\\N\n"
            )
