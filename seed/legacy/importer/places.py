"""Stage one: accounts, and the buildings and premises they sit in."""

from __future__ import annotations

from typing import Any

from seed.errors import LegacyFormatError
from seed.legacy.importer.state import Accepted, ImportState, escape
from seed.legacy.interpret import DUPLICATE_ELS, NULL, SERVICE_IDS, Refused, no_accounts
from seed.legacy.leaks import Digests
from seed.legacy.rows import AccountRow, AccountsRead, read_account


def read_accounts(state: ImportState) -> Accepted:
    """The lines of the accounts that can be loaded, each account's id (its place in file order) under its
    number; their originals noted for the leak scan (the rows themselves are read again to be written)."""
    f = state.open("accounts")
    if f is None:
        raise LegacyFormatError("accounts", None, "the mapping has no accounts file; nothing to load")
    accepted = Accepted()
    read = AccountsRead(state.mapping)
    keep_els, kept_els = state.rules["els"] == "keep", Digests()
    for line, rec in state.rows(f):
        try:
            row = read_account(f, line, rec)
            if read.again(row):
                continue  # the account again, on the row of its next resident
            if row.els and keep_els:
                if row.els in kept_els:
                    raise Refused(DUPLICATE_ELS, "els", row.els, personal=True)
                kept_els.add(row.els)
        except Refused as why:
            state.rejects.refuse(f.name, line, why)
            continue
        state.originals.add("account number", row.number)
        if row.els:
            state.originals.add("ЕЛС", row.els)
        accepted.add(line)
        state.account_ids[hash(row.number)] = len(accepted)
        if state.noise:
            state.account_factors.append(state.factor(row.number))
    if not state.result.read.get(f.name):
        raise no_accounts(f)
    state.duplicate_rows = read.duplicates
    return accepted


class _Premise:
    """A premise as its accounts are read: a flat with several accounts is a shared flat of rooms."""

    __slots__ = ("accounts", "building", "id", "living", "livings", "number", "rooms", "total")

    def __init__(self, pid: int, building: int, row: AccountRow) -> None:
        self.id, self.building, self.number, self.rooms = pid, building, row.flat, row.rooms
        self.accounts, self.total, self.living, self.livings = 0, 0.0, 0.0, 0

    def add(self, row: AccountRow) -> None:
        self.accounts += 1
        self.total += float(row.total)
        if row.living != NULL:
            self.living += float(row.living)
            self.livings += 1

    def line(self) -> str:
        kind = "room" if self.accounts > 1 else "flat"
        living = f"{self.living:.2f}" if self.livings == self.accounts else NULL
        rooms = self.rooms if self.accounts == 1 else NULL
        return (
            f"{self.id}\t{self.building}\t{escape(self.number)}\t{kind}\t\\N\t\\N\t{rooms}\t{self.total:.2f}\t"
            f"{living}\n"
        )


def write_places(state: ImportState, accepted: Accepted, services: bytearray) -> None:
    """The accounts (read again, with their pseudonyms), buildings (one per city, street and house) and
    premises (one per flat of a building), by COPY."""
    buildings: dict[tuple[str, str, str], list[Any]] = {}  # -> [id, city, street, house, services' bits]
    premises: dict[int, _Premise] = {}  # hash((building id, flat)) -> the premise
    used_addresses: set[str] = set()
    pseudonyms = _AccountPseudonyms(state)
    with state.lines("account") as lines:
        for account_id, (f, line, rec) in enumerate(state.again("accounts", accepted), start=1):
            row = read_account(f, line, rec)
            key = (row.city.lower(), row.street.lower(), row.house.lower())
            building = buildings.get(key)
            if building is None:
                street, house = row.street, row.house
                if state.rules["address"] == "replace":
                    street, house = _address(state, row.city, street, house, used_addresses)
                building = buildings[key] = [len(buildings) + 1, row.city, street, house, 0]
            building[4] |= services[account_id]
            premise = premises.get(pkey := hash((building[0], row.flat.lower())))
            if premise is None:
                premise = premises[pkey] = _Premise(len(premises) + 1, building[0], row)
            premise.add(row)
            number, els = pseudonyms.of(row)
            lines.add(
                f"{account_id}\t{escape(number)}\t{escape(els)}\t{premise.id}\t{row.opened}\t{row.closed}\t"
                f"{row.residents}\t{row.total}\t\\N\n"
            )
    with state.lines("building") as lines:
        for bid, city, street, house, bits in buildings.values():
            hot = "t" if bits & 1 << SERVICE_IDS["hot_water"] else "f"
            gas = "t" if bits & 1 << SERVICE_IDS["gas"] else "f"
            lines.add(
                f"{bid}\t{escape(city)}\t{escape(street)}\t{escape(house)}\t\\N\t\\N\t\\N\t\\N\t\\N\t{hot}\t{gas}\n"
            )
    with state.lines("premise") as lines:
        for p in premises.values():
            lines.add(p.line())


class _AccountPseudonyms:
    """(number, ЕЛС) of each account as the demo shows them, unique among the accounts."""

    def __init__(self, state: ImportState) -> None:
        self.names, self.used_numbers, self.used_els = state.names, Digests(), Digests()
        self.keep_numbers, self.keep_els = state.rules["account_number"] == "keep", state.rules["els"] == "keep"

    def of(self, row: AccountRow) -> tuple[str, str]:
        number = row.number if self.keep_numbers else self.names.ident("account", row.number, self.used_numbers)
        if row.els and self.keep_els:
            return number, row.els
        if row.els:
            return number, self.names.ident("els", row.els, self.used_els)
        # no ЕЛС in the export: a made-up one in the ГИС ЖКХ shape, keyed by the account
        return number, self.names.ident(f"els:{row.number}", "00АА000000", self.used_els)


def _address(state: ImportState, city: str, street: str, house: str, used: set[str]) -> tuple[str, str]:
    """Another street and house of the same city, never given to two buildings."""
    for attempt in range(64):
        new_street, new_house = state.anon.address(city, street, house, attempt)
        key = f"{city}|{new_street}|{new_house}".lower()
        if key not in used:
            used.add(key)
            return new_street, new_house
    k = 2
    while f"{city}|{new_street}|{new_house}к{k}".lower() in used:
        k += 1
    used.add(f"{city}|{new_street}|{new_house}к{k}".lower())
    return new_street, f"{new_house}к{k}"
