"""Why the load leaves a row out (seed.legacy.interpret's reasons, by code): the English is the load report's
label, which its JSON is keyed by."""

from __future__ import annotations

from seed.words.word import Word

# reason code -> its words
REASONS: dict[str, Word] = {
    "empty_account": Word("пустой номер лицевого счёта", "empty account number"),
    "long_account": Word("номер лицевого счёта длиннее 30 знаков", "account number longer than 30 characters"),
    "no_name": Word("нет фамилии или имени", "no surname or given name"),
    "empty_serial": Word("пустой заводской номер счётчика", "empty meter serial"),
    "duplicate_account": Word("повторный номер лицевого счёта", "duplicate account number"),
    "resident_of_duplicate": Word(
        "житель в строке повторного номера лицевого счёта", "resident on the row of a duplicate account number"
    ),
    "duplicate_els": Word("повторный ЕЛС", "duplicate ЕЛС"),
    "duplicate_person": Word(
        "один и тот же человек дважды на одном лицевом счёте", "the same person twice on one account"
    ),
    "duplicate_service": Word("услуга указана у лицевого счёта дважды", "service listed twice for the account"),
    "duplicate_meter": Word("повторный заводской номер счётчика", "duplicate meter serial"),
    "ambiguous_service": Word(
        "услугу нельзя определить (нет столбца услуги)", "service cannot be told (no service column)"
    ),
    "duplicate_reading": Word("повторное показание за тот же период", "duplicate reading for the same period"),
    "duplicate_balance": Word("повторное сальдо за тот же период", "duplicate balance for the same period"),
    "unknown_account": Word("неизвестный лицевой счёт", "unknown account"),
    "unknown_payer": Word("платёж по неизвестному лицевому счёту", "payment for an unknown account"),
    "unknown_service": Word("неизвестная услуга", "unknown service"),
    "unknown_meter": Word("показание неизвестного счётчика", "reading of an unknown meter"),
    "removed_before_installed": Word("счётчик снят раньше, чем установлен", "removed before installed"),
    "not_a_date": Word("не дата", "not a date"),
    "not_a_period": Word("не период", "not a period"),
    "not_an_amount": Word("не сумма", "not an amount"),
    "not_a_reading": Word("показание не число", "not a reading value"),
    "payment_not_positive": Word("сумма платежа не больше нуля", "payment amount not positive"),
    "total_area": Word("общая площадь не положительное число", "total area not a positive number"),
    "living_area": Word("жилая площадь не число", "living area not a number"),
    "residents": Word("число проживающих не число от 0 до 32767", "residents not a number from 0 to 32767"),
    "rooms": Word("число комнат не целое от 0 до 20", "rooms not a whole number from 0 to 20"),
    "share": Word("доля не в пределах (0; 1]", "share not in (0, 1]"),
    "zones": Word("тарифность не 1, 2 или 3", "zones not 1, 2 or 3"),
    "digits": Word("разрядность не от 4 до 9", "digits not 4 to 9"),
    "address": Word(
        "адрес не разобран: нужны улица и дом, например «ул. Ленина, д. 5, корп. 2, кв. 12»",
        "address not understood: it needs a street and a house, e.g. «ул. Ленина, д. 5, корп. 2, кв. 12»",
    ),
    "address_town": Word(
        "в адресе нет населённого пункта, а город не задан (столбец city или [fixed] city)",
        "the address names no town and no city is given (a city column, or city under [fixed])",
    ),
}
