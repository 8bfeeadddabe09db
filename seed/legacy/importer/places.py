"""Stage one: accounts, and the buildings and premises they sit in."""

from __future__ import annotations

from typing import Any

from seed.errors import LegacyFormatError
from seed.legacy.importer.state import ImportState, escape
from seed.legacy.interpret import DUPLICATE_ELS, NULL, SERVICE_IDS, Refused, no_accounts
from seed.legacy.rows import AccountRow, AccountsRead, read_account


def read_accounts(state: ImportState) -> list[AccountRow]:
    """The accounts that can be loaded, numbered in file order; their originals noted for the leak scan."""
    f = state.open("accounts")
    if f is None:
        raise LegacyFormatError("accounts", None, "the mapping has no accounts file; nothing to load")
    rows: list[AccountRow] = []
    read = AccountsRead(state.mapping)
    for line, rec in state.rows(f):
        try:
            row = read_account(f, line, rec)
            if read.again(row):
                continue  # the account again, on the row of its next resident
        except Refused as why:
            state.rejects.refuse(f.name, line, why)
            continue
        state.originals.add("account number", row.number)
        if row.els:
            state.originals.add("ЕЛС", row.els)
        rows.append(row)
    if not state.result.read.get(f.name):
        raise no_accounts(f)
    kept_els: set[str] = set()
    accounts: list[AccountRow] = []
    for row in rows:
        if row.els and state.rules["els"] == "keep":
            if row.els in kept_els:
                state.rejects.refuse(f.name, row.line, Refused(DUPLICATE_ELS, "els", row.els, personal=True))
                continue
            kept_els.add(row.els)
        accounts.append(row)
        state.account_ids[row.number] = len(accounts)
    state.duplicate_rows = read.duplicates
    return accounts


def account_pseudonyms(state: ImportState, accounts: list[AccountRow]) -> list[tuple[str, str]]:
    """(number, ЕЛС) of each account as the demo shows them."""
    used_numbers: set[str] = set()
    used_els: set[str] = set()
    shown = []
    keep_numbers, keep_els = state.rules["account_number"] == "keep", state.rules["els"] == "keep"
    for row in accounts:
        number = row.number if keep_numbers else state.names.ident("account", row.number, used_numbers)
        if row.els and keep_els:
            els = row.els
        elif row.els:
            els = state.names.ident("els", row.els, used_els)
        else:  # no ЕЛС in the export: a made-up one in the ГИС ЖКХ shape, keyed by the account
            els = state.names.ident(f"els:{row.number}", "00АА000000", used_els)
        shown.append((number, els))
    return shown


def write_places(
    state: ImportState, accounts: list[AccountRow], shown: list[tuple[str, str]], services: dict[int, set[int]]
) -> None:
    """Buildings (one per city, street and house), premises (one per flat of a building; a flat with
    several accounts is a shared flat of rooms) and the accounts, by COPY."""
    buildings: dict[tuple[str, str, str], dict[str, Any]] = {}
    premises: dict[tuple[int, str], dict[str, Any]] = {}
    premise_of: list[int] = []
    used_addresses: set[str] = set()
    for account_id, row in enumerate(accounts, start=1):
        key = (row.city.lower(), row.street.lower(), row.house.lower())
        building = buildings.get(key)
        if building is None:
            street, house = row.street, row.house
            if state.rules["address"] == "replace":
                street, house = _address(state, row.city, street, house, used_addresses)
            building = {"id": len(buildings) + 1, "city": row.city, "street": street, "house": house, "svc": set()}
            buildings[key] = building
        building["svc"] |= services.get(account_id, set())
        pkey = (building["id"], row.flat.lower())
        premise = premises.get(pkey)
        if premise is None:
            premise = {"id": len(premises) + 1, "building": building["id"], "number": row.flat, "accounts": []}
            premises[pkey] = premise
        premise["accounts"].append(row)
        premise_of.append(premise["id"])
    with state.lines("building") as lines:
        for b in buildings.values():
            hot = "t" if SERVICE_IDS["hot_water"] in b["svc"] else "f"
            gas = "t" if SERVICE_IDS["gas"] in b["svc"] else "f"
            city, street, house = escape(b["city"]), escape(b["street"]), escape(b["house"])
            lines.add(f"{b['id']}\t{city}\t{street}\t{house}\t\\N\t\\N\t\\N\t\\N\t\\N\t{hot}\t{gas}\n")
    with state.lines("premise") as lines:
        for p in premises.values():
            accs: list[AccountRow] = p["accounts"]
            kind = "room" if len(accs) > 1 else "flat"
            total = sum(float(a.total) for a in accs)
            livings = [a.living for a in accs if a.living != NULL]
            living = f"{sum(float(v) for v in livings):.2f}" if len(livings) == len(accs) else NULL
            rooms = accs[0].rooms if len(accs) == 1 else NULL
            number = escape(p["number"])
            lines.add(f"{p['id']}\t{p['building']}\t{number}\t{kind}\t\\N\t\\N\t{rooms}\t{total:.2f}\t{living}\n")
    with state.lines("account") as lines:
        for account_id, (a, (number, els), premise_id) in enumerate(zip(accounts, shown, premise_of, strict=True), 1):
            lines.add(
                f"{account_id}\t{escape(number)}\t{escape(els)}\t{premise_id}\t{a.opened}\t{a.closed}\t"
                f"{a.residents}\t{a.total}\t\\N\n"
            )


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
