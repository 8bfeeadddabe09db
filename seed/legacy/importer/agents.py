"""The payments' agents matched to the built-in ones (seed.catalog.AGENTS) as a person reads a name: «сбербанк»,
«Сбер» and «ПАО Сбербанк» are one bank, not three. Only a name that matches none is added, as it was first
written, and the load report names it."""

from __future__ import annotations

import re

from seed import catalog

# the names an export gives the built-in agents, beside the catalog's own (compared as :func:`agent_key` gives)
SHORT_NAMES: dict[int, tuple[str, ...]] = {
    1: ("Сбербанк", "Сбер", "Сбербанк России", "ПАО Сбербанк России", "SberBank", "Сбербанк Онлайн"),
    2: ("ВТБ", "Банк ВТБ", "ВТБ 24", "ВТБ24", "ВТБ Онлайн"),
    3: ("Т-Банк", "Тинькофф", "Тинькофф Банк", "Tinkoff", "T-Bank"),
    4: ("Почта России", "Почта", "ФГУП Почта России", "ФГУП «Почта России»", "УФПС", "Отделение почты"),
    5: ("Касса", "Касса РЦ", "Касса расчетного центра", "Касса ЕРЦ", "Касса РКЦ"),
    6: ("СБП", "Оплата на сайте", "Сайт", "Система быстрых платежей", "Личный кабинет"),
}
LEGAL_FORMS = frozenset({"пао", "оао", "зао", "ао", "ооо", "фгуп", "гуп", "муп", "нко"})
NOT_WORD = re.compile(r"[^\w]+")


def agent_key(name: str) -> str:
    """A name as it is compared: lower case, «ё» as «е», without quotes, brackets, dashes and the legal form."""
    words = NOT_WORD.sub(" ", name.lower().replace("ё", "е")).split()
    return " ".join(w for w in words if w not in LEGAL_FORMS)


class Agents:
    """The agent id of each name the payments give, a built-in one where the name matches one, else a new id
    (the next after the largest) under the name as first written."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}  # agent_key -> id
        for aid, label, *_ in catalog.AGENTS:
            self.ids[agent_key(label)] = aid
        for aid, names in SHORT_NAMES.items():
            for name in names:
                self.ids.setdefault(agent_key(name), aid)
        self.next = max(a[0] for a in catalog.AGENTS) + 1
        self.added: dict[str, int] = {}  # a new agent's name as first written -> its id
        self.known: dict[str, int] = {}  # a name as written -> its id (each name is matched once)

    def id(self, name: str) -> int:
        found = self.known.get(name)
        if found is None:
            key = agent_key(name) or name.strip().lower()
            found = self.ids.get(key)
            if found is None:
                found = self.ids[key] = self.next
                self.added[name.strip()] = found
                self.next += 1
            self.known[name] = found
        return found
