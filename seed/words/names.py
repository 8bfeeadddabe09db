"""Our own codes a message lists (the fields of an account row, our services), as the customer reads them."""

from __future__ import annotations

from seed.words.word import LISTS, Word

# the fields of an account row a duplicate's message names
FIELDS: dict[str, Word] = {
    "number": Word("номер", "number"),
    "els": Word("ЕЛС", "els"),
    "city": Word("город", "city"),
    "street": Word("улица", "street"),
    "house": Word("дом", "house"),
    "flat": Word("квартира", "flat"),
    "total": Word("общая площадь", "total"),
    "living": Word("жилая площадь", "living"),
    "rooms": Word("комнат", "rooms"),
    "residents": Word("проживает", "residents"),
    "opened": Word("дата открытия", "opened"),
    "closed": Word("дата закрытия", "closed"),
}
# our service codes
SERVICES: dict[str, Word] = {
    "cold_water": Word("ХВС", "cold_water"),
    "hot_water": Word("ГВС", "hot_water"),
    "sewage": Word("водоотведение", "sewage"),
    "electricity": Word("электроэнергия", "electricity"),
    "heating": Word("отопление", "heating"),
    "gas": Word("газ", "gas"),
}
LISTS.update(fields=FIELDS, services=SERVICES)
