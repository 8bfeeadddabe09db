"""A batch of rows of a long file (readings, balances) read as columns, for the stages' fast path.

Nearly every batch of a real export is plain: every account or meter known, every service and period read
before, every amount written as PostgreSQL reads it, no key repeated. Such a batch is read a column at a
time, with C-level maps and joins, each distinct shape of its amounts matched once, rather than a Python
loop per row; it gives byte for byte the COPY lines that the row-at-a-time path would. A batch that is not
plain in any way (a row refused, a cell that is not text) goes through the row-at-a-time path instead, whole,
so its refusals are told in line order with the reasons, fields and values they always had.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from operator import itemgetter
from typing import Any

from seed.legacy.interpret import FIVE_AMOUNTS, READING, SERVICE_IDS, service_code


def service_id(raw: object) -> int | None:
    """The books' id of the service a cell names, None where it names none."""
    code = service_code(raw)
    return SERVICE_IDS[code] if code else None


def columns(batch: Sequence[tuple[int, list[Any]]]) -> list[tuple[Any, ...]] | None:
    """The batch's records as columns; None when they are not all of one width (so that a column's item
    is the cell the row-at-a-time path reads by its index, a negative one included)."""
    recs = list(map(itemgetter(1), batch))
    if len(set(map(len, recs))) != 1:
        return None
    return list(zip(*recs, strict=True))


SHAPE = str.maketrans("0123456789,", "0000000000.")  # a number's shape: every digit 0, a comma a point
SHAPES_KEPT = 10_000  # shapes whose verdict is remembered, at most
KNOWN = 4_096  # the distinct values of a column whose readings are remembered, at most (a few hundred kB)


class Plain:
    """A row's fullmatch pattern asked of a batch's texts at once: each distinct shape of them (every ASCII
    digit a 0, which the pattern cannot tell apart) asked once, and remembered."""

    def __init__(self, pattern: Callable[[str], Any], empty: bool = False) -> None:
        self.pattern, self.empty = pattern, empty
        self.verdicts: dict[str, bool] = {}

    def lines(self, cells: Sequence[str], rows: int) -> list[str] | None:
        """``cells`` (one text per row; commas read as decimal points, an empty one allowed if ``empty``)
        split into rows, if each matches; None if any does not, or holds a line break of its own."""
        joined = "\n".join(cells)
        if joined.count("\n") != rows - 1:
            return None
        verdicts = self.verdicts
        for shape in set(joined.translate(SHAPE).split("\n")):
            plain = verdicts.get(shape)
            if plain is None:
                if len(verdicts) >= SHAPES_KEPT:
                    verdicts.clear()
                plain = verdicts[shape] = bool(self.pattern(shape)) or (self.empty and not shape)
            if not plain:
                return None
        return joined.replace(",", ".").split("\n")


FIVE_AMOUNTS_LINES = Plain(FIVE_AMOUNTS)
READING_LINES = Plain(READING)
OPTIONAL_READING_LINES = Plain(READING, empty=True)


def read_once(
    raws: Sequence[Hashable], known: dict[Any, Any], read: Callable[[Any], Any], missing: object = None
) -> list[Any] | None:
    """Each raw value's reading, each distinct value read once (and remembered in ``known``, up to
    :data:`KNOWN` of them: amounts are as many as the rows); None if any of them reads as ``missing``."""
    new = set(raws).difference(known)
    if len(known) + len(new) > KNOWN:
        known.clear()
        new = set(raws)
    for raw in new:
        known[raw] = read(raw)
    found = list(map(known.__getitem__, raws))
    return None if missing in found else found
