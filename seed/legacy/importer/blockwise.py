"""The long files (readings, balances, payments) read a block of lines at a time, as the check reads them
(:mod:`seed.legacy.blocks`): whole columns converted with numpy, the COPY lines of a run of usual rows
gathered from the block's bytes at once, with no Python step per row.

A row is usual when the column-at-a-time path of :mod:`~seed.legacy.importer.bulk` would write it (every
value plain, its key known, nothing refused), by a test no looser than that path's. Every other row (one
refused, one whose key came before, one written otherwise) goes the row-at-a-time way in its turn: a block is
cut into runs of usual rows and runs of others, in file order, so that every refusal keeps its reason, its
order and its line. Where the csv module would read a block otherwise (quotes, irregular lines), the rest of
the file comes as records, :data:`~seed.legacy.importer.state.LOOKUP` at a time, read as before.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Sequence
from itertools import islice
from typing import Any, cast

import numpy as np

from seed.legacy.blocks import Block, csv_blocks
from seed.legacy.importer.state import LOOKUP, ImportState, Seen
from seed.legacy.interpret import EntityFile

Record = tuple[int, list[Any]]
Field = tuple[str, Any, Any]  # ("col", column, text of an empty one or None) or ("tab", texts, index per row)


def items(state: ImportState, f: EntityFile) -> Iterator[Block | list[Record]] | None:
    """A long file's lines as blocks, then (where blocks cannot be) batches of records; counted, with the
    progress told, as :meth:`~seed.legacy.importer.state.ImportState.batches` tells it. None for a file
    not to be read so (a spreadsheet, conversions or fixed values in its mapping, another codec)."""
    found = csv_blocks(f.mapping)
    if found is None:
        return None
    cast(Generator[Any, None, None], f.rows).close()  # the file opened for records is not read
    return _counted(state, f.name, found[1])


def each(
    state: ImportState,
    f: EntityFile,
    block_of: Callable[[Block], None],
    records: Callable[[list[Record]], None],
    *,
    blocks: bool = True,
) -> None:
    """Every part of a long file in turn: a block to ``block_of``, a batch of records (where blocks cannot
    be, or ``blocks`` is off) to ``records``."""
    found = items(state, f) if blocks else None
    for batch in found or state.batches(f):  # the ids a batch of rows at a time
        if isinstance(batch, Block):
            block_of(batch)
        else:
            records(batch)


def _counted(state: ImportState, name: str, found: Iterator[Block | Record]) -> Iterator[Block | list[Record]]:
    n, step, progress = 0, 100_000, state.progress

    def told(before: int, now: int) -> None:
        if progress:
            for k in range(before // step + 1, now // step + 1):
                progress(name, k * step)

    while True:
        item = next(found, None)
        if item is None:
            break
        if isinstance(item, Block):
            told(n, n + len(item))
            n += len(item)
            yield item
            continue
        batch = [item, *cast(Iterator[Record], islice(found, LOOKUP - 1))]
        told(n, n + len(batch))
        n += len(batch)
        yield batch
    state.result.read[name] = n
    if progress:
        progress(name, n)


def runs(usual: Any) -> list[tuple[int, int, bool]]:
    """The block cut into (start, end, usual) runs, in order. Given usual or dead lines (those refused first
    thing, which change nothing else), a run of them together is one: its usual lines written at once, then
    its refusals told in line order, as one at a time would tell them."""
    cuts = np.flatnonzero(usual[1:] != usual[:-1]) + 1
    bounds = [0, *cuts.tolist(), len(usual)]
    return [(lo, hi, bool(usual[lo])) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True) if hi > lo]


def records(block: Block, lo: int, hi: int) -> list[Record]:
    """Lines ``lo`` to ``hi`` of the block as the csv module reads them."""
    lines = block.lines[lo:hi].tolist()
    return [(line, block.record(i)) for line, i in zip(lines, range(lo, hi), strict=True)]


def picked(block: Block, rows: Any) -> list[Record]:
    """The block's lines ``rows`` (in order) as the csv module reads them."""
    lines = block.lines[rows].tolist()
    return [(line, block.record(i)) for line, i in zip(lines, rows.tolist(), strict=True)]


def split(lo: int, usual: Any, dead: Any) -> tuple[Any, Any]:
    """Of a run of usual and dead lines (those refused first thing, with nothing seen or written: an
    unknown account or meter) starting at ``lo``: the usual ones, and the dead ones."""
    return lo + np.flatnonzero(usual), lo + np.flatnonzero(dead)


def merged(first: Any, second: Any) -> Any:
    """Two sets of lines as one, in order."""
    return np.sort(np.concatenate([first, second]))


def distinct(block: Block, k: int) -> tuple[list[str], Any]:
    """A column's distinct values (as read: decoded, unstripped) and each line's index among them. Values of
    up to 16 bytes (periods, dates, services) are told apart as one or two whole numbers: a quick sort."""
    starts, ends = block.starts[:, k], block.ends[:, k]
    width = int((ends - starts).max())
    if width > 16:
        values, index = np.unique(block.column(k), return_inverse=True)
        return [block.text(v) for v in values.tolist()], index.ravel()
    size = 8 if width <= 8 else 16
    at = starts[:, None] + np.arange(size)
    cells = np.where(at < ends[:, None], block.u8[np.minimum(at, len(block.u8) - 1)], 0).astype(np.uint8)
    words = np.ascontiguousarray(cells).view(np.uint64)  # no NUL in a field: equal words, equal values
    key: Any = words[:, 0]
    if size == 16:
        _, low = np.unique(key, return_inverse=True)
        high_values, high = np.unique(words[:, 1], return_inverse=True)
        key = low.ravel().astype(np.int64) * len(high_values) + high.ravel()
    _, first, index = np.unique(key, return_index=True, return_inverse=True)
    data, text = block.data, block.text
    return [text(data[s:e]) for s, e in zip(starts[first].tolist(), ends[first].tolist(), strict=True)], index.ravel()


def key_runs(block: Block, k: int, also: Any = None) -> tuple[Any, Any, list[str]]:
    """The runs of lines of one value of column ``k`` (and of ``also``, another column's distinct index):
    their starts, ends and values (stripped). A long file comes sorted by account or meter: few runs."""
    column = block.column(k)
    change = column[1:] != column[:-1]
    if also is not None:
        change |= also[1:] != also[:-1]
    starts = np.flatnonzero(np.r_[True, change])
    ends = np.r_[starts[1:], len(column)]
    text = block.text
    return starts, ends, [text(raw).strip() for raw in column[starts].tolist()]


def fresh(seen: Seen, groups: Any, idents: Any) -> Any:
    """Which of a run's keys (group, id) are new: not seen before, nor earlier in the run. They are seen
    from now on (as :meth:`Seen.again` of each in turn would leave them); the others are left to the rows
    that repeat them, read one at a time."""
    groups, idents = np.asarray(groups, dtype=np.int64), np.asarray(idents, dtype=np.int64)
    n = len(groups)
    if n == 0:  # a run whose every row is left to the row code
        return np.zeros(0, dtype=bool)
    order = np.lexsort((idents, groups))  # stable: the first of equal keys first
    g, i = groups[order], idents[order]
    first = np.ones(n, dtype=bool)
    first[1:] = (g[1:] != g[:-1]) | (i[1:] != i[:-1])
    cuts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    bounds = [*cuts.tolist(), n]
    at, bit = i >> 3, (1 << (i & 7)).astype(np.uint8)
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        key = int(g[lo])
        bits = seen.groups.get(key)
        if bits is None:
            bits = seen.groups[key] = bytearray(seen.size)
        view = np.frombuffer(bits, dtype=np.uint8)
        first[lo:hi] &= (view[at[lo:hi]] & bit[lo:hi]) == 0
        new = first[lo:hi]
        np.bitwise_or.at(view, at[lo:hi][new], bit[lo:hi][new])
    out = np.empty(n, dtype=bool)
    out[order] = first
    return out


def gather(block: Block, rows: Any, fields: Sequence[Field]) -> str:
    """The COPY lines of the block's lines ``rows``: per line its fields, tab-separated, each one a column's
    bytes (an empty one written as the text given, if any), the bytes of columns ``k`` to ``j`` (a
    ``("span", (k, j), None)``, their separators read as tabs), or a text of a table by the line's index into
    it; commas read as decimal points. Every byte must be ASCII (plain numbers, dates, ids)."""
    n, m = len(rows), len(fields)
    if not n:
        return ""
    extra: list[bytes] = []
    size = len(block.u8)

    def table(texts: Sequence[str]) -> tuple[Any, Any]:
        nonlocal size
        encoded = [t.encode("ascii") for t in texts]
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        at = size + np.cumsum(lengths) - lengths
        extra.extend(encoded)
        size += int(lengths.sum())
        return at, lengths

    st, ln = np.empty((n, m), dtype=np.int64), np.empty((n, m), dtype=np.int64)
    for j, (kind, what, how) in enumerate(fields):
        if kind == "col":
            s, e = block.starts[rows, what], block.ends[rows, what]
            length = e - s
            if how is not None:
                (at,), (blank_length,) = table([how])
                empty = length == 0
                s, length = np.where(empty, at, s), np.where(empty, blank_length, length)
            st[:, j], ln[:, j] = s, length
        elif kind == "span":
            st[:, j] = block.starts[rows, what[0]]
            ln[:, j] = block.ends[rows, what[1]] - st[:, j]
        else:
            at, lengths = table(what)
            st[:, j], ln[:, j] = at[how], lengths[how]
    source = np.concatenate([block.u8, np.frombuffer(b"".join(extra) + b"\n", dtype=np.uint8)])
    pieces = (ln + 1).ravel()  # each field and the byte after it
    ends = np.cumsum(pieces)
    # where each output byte comes from: one on from the one before, but at the start of each piece
    step = np.ones(int(ends[-1]), dtype=np.int32)
    begin = st.ravel()
    step[0] = begin[0]
    step[ends[:-1]] = begin[1:] - (begin[:-1] + pieces[:-1]) + 1
    out = source[np.cumsum(step, dtype=np.int32)]
    out[ends - 1] = 9
    out[ends[m - 1 :: m] - 1] = 10
    return out.tobytes().translate(_COPY[block.sep]).decode("ascii")


def _copy_table(sep: str) -> bytes:
    table = bytearray(range(256))
    table[ord(",")] = ord(".")
    if sep not in ",.":
        table[ord(sep)] = 9
    return bytes(table)


class _Tables(dict[str, bytes]):
    def __missing__(self, sep: str) -> bytes:
        found = self[sep] = _copy_table(sep)
        return found


_COPY = _Tables()  # per delimiter: commas as points, the delimiter (inside a span) as a tab
