"""What every part of the generator shares: array types, a chunk's output and the calendar of the run."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from seed.period import month_add
from seed.pgbinary import pg_days

I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
NULL = "\\N"  # a NULL in text COPY


def lines(columns: list[npt.NDArray[Any]]) -> str:
    """Text COPY lines from columns of field texts, escaped already (numpy string arrays, an entry per row):
    the fields of a row joined by tabs, a line each. Iterating Python strings, not numpy scalars, is what
    makes this several times faster than formatting row by row."""
    if not len(columns[0]):
        return ""
    return "\n".join(map("\t".join, zip(*(c.tolist() for c in columns), strict=True))) + "\n"


@dataclass
class Chunk:
    """The COPY payloads of a run of buildings: binary for the fact tables, text for the rest; ``apart``,
    binary rows of a table the loader writes after all the others, to pages with room for updates."""

    binary: dict[str, bytes] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)
    apart: dict[str, bytes] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)

    def add_binary(self, table: str, data: bytes, rows: int) -> None:
        self.binary[table] = data
        self.rows[table] = rows

    def add_apart(self, table: str, data: bytes, rows: int) -> None:
        self.apart[table] = data
        self.rows[table] = self.rows.get(table, 0) + rows

    def add_text(self, table: str, data: str, rows: int) -> None:
        self.text[table] = data
        self.rows[table] = rows


@dataclass(frozen=True)
class Calendar:
    """The billing periods of the run and the window of days they cover."""

    periods: list[dt.date]
    start: dt.date  # the first day of the first period
    end: dt.date  # the last day of the last period
    period_days: npt.NDArray[np.int32]  # each period's first day, as PostgreSQL stores a date
    month_of: I64  # each period's month, 1 to 12

    @classmethod
    def of(cls, periods: list[dt.date]) -> Calendar:
        return cls(
            periods,
            periods[0],
            month_add(periods[-1], 1) - dt.timedelta(days=1),
            pg_days(np.array(periods, dtype="datetime64[D]")),
            np.array([p.month for p in periods]),
        )

    @property
    def months(self) -> int:
        return len(self.periods)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def round_div(num: I64, den: int) -> I64:
    """Round half away from zero of num/den, as PostgreSQL's round() does."""
    result: I64 = np.sign(num) * ((np.abs(num) * 2 + den) // (2 * den))
    return result
