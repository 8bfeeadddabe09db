"""Every problem of an export, for the complete list (`import check --problems`): each problem is spilled
as it is found to an owner-only temporary file, a sorted chunk at a time, and the chunks are merged in
file and line order when the list is written. Memory stays flat however many problems an export has.

A forked worker spills into files of its own in the same folder; its :class:`Spill` pickles as the list
of those files, so the parent adopts them with the rest of the worker's report.
"""

from __future__ import annotations

import contextlib
import heapq
import os
import pickle
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Generic, NamedTuple, TypeVar

from seed.legacy.interpret import shown_value, text
from seed.legacy.private import private_folder
from seed.words.messages import Message

CHUNK = 50_000  # problems sorted in memory at once
BATCH = 512  # problems pickled together: the merge holds one batch per chunk
FAN_IN = 64  # chunks merged at once; more are merged in rounds


class Cause(NamedTuple):
    """The problem another follows from: a duplicate account number or meter serial at its row."""

    kind: str
    file: str
    line: int


NO_CAUSE = Cause("", "", 0)


class Record(NamedTuple):
    """One problem as the list shows it; sorted by file and line (problems of the whole export first)."""

    file: str
    line: int
    kind: str
    field: str
    value: str
    said: Message
    cause_kind: str
    cause_file: str
    cause_line: int


class Spill:
    """The sink of a report: every problem, the value masked unless the list goes back to the data's owner
    (``with_personal``)."""

    def __init__(self, folder: Path, with_personal: bool = False) -> None:
        self.folder, self.with_personal = folder, with_personal
        self.chunks: list[Path] = []
        self.buffer: list[Record] = []
        self.count = 0

    @classmethod
    @contextlib.contextmanager
    def private(cls, with_personal: bool = False) -> Iterator[Spill]:
        """A spill in a temporary owner-only folder, removed with everything in it afterwards."""
        with tempfile.TemporaryDirectory(prefix="provision-problems-") as folder:
            yield cls(private_folder(Path(folder)), with_personal)

    def add(
        self,
        kind: str,
        file: str,
        line: int,
        fld: str,
        value: Any,
        message: Message,
        personal: bool,
        cause: Cause | None,
    ) -> None:
        if self.with_personal:
            shown, said = text(value), message
        else:
            shown, said = shown_value(fld, value, message, personal)
        c = cause or NO_CAUSE
        self.buffer.append(Record(file, line, kind, fld, shown, said, c.kind, c.file, c.line))
        self.count += 1
        if len(self.buffer) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.buffer.sort()
            self.chunks.append(self._write(self.buffer))
            self.buffer = []

    def fork(self) -> Spill:
        """An empty spill into the same folder (for a forked worker's own report)."""
        return Spill(self.folder, self.with_personal)

    def adopt(self, other: Spill) -> None:
        other.flush()
        self.chunks += other.chunks
        self.count += other.count

    def __getstate__(self) -> dict[str, Any]:
        self.flush()
        return {"folder": self.folder, "with_personal": self.with_personal, "chunks": self.chunks, "count": self.count}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.buffer = []

    def sorted(self) -> Iterator[Record]:
        """Every problem in file and line order, merged from the sorted chunks."""
        self.flush()
        chunks = self.chunks
        while len(chunks) > FAN_IN:  # merge in rounds, never holding more than FAN_IN files open
            merged = []
            for i in range(0, len(chunks), FAN_IN):
                group = chunks[i : i + FAN_IN]
                merged.append(self._write(heapq.merge(*(_read(c) for c in group))))
                for done in group:
                    done.unlink(missing_ok=True)
            chunks = self.chunks = merged
        yield from heapq.merge(*(_read(c) for c in chunks))

    def _write(self, records: Iterable[Record]) -> Path:
        fd, name = tempfile.mkstemp(dir=self.folder, suffix=".spill")  # owner-only
        with os.fdopen(fd, "wb") as out:
            batch: list[Record] = []
            for record in records:
                batch.append(record)
                if len(batch) >= BATCH:
                    pickle.dump([tuple(r) for r in batch], out, pickle.HIGHEST_PROTOCOL)
                    batch = []
            if batch:
                pickle.dump([tuple(r) for r in batch], out, pickle.HIGHEST_PROTOCOL)
        return Path(name)


T = TypeVar("T")


class Overflow(Generic[T]):
    """A list of what checks found that keeps at most ``limit`` items in memory, the rest pickled to an
    anonymous owner-only temporary file (gone when closed): a file with millions of findings does not
    hold them all while it is read."""

    def __init__(self, limit: int = CHUNK) -> None:
        self.items: list[T] = []
        self.limit = limit
        self.file: IO[bytes] | None = None

    def extend(self, items: Iterable[T]) -> None:
        self.items.extend(items)
        if len(self.items) >= self.limit:
            if self.file is None:
                self.file = tempfile.TemporaryFile()  # noqa: SIM115 - read back, then closed, by __iter__
            pickle.dump(self.items, self.file, pickle.HIGHEST_PROTOCOL)
            self.items = []

    def __iter__(self) -> Iterator[T]:
        """Everything in the order it came, once; the file is closed after."""
        if self.file is not None:
            with self.file as source:
                source.seek(0)
                while True:
                    try:
                        yield from pickle.load(source)
                    except EOFError:
                        break
            self.file = None
        yield from self.items


def _read(path: Path) -> Iterator[Record]:
    """A chunk's problems in order (a file this process or its worker wrote, in an owner-only folder)."""
    with path.open("rb") as source:
        while True:
            try:
                batch = pickle.load(source)
            except EOFError:
                return
            for values in batch:
                yield Record(*values)


__all__ = ["NO_CAUSE", "Cause", "Overflow", "Record", "Spill"]
