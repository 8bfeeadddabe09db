"""Reading and writing a registry file in its format: the one place that knows how lines, amounts, dates
and control lines are written, for `registry load`, `registry sample` and `registry debts` alike.

Reading checks the file as a whole before anything is loaded: its encoding (and no NUL byte in it), its
shape (every line the format's), the control sums of its header or footer and the registry's date. A line
whose date or period cannot be read is kept with its problem (it goes to the suspense list); a file that
fails a whole-file check is refused, naming the line and the field. Files are written by
:mod:`seed.outfile`: a regular file whole or not at all, a device or FIFO in place.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import importlib
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

from seed.errors import RegistryError
from seed.infile import not_a_file
from seed.outfile import output
from seed.registry.formats import Control, Format

BAD_DATE = "bad_date"
BAD_PERIOD = "bad_period"
# What a registry's dates may be: a registry dated before 2000 or after 2099 is refused whole; a payment
# dated before EARLIEST, or more than DATE_MARGIN after its registry's date (today's, when the registry
# has none), and a period before EARLIEST or more than PERIOD_MARGIN after it, go to the suspense list.
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2099, 12, 31)
DATE_MARGIN = dt.timedelta(days=7)
PERIOD_MARGIN = dt.timedelta(days=366)
# Characters that Russian text decoded with the wrong one of cp1251, cp866 and UTF-8 is full of: box drawing
# (cp1251 read as cp866), "Ð"/"Ñ" pairs (UTF-8 read as cp1251), and cp1251's rare letters (cp866 read as it).
MISREAD_CHAR_RE = re.compile(r"[\u2500-\u259fЂЃѓ„…†‡€‰Љ‹ЊЌЋЏђ‘’“”•–—™љ›њќћџЎўЈ¤Ґ¦§©Є¬®Ї°±Ііґµ¶·№єјЅѕї]")
MISREAD_PAIR_RE = re.compile(r"[ÐÑ][\u0080-\u00bf\u2018-\u203a]")


class Line(NamedTuple):
    """One payment line: what the load needs of it, in the order the load copies it to the database."""

    lineno: int
    account: str
    payer: str
    amount: int  # kopecks
    paid_on: dt.date | None  # None: the date cannot be read (problem BAD_DATE)
    period: dt.date | None  # the month paid for, when the format has one (unreadable: problem BAD_PERIOD)
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
    text = text.strip().replace("\u00a0", "").replace(" ", "")  # (a line's usual amount: _Reader.line)
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
    period: int | None
    periods: DateCache
    transaction: int | None
    width: int  # fields in a line
    roubles: bool  # amounts in roubles, with the decimal mark

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
            fmt.index("period"),
            DateCache(fmt.period_format, month=True),
            fmt.index("transaction"),
            len(fmt.fields),
            fmt.amounts != "kopecks",
        )

    def line(self, lineno: int, raw: str) -> Line:
        fmt = self.fmt
        if fmt.fixed:
            cells = _cells(fmt, self.path, lineno, raw)
        else:
            cells = raw.split(fmt.delimiter)
            if len(cells) != self.width:
                _cells(fmt, self.path, lineno, raw)  # raises, naming the fields
        written = cells[self.amount].strip()
        # The usual amount (digits; in roubles, the decimal mark and two more) at once, any other by parse_amount.
        if self.roubles:
            whole, mark, cents = written.partition(fmt.decimal)
            usual = mark and len(cents) == 2 and len(whole) <= 12 and whole.isdigit() and cents.isdigit()
            amount = int(whole) * 100 + int(cents) if usual and written.isascii() else parse_amount(fmt, written)
        else:
            usual = len(written) <= 14 and written.isdigit() and written.isascii()
            amount = int(written) if usual else parse_amount(fmt, written)
        if amount is None:
            raise RegistryError(
                self.path,
                lineno,
                f"field amount: {written!r} is not an amount"
                + (" in kopecks" if fmt.amounts == "kopecks" else f" with the decimal mark {fmt.decimal!r}"),
                fix="the control sums cannot be checked; ask the agent for a corrected file",
            )
        paid_on = self.dates[cells[self.date].strip()] if self.date is not None else None
        written = cells[self.period].strip() if self.period is not None else ""
        period = self.periods[written] if written else None
        problem = (
            BAD_DATE if self.date is not None and paid_on is None else BAD_PERIOD if written and not period else ""
        )
        return Line(
            lineno,
            cells[self.account].strip() if self.account is not None else "",
            cells[self.name].strip() if self.name is not None else "",
            amount,
            paid_on,
            period,
            problem,
            (cells[self.transaction].strip() if self.transaction is not None else "") or raw.strip(),
        )


class DateCache(dict[str, "dt.date | None"]):
    """Dates as the format writes them, each parsed once: a day's registry repeats one or two dates. With
    ``month``, a period: the first day of its month."""

    def __init__(self, pattern: str, *, month: bool = False) -> None:
        super().__init__()
        self.pattern, self.month = pattern, month

    def __missing__(self, text: str) -> dt.date | None:
        found = parse_date(self.pattern, text)
        if found is not None and self.month:
            found = found.replace(day=1)
        self[text] = found
        return found


def _number(value: str, path: Path, lineno: int, what: str) -> int:
    if not re.fullmatch(r"\d{1,9}", value):
        raise RegistryError(path, lineno, f"field {what}: {value!r} is not a whole number")
    return int(value)


BLOCK = 1 << 20  # a registry is read a mebibyte at a time: memory stays flat however long the file
ENDS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # what ends a line, as str.splitlines has it


def _first_misread(text: str) -> int | None:
    """Where ``text`` first reads as garbled, or None. Two plain searches are faster than one alternation."""
    found = [m.start() for m in (MISREAD_CHAR_RE.search(text), MISREAD_PAIR_RE.search(text)) if m]
    return min(found) if found else None


def _plain_bytes(encoding: str) -> bytes | None:
    """For an encoding of one byte a letter (cp1251, cp866, KOI8-R: a table of 256), the bytes that cannot
    begin garbled text (:func:`_first_misread`): a block with none but these is not searched, its bytes
    are scanned instead (deleted at C speed). None for another encoding (UTF-8, UTF-16): its text is
    searched."""
    try:
        module = importlib.import_module(f"encodings.{codecs.lookup(encoding).name.replace('-', '_')}")
    except ImportError:
        return None
    table = getattr(module, "decoding_table", None)
    if not isinstance(table, str) or len(table) != 256:
        return None
    # not a letter garbled text is full of, nor the first of a garbled pair (MISREAD_PAIR_RE), nor undefined
    return bytes(b for b, char in enumerate(table) if char not in "\ufffeÐÑ" and _first_misread(char) is None)


def _encoded_newline(encoding: str) -> bytes:
    """A line feed as ``encoding`` writes it within a file (after any byte-order mark): b"\\n" in the
    usual encodings, two bytes in UTF-16."""
    encoder = codecs.getincrementalencoder(encoding)()
    encoder.encode("a")
    return encoder.encode("\n") or b"\n"


def _text_lines(path: Path, fmt: Format, digest: hashlib._Hash) -> Iterator[tuple[int, str]]:
    """The file's lines, numbered from 1, decoded block by block; ``digest`` is fed its bytes. A byte the
    encoding does not have, or text that reads as garbled (the file is in another encoding), is a
    :class:`RegistryError` naming the line."""
    wrong = f"the format {fmt.name!r} expects {fmt.encoding}: is this file from another agent?"
    decoder = codecs.getincrementaldecoder(fmt.encoding)()
    newline = _encoded_newline(fmt.encoding)
    plain = _plain_bytes(fmt.encoding)
    lineno, offset, pending, first = 0, 0, "", True
    why = not_a_file(path)
    if why is not None:  # a FIFO or a device cannot be read twice (the precheck, then the load)
        raise RegistryError(path, None, why, fix="give the registry's file itself")
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise RegistryError(path, None, f"cannot be read ({exc.strerror})") from None
    with stream:
        while True:
            try:
                block = stream.read(BLOCK)
            except OSError as exc:
                raise RegistryError(path, lineno + 1, f"cannot be read ({exc.strerror})") from None
            digest.update(block)
            held = len(decoder.getstate()[0])  # bytes of a letter the last block cut, decoded with this one
            try:
                text = decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                at = lineno + block[: max(exc.start - held, 0)].count(newline) + 1
                byte = offset + max(exc.start - held, 0)
                raise RegistryError(path, at, f"is not {fmt.encoding} text (byte {byte})", fix=wrong) from None
            offset += len(block)
            if first and text:
                text, first = text.removeprefix("\ufeff"), False
            text = pending + text
            nul = text.find("\x00")
            if nul >= 0:
                column = nul - text.rfind("\n", 0, nul)
                raise RegistryError(
                    path,
                    lineno + text.count("\n", 0, nul) + 1,
                    f"holds a NUL byte (character {column} of the line): the file is damaged, or is not "
                    f"{fmt.encoding} text",
                    fix="ask the agent for a corrected file; if the agent writes UTF-16, say encoding = "
                    '"utf-16" in its format (see docs/registries.md)',
                )
            misread = None if plain is not None and not block.translate(None, plain) else _first_misread(text)
            if misread is not None:
                start = text.rfind("\n", 0, misread) + 1
                end = text.find("\n", misread)
                line = text[start : end if end >= 0 else len(text)]
                raise RegistryError(
                    path,
                    lineno + text.count("\n", 0, misread) + 1,
                    f"reads as garbled text in {fmt.encoding} ({line.strip()[:40]!r}...): the file is in another "
                    "encoding",
                    fix=wrong,
                )
            parts = text.splitlines(keepends=True)
            pending = ""
            if block and parts and (parts[-1] == parts[-1].rstrip(ENDS) or parts[-1].endswith("\r")):
                pending = parts.pop()  # the line goes on in the next block (a "\r" may be half of a "\r\n")
            for part in parts:
                lineno += 1
                yield lineno, part.rstrip(ENDS)
            if not block:
                return


class RegistryReader:
    """A registry file read and checked line by line: iterate it for its payment lines (each a
    :class:`Line`); when the iteration ends, the whole file has been checked (shape, encoding, the header
    or footer's count and total) and :attr:`registry` holds its control values. A whole-file fault is a
    :class:`RegistryError` naming the line, raised where it is found: a load that streams the lines into
    the database rolls back, and nothing is loaded."""

    def __init__(self, path: Path, fmt: Format) -> None:
        self.path = path
        self.fmt = fmt
        self._registry: Registry | None = None

    def precheck(self, lines: int = 100) -> None:
        """Read the first ``lines`` payment lines (a whole short file): a file that cannot be read, or one
        in another format or encoding, is refused at once, before a database is asked; a fault further on
        is found by the load, which then rolls back."""
        first = iter(self)
        try:
            for _ in itertools.islice(first, lines):
                pass
        finally:
            first.close()  # type: ignore[attr-defined]

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            raise RuntimeError("the registry is known once its lines have been read")
        return self._registry

    def __iter__(self) -> Iterator[Line]:
        path, fmt = self.path, self.fmt
        digest = hashlib.sha256()
        control: dict[str, str] = {}
        where: dict[str, int] = {}  # the line each control value was read from
        count = summed = footer_at = 0
        seen_header = False
        reader = _Reader.of(fmt, path)
        for lineno, raw in _text_lines(path, fmt, digest):
            if not raw.strip():
                continue
            if footer_at:
                raise RegistryError(path, lineno, f"a line after the control line (line {footer_at})")
            if fmt.header and not seen_header and not count and raw.startswith(fmt.header.prefix):
                found = _control_values(path, lineno, raw, fmt.header)
                control.update(found)
                where.update(dict.fromkeys(found, lineno))
                seen_header = True
                continue
            if fmt.footer and raw.startswith(fmt.footer.prefix):
                found = _control_values(path, lineno, raw, fmt.footer)
                control.update(found)
                where.update(dict.fromkeys(found, lineno))
                footer_at = lineno
                continue
            line = reader.line(lineno, raw)
            count += 1
            summed += line.amount
            yield line
        self._registry = self._checked(control, where, count, summed, footer_at, seen_header, digest)

    def _checked(
        self,
        control: dict[str, str],
        where: dict[str, int],
        lines: int,
        summed: int,
        footer_at: int,
        seen_header: bool,
        digest: hashlib._Hash,
    ) -> Registry:
        """The control values, checked against the lines read; a fault is named at the line of its value."""
        path, fmt = self.path, self.fmt
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
        count = _number(control.get("count", ""), path, where.get("count", end), "count")
        total = parse_amount(fmt, control.get("total", ""))
        if total is None:
            raise RegistryError(
                path, where.get("total", end), f"field total: {control.get('total', '')!r} is not an amount"
            )
        if count != lines:
            raise RegistryError(
                path,
                where.get("count", end),
                f"the control line says {count} payments, the file has {lines}",
                fix="the file is not whole",
            )
        if total != summed:
            raise RegistryError(
                path,
                where.get("total", end),
                f"the control line's total {format_amount(fmt, total)} differs from the lines' sum "
                f"{format_amount(fmt, summed)}",
                fix="the file is damaged or edited; ask the agent for a corrected one",
            )
        when = parse_date(fmt.date_format, control["date"]) if control.get("date") else None
        if control.get("date") and (when is None or not EARLIEST <= when <= LATEST):
            raise RegistryError(
                path,
                where.get("date", end),
                f"field date: {control['date']!r} is not a registry's date ({fmt.date_format}, "
                f"from {EARLIEST:%d.%m.%Y} to {LATEST:%d.%m.%Y})",
                fix="ask the agent for a corrected file",
            )
        return Registry(
            fmt=fmt,
            path=path,
            checksum=digest.hexdigest(),
            number=control.get("number", "") or f"{path.stem}",
            date=when,
            count=count,
            total=total,
        )


def read_registry(path: Path, fmt: Format) -> Registry:
    """Read and check a registry file whole, its lines kept; a whole-file fault is a :class:`RegistryError`."""
    reader = RegistryReader(path, fmt)
    lines = list(reader)
    return replace(reader.registry, lines=lines)


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
    """Write a registry file from lines of field texts and the control values, streamed in the format's
    encoding (:func:`seed.outfile.output`: a file whole or not at all); returns its size. Characters the
    encoding lacks are written as '?', as agents' systems do."""
    encoder = codecs.getincrementalencoder(fmt.encoding)(errors="replace")
    with output(path) as out:
        if fmt.header:
            out.write(encoder.encode(render_control(fmt.header, control) + fmt.line_end))
        for values in lines:
            out.write(encoder.encode(render_line(fmt, values) + fmt.line_end))
        if fmt.footer:
            out.write(encoder.encode(render_control(fmt.footer, control) + fmt.line_end))
        out.write(encoder.encode("", final=True))
    return out.size
