"""The standard export layout: the files and Russian column headers a customer's old system is asked
to produce (docs/export-layout.md). A mapping file adapts any other layout to it."""

from __future__ import annotations

import contextlib
from pathlib import Path

# entity -> (file name, [(field, Russian header, required)])
STANDARD: dict[str, tuple[str, list[tuple[str, str, bool]]]] = {
    "accounts": (
        "accounts.csv",
        [
            ("number", "ЛС", True),
            ("els", "ЕЛС", False),
            ("city", "Город", True),
            ("street", "Улица", True),
            ("house", "Дом", True),
            ("flat", "Квартира", False),
            ("total_area", "Общая площадь", True),
            ("living_area", "Жилая площадь", False),
            ("rooms", "Комнат", False),
            ("residents", "Проживает", True),
            ("opened_on", "Дата открытия", False),
            ("closed_on", "Дата закрытия", False),
        ],
    ),
    "persons": (
        "persons.csv",
        [
            ("account", "ЛС", True),
            ("surname", "Фамилия", True),
            ("given_name", "Имя", True),
            ("patronymic", "Отчество", False),
            ("birth_date", "Дата рождения", False),
            ("role", "Роль", False),
            ("share", "Доля", False),
            ("phone", "Телефон", False),
            ("email", "E-mail", False),
            ("snils", "СНИЛС", False),
            ("inn", "ИНН", False),
            ("passport", "Паспорт", False),
        ],
    ),
    "services": (
        "services.csv",
        [
            ("account", "ЛС", True),
            ("service", "Услуга", True),
            ("since", "Дата начала", False),
        ],
    ),
    "meters": (
        "meters.csv",
        [
            ("account", "ЛС", True),
            ("service", "Услуга", True),
            ("serial", "Заводской номер", True),
            ("zones", "Тарифность", False),
            ("capacity_digits", "Разрядность", False),
            ("installed_on", "Дата установки", False),
            ("verified_on", "Дата поверки", False),
            ("next_verification", "Дата следующей поверки", False),
            ("removed_on", "Дата снятия", False),
        ],
    ),
    "readings": (
        "readings.csv",
        [
            ("serial", "Заводской номер", True),
            ("service", "Услуга", True),
            ("period", "Период", True),
            ("taken_on", "Дата показаний", False),
            ("value1", "Показание 1", True),
            ("value2", "Показание 2", False),
            ("value3", "Показание 3", False),
        ],
    ),
    "balances": (
        "balances.csv",
        [
            ("account", "ЛС", True),
            ("service", "Услуга", True),
            ("period", "Период", True),
            ("opening", "Сальдо входящее", True),
            ("charged", "Начислено", True),
            ("recalculated", "Перерасчёт", False),
            ("paid", "Оплачено", True),
            ("closing", "Сальдо исходящее", True),
        ],
    ),
    "payments": (
        "payments.csv",
        [
            ("account", "ЛС", True),
            ("paid_on", "Дата оплаты", True),
            ("amount", "Сумма", True),
            ("agent", "Агент", False),
            ("registry", "Реестр", False),
            ("period", "Период", False),
        ],
    ),
    "totals": (
        "totals.csv",
        [
            ("service", "Услуга", True),
            ("period", "Период", True),
            ("opening", "Сальдо входящее", True),
            ("charged", "Начислено", True),
            ("paid", "Оплачено", True),
            ("closing", "Сальдо исходящее", True),
        ],
    ),
}
# The fields that hold a date (a mapping's `format` reads them); `period` holds a billing month.
DATE_FIELDS = frozenset(
    {"opened_on", "closed_on", "birth_date", "since", "installed_on", "verified_on", "next_verification"}
    | {"removed_on", "taken_on", "paid_on"}
)
# Fields a mapping may use beyond the standard layout's (the standard files do not carry them).
EXTRA_FIELDS: dict[str, list[tuple[str, str]]] = {
    "accounts": [("address", "the address in one column: town (if any), street, house, корпус, строение, flat")],
    "persons": [("full_name", "ФИО in one column: surname, given name, patronymic")],
    # «Перерасчёт» beside a «Начислено» that leaves it out: the totals' charged is compared as both together
    # (not in STANDARD: the standard layout's files, the export's own included, have no such column)
    "totals": [("recalculated", "«Перерасчёт»: the recalculations the totals' «Начислено» leaves out")],
}


def split_full_name(text: str) -> tuple[str, str, str]:
    """'Мамедов Али Гусейн оглы' -> ('Мамедов', 'Али', 'Гусейн оглы'): surname, given name, the rest."""
    parts = text.split()
    return (parts[0] if parts else "", parts[1] if len(parts) > 1 else "", " ".join(parts[2:]))


# Service names as old systems write them -> our service codes.
SERVICE_NAMES = {
    "хвс": "cold_water",
    "холодная вода": "cold_water",
    "холодное водоснабжение": "cold_water",
    "гвс": "hot_water",
    "горячая вода": "hot_water",
    "горячее водоснабжение": "hot_water",
    "водоотведение": "sewage",
    "канализация": "sewage",
    "стоки": "sewage",
    "электроэнергия": "electricity",
    "электроснабжение": "electricity",
    "эл.энергия": "electricity",
    "отопление": "heating",
    "теплоснабжение": "heating",
    "газ": "gas",
    "газоснабжение": "gas",
}


def write_template(directory: Path, encoding: str = "cp1251") -> list[Path]:
    """Write the standard layout's empty files (headers only, ';', CRLF, cp1251 as billing systems do).

    All or nothing: a file already there is refused before anything is written, and a write that fails
    (a folder one cannot write to, a full disk) takes back the files and the folder it made."""
    paths = [directory / file_name for file_name, _ in STANDARD.values()]
    for path in paths:
        if path.exists() or path.is_symlink():
            raise FileExistsError(path)
    made = not directory.exists()
    written: list[Path] = []
    try:
        directory.mkdir(parents=False, exist_ok=True)
        for path, (_, fields) in zip(paths, STANDARD.values(), strict=True):
            with path.open("xb") as out:
                written.append(path)
                out.write((";".join(h for _, h, _ in fields) + "\r\n").encode(encoding))
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        if made:
            with contextlib.suppress(OSError):
                directory.rmdir()
        raise
    return written
