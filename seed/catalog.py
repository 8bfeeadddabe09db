"""Reference data of one client's books: city and streets, suppliers, services, tariffs, norms,
payment agents, billing periods. Small, built once per seed, and shared by every chunk."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from seed.people import inn_company
from seed.period import month_add

# (city, region code for ИНН/ЕЛС, ОКТМО of the city)
CITIES = [
    ("Тверь", 69, "28701000"),
    ("Вологда", 35, "19701000"),
    ("Кострома", 44, "34701000"),
    ("Калуга", 40, "29701000"),
    ("Тамбов", 68, "68701000"),
    ("Липецк", 48, "42701000"),
    ("Киров", 43, "33701000"),
    ("Пенза", 58, "56701000"),
    ("Орёл", 57, "54701000"),
    ("Смоленск", 67, "66701000"),
    ("Псков", 60, "58701000"),
    ("Иваново", 37, "24701000"),
    ("Брянск", 32, "15701000"),
    ("Владимир", 33, "17701000"),
    ("Ярославль", 76, "78701000"),
    ("Курган", 45, "37701000"),
    ("Саранск", 13, "89701000"),
    ("Чебоксары", 21, "97701000"),
]
STREETS = [
    "улица Ленина",
    "улица Мира",
    "Советская улица",
    "улица Гагарина",
    "Молодёжная улица",
    "Школьная улица",
    "Садовая улица",
    "Лесная улица",
    "Набережная улица",
    "Октябрьская улица",
    "улица Пушкина",
    "Комсомольская улица",
    "Первомайская улица",
    "улица Строителей",
    "улица Победы",
    "улица Кирова",
    "улица Чкалова",
    "Заводская улица",
    "Юбилейная улица",
    "Центральная улица",
    "Полевая улица",
    "Зелёная улица",
    "Рабочая улица",
    "Пролетарская улица",
    "улица Маяковского",
    "улица Горького",
    "улица Чехова",
    "улица Лермонтова",
    "проспект Мира",
    "Ленинский проспект",
    "проспект Победы",
    "Московский проспект",
    "Октябрьский проспект",
    "бульвар Гагарина",
    "Театральный переулок",
    "Почтовый переулок",
    "Речной переулок",
    "улица Фрунзе",
    "улица Жуковского",
    "улица Суворова",
    "улица Калинина",
    "улица Дзержинского",
    "Вокзальная улица",
    "Северная улица",
    "Южная улица",
    "улица Тургенева",
    "улица Некрасова",
    "улица Гоголя",
    "Партизанская улица",
    "улица Ломоносова",
]

SERVICE_COLD, SERVICE_HOT, SERVICE_SEWAGE, SERVICE_POWER, SERVICE_HEAT, SERVICE_GAS = 1, 2, 3, 4, 5, 6
SERVICE_IDS = np.array([1, 2, 3, 4, 5, 6])
# id: (code, name, unit, supplier, metered, verification years, capacity digits,
#      tariff band in roubles at the start, norm per person or m2, norm basis)
SERVICES: dict[int, tuple[Any, ...]] = {
    1: ("cold_water", "Холодное водоснабжение", "м³", 1, True, 6, 5, (30.0, 75.0), 4.5, "person"),
    2: ("hot_water", "Горячее водоснабжение", "м³", 2, True, 4, 5, (150.0, 330.0), 3.0, "person"),
    3: ("sewage", "Водоотведение", "м³", 1, False, None, None, (25.0, 60.0), 7.5, "person"),
    4: ("electricity", "Электроснабжение", "кВт·ч", 3, True, 16, 6, (4.0, 9.5), 100.0, "person"),
    5: ("heating", "Отопление", "Гкал", 2, False, None, None, (1800.0, 4000.0), 0.0215, "m2"),
    6: ("gas", "Газоснабжение", "м³", 4, True, 10, 5, (7.0, 12.0), 10.0, "person"),
}
SUPPLIERS = [
    (1, "МУП «Водоканал»"),
    (2, "АО «Теплосеть»"),
    (3, "АО «Энергосбыт»"),
    (4, "ООО «Газпром межрегионгаз»"),
]
# id: (name, share of payers, commission %, registry format)
AGENTS = [
    (1, "ПАО Сбербанк", 0.60, 1.20, "sber_standard"),
    (2, "Банк ВТБ (ПАО)", 0.12, 1.00, "semicolon_registry"),
    (3, "АО «Т-Банк»", 0.10, 0.80, "semicolon_registry"),
    (4, "АО «Почта России»", 0.07, 1.50, "hash_header"),
    (5, "Касса расчётного центра", 0.06, 0.00, "internal"),
    (6, "Оплата на сайте (СБП)", 0.05, 0.40, "internal"),
]
CHARGE_METHODS = [
    (1, "meter", "по прибору учёта"),
    (2, "average", "по среднему"),
    (3, "norm", "по нормативу"),
]
METHOD_METER, METHOD_AVERAGE, METHOD_NORM = 1, 2, 3
READING_SOURCES = [
    (1, "resident", "житель (квитанция, звонок)"),
    (2, "web", "личный кабинет"),
    (3, "inspector", "контролёр"),
    (4, "import", "перенесено из прежней системы"),
]
# Zones: 0 single-rate; two-zone: 1 day, 2 night; three-zone: 1 peak, 2 night, 3 half-peak.
ZONE_PRICE_FACTOR = {0: 1.0, 1: 1.15, 2: 0.45, 3: 1.0}
HEATING_MONTHS = {1, 2, 3, 4, 10, 11, 12}
COLD_WATER_FACTOR_FROM = dt.date(2025, 12, 1)


@dataclass
class Catalog:
    """Everything small and shared. Prices are in 1/10000 rouble, norms in 1/1000 unit (integers)."""

    seed: int
    periods: list[dt.date]
    city: str
    region: int
    oktmo: str
    suppliers: list[tuple[Any, ...]] = field(default_factory=list)
    tariffs: list[tuple[Any, ...]] = field(default_factory=list)
    norms: list[tuple[Any, ...]] = field(default_factory=list)
    # price[service, zone, period] in 1e-4 RUB; norm[service] in 1e-3 unit (1e-6 Gcal for heating)
    price: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    norm_milli: dict[int, int] = field(default_factory=dict)

    @property
    def months(self) -> int:
        return len(self.periods)

    def norm_factor(self, service: int) -> npt.NDArray[np.float64]:
        """The increasing factor on norm charges per period (x1.5; x3 for cold water from Dec 2025)."""
        factors = [3.0 if service == SERVICE_COLD and p >= COLD_WATER_FACTOR_FROM else 1.5 for p in self.periods]
        return np.array(factors)


def build_catalog(seed: int, end_period: dt.date, months: int) -> Catalog:
    rng = np.random.default_rng([seed, 0xCA7A])
    city, region, oktmo = CITIES[seed % len(CITIES)]
    periods = [month_add(end_period, -i) for i in range(months - 1, -1, -1)]
    cat = Catalog(seed=seed, periods=periods, city=city, region=region, oktmo=oktmo)
    for sid, name in SUPPLIERS:
        cat.suppliers.append(
            (
                sid,
                name,
                inn_company(rng, region),
                f"{region:02d}{rng.integers(0, 10**7):07d}",
                f"04{rng.integers(0, 10**7):07d}",
                f"40702810{rng.integers(0, 10**12):012d}",
                f"г. {city}, {STREETS[int(rng.integers(0, len(STREETS)))]}, д. {int(rng.integers(1, 60))}",
            )
        )
    # Tariffs by half-year; indexed each 1 July by 10-15%.
    first = dt.date(periods[0].year, 1, 1)
    halves = []
    start = first
    while start <= periods[-1]:
        end = dt.date(start.year, 6, 30) if start.month == 1 else dt.date(start.year, 12, 31)
        halves.append((start, end))
        start = end + dt.timedelta(days=1)
    cat.price = np.zeros((7, 4, months), dtype=np.int64)
    tariff_id = 0
    for sid, spec in SERVICES.items():
        low, high = spec[7]
        base = rng.uniform(low, low + (high - low) * 0.6)
        zones = [0, 1, 2, 3] if sid == SERVICE_POWER else [0]
        for h, (start, end) in enumerate(halves):
            if h > 0 and start.month == 7:
                base *= rng.uniform(1.10, 1.15)
            for zone in zones:
                price = round(base * ZONE_PRICE_FACTOR[zone], 2)
                tariff_id += 1
                cat.tariffs.append((tariff_id, sid, zone, price, start, end))
                for p, period in enumerate(periods):
                    if start <= period <= end:
                        cat.price[sid, zone, p] = round(price * 10_000)
        cat.norm_milli[sid] = round(spec[8] * (10**6 if spec[9] == "m2" else 1000))
        cat.norms.append((sid, sid, spec[9], spec[8], halves[0][0], halves[-1][1]))
    return cat
