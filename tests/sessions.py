"""Which test session made a Docker object or a mount, and whether that session is certainly gone.

Every object a test makes is labelled with a folder in its session's base temp
(``/tmp/pytest-of-<user>/pytest-<N>/...``). Other checkouts' suites run on the same engine at the same time,
in sibling base temps, so a session removes only what its own base temp made, and what a session that has
certainly ended left. A live session holds a kernel lock on a file in its base temp (:func:`hold`): any
death frees it, so a free lock is a dead session. A base temp without that file (a session of older code)
counts as gone only when pytest's own ``.lock`` there is gone or names a process that no longer runs.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

LOCK_NAME = ".provision-session.lock"
ROOT_MARK = "pytest-of-"
SESSION_LABEL = "org.provision.test.session"  # on what a test makes outside a workspace: its base temp


def hold(base: Path) -> IO[str]:
    """Take the lock that says this session runs; keep the handle open for the session's lifetime."""
    handle = open(base / LOCK_NAME, "a+", encoding="utf-8")  # noqa: SIM115 - held until the session ends
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def root_of(base: Path) -> Path | None:
    """The folder every session of this user makes its base temp in (None: a base temp of one's own)."""
    return next((p for p in (base, *base.parents) if p.name.startswith(ROOT_MARK)), None)


def _lock_free(lock: Path) -> bool:
    try:
        with open(lock, encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except FileNotFoundError:  # removed meanwhile with its folder: the session is gone
        return True
    return True


def _process_gone(pid_file: Path) -> bool:
    """Whether the process pytest's ``.lock`` names has ended. A process of that number that runs is taken
    as the session's own (a reused pid only leaves an ended session's objects for a later cleanup; the
    other mistake would remove a live session's)."""
    try:
        pid = int(pid_file.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return True
    return not Path(f"/proc/{pid}").exists()


def gone(path: Path, root: Path) -> bool:
    """Whether the session that made ``path`` (a folder under ``root``) has certainly ended."""
    for folder in (path, *path.parents):
        if folder == root or not folder.is_relative_to(root):
            break
        lock = folder / LOCK_NAME
        if lock.exists():
            return _lock_free(lock)
    numbered = root / path.relative_to(root).parts[0]
    pytest_lock = numbered / ".lock"
    return not pytest_lock.exists() or _process_gone(pytest_lock)


def removable(label: str, base: Path, root: Path | None) -> bool:
    """Whether this session (base temp ``base``) may remove what is labelled with the folder ``label``."""
    if not label.startswith("/"):
        return False
    path = Path(label)
    if path == base or path.is_relative_to(base):
        return True
    if root is None or path == root or not path.is_relative_to(root):
        return False
    return gone(path, root)
