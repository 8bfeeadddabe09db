"""PostgreSQL's binary COPY format, built with numpy a whole batch at a time.

Fixed-width columns (integers, dates, booleans, and numerics of a fixed shape) become one numpy
structured array per batch, so a million rows cost a few milliseconds of Python and no parsing on
the server. A numeric is sent as four base-10000 digits (weight 2), which covers every amount below
10^12 roubles; PostgreSQL normalises the digits on receipt. Its header (digit count, weight, sign,
scale) and its four digits are two 64-bit words, each computed for the whole column and written in one
go; the batch is filled a block of rows at a time, so that every field's write finds the block in cache.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
TRAILER = (-1).to_bytes(2, "big", signed=True)
PG_EPOCH = dt.date(2000, 1, 1)
NUMERIC_POS, NUMERIC_NEG = 0x0000, 0x4000
# A numeric's header as one big-endian word: 4 digits, weight 2, sign and scale (the scale or'ed in).
NUMERIC_HEADER = (4 << 48) | (2 << 32) | (NUMERIC_POS << 16)
NUMERIC_SIGN_SHIFT = 16 + 14  # NUMERIC_NEG's one bit, in the header word
BLOCK_ROWS = 4096  # rows filled at a time: a block of a batch stays in cache while each field is written

# kind -> (payload dtype fields, payload length)
_KINDS: dict[str, tuple[list[tuple[Any, ...]], int]] = {
    "int2": ([("v", ">i2")], 2),
    "int4": ([("v", ">i4")], 4),
    "int8": ([("v", ">i8")], 8),
    "date": ([("v", ">i4")], 4),
    "bool": ([("v", "u1")], 1),
    "num": ([("h", ">u8"), ("d", ">u8")], 16),  # header (ndigits, weight, sign, dscale), then four digits
    "null": ([], -1),
    "text": ([], 0),  # same-length byte strings (numpy dtype S<n>): payload sized per batch
}


def pg_days(dates: npt.NDArray[Any]) -> npt.NDArray[np.int32]:
    """numpy datetime64[D] -> days since 2000-01-01, PostgreSQL's date representation."""
    return (dates.astype("datetime64[D]") - np.datetime64("2000-01-01")).astype(np.int32)


def date_days(value: dt.date) -> int:
    return (value - PG_EPOCH).days


class Column:
    """One column of a batch: its kind and values (scaled integers for numerics)."""

    __slots__ = ("kind", "scale", "values")

    def __init__(self, kind: str, values: Any = None, scale: int = 0) -> None:
        if kind not in _KINDS:
            raise ValueError(kind)
        self.kind, self.values, self.scale = kind, values, scale


def _dtype(columns: Sequence[Column]) -> np.dtype[Any]:
    fields: list[tuple[Any, ...]] = [("nf", ">i2")]
    for i, col in enumerate(columns):
        fields.append((f"l{i}", ">i4"))
        if col.kind == "text":
            fields.append((f"v{i}", col.values.dtype))
        for name, *rest in _KINDS[col.kind][0]:
            fields.append((f"{name}{i}", *rest))
    return np.dtype(fields)


def _template(columns: Sequence[Column]) -> npt.NDArray[Any]:
    """One row holding every constant part (field count, lengths, numeric headers) of a layout."""
    key = tuple((c.kind, c.scale, c.values.dtype.str if c.kind == "text" else "") for c in columns)
    cached = _TEMPLATES.get(key)
    if cached is not None:
        return cached
    row = np.zeros(1, dtype=_dtype(columns))
    row["nf"] = len(columns)
    for i, col in enumerate(columns):
        row[f"l{i}"] = col.values.dtype.itemsize if col.kind == "text" else _KINDS[col.kind][1]
        if col.kind == "num":
            row[f"h{i}"] = NUMERIC_HEADER | col.scale
    _TEMPLATES[key] = row
    return row


_TEMPLATES: dict[tuple[Any, ...], npt.NDArray[Any]] = {}


def numeric_words(values: Any, scale: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint64] | None]:
    """A numeric column's digits (``values`` scaled by 10^``scale``) as one word a value, d0 in the high
    16 bits to d3 in the low; and its headers where some value is negative (None: all are positive, as
    the template has them)."""
    scaled = np.asarray(values, dtype=np.int64)
    negative = scaled < 0
    signed = bool(negative.any())
    magnitude = np.abs(scaled) if signed else scaled
    unit = 10**scale
    whole = magnitude // unit
    top = int(whole.max()) if whole.size else 0
    if top >= 10**12:
        raise OverflowError("numeric value too large for the fixed encoding")
    high = whole // 10_000
    words = ((whole - high * 10_000) << 16) | ((magnitude - whole * unit) * 10 ** (4 - scale))
    if top >= 10**8:
        d0 = high // 10_000
        words |= ((high - d0 * 10_000) << 32) | (d0 << 48)
    else:
        words |= high << 32
    if not signed:
        return words, None
    return words, (negative.astype(np.uint64) << np.uint64(NUMERIC_SIGN_SHIFT)) | np.uint64(NUMERIC_HEADER | scale)


def encode(columns: Sequence[Column], rows: int) -> bytes:
    """Encode ``rows`` tuples (no header or trailer) from column arrays of that length."""
    if rows == 0:
        return b""
    out = np.repeat(_template(columns), rows)  # constants copied as whole rows, then values filled in
    fills: list[tuple[npt.NDArray[Any], npt.NDArray[Any]]] = []
    for i, col in enumerate(columns):
        if col.kind == "null":
            continue
        if col.kind != "num":
            fills.append((out[f"v{i}"], np.broadcast_to(col.values, (rows,))))
            continue
        words, headers = numeric_words(col.values, col.scale)
        fills.append((out[f"d{i}"], words))
        if headers is not None:
            fills.append((out[f"h{i}"], headers))
    for start in range(0, rows, BLOCK_ROWS):
        stop = start + BLOCK_ROWS
        for field, values in fills:
            field[start:stop] = values[start:stop]
    return out.tobytes()


def escape_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def text_row(values: Sequence[Any]) -> str:
    """One line of text COPY: None is NULL (\\N); everything else is str() and escaped."""
    return "\t".join("\\N" if v is None else escape_text(str(v)) for v in values) + "\n"
