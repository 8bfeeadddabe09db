"""An address written in one column, as 1С and most old billing systems print it («г. Тверь, ул. Ленина,
д. 5, корп. 2, кв. 12»), read into the parts the books keep: the town (when the address names one), the
street as written, the house (with its корпус and строение, as «5 корп. 2 стр. 1») and the flat.

The parts are told by their markers («ул.», «пр-т», «пер.», «д.», «корп.», «стр.», «кв.», «г.», «пос.»
and their long forms), comma-separated or not; a part with no marker is placed by where it stands (the first
of several: the town; after the street: the house, then the flat). A region, a district and a postal index
are left out (the books keep no such field). Nothing is corrected: the street keeps its own spelling and
abbreviation. An address without a street or a house is no address: :func:`parse_address` returns None,
and the row is a problem at its line.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class Address(NamedTuple):
    city: str  # '' when the address names no town
    street: str
    house: str
    flat: str


_STREET_TYPES = (
    r"ул|улица|пр-т|пр-кт|просп|проспект|пр|пер|переулок|б-р|бульв|бульвар|ш|шоссе|наб|набережная|пл|площадь|"
    r"проезд|пр-д|мкр|мкрн|микрорайон|туп|тупик|аллея|ал|линия|квартал|кв-л|тракт|спуск|тер|территория|снт"
)
STREET = re.compile(rf"(?:^|\s)(?:{_STREET_TYPES})(?:\.|\s|$)", re.IGNORECASE)
TOWN = re.compile(
    r"^(?:г|гор|город|пос|посёлок|поселок|п|пгт|рп|р\.п|с|село|дер|деревня|ст-ца|станица|х|хутор|аул)"
    r"(?:\.\s*|\s+)(?=\D)",
    re.IGNORECASE,
)
LEFT_OUT = re.compile(
    r"^\d{6}$|(?:^|\s)(?:обл|область|р-н|район|край|респ|республика|ао|округ|россия|рф)(?:\.|\s|$)",
    re.IGNORECASE,
)
# A part of the house's own: its marker and a value shaped like a number (5, 5А, 5/1, 12-б; a корпус or
# строение may be one letter), and nothing after it: «д. 5 подъезд 2» or «кв. 12 (Иванов)» is not read
_VALUE = r"(\d+[а-яёa-z]?(?:[/-]\d*[а-яёa-z]?)?)"
_LETTER = r"(\d+[а-яёa-z]?|[а-яё])"
_SEP = r"(?:\.\s*|\s+|(?=\d))"
MARKED = {
    "house": re.compile(rf"(?:д|дом|вл|владение)(?:\.\s*|\s+)(?=\d){_VALUE}", re.IGNORECASE),
    "building": re.compile(rf"(?:корп|корпус|к){_SEP}{_LETTER}", re.IGNORECASE),
    "structure": re.compile(rf"(?:стр|строение|с){_SEP}{_LETTER}", re.IGNORECASE),
    "flat": re.compile(rf"(?:кв|квартира|пом|помещение|оф|офис){_SEP}{_VALUE}", re.IGNORECASE),
    "room": re.compile(rf"(?:ком|комн|комната){_SEP}{_VALUE}", re.IGNORECASE),
}
# the same markers before a digit: a part that starts so and is not read whole is no address
MARKER = re.compile(
    r"^(?:д|дом|вл|владение|корп|корпус|к|стр|строение|с|кв|квартира|пом|помещение|оф|офис|ком|комн|комната)"
    r"(?:\.\s*|\s+|(?=\d))\d",
    re.IGNORECASE,
)
NUMBER = re.compile(rf"{_VALUE}", re.IGNORECASE)  # a bare house or flat number
# A marker of the house's parts inside a part with no commas: «ул Ленина д 5 кв 12»
SPLIT = re.compile(
    r"\s+(?=(?:д|дом|вл|корп|корпус|к|стр|строение|с|кв|квартира|ком|комн|пом|оф)(?:\.\s*|\s+|(?=\d))\d)",
    re.IGNORECASE,
)
CITY_MARK = re.compile(r"^(?:г|гор|город)(?:\.\s*|\s+)|\s+(?:г|гор)\.?$", re.IGNORECASE)  # «г. Тверь», «Тверь г.»


def parse_address(text: str) -> Address | None:
    """The parts of an address in one column; None when it has no street or no house, when a part is given
    twice, or when a part fits nowhere."""
    parts = [p.strip() for chunk in text.replace(";", ",").split(",") for p in SPLIT.split(chunk.strip())]
    parts = [p for p in parts if p]
    city = street = ""
    own: dict[str, str] = {}  # the house's parts by kind
    loose: list[tuple[int, str]] = []  # parts with no marker, and where they stood
    for at, part in enumerate(parts):
        if LEFT_OUT.search(part) and not STREET.search(part):
            continue
        kind = next((k for k, pattern in MARKED.items() if pattern.fullmatch(part)), None)
        if kind in ("building", "structure") and "house" not in own:
            kind = None  # «к. 2» before any house: not a корпус
        if kind is not None:
            if kind in own:
                return None  # «кв. 12, кв. 13»: which one is not guessed
            found = MARKED[kind].fullmatch(part)
            assert found is not None
            own[kind] = found.group(1)
        elif MARKER.match(part):
            return None  # a house's part with more after it than its number
        elif (marker := STREET.search(part)) and not street:
            if TOWN.match(part) and marker.start() > 0 and not city:  # «г. Тверь ул. Ленина»
                city, street = part[: marker.start()].strip(), part[marker.start() :].strip()
            else:
                street = part
        elif TOWN.match(part) and not city and not street:
            city = part
        else:
            loose.append((at, part))
    for at, part in loose:
        if NUMBER.fullmatch(part) and street and not ("house" in own and "flat" in own):
            own["flat" if "house" in own else "house"] = part  # «Ленина ул., 5, 12»
        elif not NUMBER.fullmatch(part) and not city and at == 0 and len(parts) > 2:
            city = part  # «Тверь, Ленина ул., 5»: the first of several
        elif not NUMBER.fullmatch(part) and not street:
            street = part
        else:
            return None  # a part that fits nowhere: not guessed away
    house = own.get("house", "")
    if own.get("building"):
        house += f" корп. {own['building']}"
    if own.get("structure"):
        house += f" стр. {own['structure']}"
    flat = " ".join(x for x in (own.get("flat", ""), own.get("room") and f"ком. {own['room']}") if x)
    city = " ".join(CITY_MARK.sub("", city).split())
    if not street or not house:
        return None
    return Address(city, " ".join(street.split()), house, flat)
