"""Stage one: accounts, and the buildings and premises they sit in."""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from itertools import islice
from typing import Any

from seed.errors import LegacyFormatError
from seed.legacy.importer.state import LOOKUP, Accepted, Ids, ImportState, escape
from seed.legacy.interpret import DUPLICATE_ELS, NULL, SERVICE_IDS, Refused, no_accounts
from seed.legacy.leaks import Digests
from seed.legacy.rows import AccountRow, AccountsRead, read_account
from seed.words.messages import Message


def read_accounts(state: ImportState) -> Accepted:
    """The lines of the accounts that can be loaded, each account's id (its place in file order) under its
    number; their originals noted for the leak scan (the rows themselves are read again to be written)."""
    f = state.open("accounts")
    if f is None:
        raise LegacyFormatError("accounts", None, "the mapping has no accounts file; nothing to load")
    accepted = Accepted()
    first_lines = Ids()  # hash(number) -> the line it was first read at
    read = AccountsRead(state.mapping, lambda number: first_lines.get(hash(number)))
    keep_els, kept_els = state.rules["els"] == "keep", Digests()
    numbers: list[str] = []  # the originals, noted for the leak scan a batch at a time
    els: list[str] = []
    for line, rec in state.rows(f):
        try:
            row = read_account(f, line, rec)
            if read.again(row):
                continue  # the account again, on the row of its next resident
            if read.known is not None:  # not a shared file: the numbers are ours to keep
                first_lines[hash(row.number)] = row.line
            if row.els and keep_els:
                if row.els in kept_els:
                    raise Refused(DUPLICATE_ELS, "els", row.els, personal=True)
                kept_els.add(row.els)
        except Refused as why:
            state.rejects.refuse(f.name, line, why)
            continue
        numbers.append(row.number)
        if row.els:
            els.append(row.els)
        if len(numbers) >= LOOKUP:
            _note(state, numbers, els)
        accepted.add(line)
        state.account_ids[hash(row.number)] = len(accepted)
        if state.noise:
            state.account_factors.append(state.factor(row.number))
    _note(state, numbers, els)
    if not state.result.read.get(f.name):
        raise no_accounts(f)
    state.duplicate_rows = read.duplicates
    return accepted


def _note(state: ImportState, numbers: list[str], els: list[str]) -> None:
    """Account numbers and ЕЛС read, as originals for the leak scan; the lists emptied."""
    state.originals.add_many("account number", numbers)
    state.originals.add_many("ЕЛС", els)
    numbers.clear()
    els.clear()


class Premises:
    """The premises as their accounts are read, one per flat of a building (a flat with several accounts
    is a shared flat of rooms): their ids under digests, and what their lines need in arrays by id, the
    flat's number and rooms as they came first (COPY text), about fifty bytes a premise."""

    def __init__(self) -> None:
        self.ids = Ids()  # hash((building id, flat in lower case)) -> the premise's id
        self.building, self.accounts, self.livings = array("i"), array("i"), array("i")
        self.total, self.living = array("d"), array("d")
        self.texts, self.ends = bytearray(), array("Q")  # "number\trooms" of each, one after another

    def add(self, building: int, row: AccountRow) -> int:
        """The id of the account's premise, with the account counted in."""
        key = hash((building, row.flat.lower()))
        pid = self.ids.get(key)
        if pid is None:
            pid = self.ids[key] = len(self.building) + 1
            self.building.append(building)
            for counts in (self.accounts, self.livings, self.total, self.living):
                counts.append(0)
            self.texts += f"{escape(row.flat)}\t{row.rooms}".encode()
            self.ends.append(len(self.texts))
        at = pid - 1
        self.accounts[at] += 1
        self.total[at] += float(row.total)
        if row.living != NULL:
            self.living[at] += float(row.living)
            self.livings[at] += 1
        return pid

    def lines(self) -> Iterator[str]:
        start = 0
        for at, end in enumerate(self.ends):
            number, rooms = self.texts[start:end].decode().rsplit("\t", 1)
            start, accounts = end, self.accounts[at]
            kind = "room" if accounts > 1 else "flat"
            living = f"{self.living[at]:.2f}" if self.livings[at] == accounts else NULL
            yield (
                f"{at + 1}\t{self.building[at]}\t{number}\t{kind}\t\\N\t\\N\t{rooms if accounts == 1 else NULL}\t"
                f"{self.total[at]:.2f}\t{living}\n"
            )


def write_places(state: ImportState, accepted: Accepted, services: bytearray) -> None:
    """The accounts (read again, with their pseudonyms), buildings (one per city, street and house) and
    premises (one per flat of a building), by COPY."""
    buildings: dict[tuple[str, str, str], list[Any]] = {}  # -> [id, city, street, house, services' bits]
    premises = Premises()
    used_addresses: set[str] = set()
    pseudonyms = _AccountPseudonyms(state)
    read, account_id = state.again("accounts", accepted), 0
    with state.lines("account") as lines:
        while batch := [read_account(f, line, rec) for f, line, rec in islice(read, LOOKUP)]:
            for row, (number, els) in zip(batch, pseudonyms.of_many(batch), strict=True):
                account_id += 1
                key = (row.city.lower(), row.street.lower(), row.house.lower())
                building = buildings.get(key)
                if building is None:
                    street, house = row.street, row.house
                    if state.rules["address"] == "replace":
                        street, house = _address(state, row.city, street, house, used_addresses)
                    building = buildings[key] = [len(buildings) + 1, row.city, street, house, 0]
                building[4] |= services[account_id]
                premise = premises.add(building[0], row)
                lines.add(
                    f"{account_id}\t{escape(number)}\t{escape(els)}\t{premise}\t{row.opened}\t{row.closed}\t"
                    f"{row.residents}\t{row.total}\t\\N\n"
                )
    if pseudonyms.invented:  # never without a word: the customer's accounts had none
        state.result.flags.append(Message.of("load.els_invented", count=pseudonyms.invented))
    with state.lines("building") as lines:
        for bid, city, street, house, bits in buildings.values():
            hot = "t" if bits & 1 << SERVICE_IDS["hot_water"] else "f"
            gas = "t" if bits & 1 << SERVICE_IDS["gas"] else "f"
            lines.add(
                f"{bid}\t{escape(city)}\t{escape(street)}\t{escape(house)}\t\\N\t\\N\t\\N\t\\N\t\\N\t{hot}\t{gas}\n"
            )
    with state.lines("premise") as lines:
        for text in premises.lines():
            lines.add(text)


class _AccountPseudonyms:
    """(number, ЕЛС) of each account as the demo shows them, unique among the accounts."""

    def __init__(self, state: ImportState) -> None:
        self.names, self.used_numbers, self.used_els = state.names, Digests(), Digests()
        self.keep_numbers, self.keep_els = state.rules["account_number"] == "keep", state.rules["els"] == "keep"
        self.invented = 0  # accounts the export gives no ЕЛС, given a made-up one

    def of_many(self, rows: list[AccountRow]) -> list[tuple[str, str]]:
        """(number, ЕЛС) of each row in turn, the originals asked about each kind's first candidates at once."""
        if self.keep_numbers:
            numbers = [row.number for row in rows]
        else:
            numbers = self.names.idents(
                ["account"] * len(rows), [row.number for row in rows], [self.used_numbers] * len(rows)
            )
        drawn = [row for row in rows if row.els and not self.keep_els or not row.els]
        self.invented += sum(not row.els for row in rows)
        kinds = ["els" if row.els else f"els:{row.number}" for row in drawn]
        els = iter(self.names.idents(kinds, [row.els or "00АА000000" for row in drawn], [self.used_els] * len(drawn)))
        return [
            (number, row.els if row.els and self.keep_els else next(els))
            for number, row in zip(numbers, rows, strict=True)
        ]


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
