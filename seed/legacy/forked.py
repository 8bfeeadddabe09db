"""One piece of work in a forked child process, for the long files of an export.

Reading a legacy export is Python work bound to one core; the machine has more. A forked child inherits
everything read so far (accounts, meters, caches) without copying it, does its part, and sends back a
picklable result. A seed error comes back as the same exception (a file's line and reason, a mapping
problem), so the caller reports it as if it had done the work itself. Where fork does not exist, the
work runs in place when its result is asked for.

Fork only where no other thread runs yet (a forked child gets only the calling thread).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import pickle
import signal
import sys
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


PR_SET_PDEATHSIG = 1


def die_with(parent: int) -> None:
    """In a forked child: be killed when the parent dies (even by SIGKILL), rather than live on as an
    orphan holding the parent's connections and locks (Linux; elsewhere nothing)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


class Forked(Generic[T]):
    def __init__(self, work: Callable[[], T]) -> None:
        self.work = work
        self.pid = 0
        self.read_fd = -1
        if not hasattr(os, "fork"):
            return
        read_fd, write_fd = os.pipe()
        gc.freeze()  # what was read so far: the child's collector leaves it alone, so its pages stay shared
        parent = os.getpid()
        pid = os.fork()
        if pid != 0:
            gc.unfreeze()
        if pid == 0:
            os.close(read_fd)
            die_with(parent)
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
