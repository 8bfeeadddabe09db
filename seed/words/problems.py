"""The kinds of problems an analysis of an export finds: what each is and what the data's owner does about it;
the problem list's headers; what a row flagged only for an earlier duplicate follows from."""

from __future__ import annotations

from seed.words.word import Word

# kind -> what the problem is
WHAT: dict[str, Word] = {
    "mixed_encodings": Word("файлы выгрузки в разных кодировках", "the files are in different encodings"),
    "period_span": Word(
        "периоды выгрузки охватывают больше 50 лет: загрузка будет отклонена целиком",
        "the export's periods span over 50 years: the load refuses it whole",
    ),
    "excel_damage": Word(
        "номера, испорченные Excel (ведущие нули потеряны, экспоненциальная запись)",
        "identifiers turned into numbers or scientific notation by Excel",
    ),
    "bad_value": Word(
        "значения, которые не читаются как число, дата или период, или вне допустимого диапазона",
        "values that cannot be read as numbers, dates or periods, or lie outside their range",
    ),
    "missing_value": Word(
        "не заполнены обязательные значения (номер лицевого счёта, фамилия и имя, заводской номер)",
        "required values left empty (account numbers, names, meter serials)",
    ),
    "unknown_service": Word("неизвестные названия услуг", "service names that are not recognised"),
    "ambiguous_service": Word(
        "услугу строки нельзя определить: в выгрузке нет столбца услуги, а по счётчику или счёту она неоднозначна",
        "rows whose service cannot be told: no service column, and the meter or account has several",
    ),
    "duplicate_account": Word(
        "номер лицевого счёта встречается больше одного раза", "account numbers that appear more than once"
    ),
    "duplicate_els": Word("один ЕЛС у нескольких лицевых счетов", "ЕЛС that appear on more than one account"),
    "duplicate_person": Word(
        "один и тот же человек дважды на одном лицевом счёте", "the same person twice on one account"
    ),
    "duplicate_service": Word("услуга указана у лицевого счёта дважды", "a service listed twice for one account"),
    "duplicate_meter": Word(
        "заводской номер счётчика встречается больше одного раза для одной услуги",
        "meter serials that appear more than once for a service",
    ),
    "duplicate_period": Word(
        "две строки одного счётчика или счёта и услуги за один период",
        "two rows for the same meter, or account and service, in one period",
    ),
    "els_format": Word("ЕЛС не из 10 знаков", "ЕЛС that is not 10 characters"),
    "unknown_account": Word(
        "строки ссылаются на лицевой счёт, которого нет в файле лицевых счетов",
        "rows that refer to an account missing from the accounts file",
    ),
    "unknown_meter": Word(
        "показания счётчика, которого нет в файле счётчиков", "readings of a meter missing from the meters file"
    ),
    "meter_dates": Word("счётчик снят раньше, чем установлен", "meters removed before they were installed"),
    "reading_decrease": Word(
        "показание меньше предыдущего (и это не переход счётчика через ноль)",
        "readings lower than the previous one (not a rollover)",
    ),
    "reading_jump": Word(
        "расход за месяц в 5 и более раз выше обычного для счётчика",
        "readings 5x or more above the meter's usual monthly use",
    ),
    "reading_after_removal": Word(
        "показания датированы позже снятия счётчика", "readings dated after the meter's removal"
    ),
    "reading_before_install": Word(
        "показания датированы раньше установки счётчика", "readings dated before the meter's installation"
    ),
    "meter_past_verification": Word(
        "счётчик в работе после даты очередной поверки", "meters in use past their verification date"
    ),
    "unit_mixup": Word(
        "расход похож на литры вместо кубометров (больше 100 м³ в месяц на квартиру)",
        "monthly use that looks like litres instead of m³ (over 100 m³ a month on one flat)",
    ),
    "balance_not_reconciling": Word(
        "сальдо не сходится: входящее + начислено + перерасчёт − оплачено ≠ исходящее",
        "opening + charged + recalculated - paid differs from closing",
    ),
    "balance_carry_over": Word(
        "входящее сальдо месяца не равно исходящему сальдо предыдущего месяца",
        "a month's opening differs from the previous month's closing",
    ),
    "closed_account_balance": Word(
        "на закрытом лицевом счёте остался долг или переплата", "closed accounts with a balance left"
    ),
    "living_over_total": Word("жилая площадь больше общей", "living area above total area"),
    "shares_not_one": Word(
        "доли собственников лицевого счёта в сумме не равны 1", "owners' shares of an account not adding up to 1"
    ),
    "payment_duplicate": Word(
        "один и тот же платёж дважды (реестры платёжного агента пересекаются)",
        "the same payment twice (overlapping registries)",
    ),
    "paid_not_payments": Word(
        "оплачено в сальдо за месяц не равно сумме платежей этого месяца",
        "the paid amount of a month in the balances differs from the payments of that month",
    ),
    "invalid_snils": Word("СНИЛС с неверным контрольным числом", "СНИЛС with wrong check digits"),
    "invalid_inn": Word("ИНН с неверным контрольным числом", "ИНН with wrong check digits"),
    "birth_in_future": Word(
        "дата рождения в будущем (загружается как неизвестная)", "birth dates in the future (loaded as unknown)"
    ),
    "initials_only": Word(
        "имя или отчество одними инициалами (при обезличивании заменяются полными вымышленными)",
        "given names or patronymics of initials only (the anonymization gives them full invented ones)",
    ),
}

# kind -> what the data's owner does about it
HINT: dict[str, Word] = {
    "mixed_encodings": Word(
        "выгрузите все файлы в одной кодировке (например, windows-1251) или укажите encoding для каждого файла",
        "export every file in one encoding, or give each file's encoding in the mapping",
    ),
    "period_span": Word(
        "найдите дату или период, далёкие от остальных (опечатка в годе), и исправьте их",
        "find the date or period far from the others (a typo in a year) and correct it",
    ),
    "excel_damage": Word(
        "выгрузите файл из учётной программы заново, не открывая его в Excel, или задайте столбцу текстовый формат",
        "export the file again without opening it in Excel, or format the column as text",
    ),
    "bad_value": Word(
        "исправьте значение в учётной программе (число с запятой или точкой, дата ДД.ММ.ГГГГ, период ММ.ГГГГ)",
        "correct the value (a number, a date as DD.MM.YYYY, a period as MM.YYYY)",
    ),
    "missing_value": Word(
        "заполните значение или удалите строку, если она лишняя",
        "fill the value in, or delete the row if it is not needed",
    ),
    "unknown_service": Word(
        "назовите услугу привычно (ХВС, ГВС, водоотведение, электроэнергия, отопление, газ) или задайте "
        "соответствие в файле сопоставления (convert.service.values)",
        "name the service as usual (ХВС, ГВС, ...) or map it in the mapping file (convert.service.values)",
    ),
    "ambiguous_service": Word(
        "добавьте в выгрузку столбец услуги; у показаний — проверьте, что заводской номер принадлежит одному счётчику",
        "add a service column to the export; for readings, check the serial belongs to one meter",
    ),
    "duplicate_account": Word(
        "оставьте у номера один лицевой счёт: второй переименуйте или объедините с первым",
        "keep one account per number: renumber the second or merge it into the first",
    ),
    "duplicate_els": Word(
        "проверьте ЕЛС в ГИС ЖКХ и исправьте у лишних счетов",
        "check the ЕЛС in ГИС ЖКХ and correct it on the extra accounts",
    ),
    "duplicate_person": Word("удалите повторную строку", "delete the repeated row"),
    "duplicate_service": Word("удалите повторную строку", "delete the repeated row"),
    "duplicate_meter": Word(
        "проверьте заводской номер по паспорту счётчика; у снятого счётчика укажите дату снятия",
        "check the serial against the meter's papers; give a removed meter its removal date",
    ),
    "duplicate_period": Word(
        "оставьте одну строку за период (загружается первая)", "keep one row per period (the load keeps the first)"
    ),
    "els_format": Word(
        "укажите ЕЛС из ГИС ЖКХ целиком (10 знаков)", "write the whole ЕЛС from ГИС ЖКХ (10 characters)"
    ),
    "unknown_account": Word(
        "добавьте лицевой счёт в файл лицевых счетов или исправьте номер в строке",
        "add the account to the accounts file or correct the number in the row",
    ),
    "unknown_meter": Word(
        "добавьте счётчик в файл счётчиков или исправьте заводской номер в строке",
        "add the meter to the meters file or correct the serial in the row",
    ),
    "meter_dates": Word("исправьте дату установки или снятия", "correct the installation or removal date"),
    "reading_decrease": Word(
        "проверьте показание; если счётчик заменён, заведите новый счётчик с датой установки",
        "check the reading; if the meter was replaced, add the new meter with its installation date",
    ),
    "reading_jump": Word(
        "проверьте показание (лишняя цифра, сдвиг запятой)",
        "check the reading (an extra digit, a misplaced decimal point)",
    ),
    "reading_after_removal": Word(
        "проверьте дату снятия счётчика или дату показания", "check the removal date or the reading's date"
    ),
    "reading_before_install": Word(
        "проверьте дату установки счётчика или дату показания", "check the installation date or the reading's date"
    ),
    "meter_past_verification": Word(
        "внесите дату последней поверки или снимите счётчик с учёта",
        "enter the latest verification or take the meter out",
    ),
    "unit_mixup": Word(
        "проверьте единицы: при выгрузке в литрах задайте в сопоставлении scale = 0.001",
        "check the units: for litres set scale = 0.001 in the mapping",
    ),
    "balance_not_reconciling": Word(
        "проверьте суммы строки в учётной программе", "check the row's amounts in the old system"
    ),
    "balance_carry_over": Word(
        "проверьте, не было ли ручной правки сальдо или закрытия месяца задним числом",
        "look for a hand-made balance correction or a month reopened after closing",
    ),
    "closed_account_balance": Word(
        "перенесите остаток на другой счёт или спишите его до перехода",
        "move the balance to another account or write it off first",
    ),
    "living_over_total": Word(
        "проверьте площади (не перепутаны ли столбцы)", "check the areas (are the columns swapped?)"
    ),
    "shares_not_one": Word("сверьте доли с выпиской ЕГРН", "check the shares against the ЕГРН extract"),
    "payment_duplicate": Word(
        "удалите повторную строку или повторно загруженный реестр",
        "delete the repeated row or the registry loaded twice",
    ),
    "paid_not_payments": Word(
        "укажите у платежей период, за который они внесены, или проверьте столбец «оплачено»",
        "give each payment the period it pays for, or check the paid column",
    ),
    "invalid_snils": Word("сверьте СНИЛС с документом", "check the СНИЛС against the document"),
    "invalid_inn": Word("сверьте ИНН с документом", "check the ИНН against the document"),
    "birth_in_future": Word(
        "исправьте год рождения (опечатка) по документу", "correct the year of birth (a typo) from the document"
    ),
    "initials_only": Word(
        "впишите имя и отчество полностью, если они известны", "write the given name and patronymic in full if known"
    ),
}

# a row flagged only because of an earlier duplicate: what it follows from ({place}: 'абоненты.csv:59')
CAUSE: dict[str, Word] = {
    "duplicate_account": Word(
        "следует из повторного номера лицевого счёта, {place}", "follows from duplicate account at {place}"
    ),
    "duplicate_meter": Word(
        "следует из повторного заводского номера счётчика, {place}", "follows from duplicate meter serial at {place}"
    ),
    "": Word("{place}", "{place}"),
}

# where a problem has no line of its own; the complete list's columns and its sheet
PLACE: dict[str, Word] = {
    "whole_file": Word("весь файл", "whole file"),
    "whole_export": Word("вся выгрузка", "whole export"),
    "sheet": Word("Проблемы", "Problems"),
}

# the complete problem list's columns (`import check --problems`), in order
LIST_HEADERS: dict[str, Word] = {
    "kind": Word("Вид", "Kind"),
    "problem": Word("Что не так", "Problem"),
    "file": Word("Файл", "File"),
    "line": Word("Строка", "Line"),
    "column": Word("Столбец", "Column"),
    "value": Word("Значение", "Value"),
    "details": Word("Подробности", "Details"),
    "how_to_fix": Word("Как исправить", "How to fix"),
    "cause": Word("Причина", "Cause"),
}

# the command line's and the JSON's one-line summary of a kind, where it is not its WHAT
SUMMARY: dict[str, Word] = {
    "ambiguous_service": Word(
        WHAT["ambiguous_service"].ru,
        "rows without a service whose meter or account has several (or none) to take it from",
    ),
    "paid_not_payments": Word(
        WHAT["paid_not_payments"].ru, "a month's paid in the balances differs from the payments of that month"
    ),
}

# what many problems of a kind have in common (payments dated after their period)
NOTES: dict[str, Word] = {
    "payments_lag": Word(
        "платежи поступают через {lag:months} после периода, за который внесены: у {differing:n} пар "
        "«лицевой счёт — месяц» оплачено в сальдо не равно сумме платежей, а если сдвинуть платежи назад, "
        "расхождений останется {shifts}; укажите у платежей период, за который они внесены",
        "payments arrive {lag:months} after the period they pay for: {differing:n} account-months have paid amounts "
        "that differ from their payments; with the payments moved back {shifts}; give each payment the period it "
        "pays for",
    ),
    "shift": Word("на {lag:months} — {count:n}", "{lag:months}: {count:n}"),
}
