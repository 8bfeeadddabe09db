"""The analysis's reading of an export: each file through the one interpretation the load uses too,
with the problems the reading itself finds (values that cannot be read, Excel's damage, unknown
services and accounts) counted as it goes."""

from __future__ import annotations

import datetime as dt
import functools
from array import array
from collections.abc import Callable, Generator, Iterator
from decimal import Decimal
from typing import Any, NamedTuple, cast

import numpy as np

from seed.legacy import convert
from seed.legacy.analyze.findings import Finding, Report, Where
from seed.legacy.analyze.keyed import HashPositions, TextKeys
from seed.legacy.analyze.lengths import Lengths, lost_digits
from seed.legacy.analyze.series import GroupedColumns
from seed.legacy.analyze.spill import Cause, Spill
from seed.legacy.blocks import Block, csv_blocks
from seed.legacy.interpret import NULL, PLAIN_IDENT, PLAIN_NUMBER, EntityFile, open_entity, service_code
from seed.legacy.mapping import Mapping
from seed.legacy.read import detect_encoding
from seed.words.messages import Message


class Meter(NamedTuple):
    service: str
    line: int
    installed: str  # ISO dates, or NULL
    removed: str
    next: str
    capacity: int


WAITING = 1 << 14  # meters whose fields wait to go into the arrays a column at a time


class MeterBook:
    """The meters known, a few bytes each rather than objects: each meter's key (a 64-bit hash of its
    service and serial), line, dates (day numbers, 0 for none) and digits in arrays, in the order read;
    found by key as the meters file is read and after (:class:`~.keyed.HashPositions`). Indexes are
    positions in that order. Keys and lines are there at once; the other fields from :meth:`seal` on
    (until then a few thousand wait, put into their arrays a column at a time)."""

    def __init__(self) -> None:
        self.keys = HashPositions()
        self.lines, self.digits = array("i"), array("b")
        self.installed, self.removed, self.next = array("i"), array("i"), array("i")
        self.water = array("b")
        self._waiting: list[tuple[str, str, str, str, int]] = []

    def __len__(self) -> int:
        return len(self.keys)

    def line_of(self, service: str, serial: str) -> int | None:
        """The line of the meter with this key read before, if any."""
        at = self.find(service, serial)
        return None if at is None else self.lines[at]

    def add(self, meter: Meter, serial: str) -> None:
        self.note(hash((meter.service, serial)), *meter)

    def note(
        self, key: int, service: str, line: int, installed: str, removed: str, next_day: str, capacity: int
    ) -> None:
        """:meth:`add` of a meter's key (:meth:`key`) and its fields, for a caller that has found the key."""
        self.keys.add(key)
        self.lines.append(line)
        self._waiting.append((service, installed, removed, next_day, capacity))
        if len(self._waiting) >= WAITING:
            self._flush()

    def _flush(self) -> None:
        """The waiting meters' fields into their arrays."""
        if not self._waiting:
            return
        services, installed, removed, next_days, capacities = zip(*self._waiting, strict=True)
        self.digits.extend(capacities)
        self.water.extend([s == "cold_water" or s == "hot_water" for s in services])
        self.installed.extend(map(day_number, installed))
        self.removed.extend(map(day_number, removed))
        self.next.extend(map(day_number, next_days))
        self._waiting.clear()

    @staticmethod
    def key(service: str, serial: str) -> int:
        """A meter's key: the hash :meth:`find` finds it by."""
        return hash((service, serial))

    def seal(self) -> None:
        """The meters file is read: from now on meters are found by their sorted keys alone, and every
        field is in its array."""
        self._flush()
        self.keys.seal()

    def find(self, service: str, serial: str) -> int | None:
        """The index of the meter with this key; None when there is none."""
        return self.keys.find(hash((service, serial)))

    def find_many(self, pairs: list[tuple[str, str]]) -> Any:
        """The index of the meter of each (service, serial), -1 where there is none, found at once."""
        return self.keys.find_many(np.array([hash(p) for p in pairs], dtype=np.int64))

    def dates(self, index: int) -> tuple[str, str]:
        """A meter's installation and removal days as ISO text (NULL for none)."""
        return iso_day(self.installed[index]), iso_day(self.removed[index])


@functools.lru_cache(maxsize=1 << 16)
def day_number(iso: str) -> int:
    """An ISO date as its day number (0 for NULL), to hold in an array."""
    return 0 if iso == NULL else dt.date.fromisoformat(iso).toordinal()


@functools.lru_cache(maxsize=1 << 16)
def iso_day(day: int) -> str:
    return dt.date.fromordinal(day).isoformat() if day else NULL


class Examiner:
    """What the analysis knows so far (accounts, meters) and how it reads a file's values."""

    def __init__(self, mapping: Mapping, examples: int | None, spill: Spill | None = None) -> None:
        self.mapping, self.examples = mapping, examples
        self.report = Report.keeping(examples, spill)
        # number -> its position among the accounts known (the key of its months in the money's columns),
        # and by position its line and the day it was closed (0: open)
        self.accounts = TextKeys()
        self.account_lines, self.account_closed = array("i"), array("i")
        self.meters = MeterBook()
        # numbers and meters given twice, and the first repeat: later rows of both attach to the first, so
        # what looks wrong in them (a broken carry-over, a decreasing reading) follows from the repeat
        self.repeated_accounts: dict[str, Cause] = {}
        self.repeated_meters: dict[tuple[str, str], Cause] = {}
        self.meters_file = ""
        self.duplicate_rows: set[int] = set()  # accounts' lines refused as another account under a number in use
        # dates, periods and service names repeat across millions of rows: each is read once
        self._cache: dict[tuple[str, Any], Any] = {}
        self._services: dict[Any, str | None] = {}
        self._lengths: dict[str, Lengths] = {}  # by path: the identifier columns of a spreadsheet being read

    def caused_by(self) -> dict[int, Cause] | None:
        """The repeat each known account (by position) follows from, if any; None when no number repeats."""
        positions = ((self.accounts.get(n), c) for n, c in self.repeated_accounts.items())
        found = {p: c for p, c in positions if p is not None}
        return found or None

    def account_line(self, number: str) -> int | None:
        """The line of the known account with this number; None when none has it."""
        position = self.accounts.get(number)
        return None if position is None else self.account_lines[position]

    def add_account(self, number: str, line: int, closed: str) -> None:
        self.accounts.add(number, len(self.accounts))
        self.account_lines.append(line)
        self.account_closed.append(day_number(closed))

    def path(self, entity: str) -> str:
        fm = self.mapping.files.get(entity)
        return str(fm.path) if fm else ""

    def open(self, entity: str) -> tuple[EntityFile | None, Iterator[tuple[Where, list[Any]]]]:
        """An entity's file and its rows as (file and line, values); none when the mapping has no such file.
        The file's format and encoding, and its row count once read, go into the report."""
        f = open_entity(self.mapping, entity)
        if f is None:
            return None, iter(())
        fm = f.mapping
        info: dict[str, Any] = {"path": str(fm.path), "format": fm.path.suffix.lower().lstrip(".")}
        info["name"], info["columns"] = fm.path.name, dict(fm.columns)  # as the customer knows them
        if info["format"] in ("csv", "txt", "tsv"):
            with fm.path.open("rb") as raw:
                info["encoding"] = fm.encoding or detect_encoding(raw.read(64 * 1024))
        self.report.files[entity] = info
        path = str(fm.path)
        if info["format"] not in ("csv", "txt", "tsv"):  # number cells: their damage told at the file's end
            spill = self.report.spill
            self._lengths[path] = Lengths(path, self.examples, spill.folder if spill is not None else None)

        def counted() -> Iterator[tuple[Where, list[Any]]]:
            n, made = 0, tuple.__new__  # a Where made without its Python-level constructor: one per row
            for line, rec in f.rows:
                n += 1
                yield made(Where, (path, line)), rec
            self.report.rows[entity] = n
            lengths = self._lengths.pop(path, None)
            if lengths is not None:
                lengths.finish(self.report)
            if f.printed:
                self.report.printed[fm.path.name] = dict(f.printed)

        return f, counted()

    def blocks(self, entity: str) -> tuple[EntityFile | None, Iterator[Block | tuple[Where, list[Any]]]]:
        """As :meth:`open`, with the lines of a CSV that can be read in blocks (:mod:`seed.legacy.blocks`)
        as blocks, and the others as rows."""
        f, rows = self.open(entity)
        found = None if f is None else csv_blocks(f.mapping, self.report.files[entity].get("encoding"))
        if f is None or found is None:
            return f, rows
        cast(Generator[Any, None, None], f.rows).close()  # the file opened for rows is not read
        path = str(f.mapping.path)

        def counted() -> Iterator[Block | tuple[Where, list[Any]]]:
            n = 0
            for item in found[1]:
                if isinstance(item, Block):
                    n += len(item)
                    yield item
                else:
                    n += 1
                    yield Where(path, item[0]), item[1]
            self.report.rows[entity] = n

        return f, counted()

    def value(self, kind: str, row: Where, fld: str, raw: Any) -> Any:
        """A decimal or a period, None when empty; a value that cannot be read is a bad_value."""
        if kind == "decimal" and type(raw) is str:
            text = raw.replace(",", ".").strip()
            if PLAIN_NUMBER(text):
                return Decimal(text)
        key = (kind, raw)
        try:
            found = self._cache[key]
        except KeyError:
            found = _convert(kind, raw)
            if kind != "decimal":
                self._cache[key] = found
        except TypeError:  # an unhashable value from a spreadsheet
            found = _convert(kind, raw)
        if isinstance(found, convert.ValueProblem):
            self.report.add("bad_value", row, fld, raw, found.said)
            return None
        return found

    def ident(self, row: Where, fld: str, raw: Any) -> str:
        """An identifier as text; one Excel has damaged is reported: in exponent notation, or a spreadsheet's
        number cell that lost digits (past the 15th, or its leading zeros: told at the file's end by the
        column's usual length, :mod:`~.lengths`). A number cell that lost nothing is no damage."""
        lengths = self._lengths.get(row.file) if self._lengths else None
        if type(raw) is str and PLAIN_IDENT(raw):
            if lengths is not None:
                lengths.text(fld, raw)
            return raw.strip()
        written = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw).strip()
        damage = convert.looks_mangled_by_excel(raw)
        if damage is None:
            if lengths is not None:
                lengths.text(fld, written)
        elif convert.SCIENTIFIC.match(written):
            self.report.add("excel_damage", row, fld, raw, Message.of("excel_scientific"))
        elif lost_digits(written):
            self.report.add("excel_damage", row, fld, raw, damage)
        elif lengths is not None:
            lengths.number(fld, row.line, written)
        return written

    def service(self, row: Where, raw: Any) -> str:
        """A service's code; an unknown one is reported (on every row) and stands as written."""
        try:
            code = self._services[raw]
        except KeyError:
            code = self._services[raw] = service_code(raw)
            if code is not None:
                self.report.named(code, raw)
        if code is None:
            self.report.add("unknown_service", row, "service", raw)
            return str(raw)
        return code

    def known_account(self, row: Where, number: str) -> bool:
        if number not in self.accounts:
            self.report.add("unknown_account", row, "account", number)
            return False
        return True

    def grouped(
        self,
        typecodes: str,
        check: Callable[[list[Any]], list[Finding]],
        read: Callable[[GroupedColumns], None],
        caused: dict[int, Cause] | None = None,
    ) -> None:
        """Read a long file into grouped columns, checked as it streams; if the file scatters its groups,
        read it again, whole, counting nothing twice. Then add what the checks found; a finding at a line of
        ``caused`` (a row of a repeated account or meter) under its cause."""
        columns = GroupedColumns(typecodes, check)
        read(columns)
        findings = columns.finish()
        if findings is None:
            own, self.report = self.report, Report.keeping(self.examples)  # per-row problems were counted once
            try:
                columns = GroupedColumns(typecodes, check, whole=True)
                read(columns)
                columns.flush()
                findings = columns.findings
            finally:
                self.report = own
        for kind, where, fld, value, message in findings:
            cause = caused.get(where.line) if caused else None
            self.report.add(kind, where, fld, value, message, cause=cause)


def _convert(kind: str, raw: Any) -> Any:
    try:
        if kind == "decimal":
            return convert.decimal(raw)
        return convert.period(raw) if raw not in (None, "") else None
    except convert.ValueProblem as exc:
        return exc
