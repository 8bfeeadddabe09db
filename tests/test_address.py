"""An address in one column read into its parts: the usual Russian forms, with or without a town, commas
or none; what cannot be read whole is no address (a problem at its line), never a guess."""

from __future__ import annotations

import pytest

from seed.legacy.address import Address, parse_address


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("ул. Ленина, д. 5, кв. 12", ("", "ул. Ленина", "5", "12")),
        ("г. Тверь, ул. Ленина, д. 5, корп. 2, кв. 12", ("г. Тверь", "ул. Ленина", "5 корп. 2", "12")),
        ("пр-т Мира, д.10 стр.1 кв.3", ("", "пр-т Мира", "10 стр. 1", "3")),
        ("ул Ленина д 5 кв 12", ("", "ул Ленина", "5", "12")),
        ("г. Тверь ул. Ленина д. 5", ("г. Тверь", "ул. Ленина", "5", "")),
        ("Советская ул., д. 5А, кв. 1", ("", "Советская ул.", "5А", "1")),
        ("ул. 8 Марта, д. 5/1, кв. 12а", ("", "ул. 8 Марта", "5/1", "12а")),
        ("Тверь, Ленина ул., 5, 12", ("Тверь", "Ленина ул.", "5", "12")),
        ("141400, Московская обл., г. Химки, ул. Мира, д. 1", ("г. Химки", "ул. Мира", "1", "")),
        ("д. Ивановка, ул. Садовая, д. 3", ("д. Ивановка", "ул. Садовая", "3", "")),
        ("пос. Светлый, мкр. Северный, дом 3, квартира 7", ("пос. Светлый", "мкр. Северный", "3", "7")),
        ("ул. Ленина, д. 5 к2, кв. 12", ("", "ул. Ленина", "5 корп. 2", "12")),
        ("пер. Кривой, д. 7", ("", "пер. Кривой", "7", "")),
        ("квартал Южный, д. 2, кв. 40", ("", "квартал Южный", "2", "40")),
    ],
)
def test_the_usual_forms_are_read_into_their_parts(text: str, parts: tuple[str, str, str, str]) -> None:
    assert parse_address(text) == Address(*parts)


@pytest.mark.parametrize(
    "text",
    ["", "нет адреса", "ул. Ленина", "д. 5, кв. 12", "ул. Ленина, д. 5, подъезд 2, кв. 3", "ул. Ленина, 5, 12, 14"],
)
def test_what_cannot_be_read_whole_is_no_address(text: str) -> None:
    assert parse_address(text) is None
