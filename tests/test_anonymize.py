"""Pseudonyms: keyed, stable, gender-agreeing, with valid check digits and kept formats."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest

from seed import people
from seed.legacy.anonymize import Anonymizer, load_or_create_key

KEY_A = bytes(range(32))
KEY_B = bytes(range(1, 33))


def test_the_key_is_made_once_in_a_0600_file(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "anonymization.key"
    key = load_or_create_key(path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path) == key
    path.write_text("short")
    with pytest.raises(ValueError, match="not an anonymization key"):
        load_or_create_key(path)


@pytest.mark.parametrize(
    ("surname", "patronymic", "gender"),
    [
        ("Иванов", "Петрович", "M"),
        ("Иванова", "Петровна", "F"),
        ("Кузьмина", "Ильинична", "F"),
        ("Мамедов", "Гасан оглы", "M"),
        ("Алиева", "", "F"),
        ("Шевчук", "Ивановна", "F"),
        ("Шевчук", "", "M"),
    ],
)
def test_gender_is_read_from_the_patronymic_or_the_surname(surname: str, patronymic: str, gender: str) -> None:
    assert Anonymizer.gender(surname, patronymic) == gender


def test_names_are_stable_per_key_and_agree_in_gender() -> None:
    a, b = Anonymizer(KEY_A), Anonymizer(KEY_A)
    first = a.full_name("Щербакова", "Анна", "Сергеевна", "1980-05-17")
    assert first == b.full_name("Щербакова", "Анна", "Сергеевна", "1980-05-17")
    assert first != Anonymizer(KEY_B).full_name("Щербакова", "Анна", "Сергеевна", "1980-05-17")
    surname, given, patronymic, gender = first
    assert gender == "F" and surname in people.SURNAMES_FEMALE and given in people.GIVEN_FEMALE
    assert patronymic.endswith(("вна", "чна"))
    male = a.full_name("Ёлкин", "Пётр", "Ильич")
    assert male[3] == "M" and male[0] in people.SURNAMES_MALE


def test_identifiers_keep_check_digits_and_formats() -> None:
    a = Anonymizer(KEY_A)
    for original in ("11223344595", "03678284794"):
        fake = a.snils(original)
        assert fake != original and people.valid_snils(fake)
    for original in ("500100732259", "7707083893"):
        fake = a.inn(original)
        assert len(fake) == len(original) and fake[:2] == original[:2] and people.valid_inn(fake) and fake != original
    phone = a.phone("+7 (912) 345-67-89")
    assert phone.startswith("+79") and len(phone) == 12 and phone == a.phone("89123456789")
    assert a.email("Anna@Mail.ru") == a.email("anna@mail.ru") and a.email("x@y.ru").endswith("@example.ru")
    account = a.keep_format("account", "0012-34/А")
    assert account != "0012-34/А" and len(account) == 9 and account[4] == "-" and account[7] == "/"
    assert account[:4].isdigit() and account[8] in "АБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЭЮЯ"
    assert a.keep_format("account", "0012-34/А") == account
    assert Anonymizer(KEY_B).keep_format("account", "0012-34/А") != account
    passport = a.passport("4509 123456")
    assert len(passport) == 11 and passport[4] == " "


def test_birth_dates_shift_by_at_most_half_a_year() -> None:
    a = Anonymizer(KEY_A)
    born = dt.date(1980, 5, 17)
    shifted = a.birth_date(born, "Щербакова Анна Сергеевна")
    assert abs((shifted - born).days) <= 180
    assert a.birth_date(born, "Щербакова Анна Сергеевна") == shifted


def test_a_birth_date_shift_is_never_zero_days() -> None:
    a = Anonymizer(KEY_A)
    born, people_ = dt.date(1980, 5, 17), [f"Иванов Иван {i}" for i in range(20_000)]
    drawn_zero = [p for p in people_ if a._int("birth", p) % 361 == 180]  # the first draw a zero shift
    assert len(drawn_zero) > 20  # so the case is exercised (about one in 361)
    shifts = [(a.birth_date(born, p) - born).days for p in people_]
    assert 0 not in shifts and min(shifts) == -180 and max(shifts) == 180
    assert abs(sum(s > 0 for s in shifts) - len(shifts) / 2) < len(shifts) * 0.02  # still even either way
    assert all(
        a.birth_date(born, p) == born + dt.timedelta(days=s) for p, s in zip(people_[:500], shifts, strict=False)
    )
    today = dt.date.today()  # a date near today is never kept for want of room ahead
    assert all(a.birth_date(today - dt.timedelta(days=d), p) != today - dt.timedelta(days=d)
               for d in (0, 1, 90) for p in drawn_zero + people_[:200])  # fmt: skip
    assert all(a.birth_date(today, p) <= today for p in people_[:200])


def test_redrawn_pseudonyms_keep_the_format_and_stay_valid() -> None:
    a = Anonymizer(KEY_A)
    for attempt in ("", "#1", "#2", "#17"):
        inn = a.inn_person("771234567890" + attempt)
        assert len(inn) == 12 and people.valid_inn(inn) and inn.startswith("77")
        assert len(a.inn("7712345678" + attempt)) == 10
        assert a.phone("8 (912) 123-45-67" + attempt).startswith("+79")
        assert len(a.passport("4510 123456" + attempt)) == 11
    assert len({a.inn_person("771234567890" + s) for s in ("", "#1", "#2")}) == 3


def test_pseudonyms_never_look_like_an_original_and_stay_unique() -> None:
    from seed.legacy.importer.state import Pseudonyms
    from seed.legacy.leaks import Originals

    originals = Originals()
    a = Anonymizer(KEY_A)
    first = a.keep_format("account", "00123")
    originals.add("account number", first)  # plant the very value the first draw would give
    originals.add("phone", "+7 912 123-45-67")
    names = Pseudonyms(a, originals)
    used: set[str] = set()
    drawn = [names.ident("account", "00123", used), names.ident("account", "00123", used)]
    assert first not in drawn and len(set(drawn)) == 2
    assert all(len(d) == 5 and d.isdigit() for d in drawn)


def test_the_leak_matcher_normalises_as_the_originals_were() -> None:
    from seed.legacy.leaks import Originals

    o = Originals()
    o.add("phone", "8 (912) 123-45-67")
    o.add("СНИЛС", "112-233-445 95")
    o.add("e-mail", "Ivanov@Mail.ru")
    o.add("account number", "0012345")
    o.add("account number", "12")
    o.add_name("Иванов", "Иван", "Иванович")
    assert o.match("+79121234567") == "phone"
    assert o.match("11223344595") == "СНИЛС"
    assert o.match("ivanov@mail.ru") == "e-mail"
    assert o.match("0012345") == "account number"
    assert o.match("12") is None  # too short to identify anybody (a flat "12" is no leak)
    assert o.match("иванов иван иванович") == "full name"
    assert o.match("Петров Пётр Петрович") is None


def test_columns_that_look_personal_are_found_by_header_or_values(tmp_path: Path) -> None:
    from seed.legacy.layout import write_template
    from seed.legacy.mapping import standard_mapping
    from seed.legacy.personal import find_personal_columns

    write_template(tmp_path)
    accounts = tmp_path / "accounts.csv"
    header = accounts.read_bytes().decode("cp1251").strip()
    rows = [header + ";Примечание;Контакт"]
    rows += [f"{i};;Энск;Мира;1;{i};50;30;2;2;;;abc{i};ivan{i}@mail.ru" for i in range(20)]
    accounts.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1251"))
    found = find_personal_columns(standard_mapping(tmp_path))
    assert [(f.column, f.mapped_to) for f in found] == [("Контакт", None)]
    assert found[0].why.text("en") == "20 of 20 sampled values look like a e-mail"
    assert found[0].why.text("ru") == "20 из 20 проверенных значений похожи на e-mail"
    payments = tmp_path / "payments.csv"  # a payer's name left unmapped, as registries write it: named
    head = payments.read_bytes().decode("cp1251").strip()
    names = ["Иванов И.И.", "ПЕТРОВ ПЁТР ПЕТРОВИЧ", "Сидорова А. В."]
    rows = [head + ";Кто"] + [f"{i};01.11.2026;100;;;;{names[i % 3]}" for i in range(20)]
    payments.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1251"))
    found = find_personal_columns(standard_mapping(tmp_path))
    assert [(f.file, f.column) for f in found] == [("accounts.csv", "Контакт"), ("payments.csv", "Кто")]
