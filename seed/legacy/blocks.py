"""The long CSV files of an export read a block of lines at a time: each block's bytes split into fields by
numpy (the offsets of every field of every line), so that the analysis converts whole columns at once
rather than a row at a time through the csv module.

A block is only what the csv module would read alike: lines with no quote, no NUL byte, no lone carriage
return, no field past its limit, bytes that decode, up to the end of the last 64 KiB chunk the csv
module's reader would decode for them (it yields no line of a chunk it cannot read). At the first block
that is not, the rest of the file is read by the csv module (:func:`~seed.legacy.read.csv_rows`), as
records, its chunks where they fall reading from the start: an error names the line it names then. A line
with the wrong number of fields ends the blocks with the csv reader's error, at its line.
"""

from __future__ import annotations

import codecs
import csv
import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from seed.errors import LegacyFormatError
from seed.legacy.read import CHUNK, CSV_SUFFIXES, csv_header, csv_rows, csv_text

BLOCK = 1 << 20  # bytes read at once: some 20,000 lines (larger blocks cost memory, and save no time)
ASCII_BASED = {"utf-8", "cp1251", "cp866", "koi8-r"}  # codecs in which ';', digits and line ends are single bytes
Record = tuple[int, list[Any]]
COMMA, POINT = np.uint8(ord(",") - 48 + 256), np.uint8(ord(".") - 48 + 256)  # as digit values: byte - '0'


class Block:
    """Lines of a CSV as offsets into their bytes: ``starts[i, k]`` and ``ends[i, k]`` bound field ``k``
    of line ``lines[i]`` (with nothing stripped, as the csv module gives it)."""

    def __init__(self, data: bytes, lines: Any, starts: Any, ends: Any, encoding: str, sep: str) -> None:
        self.data, self.u8 = data, np.frombuffer(data, dtype=np.uint8)
        self.lines, self.starts, self.ends = lines, starts, ends
        self.encoding, self.sep = encoding, sep

    def __len__(self) -> int:
        return len(self.lines)

    def record(self, i: int) -> list[str]:
        """Line ``i``'s values as the csv module reads them."""
        return self.data[self.starts[i, 0] : self.ends[i, -1]].decode(self.encoding).split(self.sep)

    def column(self, k: int) -> Any:
        """Field ``k`` of every line as fixed-width bytes (numpy ``S``): equal values are equal items."""
        starts, lengths = self.starts[:, k], self.ends[:, k] - self.starts[:, k]
        width = max(int(lengths.max()) if len(lengths) else 1, 1)
        at = starts[:, None] + np.arange(width)
        cells = np.where(at < (starts + lengths)[:, None], self.u8[np.minimum(at, len(self.u8) - 1)], 0)
        return np.ascontiguousarray(cells.astype(np.uint8)).view(f"S{width}").ravel()

    def text(self, value: bytes) -> str:
        return value.decode(self.encoding)

    def digits(self, k: int, width: int, rows: Any = None) -> tuple[Any, Any, Any, Any]:
        """Field ``k`` right-aligned in ``width`` bytes: the bytes' digit values (255 off the field or not a
        digit: byte - '0' wraps), whether each position is inside the field, the fields' lengths, and
        whether each field starts with '-' (of the lines ``rows`` only, when given)."""
        starts, ends = self.starts[:, k], self.ends[:, k]
        if rows is not None:
            starts, ends = starts[rows], ends[rows]
        at = ends[:, None] - width + np.arange(width)
        inside = at >= starts[:, None]
        cells = self.u8[np.clip(at, 0, len(self.u8) - 1)] - np.uint8(48)
        negative = (self.u8[np.minimum(starts, len(self.u8) - 1)] == 45) & (ends > starts)
        return cells, inside, ends - starts, negative


def kopeck_column(block: Block, k: int, empty_zero: bool = False) -> tuple[Any, Any]:
    """Field ``k`` as kopecks where it is an amount with kopecks as the fast paths read it
    (``-?\\d{1,10}[.,]\\d\\d``, nothing else), and which lines are (an empty field is 0 with ``empty_zero``)."""
    longest = block.ends[:, k] - block.starts[:, k]
    width = min(max(int(longest.max()) if len(longest) else 0, 4), 14)  # the column's longest field: few bytes
    cells, inside, lengths, negative = block.digits(k, width)
    body = lengths - negative
    point = width - 3  # the separator's place, right-aligned
    sep = cells[:, point]
    ok = (body >= 4) & (body <= 13) & ((sep == COMMA) | (sep == POINT))
    digit_at = inside.copy()
    digit_at[:, point] = False
    first = np.maximum(width - lengths, 0)  # where each field starts; a '-' there is no digit
    digit_at[np.arange(len(first))[negative], first[negative]] = False
    ok &= ~(digit_at & (cells > 9)).any(axis=1)
    weights = np.array([10 ** (width - 2 - j) for j in range(point)] + [0, 10, 1], dtype=np.int64)
    value = np.einsum("ij,j->i", np.where(digit_at, cells, 0).astype(np.int64), weights)  # no product held
    value = np.where(negative, -value, value)
    if empty_zero:
        blank = lengths == 0
        ok |= blank
        value = np.where(blank, 0, value)
    return value, ok


def decimal_column(block: Block, k: int, rows: Any = None) -> tuple[Any, Any]:
    """Field ``k`` as a float where it is a plain reading (``\\d{1,10}([.,]\\d{1,6})?``): the float Python
    reads from it (the digits as a whole number over a power of ten: one rounding, as ``float()`` has), and
    which lines are (of the lines ``rows`` only, when given: a column mostly empty)."""
    longest = block.ends[:, k] - block.starts[:, k]
    if rows is not None:
        longest = longest[rows]
    width = min(max(int(longest.max()) if len(longest) else 1, 1), 17)  # a column of short values: few bytes
    cells, inside, lengths, _ = block.digits(k, width, rows)
    point = (cells == COMMA) | (cells == POINT)
    point &= inside
    points = point.sum(axis=1)
    where = np.where(points == 1, np.argmax(point[:, ::-1], axis=1), 0)  # digits after the point
    whole = lengths - np.where(points == 1, where + 1, 0)
    ok = (lengths >= 1) & (lengths <= width) & (points <= 1) & (whole >= 1) & (whole <= 10) & (where <= 6)
    ok &= (points == 0) | (where >= 1)
    digit_at = inside & ~point
    ok &= ~(digit_at & (cells > 9)).any(axis=1)
    # each digit's power of ten, counted from the last digit (the point skipped)
    rank = np.cumsum(digit_at[:, ::-1], axis=1)[:, ::-1] - 1
    number = (np.where(digit_at, cells, 0).astype(np.int64) * 10 ** np.clip(rank, 0, 17)).sum(axis=1)
    ok &= number < 2**53  # a whole number a float holds exactly: the division is then float()'s one rounding
    return number / 10.0**where, ok


def csv_blocks(fm: Any, detected: str | None = None) -> tuple[list[str], Iterator[Block | Record]] | None:
    """A mapped CSV's headers and its lines as blocks (then records, where blocks cannot be); None when the
    file is not one to read so (a spreadsheet, conversions or fixed values in the mapping, another codec).
    ``detected``: the file's encoding as already detected, when the mapping does not say it."""
    path: Path = fm.path
    if path.suffix.lower() not in CSV_SUFFIXES or fm.convert or fm.fixed or not path.exists():
        return None
    head = csv_header(path, fm.encoding or detected, fm.delimiter, fm.header_line)
    head.text.close()
    try:
        codec = codecs.lookup(head.encoding).name
    except LookupError:
        return None
    if codec.replace("-sig", "") not in ASCII_BASED or len(head.delimiter) != 1 or ord(head.delimiter) > 127:
        return None
    with path.open("rb") as raw:
        start = raw.read(1 << 16)
    offset = 0
    for _ in range(fm.header_line):
        end = start.find(b"\n", offset)
        if end < 0 or b'"' in start[offset:end] or b"\r" in start[offset : end - 1]:
            return None  # a header the csv module may read otherwise: the records as before
        offset = end + 1
    return head.headers, _blocks(path, offset, fm.header_line, head.encoding, head.delimiter, len(head.headers))


def _blocks(path: Path, offset: int, before: int, encoding: str, sep: str, width: int) -> Iterator[Block | Record]:
    codec = "utf-8" if codecs.lookup(encoding).name == "utf-8-sig" else encoding  # a BOM past the start is text
    with path.open("rb") as raw:
        size = os.fstat(raw.fileno()).st_size
        raw.seek(offset)
        tail = b""
        while True:
            data = raw.read(BLOCK)
            if not data and not tail:
                return
            data, tail = tail + data, b""
            if len(data) >= BLOCK:  # more may follow: the block ends at its last line end
                end = data.rfind(b"\n") + 1
                if end == 0:
                    tail = data
                    continue
                data, tail = data[:end], data[end:]
            ahead = _ahead(raw, offset + len(data), tail)
            if not _plain(data, ahead, offset + len(data) + len(ahead) >= size, codec):
                yield from csv_rows(path, csv_text(path, offset, encoding), sep, width, before, encoding)
                return
            block, error = _split(path, data, before, codec, sep, width)
            if len(block):
                yield block
            if error is not None:
                raise error
            offset += len(data)
            before += int(np.count_nonzero(block.u8 == 10)) + (not data.endswith(b"\n"))


def _ahead(raw: Any, end: int, tail: bytes) -> bytes:
    """The bytes from ``end`` to the next multiple of CHUNK in the file: the csv module's reader decodes (and
    looks for a NUL byte in) a CHUNK of the file at a time, and yields no line of a chunk it cannot read."""
    need = -end % CHUNK
    found = tail[:need]
    if len(found) < need:
        at = raw.tell()
        found += raw.read(need - len(found))
        raw.seek(at)
    return found


def _plain(data: bytes, ahead: bytes, final: bool, encoding: str) -> bool:
    """Whether the csv module reads these lines as plain splits at the delimiter, and reads them at all: the
    bytes up to the end of its last chunk among them decode (``final``: to the end of the file), with no NUL.
    Otherwise the csv module reads them, from their first line on, and fails where it fails from the start."""
    if b'"' in data or b"\0" in data or b"\0" in ahead:
        return False
    u8 = np.frombuffer(data, dtype=np.uint8)
    if b"\r" in data:  # every carriage return ends a line
        cr = np.flatnonzero(u8 == 13)
        if cr[-1] + 1 >= len(u8) or not bool((u8[cr + 1] == 10).all()):
            return False
    undecodable = _undecodable(encoding)
    if undecodable is None:
        try:
            decoder = codecs.getincrementaldecoder(encoding)()
            decoder.decode(data)
            decoder.decode(ahead, final)
        except UnicodeError:
            return False
    elif any(byte in data or byte in ahead for byte in undecodable):
        return False
    lengths = np.diff(np.flatnonzero(u8 == 10), prepend=-1)
    return len(data) < csv.field_size_limit() or not len(lengths) or int(lengths.max()) < csv.field_size_limit()


SINGLE_BYTE = {"cp1251", "cp866", "koi8-r"}  # codecs that decode each byte alone (a table of 256)


@functools.lru_cache(maxsize=8)
def _undecodable(encoding: str) -> tuple[bytes, ...] | None:
    """The bytes a single-byte codec cannot decode (bytes decode when none of these is among them); None for
    another codec, whose bytes are decoded to tell."""
    if codecs.lookup(encoding).name not in SINGLE_BYTE:
        return None
    found = []
    for byte in range(256):
        try:
            bytes([byte]).decode(encoding)
        except UnicodeError:
            found.append(bytes([byte]))
    return tuple(found)


def _split(path: Path, data: bytes, before: int, encoding: str, sep: str, width: int) -> tuple[Block, Exception | None]:
    u8 = np.frombuffer(data, dtype=np.uint8)
    ends_at = np.flatnonzero(u8 == 10)
    if not data.endswith(b"\n"):
        ends_at = np.r_[ends_at, len(data)]
    begins = np.r_[0, ends_at[:-1] + 1]
    cr = np.zeros(len(ends_at), dtype=bool)
    has = ends_at > begins
    cr[has] = u8[ends_at[has] - 1] == 13
    line_ends = ends_at - cr
    seps = np.flatnonzero(u8 == ord(sep))
    owner = np.searchsorted(ends_at, seps)
    good = np.bincount(owner, minlength=len(ends_at)) == width - 1
    error = None
    if not good.all():
        for i in np.flatnonzero(~good).tolist():
            values = data[begins[i] : line_ends[i]].decode(encoding).split(sep)
            if len(values) == 1 and not values[0].strip():
                continue  # a blank line, which the csv module passes over
            good[i:] = False
            error = LegacyFormatError(path, before + i + 1, f"{len(values)} fields where the header has {width}")
            break
    kept = np.flatnonzero(good)
    inner = seps[good[owner]].reshape(-1, width - 1)
    starts = np.empty((len(kept), width), dtype=np.int64, order="F")  # a field of every line: contiguous
    ends = np.empty((len(kept), width), dtype=np.int64, order="F")
    starts[:, 0], starts[:, 1:] = begins[kept], inner + 1
    ends[:, :-1], ends[:, -1] = inner, line_ends[kept]
    return Block(data, before + 1 + kept, starts, ends, encoding, sep), error
