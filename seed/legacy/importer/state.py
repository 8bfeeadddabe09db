"""What an import carries from stage to stage: the rules and the keyed pseudonyms, the ids given so far,
the months seen, the rows left out, and where the COPY lines go."""

from __future__ import annotations

import collections.abc as abc
import datetime as dt
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice, repeat
from typing import Any, Protocol

import numpy as np

from seed.errors import ImportRefused
from seed.legacy.anonymize import Anonymizer
from seed.legacy.importer.rejected import Rejects
from seed.legacy.interpret import UNKNOWN_ACCOUNT, EntityFile, Refused, open_entity
from seed.legacy.leaks import DIGEST, Leak, Originals, upsert
from seed.legacy.mapping import Mapping, file_columns
from seed.legacy.personal import Finding, rules_from
from seed.period import month_iso
from seed.words.messages import Message

BATCH = 10_000  # rows per COPY write (a queue of a few such writes waits per table)
LOOKUP = 2_048  # rows whose ids are looked up together
Progress = Callable[[str, int], None]  # file being read, rows read so far
Sink = Callable[[str, str], None]  # table, a batch of COPY text lines


def escape(value: str) -> str:
    """A value for COPY's text format."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


@dataclass
class ImportResult:
    rows: dict[str, int] = field(default_factory=dict)
    read: dict[str, int] = field(default_factory=dict)
    rejects: Rejects = field(default_factory=Rejects)
    personal_columns: list[Finding] = field(default_factory=list)
    leaks: list[Leak] = field(default_factory=list)
    leak_values_checked: int = 0
    rules: dict[str, Message] = field(default_factory=dict)  # rule -> what is done to its data ("treatment.*")
    flags: list[Message] = field(default_factory=list)  # real values a rule keeps ("personal.kept")
    periods: list[dt.date] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)  # file name -> field -> customer's column

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows_loaded": self.rows,
            "rows_read": self.read,
            "rows_loaded_total": self.total_rows,
            "rejected": {
                "total": self.rejects.total,
                "by_reason": dict(self.rejects.counts),
                "examples": {
                    reason: [{**e, "column": self.columns.get(e["file"], {}).get(e["field"], "")} for e in examples]
                    for reason, examples in self.rejects.examples.items()
                },
            },
            "anonymization": {rule: said.text() for rule, said in self.rules.items()},
            "anonymization_said": {rule: said.to_dict() for rule, said in self.rules.items()},
            "flags": [flag.text() for flag in self.flags],
            "flags_said": [flag.to_dict() for flag in self.flags],
            "personal_columns_not_loaded": [f.describe() for f in self.personal_columns],
            "personal_columns_left_out": [
                {"file": f.file, "column": f.column, "why": f.why.text(), "why_said": f.why.to_dict()}
                for f in self.personal_columns
            ],
            "columns": self.columns,
            "leak_scan": {
                "original_values_checked": self.leak_values_checked,
                "leaks": [vars(leak) for leak in self.leaks],
                "clean": not self.leaks,
            },
            "periods": [p.isoformat() for p in self.periods],
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
        }


class Taken(Protocol):
    """The pseudonyms drawn so far where they must be unique (a set, or :class:`Digests` of them)."""

    def __contains__(self, value: object) -> bool: ...

    def add(self, value: str) -> None: ...


class Pseudonyms:
    """Keyed pseudonyms that never look like any original personal value of the export (so the leak
    scan cannot mistake one for a leak), and are unique where the schema wants them unique (account
    numbers, ЕЛС, serials per service). All originals must be collected before the first is drawn."""

    def __init__(self, anonymizer: Anonymizer, originals: Originals) -> None:
        self.anon, self.originals = anonymizer, originals

    def draw(self, make: Callable[[int], str], used: Taken | None = None) -> str:
        attempt, candidate = 0, make(0)
        while (used is not None and candidate in used) or self.originals.match(candidate) is not None:
            attempt += 1
            if attempt > 10_000:  # a format too short to hold this many distinct values
                raise ImportRefused(f"cannot find a free pseudonym in the format of {make(0)!r}")
            candidate = make(attempt)
        if used is not None:
            used.add(candidate)
        return candidate

    def ident(self, kind: str, value: str, used: Taken) -> str:
        return self.draw(lambda k: self.ident_make(kind, value, k), used)

    def ident_make(self, kind: str, value: str, k: int) -> str:
        return self.anon.keep_format(kind if k == 0 else f"{kind}#{k}", value)

    def idents(self, kinds: Sequence[str], values: Sequence[str], useds: Sequence[Taken]) -> list[str]:
        """:meth:`ident` of each (kind, value) in turn, each unique among its own ``used``: the same pseudonyms,
        the originals asked about the first candidates at once."""
        keep_format = self.anon.keep_format
        firsts = list(map(keep_format, kinds, values))
        out = []
        for first, clear, kind, value, used in zip(firsts, self.clear(firsts), kinds, values, useds, strict=True):
            if clear and first not in used:
                used.add(first)
                out.append(first)
            else:
                out.append(self.ident(kind, value, used))
        return out

    def clear(self, candidates: Sequence[str]) -> list[bool]:
        """Of each of many first candidates, whether it looks like no original (as :meth:`draw` asks of
        it), the look-ups of all of them at once."""
        return [kind is None for kind in self.originals.match_many(candidates)]

    def draw_many(
        self, firsts: Sequence[str], makes: Sequence[Callable[[int], str]], used: Taken | None = None
    ) -> list[str]:
        """:meth:`draw` of each of many values in turn, given each one's first candidate (``makes[i](0)``):
        the same pseudonyms, the originals asked about the first candidates at once."""
        take = self.take
        return list(map(take, firsts, self.clear(firsts), makes, repeat(used)))

    def take(self, first: str, clear: bool, make: Callable[[int], str], used: Taken | None = None) -> str:
        """:meth:`draw`, told already whether the first candidate (``make(0)``) is :meth:`clear`."""
        if clear and (used is None or first not in used):
            if used is not None:
                used.add(first)
            return first
        return self.draw(make, used)


def _nowhere(table: str, data: str) -> None:
    raise RuntimeError(f"no COPY stream is open for {table}")


class ImportState:
    """The import in progress. Stages read the export through :meth:`open`, refuse rows through
    :attr:`rejects`, and write COPY text lines through :meth:`lines` to :attr:`sink` (the COPY streams of a
    working schema, or a list in a test)."""

    def __init__(
        self,
        mapping: Mapping,
        key: bytes,
        *,
        rules: dict[str, str] | None = None,
        noise: float = 0.0,
        progress: Progress | None = None,
    ) -> None:
        self.mapping, self.noise, self.progress = mapping, noise, progress
        self.rules = rules_from(rules)
        self.anon = Anonymizer(key)
        columns = {path.name: found for path, found in file_columns(mapping).items()}
        treated = {rule: Message.of(f"treatment.{treatment}") for rule, treatment in self.rules.items()}
        self.result = ImportResult(rules=treated, columns=columns)
        self.result.rejects.columns = columns
        self.rejects = self.result.rejects
        self.originals = Originals()
        self.names = Pseudonyms(self.anon, self.originals)
        # ids by digest (Python's hash, as Digests keep): twelve bytes an account or meter, no text kept
        self.account_ids = Ids()  # hash(the account number as written) -> its id
        self.account_factors = array("d")  # with noise: each account's factor, in the order of their ids
        self.duplicate_rows: set[int] = set()  # accounts' lines refused as another account under a number in use
        self.meter_ids = Ids()  # hash((service id, the serial as written)) -> its id
        self.meter_factors = array("d")  # with noise: each meter's factor, in the order of their ids
        self.months: set[int] = set()  # the billing months the export speaks of
        # with no services file: each account's services (1 << service id) as its meters and balances name
        # them, at its id (:meth:`services_found`); empty otherwise
        self.found_services = bytearray()
        self.found_services_written = 0  # account_service rows written from them
        self.month_texts: dict[int, str] = {}
        self.sink: Sink = _nowhere

    def with_accounts(
        self, f: EntityFile, items: Iterable[tuple[int, list[Any]]]
    ) -> Iterator[tuple[int, list[Any], int]]:
        """A file's rows with the id of the account each refers to (0: none loaded), looked up
        :data:`LOOKUP` rows at a time."""
        found, rows = self.account_ids.get_many, iter(items)
        while batch := list(islice(rows, LOOKUP)):
            accounts = found([hash(f.get(rec, "account")) for _, rec in batch])
            for (line, rec), account in zip(batch, accounts, strict=True):
                yield line, rec, account

    @staticmethod
    def loaded(f: EntityFile, rec: list[Any], account: int) -> int:
        """The account's id, if it is loaded; one that is not refuses the row."""
        if not account:
            raise Refused(UNKNOWN_ACCOUNT, "account", f.raw(rec, "account"), personal=True)
        return account

    def factor(self, value: str) -> float:
        """The noise's keyed factor near 1 for an account or a meter."""
        u = self.anon.fraction("noise", value)
        return 1 + self.noise * (2 * u - 1)

    def open(self, entity: str) -> EntityFile | None:
        return open_entity(self.mapping, entity)

    def services_found(self) -> bytearray | None:
        """Where an account's services are noted as its meters and balances name them, when the export
        has no services file to say them (None when it has one); sized to the accounts read so far."""
        fm = self.mapping.files.get("services")
        if fm is not None and not (fm.optional and not fm.path.exists()):
            return None
        if len(self.found_services) != len(self.account_ids) + 1:
            self.found_services = bytearray(len(self.account_ids) + 1)
        return self.found_services

    def rows(self, f: EntityFile) -> Iterator[tuple[int, list[Any]]]:
        """A file's rows, counted (and the count reported every 100,000 rows)."""
        n = 0
        for item in f.rows:
            n += 1
            if self.progress and n % 100_000 == 0:
                self.progress(f.name, n)
            yield item
        self.result.read[f.name] = n
        if self.progress:
            self.progress(f.name, n)

    def batches(self, f: EntityFile) -> Iterator[list[tuple[int, list[Any]]]]:
        """:meth:`rows`, :data:`LOOKUP` rows at a time (for the long files: no step per row)."""
        n, rows, step = 0, f.rows, 100_000
        while batch := list(islice(rows, LOOKUP)):
            before, n = n, n + len(batch)
            if self.progress:
                for k in range(before // step + 1, n // step + 1):
                    self.progress(f.name, k * step)
            yield batch
        self.result.read[f.name] = n
        if self.progress:
            self.progress(f.name, n)

    def month(self, month: int) -> str:
        """A month's first day as COPY text; the month is remembered as one the books span."""
        found = self.month_texts.get(month)
        if found is None:
            self.months.add(month)
            found = self.month_texts[month] = month_iso(month)
        return found

    def again(self, entity: str, accepted: Accepted) -> Iterator[tuple[EntityFile, int, list[Any]]]:
        """A file's rows read a second time, only the lines the first reading accepted."""
        f = self.open(entity) if accepted else None
        if f is None:
            return
        for line, rec in f.rows:
            if line in accepted:
                yield f, line, rec

    def again_with_accounts(self, entity: str, accepted: Accepted) -> Iterator[tuple[EntityFile, int, list[Any], int]]:
        """:meth:`again`, with the id of each row's account (:meth:`with_accounts`)."""
        f = self.open(entity) if accepted else None
        if f is None:
            return
        for line, rec, account in self.with_accounts(f, ((n, r) for n, r in f.rows if n in accepted)):
            yield f, line, rec, account

    def lines(self, table: str) -> Lines:
        return Lines(self, table)


class Lines:
    """A table's COPY lines on their way to the sink, BATCH at a time. Used as ``with state.lines(table) as
    lines:``; the last batch goes when the block ends."""

    def __init__(self, state: ImportState, table: str) -> None:
        self.state, self.table = state, table
        self.out: list[str] = []
        self.count = 0  # the lines in out

    def add(self, text: str) -> None:
        out = self.out
        out.append(text)
        self.count += 1
        if self.count >= BATCH:
            self.flush()

    def add_block(self, text: str, rows: int) -> None:
        """``rows`` lines at once, as one text."""
        self.out.append(text)
        self.count += rows
        if self.count >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.out:
            self.state.sink(self.table, "".join(self.out))
            rows = self.state.result.rows
            rows[self.table] = rows.get(self.table, 0) + self.count
            self.out.clear()
            self.count = 0

    def __enter__(self) -> Lines:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None:
            self.flush()


class Accepted:
    """The lines of a file that a first reading accepted, as a bitmap (an eighth of a byte a line): the
    second reading, which writes the rows once every original is known, takes these lines again rather
    than holding every row in memory between the two."""

    def __init__(self) -> None:
        self.bits = bytearray()
        self.count = 0

    def add(self, line: int) -> None:
        at = line >> 3
        if at >= len(self.bits):
            self.bits.extend(bytes(max(at + 1 - len(self.bits), len(self.bits))))
        self.bits[at] |= 1 << (line & 7)
        self.count += 1

    def __contains__(self, line: int) -> bool:
        at = line >> 3
        return at < len(self.bits) and bool(self.bits[at] & (1 << (line & 7)))

    def __len__(self) -> int:
        return self.count


class Ids(abc.Mapping[int, int]):
    """Ids under 64-bit digests (Python's hash, as :class:`~seed.legacy.leaks.Digests` keep): a sorted numpy
    array of the digests and their ids beside them, twelve bytes an entry where a dict takes some hundred, the
    latest in a small dict until they join the arrays. A digest given again takes its new id, as in a dict.
    Rows look their ids up a batch at a time (:meth:`get_many`), one search over the batch."""

    PENDING = 8_192  # entries added before they join the recent sorted arrays (a dict's entry: some 100 bytes)
    RECENT = 1 << 19  # entries in the recent arrays before they join the large ones (copied at each join)

    def __init__(self) -> None:
        self._keys, self._ids = np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)
        self._recent, self._recent_ids = np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)
        self._pending: dict[int, int] = {}

    def __setitem__(self, digest: int, ident: int) -> None:
        self._pending[digest & DIGEST] = ident
        if len(self._pending) >= self.PENDING:
            self.merge()

    def __getitem__(self, digest: int) -> int:
        found = self.get(digest)
        if found is None:
            raise KeyError(digest)
        return found

    def get(self, digest: int, default: int | None = None) -> int | None:  # type: ignore[override]
        key = digest & DIGEST
        found = self._pending.get(key)
        if found is not None:
            return found
        for keys, ids in ((self._recent, self._recent_ids), (self._keys, self._ids)):  # the latest first
            at = int(keys.searchsorted(np.uint64(key)))
            if at < len(keys) and int(keys[at]) == key:
                return int(ids[at])
        return default

    def get_many(self, digests: Sequence[int]) -> list[int]:
        """The id under each digest, 0 where there is none (ids start at 1)."""
        self.merge()
        found = np.zeros(len(digests), dtype=np.int64)
        if not len(digests) or not len(self._keys) + len(self._recent):
            return found.tolist()
        wanted = np.fromiter(digests, dtype=np.int64, count=len(digests)).view(np.uint64)
        for keys, ids in ((self._keys, self._ids), (self._recent, self._recent_ids)):  # the latest last, to win
            if len(keys):
                at = keys.searchsorted(wanted)
                at[at == len(keys)] = 0
                hit = keys[at] == wanted
                found[hit] = ids[at[hit]]
        return found.tolist()

    def merge(self) -> None:
        """The pending entries into the recent sorted arrays; those into the large ones once they hold RECENT."""
        if self._pending:
            new = np.fromiter(self._pending, dtype=np.uint64, count=len(self._pending))
            ids = np.fromiter(self._pending.values(), dtype=np.int64, count=len(new))
            self._pending.clear()
            self._recent, self._recent_ids = upsert(self._recent, self._recent_ids, new, ids)
        if len(self._recent) >= self.RECENT:
            self._settle()

    def _settle(self) -> None:
        if len(self._recent):
            self._keys, self._ids = upsert(self._keys, self._ids, self._recent, self._recent_ids)
            self._recent, self._recent_ids = np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)

    def __len__(self) -> int:
        self.merge()
        self._settle()
        return len(self._keys)

    def __iter__(self) -> Iterator[int]:
        self.merge()
        self._settle()
        return iter(self._keys.view(np.int64).tolist())  # as Python's hash gave them (signed)


class Seen:
    """The keys written so far, a key being a group (a month, or a month and a service) and an id (a meter's,
    an account's): a bitmap of the ids per group, an eighth of a byte an id. A row whose key an earlier row
    had is told as it is read, so it is left out before it is written, and nothing is kept per row."""

    def __init__(self, ids: int) -> None:
        self.size = (ids >> 3) + 1
        self.groups: dict[int, bytearray] = {}

    def again(self, group: int, ident: int) -> bool:
        """Whether (group, ident) was seen before; it is seen from now on."""
        bits = self.groups.get(group)
        if bits is None:
            bits = self.groups[group] = bytearray(self.size)
        at, bit = ident >> 3, 1 << (ident & 7)
        if bits[at] & bit:
            return True
        bits[at] |= bit
        return False

    def fresh(self, groups: Sequence[int], idents: Sequence[int]) -> bool:
        """Whether every (group, ident) of a batch is new, none seen before nor twice in the batch; if so,
        they are all seen from now on (else nothing changes, and the batch is told a row at a time)."""
        group, ident = np.array(groups, dtype=np.int64), np.array(idents, dtype=np.int64)
        if len(np.unique(group * (self.size << 3) + ident)) != len(ident):
            return False
        order = np.argsort(group, kind="stable")
        group, ident = group[order], ident[order]
        cuts = np.flatnonzero(group[1:] != group[:-1]) + 1
        parts = []
        for start, end in zip([0, *cuts.tolist()], [*cuts.tolist(), len(group)], strict=True):
            bits = self.groups.get(int(group[start]))
            at, bit = ident[start:end] >> 3, (1 << (ident[start:end] & 7)).astype(np.uint8)
            if bits is not None and (np.frombuffer(bits, dtype=np.uint8)[at] & bit).any():
                return False
            parts.append((int(group[start]), at, bit))
        for key, at, bit in parts:
            bits = self.groups.get(key)
            if bits is None:
                bits = self.groups[key] = bytearray(self.size)
            np.bitwise_or.at(np.frombuffer(bits, dtype=np.uint8), at, bit)
        return True
