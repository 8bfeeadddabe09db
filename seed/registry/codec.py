"""Reading and writing a registry file in its format: the one place that knows how lines, amounts, dates
and control lines are written, for `registry load`, `registry sample` and `registry debts` alike.

Reading checks the file as a whole before anything is loaded: its encoding, its shape (every line the
format's), and the control sums of its header or footer. A line whose date cannot be read is kept with
its problem (it goes to the suspense list); a file that fails a whole-file check is refused, naming the
line and the field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from seed.errors import RegistryError
from seed.registry.formats import Control, Format

BAD_DATE = "bad_date"
# Characters that Russian text decoded with the wrong one of cp1251, cp866 and UTF-8 is full of: box drawing
# (cp1251 read as cp866), "Ð"/"Ñ" pairs (UTF-8 read as cp1251), and cp1251's rare letters (cp866 read as it).
MISREAD_RE = re.compile(
    r"[\u2500-\u259f]|[ÐÑ][\u0080-\u00bf\u2018-\u203a]|[ЂЃѓ„…†‡€‰Љ‹ЊЌЋЏђ‘’“”•–—™љ›њќћџЎўЈ¤Ґ¦§©Є¬®Ї°±Ііґµ¶·№єјЅѕї]"
)


@dataclass(frozen=True, slots=True)
class Line:
    """One payment line: what the load needs of it (a registry of 100,000 lines stays small in memory)."""

    lineno: int
    account: str
    payer: str
    amount: int  # kopecks
    paid_on: dt.date | None  # None: the date cannot be read (problem BAD_DATE)
    problem: str
    key: str  # what makes a line a repeat of another: its transaction id, else the whole line


@dataclass(frozen=True)
class Registry:
    """A registry file read whole: its lines and its control values, checked against each other."""

    fmt: Format
    path: Path
    checksum: str  # sha256 of the file's bytes: the same file loaded twice is refused
    number: str
    date: dt.date | None
    count: int
    total: int  # kopecks, as the control line says (and the lines add up to)
    lines: list[Line] = field(default_factory=list)


# -- amounts, dates ---------------------------------------------------------------------------------
AMOUNT_RE = re.compile(r"^(-?)(\d{1,12})(?:[.,](\d{1,2}))?$")


def parse_amount(fmt: Format, text: str) -> int | None:
    """Kopecks from an amount as the format writes it; None when it is not one."""
    text = text.strip().replace("\u00a0", "").replace(" ", "")
    if fmt.amounts == "kopecks":
        return int(text) if re.fullmatch(r"-?\d{1,14}", text) else None
    match = AMOUNT_RE.match(text)
    if match is None or (match.group(3) is not None and fmt.decimal not in text):
        return None
    sign, whole, frac = match.groups()
    kopecks = int(whole) * 100 + int((frac or "0").ljust(2, "0"))
    return -kopecks if sign else kopecks


def format_amount(fmt: Format, kopecks: int) -> str:
    if fmt.amounts == "kopecks":
        return str(kopecks)
    sign = "-" if kopecks < 0 else ""
    return f"{sign}{abs(kopecks) // 100}{fmt.decimal}{abs(kopecks) % 100:02d}"


def parse_date(pattern: str, text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text.strip(), pattern).date()
    except ValueError:
        return None


# -- reading ----------------------------------------------------------------------------------------
def _decode(path: Path, data: bytes, fmt: Format) -> str:
    try:
        text = data.decode(fmt.encoding)
    except UnicodeDecodeError as exc:
        raise RegistryError(
            path,
            data[: exc.start].count(b"\n") + 1,
            f"is not {fmt.encoding} text (byte {exc.start})",
            fix=f"the format {fmt.name!r} expects {fmt.encoding}: is this file from another agent?",
        ) from None
    text = text.removeprefix("\ufeff")
    misread = MISREAD_RE.search(text)  # one pass over the whole text; the line is found only when needed
    if misread:
        lineno = text.count("\n", 0, misread.start()) + 1
        line = text.splitlines()[lineno - 1]
        raise RegistryError(
            path,
            lineno,
            f"reads as garbled text in {fmt.encoding} ({line.strip()[:40]!r}...): the file is in another encoding",
            fix=f"the format {fmt.name!r} expects {fmt.encoding}: is this file from another agent?",
        )
    return text


def _control_values(path: Path, lineno: int, line: str, control: Control) -> dict[str, str]:
    parts = line[len(control.prefix) :].split(control.delimiter)
    if len(parts) != len(control.fields):
        raise RegistryError(
            path,
            lineno,
            f"the control line has {len(parts)} fields, the format {len(control.fields)} ({', '.join(control.fields)})",
        )
    return {name: value.strip() for name, value in zip(control.fields, parts, strict=True) if name != "skip"}


def _cells(fmt: Format, path: Path, lineno: int, line: str) -> list[str]:
    """The line's fields as written (not yet stripped), one per field of the format."""
    if fmt.fixed:
        cells, at = [], 0
        for width in fmt.widths:
            cells.append(line[at : at + width])
            at += width
        if len(line.rstrip()) > at:
            raise RegistryError(path, lineno, f"the line is {len(line.rstrip())} characters, the format's columns {at}")
        return cells
    cells = line.split(fmt.delimiter)
    if len(cells) != len(fmt.fields):
        raise RegistryError(
            path, lineno, f"the line has {len(cells)} fields, the format {fmt.name!r} has {len(fmt.fields)}"
        )
    return cells


@dataclass(frozen=True)
class _Reader:
    """Where the load's fields are in a line of ``fmt``, found once for the whole file."""

    fmt: Format
    path: Path
    dates: DateCache
    account: int | None
    name: int | None
    amount: int
    date: int | None
    transaction: int | None

    @classmethod
    def of(cls, fmt: Format, path: Path) -> _Reader:
        amount = fmt.index("amount")
        assert amount is not None  # a format without one is refused when it is read
        return cls(
            fmt,
            path,
            DateCache(fmt.date_format),
            fmt.index("account"),
            fmt.index("name"),
            amount,
            fmt.index("date"),
            fmt.index("transaction"),
        )

    def line(self, lineno: int, raw: str) -> Line:
        cells = _cells(self.fmt, self.path, lineno, raw)
        amount = parse_amount(self.fmt, cells[self.amount])
        if amount is None:
            fmt = self.fmt
            raise RegistryError(
                self.path,
                lineno,
                f"field amount: {cells[self.amount].strip()!r} is not an amount"
                + (" in kopecks" if fmt.amounts == "kopecks" else f" with the decimal mark {fmt.decimal!r}"),
                fix="the control sums cannot be checked; ask the agent for a corrected file",
            )
        paid_on = self.dates[cells[self.date].strip()] if self.date is not None else None
        transaction = cells[self.transaction].strip() if self.transaction is not None else ""
        return Line(
            lineno,
            cells[self.account].strip() if self.account is not None else "",
            cells[self.name].strip() if self.name is not None else "",
            amount,
            paid_on,
            BAD_DATE if self.date is not None and paid_on is None else "",
            transaction or raw.strip(),
        )


class DateCache(dict[str, "dt.date | None"]):
    """Dates as the format writes them, each parsed once: a day's registry repeats one or two dates."""

    def __init__(self, pattern: str) -> None:
        super().__init__()
        self.pattern = pattern

    def __missing__(self, text: str) -> dt.date | None:
        self[text] = found = parse_date(self.pattern, text)
        return found


def _number(value: str, path: Path, lineno: int, what: str) -> int:
    if not re.fullmatch(r"\d{1,9}", value):
        raise RegistryError(path, lineno, f"field {what}: {value!r} is not a whole number")
    return int(value)


def read_registry(path: Path, fmt: Format) -> Registry:
    """Read and check a registry file whole; a whole-file fault is a :class:`RegistryError`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RegistryError(path, None, f"cannot be read ({exc.strerror})") from None
    text = _decode(path, data, fmt)
    control: dict[str, str] = {}
    lines: list[Line] = []
    footer_at = 0
    seen_header = False
    reader = _Reader.of(fmt, path)
    for lineno, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        if footer_at:
            raise RegistryError(path, lineno, f"a line after the control line (line {footer_at})")
        if fmt.header and raw.startswith(fmt.header.prefix) and not seen_header and not lines:
            control.update(_control_values(path, lineno, raw, fmt.header))
            seen_header = True
            continue
        if fmt.footer and raw.startswith(fmt.footer.prefix):
            control.update(_control_values(path, lineno, raw, fmt.footer))
            footer_at = lineno
            continue
        lines.append(reader.line(lineno, raw))
    if fmt.header and not seen_header:
        raise RegistryError(path, 1, f"no header line (starting {fmt.header.prefix!r})", fix="is the file whole?")
    if fmt.footer and not footer_at:
        raise RegistryError(
            path,
            None,
            f"no control line (starting {fmt.footer.prefix!r}) at the end: the file is cut short",
            fix="ask the agent for the whole file",
        )
    end = footer_at or 1
    count = _number(control.get("count", ""), path, end, "count")
    total = parse_amount(fmt, control.get("total", ""))
    if total is None:
        raise RegistryError(path, end, f"field total: {control.get('total', '')!r} is not an amount")
    if count != len(lines):
        raise RegistryError(
            path, end, f"the control line says {count} payments, the file has {len(lines)}", fix="the file is not whole"
        )
    summed = sum(line.amount for line in lines)
    if total != summed:
        raise RegistryError(
            path,
            end,
            f"the control line's total {format_amount(fmt, total)} differs from the lines' sum "
            f"{format_amount(fmt, summed)}",
            fix="the file is damaged or edited; ask the agent for a corrected one",
        )
    when = reader.dates[control["date"]] if control.get("date") else None
    if control.get("date") and when is None:
        raise RegistryError(path, end, f"field date: {control['date']!r} is not a date ({fmt.date_format})")
    return Registry(
        fmt=fmt,
        path=path,
        checksum=hashlib.sha256(data).hexdigest(),
        number=control.get("number", "") or f"{path.stem}",
        date=when,
        count=count,
        total=total,
        lines=lines,
    )


# -- writing ----------------------------------------------------------------------------------------
def _cell(fmt: Format, name: str, value: str, width: int) -> str:
    value = value[:width]
    if name == "amount" and fmt.amounts == "kopecks":
        return value.rjust(width, "0") if not value.startswith("-") else value.rjust(width)
    return value.ljust(width)


def render_line(fmt: Format, values: dict[str, str]) -> str:
    cells = [values.get(name, "") for name in fmt.fields]
    if fmt.fixed:
        return "".join(_cell(fmt, n, v, w) for n, v, w in zip(fmt.fields, cells, fmt.widths, strict=True)).rstrip()
    return fmt.delimiter.join(c.replace(fmt.delimiter, " ") for c in cells)


def render_control(control: Control, values: dict[str, str]) -> str:
    return control.prefix + control.delimiter.join(values.get(name, "") for name in control.fields)


def write_registry(path: Path, fmt: Format, lines: Iterable[dict[str, str]], control: dict[str, str]) -> int:
    """Write a registry file (atomically) from lines of field texts and the control values; returns its size.
    Characters the encoding lacks are written as '?', as agents' systems do."""
    out = []
    if fmt.header:
        out.append(render_control(fmt.header, control))
    out.extend(render_line(fmt, values) for values in lines)
    if fmt.footer:
        out.append(render_control(fmt.footer, control))
    data = (fmt.line_end.join(out) + fmt.line_end).encode(fmt.encoding, errors="replace")
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)
    return len(data)
