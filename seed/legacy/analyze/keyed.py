"""Keys the analysis meets once per account, person or service (a million accounts, several million
persons), held in a few bytes each rather than as Python objects: a dict or set of them would cost some
150 bytes a key and make the check's memory follow the size of the books.

Each key is its 64-bit hash, kept in a sorted numpy array (found by ``searchsorted``); the keys added
since the last sort wait in a small dict, merged in when it fills. :class:`TextKeys` also keeps each
text (UTF-8, end to end in one buffer), so that a key is found exactly: two texts that share a hash are
told apart by their bytes. :class:`SeenKeys` keeps only the hashes, for "was this pair seen before?".
"""

from __future__ import annotations

from array import array
from typing import Any

import numpy as np

PENDING = 1 << 16  # keys held in a dict until they are merged into the sorted ones
FILTER_BITS = 1 << 24  # a bit per hash's low bits (2 MiB, whatever the count): most keys not added are told so


class _Filter:
    """A bit per value of a hash's low bits: a key whose bit is clear was never added, found without a
    search of the sorted hashes (a set bit may be another key's)."""

    def __init__(self) -> None:
        self.bits = bytearray(FILTER_BITS >> 3)

    def add(self, key: int) -> None:
        at = key & (FILTER_BITS - 1)
        self.bits[at >> 3] |= 1 << (at & 7)

    def may_have(self, key: int) -> bool:
        at = key & (FILTER_BITS - 1)
        return bool(self.bits[at >> 3] >> (at & 7) & 1)


class _Sorted:
    """Hashes sorted, with the position (in the order added) of each beside it, equal hashes in the order
    added; those added since the last :meth:`merge` wait in ``fresh``. Twelve bytes a hash (the position in
    32 bits while positions fit), each hash held once: not a copy in the order added beside a sorted one."""

    def __init__(self) -> None:
        self.fresh = array("q")  # hashes added since the last merge, in the order added
        self.merged = 0  # hashes in the sorted keys
        self.keys: Any = np.zeros(0, dtype=np.int64)
        self.order: Any = np.zeros(0, dtype=np.int32)

    def __len__(self) -> int:
        return self.merged + len(self.fresh)

    def append(self, key: int) -> None:
        self.fresh.append(key)

    def merge(self) -> None:
        """Every hash added so far into the sorted keys: the fresh ones sorted (stably) and inserted after
        any equal hash already there, so equal hashes stay in the order added."""
        if not self.fresh:
            return
        new = np.frombuffer(self.fresh, dtype=np.int64)
        by = np.argsort(new, kind="stable")
        dtype = np.int32 if len(self) < 1 << 31 else np.int64
        at = self.keys.searchsorted(new[by], side="right")
        self.keys = np.insert(self.keys, at, new[by])
        self.order = np.insert(self.order.astype(dtype, copy=False), at, (by + self.merged).astype(dtype))
        self.merged += len(new)
        del new
        self.fresh = array("q")

    def positions(self, key: int) -> Any:
        """The positions (in the order added) of the sorted hashes equal to ``key``."""
        keys = self.keys
        if not len(keys):  # none sorted yet: every key still waits in the dict
            return ()
        at = int(keys.searchsorted(key))
        if at >= len(keys) or keys[at] != key:
            return ()
        end = at + 1
        while end < len(keys) and keys[end] == key:  # two keys sharing a hash: as rare as that
            end += 1
        return self.order[at:end].tolist()


class HashPositions:
    """64-bit hashes (of a meter's service and serial, say) and the position each was first added at,
    found while more are added: some 13 bytes a hash."""

    def __init__(self) -> None:
        self._sorted = _Sorted()
        self._pending: dict[int, int] = {}  # hash -> its position, until merged
        self._filter = _Filter()

    def __len__(self) -> int:
        return len(self._sorted)

    def add(self, key: int) -> None:
        self._sorted.append(key)
        self._filter.add(key)
        self._pending.setdefault(key, len(self._sorted) - 1)
        if len(self._pending) >= PENDING:
            self.seal()

    def find(self, key: int) -> int | None:
        """The position ``key`` was first added at; None when it was not."""
        at = self._pending.get(key)
        if at is not None:
            return at
        if not self._filter.may_have(key):
            return None
        found = self._sorted.positions(key)
        return int(found[0]) if found else None

    def find_many(self, keys: Any) -> Any:
        """The position each of ``keys`` (int64) was first added at, -1 where it was not: as :meth:`find`
        of each, with one search of the sorted hashes for them all."""
        if self._pending:
            return np.array([-1 if (at := self.find(k)) is None else at for k in keys.tolist()], dtype=np.int64)
        sorted_keys, order = self._sorted.keys, self._sorted.order
        if not len(sorted_keys):
            return np.full(len(keys), -1, dtype=np.int64)
        at = np.minimum(sorted_keys.searchsorted(keys), len(sorted_keys) - 1)  # the first of equal hashes
        return np.where(sorted_keys[at] == keys, order[at], -1).astype(np.int64)  # the first added of them

    def seal(self) -> None:
        """Every hash added so far into the sorted ones (as :meth:`find` will find them)."""
        self._sorted.merge()
        self._pending.clear()


class TextKeys:
    """Texts (account numbers) and an int for each (its position, its line), found exactly by text.
    Memory: some 30 bytes a key beside its text."""

    def __init__(self) -> None:
        self._sorted = _Sorted()
        self._values = array("q")
        self._text = bytearray()
        self._ends = array("q")
        self._pending: dict[str, int] = {}  # text -> its position, until merged
        self._last: tuple[str, int | None] = ("", None)  # the text asked for before: rows of a key come together

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, text: str) -> bool:
        return self.get(text) is not None

    def get(self, text: str) -> int | None:
        """The value added with ``text``; None when it was not added."""
        last, value = self._last
        if text == last and value is not None:
            return value
        at = self._pending.get(text)
        if at is None:
            at = self._find(text)
        value = None if at is None else self._values[at]
        self._last = (text, value)
        return value

    def add(self, text: str, value: int) -> None:
        """A new text (the caller has found it is not here) and its value."""
        at = len(self._values)
        self._sorted.append(hash(text))
        self._values.append(value)
        self._text += text.encode()
        self._ends.append(len(self._text))
        self._pending[text] = at
        if len(self._pending) >= PENDING:
            self._sorted.merge()
            self._pending.clear()

    def value_at(self, position: int) -> int:
        return self._values[position]

    def _find(self, text: str) -> int | None:
        for at in self._sorted.positions(hash(text)):
            start = self._ends[at - 1] if at else 0
            if self._text[start : self._ends[at]] == text.encode():
                return int(at)
        return None


class SeenKeys:
    """Whether a key (any hashable: an account and a person, an account and a service) was seen before, by its
    64-bit hash: 12 bytes a key, where two keys sharing a hash (some 1 in 10^7 at ten million keys) read as
    one."""

    def __init__(self) -> None:
        self._sorted = _Sorted()
        self._pending: set[int] = set()
        self._filter = _Filter()

    def seen(self, key: object) -> bool:
        """True when ``key`` was seen before; else it is noted, and False."""
        h = hash(key)
        if h in self._pending or (self._filter.may_have(h) and self._sorted.positions(h)):
            return True
        self._sorted.append(h)
        self._pending.add(h)
        self._filter.add(h)
        if len(self._pending) >= PENDING:
            self._sorted.merge()
            self._pending.clear()
        return False


__all__ = ["HashPositions", "SeenKeys", "TextKeys"]
