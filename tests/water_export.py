"""An export as a small water utility's own old program writes it, for the tests that read one end to end.

Five files, none in the standard layout: accounts and their residents in ONE cp1251 CSV (one row per
resident, the account's columns repeated; an account with no one registered has one row with the
resident's columns empty), the meters in cp866 with tabs, the readings in an XLSX with numbers as
numeric cells and no service column (the meter's serial tells it), the balances in UTF-8 with a BOM and
no service column (the account's only meter tells it), the payments in a tab-separated ``.txt``. No city
column: the mapping gives it as a fixed value. A handful of faults are planted, each at a known line.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl

CITY = "Заречный"
MONTHS = ("01.2026", "02.2026", "03.2026")

# number, street, house, flat, area, registered, residents (surname, given name, patronymic, phone, birth)
ACCOUNTS = [
    ("100001", "Ленина", "1", "1", "45,5", "2", [
        ("Иванов", "Иван", "Иванович", "+7 912 345-67-01", "01.02.1970"),
        ("Иванова", "Мария", "Петровна", "", "03.04.1972"),
    ]),
    ("100002", "Ленина", "1", "2", "38", "1", [("Петров", "Пётр", "Петрович", "8 912 345 67 02", "05.06.1980")]),
    ("100003", "Ленина", "3", "5", "52,3", "3", [
        ("Сидоров", "Олег", "Ильич", "", "07.08.1965"),
        ("Сидорова", "Анна", "Олеговна", "", "09.10.1967"),
        ("Сидоров", "Илья", "Олегович", "", "11.12.1995"),
    ]),
    ("100004", "Мира", "7", "10", "60", "0", []),  # no one registered
    ("100005", "Мира", "7", "11", "41", "1", [("Козлова", "Вера", "Андреевна", "", "13.01.1950")]),
    ("100006", "Садовая", "2", "", "70", "2", [
        ("Морозов", "Андрей", "Викторович", "+7 912 345-67-06", "15.02.1975"),
        ("Морозова", "Елена", "Сергеевна", "", "17.03.1977"),
    ]),
]  # fmt: skip
# account, service, serial
METERS = [
    ("100001", "ХВС", "В-100001"),
    ("100002", "ХВС", "В-100002"),
    ("100003", "ХВС", "В-100003"),
    ("100003", "ГВС", "Г-100003"),  # two services: the account's balances cannot tell theirs
    ("100004", "ХВС", "С-777"),
    ("100005", "ГВС", "С-777"),  # the same serial on a meter of another service: its readings are ambiguous
    ("100006", "ХВС", "В-100006"),
]

ACCOUNT_HEADER = ["Лицевой счет", "Улица", "Дом", "Кв", "Площадь", "Прописано", "Фамилия", "Имя", "Отчество",
                  "Телефон", "Дата рождения"]  # fmt: skip
MAPPING = f"""# the water utility's own program, adapted to the standard layout
[files.accounts]
path = "абоненты.csv"
[files.accounts.columns]
number = "Лицевой счет"
street = "Улица"
house = "Дом"
flat = "Кв"
total_area = "Площадь"
residents = "Прописано"
[files.accounts.fixed]
city = "{CITY}"

[files.persons]
path = "абоненты.csv"
[files.persons.columns]
account = "Лицевой счет"
surname = "Фамилия"
given_name = "Имя"
patronymic = "Отчество"
phone = "Телефон"
birth_date = "Дата рождения"

[files.meters]
path = "счетчики.txt"
encoding = "cp866"
[files.meters.columns]
account = "Лиц.счет"
service = "Услуга"
serial = "Зав.номер"
installed_on = "Установлен"
next_verification = "Поверка до"

[files.readings]
path = "показания.xlsx"
[files.readings.columns]
serial = "Номер счетчика"
period = "Месяц"
value1 = "Показание"

[files.balances]
path = "сальдо.csv"
[files.balances.columns]
account = "ЛС"
period = "Период"
opening = "Долг на начало"
charged = "Начислено"
paid = "Оплачено"
closing = "Долг на конец"

[files.payments]
path = "платежи.txt"
[files.payments.columns]
account = "Лицевой счет"
paid_on = "Дата"
amount = "Сумма"
agent = "Банк"
"""

Fault = tuple[str, str, int]  # kind, file name, line


def _csv(path: Path, rows: list[list[str]], encoding: str, sep: str = ";") -> None:
    path.write_bytes(("\r\n".join(sep.join(r) for r in rows) + "\r\n").encode(encoding))


def write_water_export(folder: Path) -> tuple[Path, Path, list[Fault]]:
    """The export's folder, its mapping file, and the faults planted in it as (kind, file name, line)."""
    folder.mkdir(parents=True, exist_ok=True)
    faults: list[Fault] = []

    people: list[list[str]] = [ACCOUNT_HEADER]
    for number, street, house, flat, area, registered, residents in ACCOUNTS:
        place = [number, street, house, flat, area, registered]
        for person in residents or [("", "", "", "", "")]:
            people.append([*place, *person])
    people.append(["100002", "Садовая", "9", "3", "40", "1", "Лебедев", "Игорь", "Павлович", "", "19.04.1960"])
    faults.append(("duplicate_account", "абоненты.csv", len(people)))  # another account under a number in use
    _csv(folder / "абоненты.csv", people, "cp1251")

    meters = [["Лиц.счет", "Услуга", "Зав.номер", "Установлен", "Поверка до"]]
    meters += [[acc, service, serial, "01.01.2020", "01.01.2030"] for acc, service, serial in METERS]
    _csv(folder / "счетчики.txt", meters, "cp866", "\t")

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Номер счетчика", "Месяц", "Показание"])
    line = 1
    for k, (_, _, serial) in enumerate(METERS):
        if serial == "С-777" and k > 4:
            continue  # the ambiguous serial's readings are written once
        for m, month in enumerate(MONTHS):
            value: float = 100 * (k + 1) + 7.5 * m
            if serial == "В-100002" and m == 2:
                value = 100 * (k + 1) + 2  # below February's: a decrease
            sheet.append([serial, month, value if m else int(value)])  # January's as a whole number
            line += 1
            if serial == "В-100002" and m == 2:
                faults.append(("reading_decrease", "показания.xlsx", line))
            if serial == "С-777":
                faults.append(("ambiguous_service", "показания.xlsx", line))
    sheet.append(["В-999999", MONTHS[0], 5.25])  # no meter has this serial
    faults.append(("unknown_meter", "показания.xlsx", line + 1))
    book.save(folder / "показания.xlsx")

    balances = [["ЛС", "Период", "Долг на начало", "Начислено", "Оплачено", "Долг на конец"]]
    payments = [["Лицевой счет", "Дата", "Сумма", "Банк"]]
    for number, *_ in ACCOUNTS:
        opening = 0
        for m, month in enumerate(MONTHS):
            charged, paid = 300 + 25 * m, 250 + 25 * m
            closing = opening + charged - paid
            balances.append([number, month, f"{opening},00", f"{charged},00", f"{paid},00", f"{closing},00"])
            if number == "100003":  # two meters of two services: which service is this balance of?
                faults.append(("ambiguous_service", "сальдо.csv", len(balances)))
            payments.append([number, f"15.{month}", f"{paid},00", "Сбербанк"])
            if number == "100003":  # its balances left out (their service unknown): paid against nothing
                faults.append(("paid_not_payments", "платежи.txt", len(payments)))
            opening = closing
    (folder / "сальдо.csv").write_bytes(
        b"\xef\xbb\xbf" + ("\r\n".join(";".join(r) for r in balances) + "\r\n").encode("utf-8")
    )
    payments.append(["100001", "31.02.2026", "100,00", "Почта"])
    faults.append(("bad_value", "платежи.txt", len(payments)))  # not a date
    payments.append(["999999", "16.03.2026", "50,00", "Почта"])
    faults.append(("unknown_account", "платежи.txt", len(payments)))
    _csv(folder / "платежи.txt", payments, "cp1251", "\t")

    faults.append(("mixed_encodings", "", 0))  # cp1251, cp866 and UTF-8 in one export: reported, not refused
    mapping = folder.parent / f"{folder.name}-mapping.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return folder, mapping, sorted(faults)


def expected_counts() -> dict[str, int]:
    """What a load of the export keeps: the rows no planted fault touches."""
    persons = sum(len(residents) for *_, residents in ACCOUNTS)  # not the duplicate account's resident
    readings = (len(METERS) - 2) * len(MONTHS)  # the ambiguous serial's and the unknown one's left out
    return {
        "account": len(ACCOUNTS),
        "account_person": persons,
        "meter": len(METERS),
        "meter_reading": readings,
        "balance": (len(ACCOUNTS) - 1) * len(MONTHS),
        "payment": len(ACCOUNTS) * len(MONTHS),
    }
