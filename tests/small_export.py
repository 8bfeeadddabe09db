"""A small export in the standard layout, written row by row, for the tests that need exact lines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from seed.legacy.importer import ImportState, meters, money, persons, places, readings
from seed.legacy.layout import STANDARD

HEADERS = {entity: [h for _, h, _ in fields] for entity, (_, fields) in STANDARD.items()}


def write_export(folder: Path, rows: dict[str, list[list[str]]]) -> Path:
    """Each entity's rows (values in the standard layout's column order) as its cp1251 CSV; an entity
    left out gets a header-only file (totals: no file)."""
    folder.mkdir(parents=True, exist_ok=True)
    for entity, (file_name, _) in STANDARD.items():
        if entity == "totals" and entity not in rows:
            continue
        lines = [HEADERS[entity], *rows.get(entity, [])]
        (folder / file_name).write_bytes(("\r\n".join(";".join(r) for r in lines) + "\r\n").encode("cp1251"))
    return folder


def account(number: str, street: str = "Ленина", house: str = "1", flat: str = "1", **kw: str) -> list[str]:
    values = {
        "number": number, "els": "", "city": "Энск", "street": street, "house": house, "flat": flat,
        "total_area": "52,5", "living_area": "30", "rooms": "2", "residents": "2", "opened_on": "01.01.2020",
        "closed_on": "",
    }  # fmt: skip
    values.update(kw)
    return list(values.values())


def person(
    acc: str, surname: str, given: str, patronymic: str, role: str = "", share: str = "", **kw: str
) -> list[str]:
    values = {
        "account": acc, "surname": surname, "given_name": given, "patronymic": patronymic, "birth_date": "01.02.1970",
        "role": role, "share": share, "phone": "", "email": "", "snils": "", "inn": "", "passport": "",
    }  # fmt: skip
    values.update(kw)
    return list(values.values())


def meter(acc: str, service: str, serial: str, **kw: str) -> list[str]:
    values = {
        "account": acc, "service": service, "serial": serial, "zones": "1", "capacity_digits": "",
        "installed_on": "01.01.2020", "verified_on": "", "next_verification": "01.01.2030", "removed_on": "",
    }  # fmt: skip
    values.update(kw)
    return list(values.values())


def reading(serial: str, service: str, period: str, value: str, taken: str = "") -> list[str]:
    return [serial, service, period, taken, value, "", ""]


def balance(acc: str, service: str, period: str, opening: str, charged: str, paid: str, closing: str) -> list[str]:
    return [acc, service, period, opening, charged, "0", paid, closing]


def payment(acc: str, day: str, amount: str, agent: str = "Сбербанк") -> list[str]:
    return [acc, day, amount, agent, "", ""]


def tiny_export(folder: Path) -> Path:
    return write_export(
        folder,
        {
            "accounts": [account("1001"), account("1002")],
            "persons": [person("1001", "Иванов", "Пётр", "Сергеевич", "owner", "1")],
            "meters": [meter("1001", "ХВС", "X-1")],
            "readings": [reading("X-1", "ХВС", "01.2026", "10")],
            "balances": [balance("1001", "ХВС", "01.2026", "0", "100", "50", "50")],
            "payments": [payment("1001", "15.01.2026", "50")],
        },
    )


def load_stages(state: ImportState, sink: Callable[[str, str], None] = lambda table, text: None) -> tuple[Any, Any]:
    """The load's stages, with no database: the COPY text goes to ``sink``; the registries and agents the
    payments named."""
    state.sink = sink
    accounts = places.read_accounts(state)
    persons.write_persons(state, persons.read_persons(state))
    meters.write_meters(state, meters.read_meters(state))
    places.write_places(state, accounts, meters.write_services(state))
    readings.write_readings(state)
    money.write_balances(state)
    return money.write_payments(state)
