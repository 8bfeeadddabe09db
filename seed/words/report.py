"""The HTML reports' own words (`import check`, `import load`): headings, columns, sentences; the entities of an
export and the tables of the books."""

from __future__ import annotations

from seed.words.word import Word

# the reports' own words
TEXT: dict[str, Word] = {
    "check_title": Word("{client}: анализ выгрузки «{export}»", "{client}: analysis of the export {export}"),
    "load_title": Word("{client}: загрузка выгрузки «{export}»", "{client}: import of {export}"),
    "made_check": Word(
        "Сформировано {when} командой provision import check.", "Made {when} by provision import check."
    ),
    "made_load": Word(
        "Сформировано {when} командой provision import load из выгрузки «{export}» ({mapping}).",
        "Made {when} by provision import load from {export} ({mapping}).",
    ),
    "standard layout": Word("стандартный формат", "standard layout"),
    "files": Word("Файлы", "Files"),
    "entity": Word("данные", "entity"),
    "file": Word("файл", "file"),
    "format": Word("формат", "format"),
    "encoding": Word("кодировка", "encoding"),
    "rows": Word("строк", "rows"),
    "rows heading": Word("Строки", "Rows"),
    "printed rows": Word(
        "{file}: пропущены строки печатной формы — {kinds}", "{file}: a printed report's own rows passed over — {kinds}"
    ),
    "printed header": Word("повторный заголовок", "header repeated"),
    "printed totals": Word("итоговая строка", "totals row"),
    "problems": Word("Проблемы", "Problems"),
    "no problems": Word("Проблем не найдено.", "No problems found."),
    "problem": Word("проблема", "problem"),
    "count": Word("сколько", "count"),
    "fix": Word("как исправить", "how to fix"),
    "examples": Word("первые примеры (место, столбец = значение)", "first examples (place, column = value)"),
    "consequences": Word("Строки, следующие из повторов", "Rows that follow from duplicates"),
    "consequences note": Word(
        "Эти строки не ошибочны сами по себе: их данные приписаны первому счёту или счётчику с тем же "
        "номером. Они не входят в числа выше и исчезнут, когда повтор будет исправлен.",
        "These rows are not wrong in themselves: their data is read as the first account's or meter's of the "
        "same number. They are not counted above, and go away once the duplicate is fixed.",
    ),
    "cause": Word("причина", "cause"),
    "what follows": Word("что из неё следует", "what follows"),
    "totals": Word("Контрольные суммы по услугам и периодам", "Control totals per service and period"),
    "service": Word("услуга", "service"),
    "period": Word("период", "period"),
    "opening": Word("входящее сальдо", "opening"),
    "charged": Word("начислено", "charged"),
    "paid": Word("оплачено", "paid"),
    "closing": Word("исходящее сальдо", "closing"),
    "differences": Word("Расхождения с итогами старой системы", "Differences from the old system's totals"),
    "measure": Word("показатель", "measure"),
    "export": Word("в выгрузке", "export"),
    "reported": Word("в итогах системы", "reported"),
    "difference": Word("разница", "difference"),
    "where": Word("где", "where"),  # the old system's totals file and line of a difference
    "totals match": Word(
        "Контрольные суммы совпадают с итогами старой системы.", "The control totals match the old system's."
    ),
    "leak scan": Word("Проверка на утечку персональных данных", "Leak scan"),
    "clean": Word(
        "Чисто: ни одно из {n} исходных персональных значений не попало в базу.",
        "Clean: none of {n} original personal values is in the database.",
    ),
    "leaked": Word(
        "Найдено исходных персональных значений: {n}; загрузка отменена.",
        "{n} original personal values found; the load was refused.",
    ),
    "rows read": Word("прочитано строк", "rows read"),
    "table": Word("таблица", "table"),
    "rows loaded": Word("загружено строк", "rows loaded"),
    "not loaded": Word("Не загружено строк: {n}", "Rows not loaded: {n}"),
    "reason": Word("причина", "reason"),
    "first": Word("первые (место, столбец)", "first (place, column)"),
    "all loaded": Word("Загружены все строки.", "Every row was loaded."),
    "personal data": Word("Персональные данные", "Personal data"),
    "data": Word("данные", "data"),
    "treatment": Word("что сделано", "treatment"),
    "flag": Word("Внимание: {flag}", "Flag: {flag}"),
    "left out": Word("Не загружено: {what}", "Left out: {what}"),
    "left out column": Word(
        "{file}: столбец «{column}» похож на персональные данные ({why}), правила для него нет",
        "{file}: column {column!r} looks like personal data ({why}) and has no rule",
    ),
    "invariants": Word("Проверки целостности", "Invariants"),
    "check": Word("проверка", "check"),
    "result": Word("результат", "result"),
    "violations": Word("нарушений", "violations"),
    "holds": Word("выполняется", "holds"),
    "violated": Word("нарушена", "violated"),
    "skipped": Word("не применяется: {why}", "skipped: {why}"),
}

# an export's entities
ENTITIES: dict[str, Word] = {
    "accounts": Word("лицевые счета", "accounts"),
    "persons": Word("граждане", "persons"),
    "services": Word("услуги", "services"),
    "meters": Word("счётчики", "meters"),
    "readings": Word("показания", "readings"),
    "balances": Word("сальдо", "balances"),
    "payments": Word("платежи", "payments"),
    "totals": Word("итоги старой системы", "totals"),
}

# the books' tables
TABLES: dict[str, Word] = {
    "building": Word("дома", "building"),
    "premise": Word("помещения", "premise"),
    "account": Word("лицевые счета", "account"),
    "person": Word("граждане", "person"),
    "account_person": Word("граждане на счетах", "account_person"),
    "account_service": Word("услуги счетов", "account_service"),
    "meter": Word("счётчики", "meter"),
    "meter_reading": Word("показания", "meter_reading"),
    "balance": Word("сальдо", "balance"),
    "payment": Word("платежи", "payment"),
    "supplier": Word("поставщики", "supplier"),
    "service": Word("услуги", "service"),
    "tariff": Word("тарифы", "tariff"),
    "norm": Word("нормативы", "norm"),
    "billing_period": Word("расчётные периоды", "billing_period"),
    "reading_source": Word("источники показаний", "reading_source"),
    "charge_method": Word("способы начисления", "charge_method"),
    "charge": Word("начисления", "charge"),
    "recalculation": Word("перерасчёты", "recalculation"),
    "payment_agent": Word("платёжные агенты", "payment_agent"),
    "payment_registry": Word("реестры платежей", "payment_registry"),
    "payment_suspense": Word("невыясненные платежи", "payment_suspense"),
}

# a field that has no column of the standard layout (its Russian stands as its header)
FIELDS: dict[str, Word] = {
    "encoding": Word("кодировка", "encoding"),
    "amounts": Word("суммы", "amounts"),
}
