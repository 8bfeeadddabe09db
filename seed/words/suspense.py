"""Why a registry's line goes to the suspense list (невыясненные платежи), by reason code."""

from __future__ import annotations

from seed.words.word import Word

# reason -> its words
SUSPENSE: dict[str, Word] = {
    "unknown_account": Word("лицевой счёт не найден", "account not found"),
    "closed_account": Word("лицевой счёт закрыт", "account closed"),
    "duplicate_line": Word("повтор строки реестра", "a registry line repeated"),
    "nonpositive_amount": Word("сумма не больше нуля", "amount not above zero"),
    "bad_date": Word("дата платежа не читается", "payment date unreadable"),
    "implausible_date": Word(
        "дата платежа невозможна: раньше 01.01.2000 или позже даты реестра",
        "payment date impossible: before 01.01.2000 or after the registry's date",
    ),
    "bad_period": Word("период оплаты не читается или невозможен", "paid period unreadable or impossible"),
    "no_balance": Word(
        "по лицевому счёту нет сальдо в открытом периоде", "the account has no balance in the open period"
    ),
}
