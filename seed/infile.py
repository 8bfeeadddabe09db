"""Reading a small file a person may have put anything at (a profile, a mapping, an agent's format, an accept
file, a client's kept state or password): the one rule every reader follows.

What is there is asked before it is opened: opening a FIFO waits for a writer, and a device such as
``/dev/zero`` never ends, so either would hang the command or fill its memory. A regular file (a symlink is
followed) is read up to a limit; anything else, or more than the limit, is one :class:`UnreadableFile`
naming the path and what it is.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from seed.errors import UnreadableFile

SMALL = 1024 * 1024  # a profile, a mapping, a state: pages of text; a larger one is something else


def not_a_file(path: Path) -> str | None:
    """Why ``path`` cannot be read as a file (missing, a folder, a FIFO, a device, a symlink loop), or None."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    except ValueError:
        return "is not a path: it holds a NUL character"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (a named pipe), not a file"
    return "is a device or a socket, not a file"


def read_small(path: Path, limit: int = SMALL) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them; :class:`UnreadableFile` else."""
    why = not_a_file(path)
    if why is not None:
        raise UnreadableFile(path, why)
    try:
        # O_NONBLOCK: should a FIFO take the file's place after the check, opening it does not wait
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise UnreadableFile(path, f"cannot be read ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise UnreadableFile(path, "is no longer a regular file")
        try:
            held = handle.read(limit + 1)
        except OSError as exc:
            raise UnreadableFile(path, f"cannot be read ({exc.strerror})") from None
    if len(held) > limit:
        raise UnreadableFile(path, f"is over {limit // 1024} KB: not the small text file expected here")
    return held


def read_small_text(path: Path, limit: int = SMALL) -> str:
    """As :func:`read_small`, decoded as UTF-8 (a BOM dropped); :class:`UnreadableFile` when it is not."""
    data = read_small(path, limit)
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(path, f"is not UTF-8 text (byte {exc.start})") from None
