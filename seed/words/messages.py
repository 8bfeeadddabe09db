"""The analysis's messages about a value: each a code with its arguments (:class:`Message`), said in Russian
or English from them. The English is what the analysis's JSON and the command line show."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from seed.words import (
    names,  # noqa: F401  (the lists a message names)
    personal,
)
from seed.words.reasons import REASONS
from seed.words.word import Word

MESSAGES: dict[str, Word] = {
    "": Word("", ""),
    "as_written": Word("{text}", "{text}"),  # the export's own words (its encodings), as it wrote them
    "first_at_line": Word("впервые в строке {line}", "first at line {line}"),
    "first_at_line_differing": Word(
        "впервые в строке {line}, отличаются: {fields:fields}", "first at line {line}, with another {fields}"
    ),
    "periods_from": Word("периоды с {first:month} по {last:month}", "periods from {first} to {last}"),
    "same_as_line": Word("как в строке {line}", "same as line {line}"),
    "same_meter_period": Word("тот же счётчик и период, что в строке {line}", "same meter and period as line {line}"),
    "same_account_period": Word(
        "тот же счёт, услуга и период, что в строке {line}", "same account, service and period as line {line}"
    ),
    "expected": Word("ожидалось {amount:num}", "expected {amount}"),
    "previous_closing": Word("исходящее сальдо предыдущего месяца {amount:num}", "previous closing {amount}"),
    "previous": Word("предыдущее {value:num}", "previous {value}"),
    "usual_a_month": Word("обычно {use:num} в месяц", "usual {use} a month"),
    "median_use": Word("медианный расход за месяц", "median monthly use"),
    "still_in_use": Word("всё ещё в работе", "still in use"),
    "removed": Word("снят {day:day}", "removed {day}"),
    "installed": Word("установлен {day:day}", "installed {day}"),
    "closed": Word("закрыт {day:day}", "closed {day}"),
    "total": Word("общая {area:num}", "total {area}"),
    "shares_add_up": Word("сумма долей собственников этого счёта", "the owners' shares of this account add up to this"),
    "meters_of_services": Word(
        "этот заводской номер у счётчиков разных услуг: {services:services}", "meters of {services} have this serial"
    ),
    "account_services": Word(
        "у лицевого счёта {count} услуги: {services:services}", "the account has {count} services: {services}"
    ),
    "number_used_by_other": Word(
        "номер лицевого счёта в этой строке уже занят лицевым счётом с другими данными",
        "the account number on this row is already used by an account with other values",
    ),
    "account_no_services": Word("у лицевого счёта нет ни одной услуги", "the account has no services"),
    "payments_for": Word("платежи за {month:month}: {amount:num}", "payments for {month}: {amount}"),
    "payments_for_lagging": Word(
        "платежи за {month:month}: {amount:num}; платежи поступают через {lag:months} после периода",
        "payments for {month}: {amount}; payments arrive {lag:months} after the period they pay for",
    ),
    # a value that is not what its field holds (seed.legacy.convert's complaints)
    "not_a_number": Word("не число: {value}", "not a number: {value}"),
    "not_a_date": Word("не дата: {value}", "not a date: {value}"),
    "not_a_date_expected": Word("не дата: {value} (ожидается ДД.ММ.ГГГГ)", "not a date: {value} (expected dd.mm.yyyy)"),
    "not_a_date_year": Word(
        "не дата: {value} (ожидается год с {first} по {last})",
        "not a date: {value} (a year from {first} to {last} expected)",
    ),
    "not_a_month": Word("не период: {value}", "not a month: {value}"),
    "not_a_month_year": Word(
        "не период: {value} (ожидается год с {first} по {last})",
        "not a month: {value} (a year from {first} to {last} expected)",
    ),
    "empty_period": Word("пустой период", "empty period"),
    "excel_number": Word(
        "число вместо номера (ведущие нули или цифры потеряны)",
        "a number where an identifier was expected (leading zeros or digits may be lost)",
    ),
    "excel_scientific": Word(
        "экспоненциальная запись (Excel переписал длинный номер, его цифры потеряны)",
        "scientific notation (Excel rewrote a long number; its last digits are lost)",
    ),
    # what the load did that the customer should hear of (the load report's flags)
    "load.agents_added": Word(
        "добавлены платёжные агенты, которых нет среди известных ({count:n}): {names}",
        "payment agents added, matching none of the built-in ones ({count:n}): {names}",
    ),
    "load.els_invented": Word(
        "в выгрузке нет ЕЛС; новые ЕЛС присвоены лицевым счетам: {count:n}",
        "the export gives no ЕЛС; accounts given a new one: {count:n}",
    ),
    "load.services_found": Word(
        "в выгрузке нет файла услуг; услуги лицевых счетов взяты из их счётчиков и сальдо: {count:n}",
        "the export has no services file; accounts' services taken from their meters and balances: {count:n}",
    ),
    "load.birth_in_future": Word(
        "даты рождения в будущем загружены как неизвестные (пустые): {count:n}",
        "birth dates in the future loaded as unknown (empty): {count:n}",
    ),
    "load.initials_only": Word(
        "имя или отчество одними инициалами: при обезличивании заменены полными вымышленными: {count:n}",
        "names with initials only, given full invented names by the anonymization: {count:n}",
    ),
    # a row the load leaves out, said by its reason
    **{f"reason.{code}": word for code, word in REASONS.items()},
    # personal data in the load's report: what is done to each rule's data, a flag, why a column looks personal
    **{f"treatment.{code}": word for code, word in personal.TREATMENTS.items()},
    **{f"personal.{code}": personal.SAID[code] for code in ("kept", "by_header", "by_sample")},
}


class Message(NamedTuple):
    """A message about a value: its code and its arguments (text), said in either language."""

    code: str
    args: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, code: str, **args: Any) -> Message:
        if code not in MESSAGES:
            raise KeyError(f"no words for the message {code!r}")
        return cls(code, tuple((k, str(v)) for k, v in args.items()))

    def text(self, lang: str = "en") -> str:
        return MESSAGES[self.code].say(lang, **dict(self.args))

    def __str__(self) -> str:
        """The English, as the command line and the JSON show it."""
        return self.text("en")

    def mapped(self, change: Callable[[str], str]) -> Message:
        """The message with each argument changed (a hidden value taken out)."""
        return Message(self.code, tuple((k, change(v)) for k, v in self.args))

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "args": dict(self.args)}

    @classmethod
    def from_dict(cls, said: dict[str, Any]) -> Message:
        return cls(str(said["code"]), tuple((str(k), str(v)) for k, v in said.get("args", {}).items()))


NONE = Message("")
