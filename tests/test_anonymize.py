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
