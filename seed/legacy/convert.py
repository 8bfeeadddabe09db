"""Values as legacy exports write them: decimal commas, dd.mm.yyyy dates, periods as ММГГ or ММ.ГГГГ."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from seed.legacy.read import NumberCell
from seed.words.messages import Message

# Russian month names by their beginning (март before май: both start "ма")
MONTH_NAMES = (
    (1, "янв"), (2, "фев"), (3, "мар"), (4, "апр"), (5, "ма"), (6, "июн"), (7, "июл"), (8, "авг"),
    (9, "сен"), (10, "окт"), (11, "ноя"), (12, "дек"),
)  # fmt: skip
FRACTION = re.compile(r"^(\d+)/(\d+)$")  # ownership shares: 1/2, 1/3
SCIENTIFIC = re.compile(r"^-?\d+([.,]\d+)?[eE][+-]?\d+$")
FIRST_YEAR, LAST_YEAR = 1900, 2099  # the years a date of an export may have
EXCEL_SERIAL = re.compile(r"\d{5}(?:[.,]\d+)?").fullmatch  # a date as Excel counts days: 45292 = 01.01.2024
EXCEL_EPOCH = dt.date(1899, 12, 30)  # day 0 of the serials from 1900-03-01 on (Excel counts a 29.02.1900)


class ValueProblem(ValueError):
    """A value that cannot be read, as a message (:attr:`said`: its code in seed.words.messages and its
    arguments); the caller adds the file, line and column. Its text is the message's English."""

    def __init__(self, code: str, **args: Any) -> None:
        super().__init__(code)
        self.said = Message.of(code, **args)

    def __str__(self) -> str:
        return self.said.text("en")


def decimal(value: Any) -> Decimal | None:
    """'1 234,56', '1234.56', 1234.56 -> Decimal; a share written '1/3' -> 0.3333; '' -> None."""
    if value is None or value == "":
        return None
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    elif "," in text and "." in text:
        text = text.replace(",", "")
    fraction = FRACTION.match(text)
    try:
        if fraction and int(fraction.group(2)):
            return (Decimal(fraction.group(1)) / Decimal(fraction.group(2))).quantize(Decimal("0.0001"))
        number = Decimal(text)
    except InvalidOperation:  # not a number, or a share too long to hold
        raise ValueProblem("not_a_number", value=repr(value)) from None
    if not number.is_finite():  # 'NaN', 'Infinity': Decimal reads them, no amount is one
        raise ValueProblem("not_a_number", value=repr(value))
    return number


def date(value: Any) -> dt.date | None:
    """dd.mm.yyyy, dd.mm.yy, yyyy-mm-dd, dd/mm/yyyy, yyyymmdd, or Excel's serial number of a day (45292);
    a year from 1900 to 2099 (the books' periods follow from the dates: a year 1000 is a typo)."""
    found = _date(value)
    if found is not None and not FIRST_YEAR <= found.year <= LAST_YEAR:
        raise ValueProblem("not_a_date_year", value=repr(value), first=FIRST_YEAR, last=LAST_YEAR)
    return found


def _date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if len(text) == 10 and text[2] == "." and text[5] == "." and text[:2].isdigit() and text[3:5].isdigit():
        try:  # dd.mm.yyyy, by far the most common: no strptime
            return dt.date(int(text[6:]), int(text[3:5]), int(text[:2]))
        except ValueError:
            raise ValueProblem("not_a_date", value=repr(value)) from None
    if EXCEL_SERIAL(text):  # a date cell read as a number (its format lost): five digits, from 1927
        return EXCEL_EPOCH + dt.timedelta(days=int(text[:5]))
    for pattern in ("%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text.split(" ")[0], pattern).date()
        except ValueError:
            continue
    raise ValueProblem("not_a_date_expected", value=repr(value))


def period(value: Any) -> dt.date:
    """A billing month: ММГГ ('0126'), ММ.ГГГГ ('01.2026'), ГГГГ-ММ, 'Январь 2026' (as 1С writes it), or
    any date in the month."""
    try:
        found = _period(value)
    except ValueProblem:
        raise
    except ValueError:  # a year Python's dates do not hold ('01.0000')
        raise ValueProblem("not_a_month", value=repr(value)) from None
    if not FIRST_YEAR <= found.year <= LAST_YEAR:
        raise ValueProblem("not_a_month_year", value=repr(value), first=FIRST_YEAR, last=LAST_YEAR)
    return found


def _period(value: Any) -> dt.date:
    if isinstance(value, dt.date | dt.datetime):
        return dt.date(value.year, value.month, 1)
    text = str(value).strip()
    named = re.match(r"^([А-Яа-яЁё]+)\.?\s+(\d{4})( г\.?)?$", text)
    if named:
        stem = named.group(1).lower()
        month = next((n for n, prefix in MONTH_NAMES if stem.startswith(prefix)), None)
        if month is None:
            raise ValueProblem("not_a_month", value=repr(value))
        return dt.date(int(named.group(2)), month, 1)
    for pattern, order in (
        (r"^(\d{2})(\d{2})$", "my"),
        (r"^(\d{1,2})[./-](\d{4})$", "mY"),
        (r"^(\d{4})[./-](\d{1,2})$", "Ym"),
    ):
        match = re.match(pattern, text)
        if match:
            first, second = int(match.group(1)), int(match.group(2))
            month, year = (second, first) if order == "Ym" else (first, second + (2000 if order == "my" else 0))
            if 1 <= month <= 12:
                return dt.date(year, month, 1)
            raise ValueProblem("not_a_month", value=repr(value))
    glued = re.match(r"^(\d{1,2})((?:19|20)\d\d)$", text)  # ММГГГГ, its leading zero lost in a number cell
    if glued:
        if 1 <= int(glued.group(1)) <= 12:
            return dt.date(int(glued.group(2)), int(glued.group(1)), 1)
        raise ValueProblem("not_a_month", value=repr(value))
    parsed = date(text)
    if parsed is None:
        raise ValueProblem("empty_period")
    return dt.date(parsed.year, parsed.month, 1)


def looks_mangled_by_excel(value: Any) -> Message | None:
    """An identifier Excel has turned into a number (a spreadsheet's number cell, or scientific notation), as
    the message that says so; None when it looks untouched."""
    if isinstance(value, int | float | NumberCell) and not isinstance(value, bool):
        return Message.of("excel_number")
    if isinstance(value, str) and SCIENTIFIC.match(value.strip()):
        return Message.of("excel_scientific")
    return None


# The strptime directives a mapping's `format` may use: the day, month and year, the weekday and month
# names, the time of day (a timestamp's date is what is kept) and a literal '%'. Left out: directives
# Python reads differently by locale (%c, %x, %X), time zones and week numbers, which no export's date needs.
DATE_DIRECTIVES = {
    "d": "day",
    "j": "day",
    "m": "month",
    "b": "month",
    "B": "month",
    "y": "year",
    "Y": "year",
    "a": "",
    "A": "",
    "H": "",
    "I": "",
    "M": "",
    "S": "",
    "p": "",
    "%": "",
}
ALLOWED_DIRECTIVES = "%d %m %Y %y %b %B %j %a %A %H %I %M %S %p %%"


def date_pattern_problem(pattern: str, is_period: bool) -> str | None:
    """What is wrong with a strptime pattern for a date (day, month and year) or a billing month (month
    and year), or None. Checked when a mapping is read: a wrong pattern would otherwise fail every row."""
    if "\x00" in pattern or not pattern.strip():
        return "an empty pattern or one with a NUL character"
    seen: list[str] = []
    at = 0
    while at < len(pattern):
        if pattern[at] != "%":
            at += 1
            continue
        directive = pattern[at + 1 : at + 2]
        if not directive:
            return "a '%' at the end (write '%%' for a percent sign)"
        if directive not in DATE_DIRECTIVES:
            return f"'%{directive}' is not a directive a date is read with"
        if directive != "%" and directive in seen:
            return f"'%{directive}' is given twice"
        seen.append(directive)
        at += 2
    parts = {DATE_DIRECTIVES[d] for d in seen}
    if "j" in seen:
        parts.add("month")  # the day of the year tells the month too
    needed = ("month", "year") if is_period else ("day", "month", "year")
    lacking = [part for part in needed if part not in parts]
    if lacking:
        return f"no {' and no '.join(lacking)} in it"
    sample = dt.datetime(2026, 1, 31, 13, 5, 9)
    try:
        back = dt.datetime.strptime(sample.strftime(pattern), pattern)
    except (ValueError, re.error):
        return "a date written with it cannot be read back"
    same = (back.year, back.month) == (2026, 1) if is_period else back.date() == sample.date()
    if not same:
        return "a date written with it does not read back as the same date"
    return None
