"""What the customer reads: each kind of problem of an export, what it means and how to fix it, in
Russian (the default: the lists and reports go to a Russian utility) and in English.

One place for these words: the analysis's HTML report, the complete problem list (`import check
--problems`) and the CLI's summary all take them from here.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

Lang = Literal["ru", "en"]
LANGS: tuple[Lang, ...] = ("ru", "en")


class Words(NamedTuple):
    what: str  # what the problem is
    hint: str  # what the data's owner does about it


# kind -> language -> (what, hint)
KIND_WORDS: dict[str, dict[str, Words]] = {
    "mixed_encodings": {
        "ru": Words(
            "файлы выгрузки в разных кодировках",
            "выгрузите все файлы в одной кодировке (например, windows-1251) или укажите encoding для каждого файла",
        ),
        "en": Words(
            "the files are in different encodings",
            "export every file in one encoding, or give each file's encoding in the mapping",
        ),
    },
    "period_span": {
        "ru": Words(
            "периоды выгрузки охватывают больше 50 лет: загрузка будет отклонена целиком",
            "найдите дату или период, далёкие от остальных (опечатка в годе), и исправьте их",
        ),
        "en": Words(
            "the export's periods span over 50 years: the load refuses it whole",
            "find the date or period far from the others (a typo in a year) and correct it",
        ),
    },
    "excel_damage": {
        "ru": Words(
            "номера, испорченные Excel (ведущие нули потеряны, экспоненциальная запись)",
            "выгрузите файл из учётной программы заново, не открывая его в Excel, или задайте столбцу текстовый формат",
        ),
        "en": Words(
            "identifiers turned into numbers or scientific notation by Excel",
            "export the file again without opening it in Excel, or format the column as text",
        ),
    },
    "bad_value": {
        "ru": Words(
            "значения, которые не читаются как число, дата или период, или вне допустимого диапазона",
            "исправьте значение в учётной программе (число с запятой или точкой, дата ДД.ММ.ГГГГ, период ММ.ГГГГ)",
        ),
        "en": Words(
            "values that cannot be read as numbers, dates or periods, or lie outside their range",
            "correct the value (a number, a date as DD.MM.YYYY, a period as MM.YYYY)",
        ),
    },
    "missing_value": {
        "ru": Words(
            "не заполнены обязательные значения (номер лицевого счёта, фамилия и имя, заводской номер)",
            "заполните значение или удалите строку, если она лишняя",
        ),
        "en": Words(
            "required values left empty (account numbers, names, meter serials)",
            "fill the value in, or delete the row if it is not needed",
        ),
    },
    "unknown_service": {
        "ru": Words(
            "неизвестные названия услуг",
            "назовите услугу привычно (ХВС, ГВС, водоотведение, электроэнергия, отопление, газ) "
            "или задайте соответствие в файле сопоставления (convert.service.values)",
        ),
        "en": Words(
            "service names that are not recognised",
            "name the service as usual (ХВС, ГВС, ...) or map it in the mapping file (convert.service.values)",
        ),
    },
    "ambiguous_service": {
        "ru": Words(
            "услугу строки нельзя определить: в выгрузке нет столбца услуги, а по счётчику или счёту она неоднозначна",
            "добавьте в выгрузку столбец услуги; у показаний — проверьте, что заводской номер принадлежит "
            "одному счётчику",
        ),
        "en": Words(
            "rows whose service cannot be told: no service column, and the meter or account has several",
            "add a service column to the export; for readings, check the serial belongs to one meter",
        ),
    },
    "duplicate_account": {
        "ru": Words(
            "номер лицевого счёта встречается больше одного раза",
            "оставьте у номера один лицевой счёт: второй переименуйте или объедините с первым",
        ),
        "en": Words(
            "account numbers that appear more than once",
            "keep one account per number: renumber the second or merge it into the first",
        ),
    },
    "duplicate_els": {
        "ru": Words(
            "один ЕЛС у нескольких лицевых счетов",
            "проверьте ЕЛС в ГИС ЖКХ и исправьте у лишних счетов",
        ),
        "en": Words(
            "ЕЛС that appear on more than one account",
            "check the ЕЛС in ГИС ЖКХ and correct it on the extra accounts",
        ),
    },
    "duplicate_person": {
        "ru": Words(
            "один и тот же человек дважды на одном лицевом счёте",
            "удалите повторную строку",
        ),
        "en": Words("the same person twice on one account", "delete the repeated row"),
    },
    "duplicate_service": {
        "ru": Words(
            "услуга указана у лицевого счёта дважды",
            "удалите повторную строку",
        ),
        "en": Words("a service listed twice for one account", "delete the repeated row"),
    },
    "duplicate_meter": {
        "ru": Words(
            "заводской номер счётчика встречается больше одного раза для одной услуги",
            "проверьте заводской номер по паспорту счётчика; у снятого счётчика укажите дату снятия",
        ),
        "en": Words(
            "meter serials that appear more than once for a service",
            "check the serial against the meter's papers; give a removed meter its removal date",
        ),
    },
    "duplicate_period": {
        "ru": Words(
            "две строки одного счётчика или счёта и услуги за один период",
            "оставьте одну строку за период (загружается первая)",
        ),
        "en": Words(
            "two rows for the same meter, or account and service, in one period",
            "keep one row per period (the load keeps the first)",
        ),
    },
    "els_format": {
        "ru": Words(
            "ЕЛС не из 10 знаков",
            "укажите ЕЛС из ГИС ЖКХ целиком (10 знаков)",
        ),
        "en": Words("ЕЛС that is not 10 characters", "write the whole ЕЛС from ГИС ЖКХ (10 characters)"),
    },
    "unknown_account": {
        "ru": Words(
            "строки ссылаются на лицевой счёт, которого нет в файле лицевых счетов",
            "добавьте лицевой счёт в файл лицевых счетов или исправьте номер в строке",
        ),
        "en": Words(
            "rows that refer to an account missing from the accounts file",
            "add the account to the accounts file or correct the number in the row",
        ),
    },
    "unknown_meter": {
        "ru": Words(
            "показания счётчика, которого нет в файле счётчиков",
            "добавьте счётчик в файл счётчиков или исправьте заводской номер в строке",
        ),
        "en": Words(
            "readings of a meter missing from the meters file",
            "add the meter to the meters file or correct the serial in the row",
        ),
    },
    "meter_dates": {
        "ru": Words(
            "счётчик снят раньше, чем установлен",
            "исправьте дату установки или снятия",
        ),
        "en": Words("meters removed before they were installed", "correct the installation or removal date"),
    },
    "reading_decrease": {
        "ru": Words(
            "показание меньше предыдущего (и это не переход счётчика через ноль)",
            "проверьте показание; если счётчик заменён, заведите новый счётчик с датой установки",
        ),
        "en": Words(
            "readings lower than the previous one (not a rollover)",
            "check the reading; if the meter was replaced, add the new meter with its installation date",
        ),
    },
    "reading_jump": {
        "ru": Words(
            "расход за месяц в 5 и более раз выше обычного для счётчика",
            "проверьте показание (лишняя цифра, сдвиг запятой)",
        ),
        "en": Words(
            "readings 5x or more above the meter's usual monthly use",
            "check the reading (an extra digit, a misplaced decimal point)",
        ),
    },
    "reading_after_removal": {
        "ru": Words(
            "показания датированы позже снятия счётчика",
            "проверьте дату снятия счётчика или дату показания",
        ),
        "en": Words("readings dated after the meter's removal", "check the removal date or the reading's date"),
    },
    "reading_before_install": {
        "ru": Words(
            "показания датированы раньше установки счётчика",
            "проверьте дату установки счётчика или дату показания",
        ),
        "en": Words(
            "readings dated before the meter's installation", "check the installation date or the reading's date"
        ),
    },
    "meter_past_verification": {
        "ru": Words(
            "счётчик в работе после даты очередной поверки",
            "внесите дату последней поверки или снимите счётчик с учёта",
        ),
        "en": Words(
            "meters in use past their verification date", "enter the latest verification or take the meter out"
        ),
    },
    "unit_mixup": {
        "ru": Words(
            "расход похож на литры вместо кубометров (больше 100 м³ в месяц на квартиру)",
            "проверьте единицы: при выгрузке в литрах задайте в сопоставлении scale = 0.001",
        ),
        "en": Words(
            "monthly use that looks like litres instead of m³ (over 100 m³ a month on one flat)",
            "check the units: for litres set scale = 0.001 in the mapping",
        ),
    },
    "balance_not_reconciling": {
        "ru": Words(
            "сальдо не сходится: входящее + начислено + перерасчёт − оплачено ≠ исходящее",
            "проверьте суммы строки в учётной программе",
        ),
        "en": Words(
            "opening + charged + recalculated - paid differs from closing", "check the row's amounts in the old system"
        ),
    },
    "balance_carry_over": {
        "ru": Words(
            "входящее сальдо месяца не равно исходящему сальдо предыдущего месяца",
            "проверьте, не было ли ручной правки сальдо или закрытия месяца задним числом",
        ),
        "en": Words(
            "a month's opening differs from the previous month's closing",
            "look for a hand-made balance correction or a month reopened after closing",
        ),
    },
    "closed_account_balance": {
        "ru": Words(
            "на закрытом лицевом счёте остался долг или переплата",
            "перенесите остаток на другой счёт или спишите его до перехода",
        ),
        "en": Words("closed accounts with a balance left", "move the balance to another account or write it off first"),
    },
    "living_over_total": {
        "ru": Words(
            "жилая площадь больше общей",
            "проверьте площади (не перепутаны ли столбцы)",
        ),
        "en": Words("living area above total area", "check the areas (are the columns swapped?)"),
    },
    "shares_not_one": {
        "ru": Words(
            "доли собственников лицевого счёта в сумме не равны 1",
            "сверьте доли с выпиской ЕГРН",
        ),
        "en": Words("owners' shares of an account not adding up to 1", "check the shares against the ЕГРН extract"),
    },
    "payment_duplicate": {
        "ru": Words(
            "один и тот же платёж дважды (реестры платёжного агента пересекаются)",
            "удалите повторную строку или повторно загруженный реестр",
        ),
        "en": Words(
            "the same payment twice (overlapping registries)", "delete the repeated row or the registry loaded twice"
        ),
    },
    "paid_not_payments": {
        "ru": Words(
            "оплачено в сальдо за месяц не равно сумме платежей этого месяца",
            "укажите у платежей период, за который они внесены, или проверьте столбец «оплачено»",
        ),
        "en": Words(
            "the paid amount of a month in the balances differs from the payments of that month",
            "give each payment the period it pays for, or check the paid column",
        ),
    },
    "invalid_snils": {
        "ru": Words("СНИЛС с неверным контрольным числом", "сверьте СНИЛС с документом"),
        "en": Words("СНИЛС with wrong check digits", "check the СНИЛС against the document"),
    },
    "invalid_inn": {
        "ru": Words("ИНН с неверным контрольным числом", "сверьте ИНН с документом"),
        "en": Words("ИНН with wrong check digits", "check the ИНН against the document"),
    },
}

# the whole file, the whole export: where a problem has no line of its own
WHOLE_FILE = {"ru": "весь файл", "en": "whole file"}
WHOLE_EXPORT = {"ru": "вся выгрузка", "en": "whole export"}


# the complete problem list's columns (`import check --problems`)
LIST_HEADERS: dict[str, tuple[str, ...]] = {
    "ru": ("Вид", "Что не так", "Файл", "Строка", "Столбец", "Значение", "Подробности", "Как исправить", "Причина"),
    "en": ("Kind", "Problem", "File", "Line", "Column", "Value", "Details", "How to fix", "Cause"),
}
LIST_SHEET = {"ru": "Проблемы", "en": "Problems"}

# a row flagged only because of an earlier duplicate: what it follows from ({place}: 'абоненты.csv:59')
CAUSE_WORDS: dict[str, dict[str, str]] = {
    "duplicate_account": {
        "ru": "следует из повторного номера лицевого счёта, {place}",
        "en": "follows from duplicate account at {place}",
    },
    "duplicate_meter": {
        "ru": "следует из повторного заводского номера счётчика, {place}",
        "en": "follows from duplicate meter serial at {place}",
    },
}


def cause_words(kind: str, file: str, line: int, lang: str = "ru") -> str:
    """What a problem follows from, as the customer reads it; '' for a problem of its own."""
    if not kind:
        return ""
    entry = CAUSE_WORDS.get(kind)
    said = entry["en" if lang == "en" else "ru"] if entry else "{place}"
    return said.format(place=place(file, line, lang))


def payments_lag(lags: list[int], differing: int, after: dict[int, int], lang: str = "ru") -> str:
    """The note on payments dated ``lags`` months after the period they pay for: of ``differing``
    account-months whose paid differs from their payments, ``after[k]`` still differ with the payments
    moved k months back."""
    said = f"{lags[0]}" if len(lags) == 1 else f"{lags[0]}-{lags[-1]}"
    if lang == "en":
        shifts = ", ".join(f"{k} month{'' if k == 1 else 's'}: {n:,}" for k, n in after.items())
        return (
            f"payments arrive {said} month{'' if said == '1' else 's'} after the period they pay for: "
            f"{differing:,} account-months have paid amounts that differ from their payments; with the payments "
            f"moved back {shifts}; give each payment the period it pays for"
        )
    shifts = ", ".join(f"на {k} мес. — {_thousands(n)}" for k, n in after.items())
    return (
        f"платежи поступают через {said} мес. после периода, за который внесены: у {_thousands(differing)} пар "
        "«лицевой счёт — месяц» оплачено в сальдо не равно сумме платежей, а если сдвинуть платежи назад, "
        f"расхождений останется {shifts}; укажите у платежей период, за который они внесены"
    )


def _thousands(n: int) -> str:
    """A count as Russian writes it: '24 799'."""
    return f"{n:,}".replace(",", "\u00a0")


def words(kind: str, lang: str = "ru") -> Words:
    """What a kind of problem means and how to fix it, in ``lang`` (Russian unless "en")."""
    entry = KIND_WORDS.get(kind)
    if entry is None:
        return Words(kind, "")
    return entry["en" if lang == "en" else "ru"]


def place(file: str, line: int, lang: str = "ru") -> str:
    """Where a problem is, as the customer reads it: 'абоненты.csv:59', 'весь файл' or 'вся выгрузка'."""
    name = file.rsplit("/", 1)[-1]
    if not name:
        return WHOLE_EXPORT["en" if lang == "en" else "ru"]
    if line <= 0:
        return f"{name}: {WHOLE_FILE['en' if lang == 'en' else 'ru']}"
    return f"{name}:{line}"
