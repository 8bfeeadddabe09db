"""Stage three: the services each account receives, and the meters."""

from __future__ import annotations

from collections import defaultdict
from itertools import islice

import numpy as np

from seed.legacy.importer.state import LOOKUP, Accepted, ImportState, escape
from seed.legacy.interpret import DUPLICATE_METER, DUPLICATE_SERVICE, SERVICE_IDS, Refused
from seed.legacy.leaks import Digests
from seed.legacy.rows import read_meter, read_service


def write_services(state: ImportState) -> bytearray:
    """account_service by COPY; the services of each account as bits (1 << service id) at its id (a
    building's hot water and gas follow from its accounts')."""
    services = bytearray(len(state.account_ids) + 1)
    f = state.open("services")
    if f is None:
        named = state.services_found()  # none: the meters' services (noted as they were written)
        return services if named is None else write_found_services(state, named)
    with state.lines("account_service") as lines:
        for line, rec, found in state.with_accounts(f, state.rows(f)):
            try:
                account = state.loaded(f, rec, found)
                code, since = read_service(f, rec)
                bit = 1 << SERVICE_IDS[code]
                if services[account] & bit:
                    raise Refused(DUPLICATE_SERVICE, "service", f.raw(rec, "service"))
            except Refused as why:
                state.rejects.refuse(f.name, line, why)
                continue
            services[account] |= bit
            lines.add(f"{account}\t{SERVICE_IDS[code]}\t{since}\n")
    return services


def write_found_services(state: ImportState, found: bytearray, before: bytearray | None = None) -> bytearray:
    """account_service by COPY from the services the meters (and balances) name, with no month they began
    (the export does not say it); those already written (``before``) left out. Returns ``found``."""
    bits = np.frombuffer(found, dtype=np.uint8)
    if before is not None and len(before) == len(found):
        bits = bits & ~np.frombuffer(before, dtype=np.uint8)
    with state.lines("account_service") as lines:
        for sid in range(8):
            accounts = np.flatnonzero(bits & 1 << sid).tolist()
            for at in range(0, len(accounts), LOOKUP):
                some = accounts[at : at + LOOKUP]
                lines.add_block("".join(f"{account}\t{sid}\t\\N\n" for account in some), len(some))
                state.found_services_written += len(some)
    return found


def read_meters(state: ImportState) -> Accepted:
    """The lines of the meters that can be loaded; serials noted for the scan (the rows themselves are read
    again to be written, once every original is known)."""
    accepted = Accepted()
    f = state.open("meters")
    if f is None:
        return accepted
    seen = Digests()  # (service, serial)
    serials: list[str] = []  # their originals, noted a batch at a time
    for line, rec, account in state.with_accounts(f, state.rows(f)):
        try:
            state.loaded(f, rec, account)
            row = read_meter(f, line, rec)
            if (row.service, row.serial) in seen:
                raise Refused(DUPLICATE_METER, "serial", row.serial, personal=True)
        except Refused as why:
            state.rejects.refuse(f.name, line, why)
            continue
        seen.add((row.service, row.serial))
        serials.append(row.serial)
        accepted.add(line)
        if len(serials) >= LOOKUP:
            state.originals.add_many("meter serial", serials)
            serials.clear()
    state.originals.add_many("meter serial", serials)
    return accepted


def write_meters(state: ImportState, accepted: Accepted) -> None:
    """meter by COPY, numbered in file order; each meter's id under the digest of its (service, serial). The
    serials' pseudonyms :data:`LOOKUP` meters at a time (:meth:`~seed.legacy.importer.state.Pseudonyms.idents`)."""
    used: dict[int, Digests] = defaultdict(Digests)
    keep = state.rules["meter_serial"] == "keep"
    found = state.services_found()  # None when a services file says each account's services
    rows, mid = state.again_with_accounts("meters", accepted), 0
    with state.lines("meter") as lines:
        while batch := list(islice(rows, LOOKUP)):
            read = [(read_meter(f, line, rec), account) for f, line, rec, account in batch]
            sids = [SERVICE_IDS[m.service] for m, _ in read]
            serials = [m.serial for m, _ in read]
            if keep:
                pseudonyms = serials
            else:
                kinds = [f"serial:{sid}" for sid in sids]
                pseudonyms = state.names.idents(kinds, serials, [used[sid] for sid in sids])
            for (m, account), sid, pseudo in zip(read, sids, pseudonyms, strict=True):
                mid += 1
                if found is not None:
                    found[account] |= 1 << sid
                state.meter_ids[hash((sid, m.serial))] = mid
                if state.noise:
                    state.meter_factors.append(state.factor(f"{sid}|{m.serial}"))
                lines.add(
                    f"{mid}\t{account}\t{sid}\t{escape(pseudo)}\t{m.zones}\t{m.digits}\t{m.installed}\t"
                    f"{m.verified}\t{m.next_verification}\t{m.removed}\t\\N\n"
                )
