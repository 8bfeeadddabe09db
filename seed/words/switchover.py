"""The switch-over: what changed between the books and the final export (by kind) and what a large change is a
share of, the steps and their names, the rows of the recognition table."""

from __future__ import annotations

from seed.words.word import Word

# kind of change -> its words
CHANGES: dict[str, Word] = {
    "accounts_added": Word("новые лицевые счета", "new accounts"),
    "accounts_missing": Word("лицевые счета, которых нет в выгрузке", "accounts missing from the export"),
    "accounts_closed": Word("закрытые лицевые счета", "closed accounts"),
    "accounts_changed": Word(
        "лицевые счета с изменёнными данными (проживающие, площадь, ЕЛС)",
        "accounts with changed data (residents, area, ЕЛС)",
    ),
    "accounts_unrecognized": Word(
        "лицевые счета с тем же номером, но другими адресом, проживающими или приборами учёта",
        "accounts of the same number but another address, residents or meters",
    ),
    "persons_moved_in": Word(
        "вселившиеся (новые связи лица и лицевого счёта)", "moved in (new links of a person and an account)"
    ),
    "persons_moved_out": Word("выбывшие", "moved out"),
    "meters_installed": Word("установленные приборы учёта", "meters installed"),
    "meters_removed": Word("снятые приборы учёта (в том числе при замене)", "meters removed (replacements included)"),
    "meters_replaced": Word(
        "заменённые приборы учёта (снят один, установлен другой на той же услуге)",
        "meters replaced (one removed, another installed on the same service)",
    ),
    "readings_added": Word("новые показания", "new readings"),
    "readings_corrected": Word("исправленные показания", "corrected readings"),
    "payments_added": Word("платежи после первой выгрузки", "payments since the first export"),
    "payments_withdrawn": Word("платежи, которых в выгрузке больше нет", "payments no longer in the export"),
    "balances_added": Word("сальдо месяцев после первой выгрузки", "balances of months since the first export"),
    "balances_corrected": Word(
        "исправленные старой системой сальдо закрытых месяцев", "balances of closed months corrected by the old system"
    ),
    "registries_replaced": Word(
        "реестры, загруженные в «Одно Окно» после первой выгрузки (их платежи берутся из выгрузки)",
        "registries loaded into «Одно Окно» since the first export (their payments come from the export)",
    ),
    "suspense_unassigned": Word(
        "невыясненные платежи, не разнесённые до перехода (после перехода их не будет)",
        "suspense payments not assigned before the switch-over (they go with it)",
    ),
}

# what a large change is a share of (seed.legacy.switchover_guard.LARGE) -> its words, after a count
BASES: dict[str, Word] = {
    "accounts": Word("лицевых счетов", "accounts"),
    "residents": Word("связей лица и лицевого счёта", "links of a person and an account"),
    "balances": Word("сальдо закрытых месяцев", "balances of closed months"),
}

# step -> its words (the English is the step's name in the report's JSON)
STEPS: dict[str, Word] = {
    "copy aside": Word("копия рабочей базы", "copy aside"),
    "snapshot": Word("снимок базы до перехода", "snapshot"),
    "read, anonymize, load": Word("чтение, обезличивание, загрузка", "read, anonymize, load"),
    "keys and indexes": Word("ключи и индексы", "keys and indexes"),
    "vacuum and analyze": Word("статистика", "vacuum and analyze"),
    "recognize the books' accounts": Word(
        "узнавание лицевых счетов по адресу, проживающим и приборам учёта", "recognize the books' accounts"
    ),
    "compare with the books": Word("сравнение с текущей базой", "compare with the books"),
    "reconcile": Word("сверка", "reconcile"),
    "switch in": Word("замена данных", "switch in"),
    "baseline and seats": Word("эталон и места слушателей", "baseline and seats"),
    "checks": Word("проверка инвариантов", "checks"),
    "drop the copy": Word("удаление копии", "drop the copy"),
}

# a field of the report's "recognized" -> its row
RECOGNITION: dict[str, Word] = {
    "books": Word("лицевых счетов в текущей базе", "accounts in the books"),
    "by_number": Word("из них есть в выгрузке (тот же номер)", "of them in the export (the same number)"),
    "by_fingerprint": Word(
        "из них узнаны по адресу, проживающим и приборам учёта", "of them recognized by address, residents and meters"
    ),
    "same_address": Word("из них с тем же адресом", "of them at the same address"),
    "same_residents": Word("из них с теми же проживающими", "of them with the same residents"),
    "same_meters": Word("из них с теми же приборами учёта", "of them with the same meters"),
}

# the report's own words (the report is in Russian: for the customer's accountant on the night)
REPORT: dict[str, Word] = {
    "rehearsal_title": Word(
        "Репетиция перехода на «Одно Окно»: {client}, закрытие {closed}",
        "Rehearsal of the switch-over to «Одно Окно»: {client}, closing {closed}",
    ),
    "run_title": Word(
        "Переход на «Одно Окно»: {client}, закрытие {closed}", "Switch-over to «Одно Окно»: {client}, closing {closed}"
    ),
    "unaccepted": Word("Расхождений, не принятых к сведению: {n}.", "Differences not accepted: {n}."),
    "not_run": Word("Переход не выполнен, данные прежние.", "The switch-over did not happen; the books are as before."),
    "would_not_pass": Word("Переход так не пройдёт.", "The switch-over would not pass like this."),
    "accepted_count": Word(" (принято к сведению: {n})", " ({n} accepted)"),
    "no_differences": Word(
        "Расхождений нет{accepted}: {closed} закрыт, {opened} открыт.",
        "No differences{accepted}: {closed} closed, {opened} opened.",
    ),
    "steps": Word("Шаги и их время", "Steps and their time"),
    "total": Word("всего", "total"),
    "step": Word("Шаг", "Step"),
    "seconds": Word("Секунды", "Seconds"),
    "changes": Word("Что изменилось со времени первой выгрузки", "What changed since the first export"),
    "change": Word("Изменение", "Change"),
    "count": Word("Количество", "Count"),
    "reconciliation": Word(
        "Сверка по услугам: сальдо исходящее {closed} и входящее {opened}",
        "Reconciliation per service: closing {closed} and opening {opened}",
    ),
    "service": Word("Услуга", "Service"),
    "old_system": Word("Старая система", "Old system"),
    "ours_at": Word("«Одно Окно», {month}", "«Одно Окно», {month}"),
    "difference": Word("Расхождение", "Difference"),
    "accounts_differing": Word("Лицевые счета с расхождением: {n}", "Accounts that differ: {n}"),
    "account": Word("ЛС", "Account"),
    "closing_at": Word("Исходящее {month}", "Closing {month}"),
    "opening_at": Word("Входящее {month}", "Opening {month}"),
    "rows_left_out": Word("Строк выгрузки не загружено: {n}.", "Rows of the export not loaded: {n}."),
    "invariants": Word("Инварианты", "Invariants"),
    "all_hold": Word("все выполняются", "all hold"),
    "snapshot": Word("Снимок базы до перехода: {name}", "Snapshot before the switch-over: {name}"),
    "by_number_only": Word("с тем же номером, но не узнаны", "of the same number but not recognized"),
    "recognized": Word(
        "Узнано {recognized} из {books} лицевых счетов текущей базы ({share}): ",
        "Recognized {recognized} of the books' {books} accounts ({share}): ",
    ),
    "same_client": Word("выгрузка того же клиента.", "the same client's export."),
    "other_client": Word("это выгрузка другого клиента.", "another client's export."),
    "recognition": Word("Лицевые счета текущей базы в выгрузке", "The books' accounts in the export"),
    "accounts": Word("Лицевые счета", "Accounts"),
    "recognition_rule": Word(
        "Лицевой счёт узнан, если у него тот же адрес и те же проживающие или приборы учёта, а при другом адресе "
        "те же и проживающие, и приборы учёта. Если узнано меньше {share} лицевых счетов текущей базы, выгрузка "
        "считается выгрузкой другого клиента и не загружается.",
        "An account is recognized by the same address and the same residents or meters, or at another address by "
        "the same residents and meters. Under {share} of the books' accounts recognized, the export is taken for "
        "another client's and is not loaded.",
    ),
    "no_large": Word(
        "Крупных изменений (больше {share} своей базы) нет.", "No large changes (over {share} of their base)."
    ),
    "accepted": Word("принято", "accepted"),
    "not_accepted": Word("не принято: переход с ним не пройдёт", "not accepted: the switch-over will not pass with it"),
    "large": Word("Крупные изменения: {n}", "Large changes: {n}"),
    "code_for_accept": Word("Код для --accept", "Code for --accept"),
    "base": Word("База", "Base"),
    "share": Word("Доля", "Share"),
    "decision": Word("Решение", "Decision"),
    "large_note": Word(
        "Крупное изменение: больше {share} своей базы. Переход с ним выполняется, только если оно принято по "
        "имени: если изменение верно, добавьте в файл принятых расхождений (параметр --accept) строку с его "
        "кодом, например «{kind}», и повторите команду.",
        "A large change: over {share} of its base. The switch-over passes with it only when it is accepted by "
        "name: if the change is right, add a line with its code, for example {kind}, to the accept file "
        "(--accept) and run the command again.",
    ),
    "half": Word("половины", "a half"),
    "tenth": Word("десятой части", "a tenth"),
}
