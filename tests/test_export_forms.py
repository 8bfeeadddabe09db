"""Forms real exports take: an address in one column read into its parts (the usual Russian forms, with or
without a town, commas or none; what cannot be read whole is no address, never a guess), and a printed
report's own rows (a header repeated at a page break, a totals row) told from its data."""

from __future__ import annotations

import pytest

from seed.legacy.address import Address, parse_address


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("ул. Ленина, д. 5, кв. 12", ("", "ул. Ленина", "5", "12")),
        ("г. Тверь, ул. Ленина, д. 5, корп. 2, кв. 12", ("Тверь", "ул. Ленина", "5 корп. 2", "12")),
        ("пр-т Мира, д.10 стр.1 кв.3", ("", "пр-т Мира", "10 стр. 1", "3")),
        ("ул Ленина д 5 кв 12", ("", "ул Ленина", "5", "12")),
        ("г. Тверь ул. Ленина д. 5", ("Тверь", "ул. Ленина", "5", "")),
        ("Советская ул., д. 5А, кв. 1", ("", "Советская ул.", "5А", "1")),
        ("ул. 8 Марта, д. 5/1, кв. 12а", ("", "ул. 8 Марта", "5/1", "12а")),
        ("Тверь, Ленина ул., 5, 12", ("Тверь", "Ленина ул.", "5", "12")),
        ("141400, Московская обл., г. Химки, ул. Мира, д. 1", ("Химки", "ул. Мира", "1", "")),
        ("д. Ивановка, ул. Садовая, д. 3", ("д. Ивановка", "ул. Садовая", "3", "")),
        ("пос. Светлый, мкр. Северный, дом 3, квартира 7", ("пос. Светлый", "мкр. Северный", "3", "7")),
        ("ул. Ленина, д. 5 к2, кв. 12", ("", "ул. Ленина", "5 корп. 2", "12")),
        ("пер. Кривой, д. 7", ("", "пер. Кривой", "7", "")),
        ("квартал Южный, д. 2, кв. 40", ("", "квартал Южный", "2", "40")),
        ("Тверь г., ул.  Ленина, д. 5, кв. 12, ком. 3", ("Тверь", "ул. Ленина", "5", "12 ком. 3")),
        ("ул. Ленина, д. 5, корп. А", ("", "ул. Ленина", "5 корп. А", "")),
    ],
)
def test_the_usual_forms_are_read_into_their_parts(text: str, parts: tuple[str, str, str, str]) -> None:
    assert parse_address(text) == Address(*parts)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "нет адреса",
        "ул. Ленина",
        "д. 5, кв. 12",
        "ул. Ленина, д. 5, подъезд 2, кв. 3",
        "ул. Ленина, 5, 12, 14",
        "ул. Ленина, д. 5 подъезд 2",  # more after a house's number than the number
        "ул. Ленина, д. 5, кв. 12 (Иванов И.И.)",  # a name beside the flat: never loaded as the flat
        "ул. Ленина, д. 5, с. Кузьминки",
        "ул. Ленина, д. 5, к. Маркса",
        "ул. Ленина, д. 5, кв. 12, кв. 13",  # a part twice: which one is not guessed
        "ул. Ленина, д. 5, д. 7",
    ],
)
def test_what_cannot_be_read_whole_is_no_address(text: str) -> None:
    assert parse_address(text) is None


# -- a printed report's own rows ----------------------------------------------------------------------------
HEADERS = {0: "ЛС", 2: "Улица", 5: "Общая площадь"}


@pytest.mark.parametrize(
    ("row", "kind"),
    [
        (["ЛС", "x", "Улица", "", "", "Общая площадь"], "header"),
        (["лс", "", "УЛИЦА", "", "", "общая площадь"], "header"),
        (["Итого:", "", "", "", "", "1234,5"], "totals"),
        (["", "Всего по дому", "", "", "", "80"], "totals"),
        (["ИТОГО", "", "", "", "", ""], "totals"),
        (["00012", "", "ул. Ленина", "", "", "54,2"], None),
        (["Итогов-1", "", "ул. Ленина", "", "", "54,2"], None),  # an account number that only begins alike
        (["ЛС", "", "ул. Ленина", "", "", "54,2"], None),  # one cell like the header is no header
        (["00012", "Итого", "", "", "", ""], None),  # a key of its own: a row of data, whatever else it says
    ],
)
def test_a_printed_reports_own_rows_are_told_from_data(row: list[str], kind: str | None) -> None:
    from seed.legacy.interpret import printed_kind

    assert printed_kind(row, HEADERS, 0) == kind
