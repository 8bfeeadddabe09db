"""What a client's command is in the middle of, kept on disk so the next command can finish or undo it.

Every copy and swap of a client's databases (seed and import switch-in, baseline freeze, reset, snapshot
save and restore) runs under the client's lock (:func:`client_lock`) and notes each step in
``compose/<client>/journal.json`` before it takes it::

    {"command": "reset", "pid": 4242, "step": "seat:retire",
     "books": "2026-11-28 18:40:01+00",          # seed and import: the books before (seed_info)
     "copies": [{"kind": "clone", "source": "odno_okno__baseline", "work": "odno_okno__seat01__new",
                 "target": "odno_okno__seat01", "role": "odno_okno__seat01", "retired": "..."}]}

The file is written aside, fsynced and renamed over the old one, so it is always whole. A command that
ends removes it; one that was killed leaves it, and the next command of the client reads it first.

Crash tests: ``PROVISION_CRASH_AT=<step>`` (e.g. ``seat:swap``, ``switched``) makes the process send itself
SIGKILL as soon as that step is noted, i.e. just before the step would run.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from seed.errors import UnreadableFile
from seed.infile import read_small_text
from seed.outfile import write_whole

CRASH_AT = "PROVISION_CRASH_AT"


def _write_whole(path: Path, data: dict[str, Any]) -> None:
    write_whole(path, json.dumps(data, indent=1), mode=0o600, sync_folder=True)


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """The operation in progress of one client (one per process: nested calls share it)."""

    def __init__(self, path: Path, command: str) -> None:
        self.path = path
        self.data: dict[str, Any] = {"command": command, "pid": os.getpid(), "step": "begin", "copies": []}

    @staticmethod
    def left(path: Path) -> dict[str, Any] | None:
        """What a killed command left, if anything."""
        if not os.path.lexists(path):
            return None
        try:
            return dict(json.loads(read_small_text(path)))
        except (UnreadableFile, ValueError, TypeError):  # not what _write_whole writes: nothing to finish
            return {"command": "?", "pid": 0, "step": "?", "copies": []}

    def step(self, name: str, **details: Any) -> None:
        """Note the step about to be taken (and what it needs to be finished or undone), durably."""
        self.data["step"] = name
        self.data.update(details)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _write_whole(self.path, self.data)
        if os.environ.get(CRASH_AT) == name:
            os.kill(os.getpid(), signal.SIGKILL)

    def copy(self, record: dict[str, Any]) -> None:
        self.data["copies"].append(record)

    def close(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
            _sync_dir(self.path.parent)


_active: dict[Path, Journal] = {}


def active(path: Path) -> Journal | None:
    return _active.get(path)


@contextlib.contextmanager
def keeping(path: Path, command: str) -> Iterator[Journal]:
    """The journal of one operation (the outer one's, when nested); removed when the outermost ends well."""
    outer = _active.get(path)
    if outer is not None:
        yield outer
        return
    journal = _active[path] = Journal(path, command)
    try:
        journal.step("begin")
        yield journal
        journal.close()
    finally:
        del _active[path]


# The client locks this process holds, by (lock file, thread): re-entrant in the thread that holds it; another
# thread of the process (the console runs each action on its own) waits on the kernel lock like any process.
_held: dict[tuple[Path, int], int] = {}


def lock_held(path: Path) -> bool:
    """Whether a command (in any process or thread) holds this client's lock now."""
    if any(held == path for held, _thread in list(_held)):
        return True
    try:
        with open(path, "a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(handle, fcntl.LOCK_UN)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False


@contextlib.contextmanager
def client_lock(path: Path, command: str, say: Callable[[str], None]) -> Iterator[bool]:
    """One command at a time per client (a kernel lock: a killed holder frees it). A second command says
    which one holds the lock and waits. Re-entrant within a process; yields whether this is the outermost."""
    mine = (path, threading.get_ident())
    if mine in _held:
        _held[mine] += 1
        try:
            yield False
        finally:
            _held[mine] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another command"
            say(f"waiting for {holder} to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"`{command}` (pid {os.getpid()})")
        handle.flush()
        _held[mine] = 1
        try:
            yield True
        finally:
            del _held[mine]
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
