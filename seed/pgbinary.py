"""PostgreSQL's binary COPY format, built with numpy a whole batch at a time.

Fixed-width columns (integers, dates, booleans, and numerics of a fixed shape) become one numpy
structured array per batch, so a million rows cost a few milliseconds of Python and no parsing on
the server. A numeric is sent as four base-10000 digits (weight 2), which covers every amount below
10^12 roubles; PostgreSQL normalises the digits on receipt.
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

# kind -> (payload dtype fields, payload length)
_KINDS: dict[str, tuple[list[tuple[Any, ...]], int]] = {
    "int2": ([("v", ">i2")], 2),
    "int4": ([("v", ">i4")], 4),
    "int8": ([("v", ">i8")], 8),
    "date": ([("v", ">i4")], 4),
    "bool": ([("v", "u1")], 1),
    "num": ([("nd", ">i2"), ("w", ">i2"), ("sg", ">u2"), ("ds", ">i2"), ("d", ">i2", (4,))], 16),
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
            row[f"nd{i}"], row[f"w{i}"], row[f"ds{i}"] = 4, 2, col.scale
    _TEMPLATES[key] = row
    return row


_TEMPLATES: dict[tuple[Any, ...], npt.NDArray[Any]] = {}


def encode(columns: Sequence[Column], rows: int) -> bytes:
    """Encode ``rows`` tuples (no header or trailer) from column arrays of that length."""
    if rows == 0:
        return b""
    out = np.repeat(_template(columns), rows)  # constants copied as whole rows, then values filled in
    for i, col in enumerate(columns):
        if col.kind == "null":
            continue
        if col.kind != "num":
            out[f"v{i}"] = col.values
            continue
        scaled = np.asarray(col.values, dtype=np.int64)
        negative = scaled < 0
        magnitude = np.abs(scaled) if negative.any() else scaled
        if negative.any():
            out[f"sg{i}"] = np.where(negative, NUMERIC_NEG, NUMERIC_POS)
        whole, frac = np.divmod(magnitude, 10**col.scale)
        top = int(whole.max()) if whole.size else 0
        if top >= 10**12:
            raise OverflowError("numeric value too large for the fixed encoding")
        digits = out[f"d{i}"]
        if top >= 10**8:
            high, low = np.divmod(whole, 10**8)
            digits[:, 0] = high
            whole = low
        digits[:, 1], digits[:, 2] = np.divmod(whole, 10**4)
        digits[:, 3] = frac * 10 ** (4 - col.scale)
    return out.tobytes()


def escape_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def text_row(values: Sequence[Any]) -> str:
    """One line of text COPY: None is NULL (\\N); everything else is str() and escaped."""
    return "\t".join("\\N" if v is None else escape_text(str(v)) for v in values) + "\n"
