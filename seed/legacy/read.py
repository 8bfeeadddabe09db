"""Read legacy export files: CSV/text in any of the encodings Russian billing systems write, XLSX from
1С, and DBF. Every row comes with its file and line number, and every value as text: a typed cell of an
XLSX or DBF file as the text a CSV would hold for it (:func:`cell_text`), so that everything after the
readers reads one kind of value."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, cast

from seed.errors import LegacyFormatError

ENCODINGS = ("utf-8-sig", "utf-8", "cp1251", "cp866", "koi8_r")
FREQUENT = set("оеаинтсрвлкмдпуяыьгзбчй")  # the most frequent Russian letters, lowercase
FREQUENT_CAPITALS = {ch.upper() for ch in FREQUENT} - {"Ь", "Ы", "Й"}  # and the capitals a word may begin with
CASE_TURNS = re.compile("[а-яё][А-ЯЁ]")
CAPITALS = "Ё" + "".join(chr(c) for c in range(ord("А"), ord("Я") + 1))
DELIMITERS = (";", "\t", ",", "|")
SAMPLE = 64 * 1024
CHUNK = 64 * 1024  # bytes read from a CSV at once (larger chunks decode slower: they leave the cache)
CSV_SUFFIXES = (".csv", ".txt", ".tsv")


@dataclass(frozen=True)
class Row:
    file: str
    line: int
    values: dict[str, Any]


class NumberCell(str):
    """A spreadsheet cell that held a number, as its text ('1234.5'): read as any text is, and still known
    to have been a number (an identifier Excel turned into one has lost its leading zeros or digits)."""

    __slots__ = ()


def cell_text(value: Any) -> str:
    """A typed cell of an XLSX or DBF file as its text form, so that it is read exactly as the same value
    written in a CSV: numbers without a trailing '.0' (a :class:`NumberCell`), dates dd.mm.yyyy (with the
    time when there is one), TRUE/FALSE, '' for an empty cell or a formula with no value kept."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return NumberCell(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return NumberCell(int(value))
        return NumberCell(format(value, ".15g"))  # Excel keeps 15 significant digits
    if isinstance(value, Decimal):
        return NumberCell(format(value, "f"))
    if isinstance(value, dt.date):
        day = f"{value.day:02d}.{value.month:02d}.{value.year:04d}"
        if not isinstance(value, dt.datetime) or value.time() == dt.time():
            return day
        return f"{day} {_clock(value.time())}"
    if isinstance(value, dt.time):
        return _clock(value)
    return str(value)


def _clock(value: dt.time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}" + (f":{value.second:02d}" if value.second else "")


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM) if it decodes; else the Cyrillic code page whose reading gives the
    most frequent Russian letters, in either case (cp1251 read as koi8-r swaps their case and letters, as
    cp866 turns them into box-drawing signs): a file written in capitals is read in its own page too."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    scores, capitals, lower = {}, {}, {}
    for encoding in ("cp1251", "cp866", "koi8_r"):
        text = sample.decode(encoding, errors="replace")
        scores[encoding] = lower[encoding] = sum(text.count(ch) for ch in FREQUENT)  # each counted at C speed
        # names and headers in capitals («ПЕТРОВ ПЁТР») count too: read in the other page they become
        # lowercase; but a word whose case turns inside it («иВАНОВ») is a word read in the wrong page
        scores[encoding] += sum(text.count(ch) for ch in FREQUENT_CAPITALS) - 4 * len(CASE_TURNS.findall(text))
        capitals[encoding] = sum(text.count(ch) for ch in CAPITALS)
    best = max(scores, key=lambda e: scores[e])
    # Not one capital letter in the best reading, and nothing but capitals in the other code page's (which
    # swaps their case): a header in capitals with no rows below it ('ЛС;ФИО'), read in that other page.
    other = {"cp1251": "koi8_r", "koi8_r": "cp1251"}.get(best)
    if other and not capitals[best] and capitals[other] and not lower[other]:
        return other
    return best


def detect_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ";"


def read_csv(
    path: Path, encoding: str | None = None, delimiter: str | None = None, header_line: int = 1
) -> tuple[list[str], Iterator[Row]]:
    """Headers and a row iterator; the encoding and delimiter are detected unless given."""
    headers, records = _csv_records(path, encoding, delimiter, header_line)
    rows = (Row(str(path), line, dict(zip(headers, (v.strip() for v in rec), strict=True))) for line, rec in records)
    return headers, rows


def read_xlsx(path: Path, sheet: str | None = None, header_line: int = 1) -> tuple[list[str], Iterator[Row]]:
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - a dependency of the package
        raise LegacyFormatError(path, None, "openpyxl is needed to read XLSX") from None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken files
        raise LegacyFormatError(path, None, f"not a readable XLSX file ({type(exc).__name__}: {exc})") from None
    try:
        ws = book[sheet] if sheet else book.worksheets[0]
        it = ws.iter_rows(values_only=True)
    except (IndexError, AttributeError):  # no worksheet, or a chart where the table should be
        book.close()
        raise LegacyFormatError(path, None, f"no sheet of cells{f' named {sheet!r}' if sheet else ''}") from None
    try:
        for _ in range(header_line - 1):  # a title block above the header, as 1С reports have
            next(it)
        first = next(it)
    except StopIteration:
        raise LegacyFormatError(path, header_line, "empty sheet: no header row") from None
    headers = [cell_text(h).strip() or f"column{i + 1}" for i, h in enumerate(first)]

    def rows() -> Iterator[Row]:
        line = header_line
        try:
            for line, record in enumerate(it, start=header_line + 1):
                texts = [cell_text(v) for v in record or ()]
                if not any(t.strip() for t in texts):
                    continue
                values: dict[str, Any] = {}
                for h, t in zip(headers, texts, strict=False):
                    values.setdefault(h, t)  # a column name twice: the first column, as in a CSV
                yield Row(str(path), line, values)
        except Exception as exc:  # a damaged sheet: openpyxl raises many kinds (its message may quote a cell)
            raise LegacyFormatError(path, line + 1, f"not a readable XLSX row ({type(exc).__name__})") from None
        finally:
            book.close()

    return headers, rows()


def read_dbf(path: Path, encoding: str | None = None) -> tuple[list[str], Iterator[Row]]:
    """dBASE III/IV tables as FoxPro and old DOS systems write them (cp866 unless the file says cp1251)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LegacyFormatError(path, None, f"cannot open ({exc.strerror or exc})") from None
    if len(data) < 32:
        raise LegacyFormatError(path, None, "too short for a DBF header")
    records, header_len, record_len = struct.unpack("<IHH", data[4:12])
    language = data[29]
    chosen = encoding or ("cp1251" if language in (0x57, 0xC9) else "cp866")
    fields: list[tuple[str, str, int, int]] = []
    pos = 32
    while pos < min(header_len - 1, len(data)) and data[pos] != 0x0D:
        desc = data[pos : pos + 32]
        if len(desc) < 32:
            raise LegacyFormatError(path, None, "truncated field descriptors")
        name = desc[:11].split(b"\x00", 1)[0].decode("ascii", errors="replace").strip()
        fields.append((name, chr(desc[11]), desc[16], desc[17]))
        pos += 32
    expected = header_len + records * record_len
    if len(data) < expected:
        raise LegacyFormatError(
            path,
            None,
            f"truncated: {records} records announced, {max(len(data) - header_len, 0) // max(record_len, 1)} present",
        )
    headers = [f[0] for f in fields]

    def value(kind: str, raw: bytes) -> str:
        text = raw.decode(chosen, errors="strict").strip(" \x00")  # some systems pad with NUL bytes
        if "\x00" in text:
            raise ValueError("a NUL byte inside the value: a damaged copy?")
        if kind == "D" and len(text) == 8 and text.isdigit():  # yyyymmdd, as a date cell's text: dd.mm.yyyy
            return f"{text[6:]}.{text[4:6]}.{text[:4]}"
        return text  # numbers and logicals as written; a date that is not one is the row's problem

    def rows() -> Iterator[Row]:
        offset = header_len
        for n in range(records):
            record = data[offset : offset + record_len]
            offset += record_len
            if record[:1] == b"*":
                continue
            pos, values = 1, {}
            for name, kind, length, _decimals in fields:
                try:
                    values[name] = value(kind, record[pos : pos + length])
                except UnicodeError as exc:
                    raise LegacyFormatError(
                        path, n + 1, f"field {name}: not {chosen}: {_undecodable(exc, False)}"
                    ) from None
                except ValueError as exc:
                    raise LegacyFormatError(path, n + 1, f"field {name}: {exc}") from None
                pos += length
            yield Row(str(path), n + 1, values)

    return headers, rows()


def read_table(
    path: Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    header_line: int = 1,
) -> tuple[list[str], Iterator[Row]]:
    """Any supported file by its extension: .csv/.txt, .xlsx, .dbf."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise LegacyFormatError(path, None, "no such file")
    if suffix in CSV_SUFFIXES:
        return read_csv(path, encoding, delimiter, header_line)
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path, sheet, header_line)
    if suffix == ".dbf":
        return read_dbf(path, encoding)
    raise LegacyFormatError(path, None, f"unknown format {suffix!r}: use .csv, .txt, .xlsx or .dbf")


def read_records(path: Path, **options: Any) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """Like :func:`read_table` (with the same options), for the long files: (line, values in header order)
    without a dict per row. CSV values are left unstripped; the caller strips what it compares."""
    if path.suffix.lower() not in CSV_SUFFIXES or not path.exists():
        headers, table = read_table(path, **options)
        return headers, ((row.line, [row.values.get(h, "") for h in headers]) for row in table)
    return _csv_records(path, options.get("encoding"), options.get("delimiter"), options.get("header_line", 1))


class _NoNul(io.BufferedIOBase):
    """A CSV's bytes on their way to the text decoder, 64 KiB at a time (few calls), each looked
    through for a NUL byte at C speed: no text file holds one, and PostgreSQL refuses it in any value."""

    def __init__(self, path: Path, raw: BinaryIO) -> None:
        self.path, self.raw, self.offset = path, cast(io.BufferedReader, raw), 0

    def readable(self) -> bool:
        return True

    def read1(self, size: int = -1) -> bytes:
        # Reads end at multiples of CHUNK in the file, wherever reading began: the decoder then fails on the
        # same chunk, and the error names the same line, when the text is read from a later line on.
        return self._checked(self.raw.read1(max(size, CHUNK) - self.offset % CHUNK))

    def read(self, size: int | None = -1) -> bytes:
        return self._checked(self.raw.read(-1 if size is None else size))

    def _checked(self, data: bytes) -> bytes:
        if b"\0" in data:
            at = self.offset + data.index(b"\0")
            line, left = 1, at
            with self.path.open("rb") as again:
                while left > 0:
                    chunk = again.read(min(left, CHUNK))
                    line, left = line + chunk.count(b"\n"), left - len(chunk)
            raise LegacyFormatError(
                self.path, line, "a NUL byte (\\0): not a text file as written (UTF-16, or a damaged copy?)"
            )
        self.offset += len(data)
        return data

    def close(self) -> None:
        self.raw.close()
        super().close()


def _too_long(exc: csv.Error) -> str:
    """The csv module's complaint, as a person can act on it."""
    if "field limit" in str(exc):
        return (
            f"a field longer than {csv.field_size_limit():,} characters starts here: a quote left open, "
            "or the wrong delimiter or line ends?"
        )
    return f"broken CSV: {exc}"


def _undecodable(exc: UnicodeError, at: bool = True) -> str:
    """Why bytes do not decode (a codec such as utf-16 or punycode raises a plain UnicodeError)."""
    if isinstance(exc, UnicodeDecodeError):
        return f"{exc.reason} at byte {exc.start}" if at else exc.reason
    return str(exc) or "cannot be decoded"


def _csv_records(
    path: Path, encoding: str | None, delimiter: str | None, header_line: int = 1
) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """A CSV's headers and its records (line, values as written), the encoding and delimiter detected."""
    head = csv_header(path, encoding, delimiter, header_line)
    return head.headers, csv_rows(path, head.text, head.delimiter, len(head.headers), header_line, head.encoding)


class CsvHead(NamedTuple):
    """A CSV opened at its first record: its headers, the encoding and delimiter chosen, and the text read."""

    headers: list[str]
    encoding: str
    delimiter: str
    text: io.TextIOWrapper


def csv_header(path: Path, encoding: str | None, delimiter: str | None, header_line: int = 1) -> CsvHead:
    """A CSV's header read, the encoding and delimiter detected unless given; its text left at the first record."""
    try:
        raw = path.open("rb", buffering=CHUNK)
    except OSError as exc:
        raise LegacyFormatError(path, None, f"cannot open ({exc.strerror})") from None
    sample = raw.read(SAMPLE)
    raw.seek(0)
    chosen = encoding or detect_encoding(sample)
    text = io.TextIOWrapper(cast(io.BufferedReader, _NoNul(path, raw)), encoding=chosen, newline="")
    try:
        for _ in range(header_line - 1):  # a title block above the header, as 1С reports have
            text.readline()
        header = text.readline()
        if not header.strip():
            raise LegacyFormatError(path, header_line, "empty: no header line")
        sep = delimiter or detect_delimiter(header)
        headers = [h.strip().strip('"') for h in next(csv.reader([header], delimiter=sep))]
    except UnicodeError as exc:
        text.close()
        raise LegacyFormatError(path, header_line, f"not {chosen}: {_undecodable(exc)}") from None
    except csv.Error as exc:
        text.close()
        raise LegacyFormatError(path, header_line, _too_long(exc)) from None
    except BaseException:
        text.close()
        raise
    return CsvHead(headers, chosen, sep, text)


def csv_text(path: Path, offset: int, encoding: str) -> io.TextIOWrapper:
    """A CSV's text from a byte offset (the start of a line) on, NUL bytes refused as from the start (a BOM
    there is a character of the text, as it is past the start of a file read from its start)."""
    if offset and codecs.lookup(encoding).name == "utf-8-sig":
        encoding = "utf-8"
    raw = path.open("rb", buffering=CHUNK)
    raw.seek(offset)
    checked = _NoNul(path, raw)
    checked.offset = offset
    return io.TextIOWrapper(cast(io.BufferedReader, checked), encoding=encoding, newline="")


def csv_rows(
    path: Path, text: io.TextIOWrapper, sep: str, width: int, before: int, chosen: str
) -> Iterator[tuple[int, list[Any]]]:
    """The records of a CSV's text (line, values as written): ``before`` lines of the file precede it."""
    reader = csv.reader(text, delimiter=sep)
    line = before
    try:
        for record in reader:
            line = reader.line_num + before
            if len(record) != width:
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue
                raise LegacyFormatError(path, line, f"{len(record)} fields where the header has {width}")
            yield line, record
    except UnicodeError as exc:
        raise LegacyFormatError(path, line + 1, f"not {chosen}: {_undecodable(exc, at=False)}") from None
    except csv.Error as exc:
        raise LegacyFormatError(path, line + 1, _too_long(exc)) from None
    except OSError as exc:
        raise LegacyFormatError(path, line + 1, f"cannot read ({exc.strerror or exc})") from None
    finally:
        text.close()
