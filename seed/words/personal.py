"""Personal data in the load's report: what each anonymization rule covers (seed.legacy.personal.RULES), what
is done to it, the load's flags and why a column looks personal."""

from __future__ import annotations

from seed.words.word import HIDDEN_EN, HIDDEN_RU, LISTS, Word

# rule -> the data it covers (the English is the rule's own name)
RULES: dict[str, Word] = {
    "names": Word("фамилии, имена, отчества", "names"),
    "birth_date": Word("даты рождения", "birth_date"),
    "phone": Word("телефоны", "phone"),
    "email": Word("адреса e-mail", "email"),
    "snils": Word("СНИЛС", "snils"),
    "inn": Word("ИНН", "inn"),
    "passport": Word("паспорта", "passport"),
    "account_number": Word("номера лицевых счетов", "account_number"),
    "els": Word("ЕЛС", "els"),
    "meter_serial": Word("заводские номера счётчиков", "meter_serial"),
    "address": Word("улицы и номера домов", "address"),
    "noise": Word("шум в суммах и показаниях", "noise"),
}

# treatment -> what is done
TREATMENTS: dict[str, Word] = {
    "pseudonym": Word("заменены псевдонимами (по ключу клиента)", "pseudonym"),
    "shift": Word("сдвинуты на случайное число дней", "shift"),
    "drop": Word("не загружены", "drop"),
    "keep": Word("оставлены как есть", "keep"),
    "replace": Word("заменены вымышленными", "replace"),
    "noise": Word(
        "суммы по счёту и показания по счётчику изменены не более чем на ±{share}",
        "amounts per account and readings per meter scaled by up to ±{share}",
    ),
}

# what a column looks like, when a sample of its values gives it away
LOOKS: dict[str, Word] = {
    "phone": Word("телефон", "phone"),
    "passport": Word("паспорт", "passport"),
    "e-mail": Word("e-mail", "e-mail"),
    "СНИЛС": Word("СНИЛС", "СНИЛС"),
    "ФИО": Word("ФИО", "ФИО"),
}

# a rule that may keep the real values -> what is kept (a flag of the load names it)
KEPT: dict[str, Word] = {
    "address": Word(RULES["address"].ru, "streets and house numbers"),
    "account_number": Word(RULES["account_number"].ru, "account numbers"),
    "els": Word(RULES["els"].ru, "elss"),
    "meter_serial": Word(RULES["meter_serial"].ru, "meter serials"),
}

# the load's flags and why a column looks personal (seed.words.messages says them: "personal.kept", ...)
SAID: dict[str, Word] = {
    "kept": Word(
        "{rule:kept} оставлены настоящими (anonymize.{rule} = 'keep')",
        "real {rule:kept} are kept (anonymize.{rule} = 'keep')",
    ),
    "by_header": Word("по заголовку", "its header"),
    "by_sample": Word(
        "{hits} из {sampled} проверенных значений похожи на {looks:looks}",
        "{hits} of {sampled} sampled values look like a {looks:looks}",
    ),
    "hidden": Word(HIDDEN_RU, HIDDEN_EN),
}
LISTS.update(kept=KEPT, looks=LOOKS)
