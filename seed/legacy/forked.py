"""One piece of work in a forked child process, for the long files of an export.

Reading a legacy export is Python work bound to one core; the machine has more. A forked child inherits
everything read so far (accounts, meters, caches) without copying it, does its part, and sends back a
picklable result. A seed error comes back as the same exception (a file's line and reason, a mapping
problem), so the caller reports it as if it had done the work itself. Where fork does not exist, the
work runs in place when its result is asked for.

Fork only where no other thread runs yet (a forked child gets only the calling thread).
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from seed.errors import SeedError, WorkerFailed

T = TypeVar("T")


def _portable(exc: BaseException) -> SeedError:
    """What the parent raises: a seed error as it is (each pickles by itself), anything else as a
    WorkerFailed that names it."""
    if isinstance(exc, SeedError):
        return exc
    return WorkerFailed(f"{type(exc).__name__}: {exc}")


class Forked(Generic[T]):
    def __init__(self, work: Callable[[], T]) -> None:
        self.work = work
        self.pid = 0
        self.read_fd = -1
        if not hasattr(os, "fork"):
            return
        read_fd, write_fd = os.pipe()
        gc.freeze()  # what was read so far: the child's collector leaves it alone, so its pages stay shared
        pid = os.fork()
        if pid != 0:
            gc.unfreeze()
        if pid == 0:
            os.close(read_fd)
            code = 0
            try:
                try:
                    outcome: tuple[str, Any] = ("ok", work())
                except BaseException as exc:
                    outcome = ("error", _portable(exc))
                with os.fdopen(write_fd, "wb") as out:
                    pickle.dump(outcome, out)
            except BaseException:
                code = 1
            finally:
                os._exit(code)  # no atexit handlers, no flushing of the parent's buffers twice
        os.close(write_fd)
        self.pid, self.read_fd = pid, read_fd

    def result(self) -> T:
        if not self.pid:
            return self.work()
        with os.fdopen(self.read_fd, "rb") as source:
            data = source.read()
        os.waitpid(self.pid, 0)
        self.pid = 0
        if not data:
            raise WorkerFailed("the worker process died (out of memory?)")
        status, value = pickle.loads(data)
        if status == "error":
            raise value
        return value  # type: ignore[no-any-return]

    def abandon(self) -> None:
        if self.pid:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            os.close(self.read_fd)
            self.pid = 0
