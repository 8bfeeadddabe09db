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
HOUSE = re.compile(r"^(?:д|дом|вл|владение)(?:\.\s*|\s+)(?=\d)(.+)$", re.IGNORECASE)
BUILDING = re.compile(r"^(?:корп|корпус|к)(?:\.\s*|\s+|(?=\d))(.+)$", re.IGNORECASE)
STRUCTURE = re.compile(r"^(?:стр|строение|с)(?:\.\s*|\s+|(?=\d))(.+)$", re.IGNORECASE)
FLAT = re.compile(r"^(?:кв|квартира|ком|комн|комната|пом|помещение|оф|офис)(?:\.\s*|\s+|(?=\d))(.+)$", re.IGNORECASE)
NUMBER = re.compile(r"^\d+[\w/-]*$")  # 5, 5А, 5/1, 12-б
# A marker of the house's parts inside a part with no commas: «ул Ленина д 5 кв 12»
SPLIT = re.compile(
    r"\s+(?=(?:д|дом|вл|корп|корпус|к|стр|строение|кв|квартира|ком|комн|пом|оф)(?:\.\s*|\s+|(?=\d))\d)",
    re.IGNORECASE,
)


def parse_address(text: str) -> Address | None:
    """The parts of an address in one column; None when it has no street or no house."""
    parts = [p.strip() for chunk in text.replace(";", ",").split(",") for p in SPLIT.split(chunk.strip())]
    parts = [p for p in parts if p]
    city = street = house = building = structure = flat = ""
    loose: list[tuple[int, str]] = []  # parts with no marker, and where they stood
    for at, part in enumerate(parts):
        if LEFT_OUT.search(part) and not STREET.search(part):
            continue
        if found := HOUSE.match(part):
            house = house or found.group(1).strip()
        elif (found := BUILDING.match(part)) and house:
            building = building or found.group(1).strip()
        elif (found := STRUCTURE.match(part)) and house:
            structure = structure or found.group(1).strip()
        elif found := FLAT.match(part):
            flat = flat or found.group(1).strip()
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
        if NUMBER.match(part) and street and not (house and flat):
            house, flat = (house, part) if house else (part, flat)  # «Ленина ул., 5, 12»
        elif not NUMBER.match(part) and not city and at == 0 and len(parts) > 2:
            city = part  # «Тверь, Ленина ул., 5»: the first of several
        elif not NUMBER.match(part) and not street:
            street = part
        else:
            return None  # a part that fits nowhere: not guessed away
    if not street or not house:
        return None
    house = " ".join(x for x in (house, building and f"корп. {building}", structure and f"стр. {structure}") if x)
    return Address(city, street, house, flat)
