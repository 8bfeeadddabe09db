"""Russian people and their identifiers, sampled in bulk: ФИО with gender agreement, СНИЛС and ИНН
with valid check digits, phones. Word lists are sampled with numpy, not called per row: the surnames are
Faker's ru_RU ones (40.x), kept here so that a seed does not import Faker (a seventh of its start-up)."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
import numpy.typing as npt

# Faker's ru_RU ``last_names_male``, in its order (a seed's data depends on it).
_SURNAMES_MALE_TEXT = """
Смирнов Иванов Кузнецов Попов Соколов Лебедев Козлов Новиков Морозов Петров Волков Соловьев Васильев
Зайцев Павлов Семенов Голубев Виноградов Богданов Воробьев Федоров Михайлов Беляев Тарасов Белов
Комаров Орлов Киселев Макаров Андреев Ковалев Ильин Гусев Титов Кузьмин Кудрявцев Баранов Куликов
Алексеев Степанов Яковлев Сорокин Сергеев Романов Захаров Борисов Королев Герасимов Пономарев
Григорьев Лазарев Медведев Ершов Никитин Соболев Рябов Поляков Цветков Данилов Жуков Фролов Журавлев
Николаев Крылов Максимов Сидоров Осипов Белоусов Федотов Дорофеев Егоров Матвеев Бобров Дмитриев
Калинин Анисимов Петухов Антонов Тимофеев Никифоров Веселов Филиппов Марков Большаков Суханов
Миронов Ширяев Александров Коновалов Шестаков Казаков Ефимов Денисов Громов Фомин Давыдов Мельников
Щербаков Блинов Колесников Карпов Афанасьев Власов Маслов Исаков Тихонов Аксенов Гаврилов Родионов
Котов Горбунов Кудряшов Быков Зуев Третьяков Савельев Панов Рыбаков Суворов Абрамов Воронов Мухин
Архипов Трофимов Мартынов Емельянов Горшков Чернов Овчинников Селезнев Панфилов Копылов Михеев
Галкин Назаров Лобанов Лукин Беляков Потапов Некрасов Хохлов Жданов Наумов Шилов Воронцов Ермаков
Дроздов Игнатьев Савин Логинов Сафонов Капустин Кириллов Моисеев Елисеев Кошелев Костин Горбачев
Орехов Ефремов Исаев Евдокимов Калашников Кабанов Носков Юдин Кулагин Лапин Прохоров Нестеров
Харитонов Агафонов Муравьев Ларионов Федосеев Зимин Пахомов Шубин Игнатов Филатов Крюков Рогов
Кулаков Терентьев Молчанов Владимиров Артемьев Гурьев Зиновьев Гришин Кононов Дементьев Ситников
Симонов Мишин Фадеев Комиссаров Мамонтов Носов Гуляев Шаров Устинов Вишняков Евсеев Лаврентьев
Брагин Константинов Корнилов Авдеев Зыков Бирюков Шарапов Никонов Щукин Дьячков Одинцов Сазонов
Якушев Красильников Гордеев Самойлов Князев Беспалов Уваров Шашков Бобылев Доронин Белозеров Рожков
Самсонов Мясников Лихачев Буров Сысоев Фомичев Русаков Стрелков Гущин Тетерин Колобов Субботин Фокин
Блохин Селиверстов Пестов Кондратьев Силин Меркушев Лыткин Туров
"""
SURNAMES_MALE = np.array(_SURNAMES_MALE_TEXT.split())
# The female forms, index-aligned with the male ones (Смирнов / Смирнова), as Faker's are.
SURNAMES_FEMALE = np.array([name + "а" for name in SURNAMES_MALE.tolist()])
IntArray = npt.NDArray[np.int64]


def snils_check(body: IntArray) -> IntArray:
    """Check number of a 9-digit СНИЛС body: weights 9..1, then mod 101 with 100 and 101 as 00."""
    digits = (body[:, None] // 10 ** np.arange(8, -1, -1)) % 10
    total = (digits * np.arange(9, 0, -1)).sum(axis=1)
    check = np.where(total < 100, total, total % 101)
    return np.where(check >= 100, 0, check)


def snils(rng: np.random.Generator, n: int) -> npt.NDArray[Any]:
    body = rng.integers(2_000_000, 999_999_999, size=n)  # numbers up to 001-001-998 carry no check
    return np.char.zfill((body * 100 + snils_check(body)).astype(str), 11)


def _inn_digit(digits: IntArray, weights: list[int]) -> IntArray:
    result: IntArray = (digits[:, : len(weights)] * np.array(weights)).sum(axis=1) % 11 % 10
    return result


def inn_person(rng: np.random.Generator, n: int, region: int) -> npt.NDArray[Any]:
    """12-digit ИНН of a person: region code, 8 digits, two check digits."""
    body = rng.integers(0, 10, size=(n, 12))
    body[:, 0], body[:, 1] = region // 10, region % 10
    body[:, 10] = _inn_digit(body, [7, 2, 4, 10, 3, 5, 9, 4, 6, 8])
    body[:, 11] = _inn_digit(body, [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8])
    number = body @ 10 ** np.arange(11, -1, -1, dtype=np.int64)  # the digits as one number, then its text
    return np.char.zfill(number.astype(str), 12).astype("U12")


def inn_company(rng: np.random.Generator, region: int) -> str:
    digits = [region // 10, region % 10, *rng.integers(0, 10, size=7).tolist()]
    weights = [2, 4, 10, 3, 5, 9, 4, 6, 8]
    return "".join(map(str, digits)) + str(sum(d * w for d, w in zip(digits, weights, strict=True)) % 11 % 10)


def valid_snils(value: str) -> bool:
    """Whether eleven decimal digits (of any script) are a СНИЛС with its check number: one value in pure
    Python (a few µs), where :func:`snils_check` takes a whole column."""
    if len(value) != 11 or not value.isdecimal():
        return False
    total = sum(map(operator.mul, map(int, value[:9]), range(9, 0, -1)))
    check = total if total < 100 else total % 101
    return (0 if check >= 100 else check) == int(value[9:])


INN_10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
INN_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
INN_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _inn_check(digits: list[int], weights: tuple[int, ...]) -> int:
    total: int = sum(map(operator.mul, digits, weights))
    return total % 11 % 10


def valid_inn(value: str) -> bool:
    """Whether ten (a company's) or twelve (a person's) decimal digits of any script are an ИНН with its check
    digits: in pure Python, a few µs a value (numpy on one value cost some 15 µs); a character that is a digit
    but not a decimal one ('²') makes no ИНН."""
    if not value.isdecimal() or len(value) not in (10, 12):
        return False
    d = list(map(int, value))
    if len(d) == 10:
        return _inn_check(d, INN_10) == d[9]
    return _inn_check(d, INN_11) == d[10] and _inn_check(d, INN_12) == d[11]


def phones(rng: np.random.Generator, n: int) -> npt.NDArray[Any]:
    operator = rng.choice(
        np.array(
            [
                900,
                901,
                902,
                903,
                904,
                905,
                906,
                908,
                909,
                910,
                911,
                912,
                913,
                915,
                916,
                917,
                918,
                919,
                920,
                921,
                922,
                925,
                926,
                927,
                928,
                929,
                950,
                951,
                952,
                953,
                960,
                961,
                962,
                963,
                964,
                965,
                977,
                978,
                980,
                981,
                982,
                985,
                987,
                989,
                999,
            ]
        ),
        n,
    )
    number = rng.integers(0, 10_000_000, size=n)
    return np.char.add(np.char.add("+7", operator.astype(str)), np.char.zfill(number.astype(str), 7))


# Common given names (curated: Faker's lists include many archaic ones) and the patronymics made
# from the male ones, so children can carry their father's name.
GIVEN_MALE = np.array(
    [
        "Александр",
        "Сергей",
        "Дмитрий",
        "Андрей",
        "Алексей",
        "Владимир",
        "Николай",
        "Михаил",
        "Иван",
        "Евгений",
        "Игорь",
        "Юрий",
        "Виктор",
        "Олег",
        "Павел",
        "Максим",
        "Артём",
        "Роман",
        "Денис",
        "Константин",
        "Василий",
        "Анатолий",
        "Геннадий",
        "Валерий",
        "Пётр",
        "Кирилл",
        "Илья",
        "Никита",
        "Егор",
        "Даниил",
    ]
)
PATRONYMIC_MALE = np.array(
    [
        "Александрович",
        "Сергеевич",
        "Дмитриевич",
        "Андреевич",
        "Алексеевич",
        "Владимирович",
        "Николаевич",
        "Михайлович",
        "Иванович",
        "Евгеньевич",
        "Игоревич",
        "Юрьевич",
        "Викторович",
        "Олегович",
        "Павлович",
        "Максимович",
        "Артёмович",
        "Романович",
        "Денисович",
        "Константинович",
        "Васильевич",
        "Анатольевич",
        "Геннадьевич",
        "Валерьевич",
        "Петрович",
        "Кириллович",
        "Ильич",
        "Никитич",
        "Егорович",
        "Даниилович",
    ]
)
PATRONYMIC_FEMALE = np.array(
    [
        "Александровна",
        "Сергеевна",
        "Дмитриевна",
        "Андреевна",
        "Алексеевна",
        "Владимировна",
        "Николаевна",
        "Михайловна",
        "Ивановна",
        "Евгеньевна",
        "Игоревна",
        "Юрьевна",
        "Викторовна",
        "Олеговна",
        "Павловна",
        "Максимовна",
        "Артёмовна",
        "Романовна",
        "Денисовна",
        "Константиновна",
        "Васильевна",
        "Анатольевна",
        "Геннадьевна",
        "Валерьевна",
        "Петровна",
        "Кирилловна",
        "Ильинична",
        "Никитична",
        "Егоровна",
        "Данииловна",
    ]
)
GIVEN_FEMALE = np.array(
    [
        "Елена",
        "Ольга",
        "Наталья",
        "Татьяна",
        "Ирина",
        "Светлана",
        "Анна",
        "Мария",
        "Екатерина",
        "Юлия",
        "Людмила",
        "Галина",
        "Надежда",
        "Валентина",
        "Марина",
        "Любовь",
        "Нина",
        "Анастасия",
        "Евгения",
        "Оксана",
        "Виктория",
        "Дарья",
        "Ксения",
        "Алина",
        "Полина",
        "Вера",
        "Лариса",
        "Тамара",
        "Зинаида",
        "Софья",
    ]
)
_WEIGHTS = 1.0 / np.arange(1, 31) ** 0.7
NAME_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


def names(
    rng: np.random.Generator, male: npt.NDArray[np.bool_], family: IntArray, father: IntArray
) -> tuple[Any, Any, Any, IntArray]:
    """ФИО for each person: the family's surname in the person's gender, a common given name, and a
    patronymic from ``father`` (an index into GIVEN_MALE; -1 draws one). Returns the given-name index too."""
    n = len(male)
    surname_idx = family % len(SURNAMES_MALE)
    surnames = np.where(male, SURNAMES_MALE[surname_idx], SURNAMES_FEMALE[surname_idx])
    given_idx = rng.choice(30, size=n, p=NAME_WEIGHTS)
    given = np.where(male, GIVEN_MALE[given_idx], GIVEN_FEMALE[given_idx])
    father_idx = np.where(father >= 0, father, rng.choice(30, size=n, p=NAME_WEIGHTS))
    patronymic = np.where(male, PATRONYMIC_MALE[father_idx], PATRONYMIC_FEMALE[father_idx])
    return surnames, given, patronymic, given_idx
