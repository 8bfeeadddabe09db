"""What `import check` spills to disk so that its memory does not follow the size of the export: rows of
(a key, an amount, a line) split into parts, each part small enough to be sorted and compared in memory,
written by both processes of the analysis into one owner-only scratch folder.

The folder lives as long as the analysis: removed when it ends, however it ends. A kill -9 leaves it; the
creator holds a lock on it (a forked worker shares that lock), so the next analysis finds it unlocked and
removes it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

PREFIX = "provision-check-"
LOCK = ".lock"
UNLOCKED_GRACE = 60.0  # seconds a folder may lack its lock file (its creator between mkdtemp and the lock)
ROW = np.dtype([("key", "<i8"), ("kopecks", "<i8"), ("line", "<i4")])  # 20 bytes a row


@contextlib.contextmanager
def scratch_folder(parent: Path | None = None) -> Iterator[Path]:
    """An owner-only folder for this analysis's parts (removed after it), the leftovers of analyses killed
    before removed first."""
    root = Path(parent or tempfile.gettempdir())
    sweep(root)
    folder = Path(tempfile.mkdtemp(prefix=PREFIX, dir=root))  # mode 0700
    fd = os.open(folder / LOCK, os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)


def sweep(root: Path) -> list[Path]:
    """Remove the scratch folders whose analysis is gone (no process holds their lock); the folders removed."""
    removed = []
    for folder in root.glob(f"{PREFIX}*"):
        if folder.is_dir() and not folder.is_symlink() and _abandoned(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _abandoned(folder: Path) -> bool:
    try:
        fd = os.open(folder / LOCK, os.O_RDONLY)
    except FileNotFoundError:  # killed before its lock was made, or being made now
        with contextlib.suppress(OSError):
            return time.time() - folder.stat().st_mtime > UNLOCKED_GRACE
        return False
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # its analysis runs
    finally:
        os.close(fd)
    return True


class Parts:
    """Rows of (a key, kopecks, a line) appended to ``count`` files by the part each row is given, then read
    back one part at a time. Several writers (the analysis and its forked worker) use different ``name``s."""

    def __init__(self, folder: Path, name: str, count: int) -> None:
        self.folder, self.name, self.count = folder, name, max(count, 1)

    def path(self, part: int) -> Path:
        return self.folder / f"{self.name}-{part}.bin"

    def add(self, parts: Any, keys: Any, kopecks: Any, lines: Any) -> None:
        """Rows (columns of equal length) into their parts; within a part they keep their order."""
        if not len(keys):
            return
        rows = np.empty(len(keys), dtype=ROW)
        rows["key"], rows["kopecks"], rows["line"] = keys, kopecks, lines
        order = np.argsort(parts, kind="stable")
        rows, parts = rows[order], parts[order]
        bounds = np.searchsorted(parts, np.arange(self.count + 1))
        for part in np.flatnonzero(bounds[1:] > bounds[:-1]).tolist():
            with self.path(part).open("ab") as out:
                rows[bounds[part] : bounds[part + 1]].tofile(out)

    def read(self, part: int) -> tuple[Any, Any, Any]:
        """A part's keys, kopecks and lines in the order they were added."""
        path = self.path(part)
        rows = np.fromfile(path, dtype=ROW) if path.exists() else np.zeros(0, dtype=ROW)
        return rows["key"].copy(), rows["kopecks"].copy(), rows["line"].copy()


__all__ = ["Parts", "scratch_folder", "sweep"]
