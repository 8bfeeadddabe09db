"""The rest of what the customer reads in the reports, beside the kinds of problems (:mod:`words`): why
the load left rows out (by :class:`~seed.legacy.interpret.Reason` label), the invariants of the books (by
:data:`seed.check.CHECKS` name), how personal data was treated, and the analysis's messages about a value.

The English wording is where the thing is defined (a reason's label, a check's rule, a message as the
analysis writes it); the Russian one is here, keyed by it. One place for these words: the HTML reports
take them from here, and tests/test_reports_ru.py fails when a reason or check has none.
"""

from __future__ import annotations

import re

from seed.legacy.personal import HIDDEN

HIDDEN_RU = "(персональные данные скрыты)"

# -- the load's reasons for leaving a row out: interpret.Reason's label is the English wording -------------
REASON_RU: dict[str, str] = {
    "empty account number": "пустой номер лицевого счёта",
    "account number longer than 30 characters": "номер лицевого счёта длиннее 30 знаков",
    "no surname or given name": "нет фамилии или имени",
    "empty meter serial": "пустой заводской номер счётчика",
    "duplicate account number": "повторный номер лицевого счёта",
    "duplicate ЕЛС": "повторный ЕЛС",
    "resident on the row of a duplicate account number": "житель в строке повторного номера лицевого счёта",
    "service cannot be told (no service column)": "услугу нельзя определить (нет столбца услуги)",
    "the same person twice on one account": "один и тот же человек дважды на одном лицевом счёте",
    "service listed twice for the account": "услуга указана у лицевого счёта дважды",
    "duplicate meter serial": "повторный заводской номер счётчика",
    "duplicate reading for the same period": "повторное показание за тот же период",
    "duplicate balance for the same period": "повторное сальдо за тот же период",
    "unknown account": "неизвестный лицевой счёт",
    "payment for an unknown account": "платёж по неизвестному лицевому счёту",
    "unknown service": "неизвестная услуга",
    "reading of an unknown meter": "показание неизвестного счётчика",
    "removed before installed": "счётчик снят раньше, чем установлен",
    "not a date": "не дата",
    "not a period": "не период",
    "not an amount": "не сумма",
    "not a reading value": "показание не число",
    "payment amount not positive": "сумма платежа не больше нуля",
    "total area not a positive number": "общая площадь не положительное число",
    "living area not a number": "жилая площадь не число",
    "residents not a number from 0 to 32767": "число проживающих не число от 0 до 32767",
    "rooms not a whole number from 0 to 20": "число комнат не целое от 0 до 20",
    "share not in (0, 1]": "доля не в пределах (0; 1]",
    "zones not 1, 2 or 3": "тарифность не 1, 2 или 3",
    "digits not 4 to 9": "разрядность не от 4 до 9",
}


def reason(label: str, lang: str = "ru") -> str:
    """Why the load left rows out, as the customer reads it (the label is the English wording)."""
    return label if lang == "en" else REASON_RU.get(label, label)


# -- the invariants of the books (seed.check.CHECKS holds each rule in English) ---------------------------
CHECK_RU: dict[str, str] = {
    "balance_reconciles": "исходящее сальдо = входящее + начислено + перерасчёт − оплачено (по счёту, услуге, периоду)",
    "balance_carries_over": "входящее сальдо месяца равно исходящему сальдо предыдущего",
    "balance_matches_charges": "начислено в сальдо равно сумме начислений счёта, услуги и периода",
    "balance_matches_recalculations": "перерасчёт в сальдо равен сумме перерасчётов",
    "balance_matches_payments": "оплачено в сальдо по всем услугам счёта равно платежам периода",
    "readings_never_decrease": "показания счётчика не уменьшаются (кроме перехода через ноль)",
    "readings_within_meter_life": "показания не датированы раньше установки или позже снятия счётчика",
    "readings_of_known_meters": "каждое показание относится к существующему счётчику",
    "charge_is_volume_times_tariff": "начисление = объём × тариф, с округлением до копейки",
    "charge_tariff_in_force": "начисление по тарифу, действующему для услуги, зоны и периода",
    "payment_account_known": "каждый платёж относится к существующему лицевому счёту",
    "payment_agent_known": "каждый платёж поступил через известного платёжного агента и реестр",
    "registry_totals_match": "число строк и сумма реестра равны его платежам",
    "registry_lines_accounted": "строки и сумма файла реестра равны его платежам и невыясненным строкам",
    "account_number_unique": "номера лицевых счетов не повторяются",
    "els_format": "ЕЛС из 10 знаков и не повторяется",
    "meter_serial_unique": "заводские номера счётчиков не повторяются в пределах услуги",
    "snils_check_digits": "у каждого СНИЛС верное контрольное число",
    "inn_check_digits": "у каждого ИНН (граждан и поставщиков) верное контрольное число",
    "ownership_shares_sum_to_one": "доли собственников счёта в сумме равны 1 (с точностью до тысячной)",
    "living_area_within_total": "жилая площадь помещения не больше общей",
    "closed_account_settled": "на закрытом лицевом счёте нет остатка",
}
# why a check does not apply to imported books (seed.check.NOT_FOR_IMPORTS), by the check
SKIPPED_RU: dict[str, str] = {
    "balance_matches_charges": "в выгрузке начисления даны итогом в сальдо, без отдельных начислений",
    "balance_matches_recalculations": "в выгрузке перерасчёты даны итогом, без отдельных перерасчётов",
}


def check_rule(name: str, rule: str, lang: str = "ru") -> str:
    """What an invariant demands: ``rule`` (seed.check's English) or its Russian wording."""
    return rule if lang == "en" else CHECK_RU.get(name, rule)


def skipped_why(name: str, why: str, lang: str = "ru") -> str:
    return why if lang == "en" else SKIPPED_RU.get(name, why)


# -- personal data: what each anonymization rule covers and what is done (personal.RULES) -----------------
RULE_RU: dict[str, str] = {
    "names": "фамилии, имена, отчества",
    "birth_date": "даты рождения",
    "phone": "телефоны",
    "email": "адреса e-mail",
    "snils": "СНИЛС",
    "inn": "ИНН",
    "passport": "паспорта",
    "account_number": "номера лицевых счетов",
    "els": "ЕЛС",
    "meter_serial": "заводские номера счётчиков",
    "address": "улицы и номера домов",
    "noise": "шум в суммах и показаниях",
}
TREATMENT_RU: dict[str, str] = {
    "pseudonym": "заменены псевдонимами (по ключу клиента)",
    "shift": "сдвинуты на случайное число дней",
    "drop": "не загружены",
    "keep": "оставлены как есть",
    "replace": "заменены вымышленными",
}
NOISE = re.compile(r"amounts per account and readings per meter scaled by up to ±(\S+)")


def rule_name(rule: str, lang: str = "ru") -> str:
    return rule if lang == "en" else RULE_RU.get(rule, rule)


def treatment(value: str, lang: str = "ru") -> str:
    if lang == "en":
        return value
    noise = NOISE.fullmatch(value)
    if noise:
        return f"суммы по счёту и показания по счётчику изменены не более чем на ±{noise[1]}"
    return TREATMENT_RU.get(value, value)


def flag(text: str, lang: str = "ru") -> str:
    """A flag of the load (a rule that keeps real values: 'anonymize.address = \'keep\''), in ``lang``."""
    kept = re.search(r"anonymize\.(\w+) = 'keep'", text)
    if lang == "en" or kept is None:
        return text
    return f"{RULE_RU.get(kept[1], kept[1])} оставлены настоящими (anonymize.{kept[1]} = 'keep')"


LOOKS_RU = {"phone": "телефон", "passport": "паспорт", "e-mail": "e-mail", "СНИЛС": "СНИЛС", "ФИО": "ФИО"}


def personal_why(why: str, lang: str = "ru") -> str:
    """Why a column looks personal (personal.Finding.why), in ``lang``."""
    if lang == "en":
        return why
    if why == "its header":
        return "по заголовку"
    sampled = re.fullmatch(r"(\d+) of (\d+) sampled values look like a (.+)", why)
    if sampled is None:
        return why
    looks = LOOKS_RU.get(sampled[3], sampled[3])
    return f"{sampled[1]} из {sampled[2]} проверенных значений похожи на {looks}"


# -- the analysis's messages about a value, as written by analyze/ and convert ----------------------------
# a group named 'ours' holds a number or date of the analysis's own (not a value quoted as written): it is
# written the Russian way (12,5; 01.05.2026)
MESSAGE_RU: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), r)
    for p, r in (
        (r"first at line (\d+)", r"впервые в строке \1"),
        (r"periods from (\d{4})-(\d{2}) to (\d{4})-(\d{2})", r"периоды с \2.\1 по \4.\3"),
        (r"same as line (\d+)", r"как в строке \1"),
        (r"same meter and period as line (\d+)", r"тот же счётчик и период, что в строке \1"),
        (r"same account, service and period as line (\d+)", r"тот же счёт, услуга и период, что в строке \1"),
        (r"expected (?P<ours>.*)", r"ожидалось \1"),
        (r"previous closing (?P<ours>.*)", r"исходящее сальдо предыдущего месяца \1"),
        (r"previous (?P<ours>.*)", r"предыдущее \1"),
        (r"usual (?P<ours>.*) a month", r"обычно \1 в месяц"),
        (r"median monthly use", "медианный расход за месяц"),
        (r"still in use", "всё ещё в работе"),
        (r"removed (?P<ours>.*)", r"снят \1"),
        (r"installed (?P<ours>.*)", r"установлен \1"),
        (r"closed (?P<ours>.*)", r"закрыт \1"),
        (r"total (?P<ours>.*)", r"общая \1"),
        (r"the owners' shares of this account add up to this", "сумма долей собственников этого счёта"),
        (r"not a number: (.*)", r"не число: \1"),
        (r"not a date: (.*) \(expected dd\.mm\.yyyy\)", r"не дата: \1 (ожидается ДД.ММ.ГГГГ)"),
        (r"not a date: (.*)", r"не дата: \1"),
        (r"not a month: (.*)", r"не период: \1"),
        (r"empty period", "пустой период"),
        (r"a number where an identifier was expected.*", "число вместо номера (ведущие нули или цифры потеряны)"),
        (r"scientific notation.*", "экспоненциальная запись (Excel переписал длинный номер, его цифры потеряны)"),
    )
]


def value(shown: str, lang: str = "ru") -> str:
    """A value as a report may show it (:func:`~seed.legacy.interpret.shown_value`), in ``lang``: a date
    as the analysis writes it (ISO) the Russian way."""
    if lang == "en":
        return shown
    if shown == HIDDEN:
        return HIDDEN_RU
    return russian(shown) if ISO_DATE(shown) else shown


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}").fullmatch


# the fields of an account row a duplicate's message names, and our service codes, in Russian
ACCOUNT_FIELDS_RU = {
    "number": "номер", "els": "ЕЛС", "city": "город", "street": "улица", "house": "дом", "flat": "квартира",
    "total": "общая площадь", "living": "жилая площадь", "rooms": "комнат", "residents": "проживает",
    "opened": "дата открытия", "closed": "дата закрытия",
}  # fmt: skip
SERVICES_RU = {
    "cold_water": "ХВС", "hot_water": "ГВС", "sewage": "водоотведение", "electricity": "электроэнергия",
    "heating": "отопление", "gas": "газ",
}  # fmt: skip
# messages whose parts are lists of our words: (pattern, Russian with {0}, {1}..., the words' table per group)
LISTED_RU: list[tuple[re.Pattern[str], str, tuple[dict[str, str] | None, ...]]] = [
    (re.compile(r"first at line (\d+), with another (.*)"), "впервые в строке {0}, отличаются: {1}",
     (None, ACCOUNT_FIELDS_RU)),
    (re.compile(r"meters of (.*) have this serial"), "этот заводской номер у счётчиков разных услуг: {0}",
     (SERVICES_RU,)),
    (re.compile(r"the account has (\d+) services: (.*)"), "у лицевого счёта {0} услуги: {1}", (None, SERVICES_RU)),
    (re.compile(r"the account has no services"), "у лицевого счёта нет ни одной услуги", ()),
]  # fmt: skip


PAYMENTS_FOR = re.compile(r"payments for (\d{4})-(\d{2}): (-?\d+(?:\.\d+)?)(?:; payments arrive ([\d-]+) months?.*)?")


def _listed(text: str) -> str | None:
    for pattern, russian_text, tables in LISTED_RU:
        found = pattern.fullmatch(text)
        if found:
            parts = [
                g if table is None else ", ".join(table.get(w, w) for w in g.split(", "))
                for g, table in zip(found.groups(), tables, strict=True)
            ]
            return russian_text.format(*parts)
    return None


def message(text: str, lang: str = "ru") -> str:
    """A message about one value (\"first at line 12\", a reason's label), in ``lang``."""
    if lang == "en" or not text:
        return text
    text = text.replace(HIDDEN, HIDDEN_RU)
    if text in REASON_RU:
        return REASON_RU[text]
    listed = _listed(text)
    if listed is not None:
        return listed
    paid = PAYMENTS_FOR.fullmatch(text)
    if paid:  # paid against payments (analyze/money.py), with the payments' usual lag when there is one
        year, month, amount, lag = paid.groups()
        said = f"платежи за {month}.{year}: {russian(amount)}"
        return said + (f"; платежи поступают через {lag} мес. после периода" if lag else "")
    for pattern, replacement in MESSAGE_RU:
        found = pattern.fullmatch(text)
        if found:
            ours = found.groupdict().get("ours")
            return found.expand(replacement) if ours is None else replacement.replace("\\1", russian(ours))
    return text


def russian(ours: str) -> str:
    """A number or ISO date of the analysis's own, the Russian way: 12.5 -> 12,5; 2026-05-01 -> 01.05.2026."""
    iso = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", ours)
    if iso:
        return f"{iso[3]}.{iso[2]}.{iso[1]}"
    return ours.replace(".", ",") if re.fullmatch(r"-?\d+\.\d+", ours) else ours
