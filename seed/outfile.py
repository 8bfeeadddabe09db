"""Writing a file a person named (`-o`, `--output`, `--html`, `--problems`): the one rule every command follows.

A regular file, or a path where nothing is yet, is written aside in its folder and renamed into place
once whole: a reader never sees half of it, and a write that fails leaves what was there. A symlink is
followed: the file it points to is replaced, the link stays a link. Anything else (a device such as
``/dev/null``, a FIFO, ``/dev/stdout``) is written in place: never renamed over, truncated or made a
regular file. A write that fails is one :class:`~seed.errors.OutputError` naming the file.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import secrets
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from seed.errors import OutputError

if TYPE_CHECKING:
    from typing_extensions import Buffer

PRIVATE_MODE = 0o600  # a file that carries what an export holds: its owner alone reads it
DESCRIPTORS = ("/proc/", "/dev/fd/")  # a path through these is an open file of a process (/dev/stdout)
OWN_DESCRIPTOR = re.compile(r"(?:/proc/(self|thread-self|\d+)(?:/task/\d+)?|/dev)/fd/(\d+)")
ANY_DESCRIPTOR = re.compile(r"(?:/proc/[^/]+(?:/task/\d+)?|/dev)/fd/\d+")
KERNEL_TREES = ("/proc", "/sys")  # the kernel's views of processes and devices: no place for a file
# File systems that hold no files of ours: the kernel's views, its control files, terminals.
PSEUDO_FILE_SYSTEMS = frozenset(
    {
        "proc", "sysfs", "cgroup", "cgroup2", "debugfs", "tracefs", "securityfs", "configfs", "pstore", "bpf",
        "efivarfs", "fusectl", "binfmt_misc", "mqueue", "devpts", "nsfs", "selinuxfs", "autofs", "rpc_pipefs",
        "hugetlbfs",
    }
)  # fmt: skip
MOUNTS = Path("/proc/self/mountinfo")


def _descriptor(path: Path) -> int | None:
    """Whether ``path``, link by link, passes through a process's open file (``/dev/stdout`` is a link to
    ``/proc/self/fd/1``): that file is the process's, to be written, never replaced. The number of this
    process's descriptor it names (written through a copy of it, so its offset is shared), -1 for
    another's, None when it does not."""
    at = Path(os.path.abspath(path))
    for _ in range(40):  # the kernel's own limit of links followed
        own = OWN_DESCRIPTOR.fullmatch(str(at))
        if own is not None and own.group(1) in ("self", "thread-self", str(os.getpid()), None):
            return int(own.group(2))
        if str(at).startswith(DESCRIPTORS):
            return -1
        if not at.is_symlink():
            return None
        at = Path(os.path.abspath(at.parent / os.readlink(at)))
    return None


def in_place(path: Path) -> bool:
    """Whether ``path`` is written where it is (a device, a FIFO, a process's open file) rather than
    aside and renamed into place (a regular file, or nothing yet)."""
    try:
        found = os.stat(path)
    except (OSError, ValueError):  # nothing there yet (or no way there: opening the file aside says why)
        return False
    return not stat.S_ISREG(found.st_mode) or _descriptor(path) is not None


def _file_system(path: Path) -> str | None:
    """The type of the file system ``path`` (resolved) is on, from the mount table; None when unknown."""
    try:
        table = MOUNTS.read_text(encoding="utf-8", errors="replace")
    except OSError:  # no /proc (not Linux): the kernel's trees are still known by name
        return None
    found, longest = None, -1
    for row in table.splitlines():
        fields, _, rest = row.partition(" - ")
        parts = fields.split()
        if len(parts) < 5 or not rest:
            continue
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), parts[4])  # \040 is a space
        inside = path == Path(point) or Path(point) in path.parents
        if inside and len(point) >= longest:  # the last mount over a point is the one seen
            found, longest = rest.split()[0], len(point)
    return found


def _open_file(path: Path) -> bool:
    """Whether ``path``, link by link, is a process's descriptor (/proc/PID/fd/N, /dev/fd/N), not any other
    name under /proc."""
    at = Path(os.path.abspath(path))
    for _ in range(40):
        if ANY_DESCRIPTOR.fullmatch(str(at)):
            return True
        if not at.is_symlink():
            return False
        at = Path(os.path.abspath(at.parent / os.readlink(at)))
    return False


def pseudo_place(path: Path) -> str | None:
    """Why ``path``, a file or folder to be made or written (followed to where it leads), is no place for
    what we write: inside /proc or /sys, or on another of the kernel's file systems (os.access says yes
    there to root, and a write fails half-way or changes the kernel's settings); None when it is not."""
    try:
        if _descriptor(path) is not None and _open_file(path):
            return None  # a process's open file (/dev/stdout is /proc/self/fd/1): written where it is
        real = Path(os.path.realpath(path))
    except (OSError, ValueError):  # a loop, a NUL: the caller's own checks name it
        return None
    for tree in KERNEL_TREES:
        if real == Path(tree) or Path(tree) in real.parents:
            return f"is inside {tree}, the kernel's view of the system: not a place for files"
    if real.exists() and not (real.is_file() or real.is_dir()):
        return None  # a device or a FIFO (a terminal in /dev/pts): written where it is, wherever it is
    existing = real
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    kind = _file_system(existing)
    if kind in PSEUDO_FILE_SYSTEMS:
        return f"is on a {kind} file system, the kernel's: not a place for files"
    return None


def refusal(path: Path) -> str | None:
    """Why ``path`` cannot be written, in a few words; None when it can. Checked before any work starts."""
    try:
        found: os.stat_result | None = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        found = None
    except OSError as exc:  # a loop of links, a name too long
        return f"cannot be reached ({exc.strerror})"
    except ValueError:
        return "is not a path: it holds a NUL character"
    pseudo = pseudo_place(path)
    if pseudo is not None:
        return pseudo
    if found is not None and stat.S_ISDIR(found.st_mode):
        return "is a folder"
    if found is not None and stat.S_ISBLK(found.st_mode):
        return "is a disk (a block device): writing there would destroy what it holds"
    if found is not None and stat.S_ISSOCK(found.st_mode):
        return "is a socket, not a file"
    if found is not None and in_place(path):
        return None if os.access(path, os.W_OK) else "not writable"
    target = Path(os.path.realpath(path))
    if not target.parent.is_dir():
        return f"no folder {target.parent if path.is_symlink() else path.parent}"
    if not os.access(target.parent, os.W_OK | os.X_OK) or (found is not None and not os.access(target, os.W_OK)):
        return "not writable"
    return None


class _Sink(io.RawIOBase):
    """An open file whose every failed write is an :class:`OutputError` naming the file the person gave."""

    def __init__(self, fd: int, shown: Path, seekable: bool) -> None:
        super().__init__()
        self.fd, self.shown, self._seekable, self.size = fd, shown, seekable, 0

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._seekable

    def fileno(self) -> int:
        return self.fd

    def write(self, data: Buffer, /) -> int:
        try:
            done = os.write(self.fd, data)
        except OSError as exc:
            raise OutputError(self.shown, exc.errno, exc.strerror or str(exc)) from None
        self.size += done
        return done

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if not self._seekable:
            raise io.UnsupportedOperation("seek")
        return os.lseek(self.fd, offset, whence)

    def tell(self) -> int:
        return self.seek(0, os.SEEK_CUR)

    def close(self) -> None:
        if not self.closed:
            try:
                os.close(self.fd)
            finally:
                super().close()


class OutputStream(io.BufferedWriter):
    """The stream :func:`output` gives: buffered binary writes, and the bytes written so far."""

    def __init__(self, sink: _Sink) -> None:
        super().__init__(sink, buffer_size=1 << 20)
        self.sink = sink

    @property
    def size(self) -> int:
        return self.sink.size


def _failed(path: Path, exc: OSError) -> OutputError:
    if isinstance(exc, OutputError):
        return exc
    return OutputError(path, exc.errno, exc.strerror or str(exc))


def _open_aside(target: Path, private: bool) -> tuple[int, Path]:
    """A new file beside ``target``, owner-only when ``private``; otherwise as a new file would be (the
    umask), or with the permissions of the file it replaces."""
    mode = PRIVATE_MODE
    if not private:
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            mode = 0o666
    for _ in range(100):  # a name of its own: two writes to one path at once never share, nor take the user's
        aside = target.with_name(f".{target.name}.{secrets.token_hex(4)}.new")
        try:
            fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
        except FileExistsError:
            continue
        if private or target.exists():
            os.fchmod(fd, mode)
        return fd, aside
    raise FileExistsError(errno.EEXIST, "no free name for a file aside", str(target.parent))


def _open_in_place(path: Path) -> int:
    """``path`` opened to be written where it is: a descriptor of this process copied (what was written
    to it before comes first), anything else opened to append, neither made nor truncated."""
    own = _descriptor(path)
    try:
        if own is not None and own >= 0:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(OSError, ValueError, AttributeError):
                    stream.flush()
            return os.dup(own)
        return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError as exc:
        raise _failed(path, exc) from None


@contextlib.contextmanager
def output(path: Path, *, private: bool = False) -> Iterator[OutputStream]:
    """A binary stream to ``path``, put in place when the block ends (see the module); a failure inside
    leaves what was at ``path``. ``private``: a file created or replaced is readable by its owner alone."""
    if in_place(path):
        fd = _open_in_place(path)
        out = OutputStream(_Sink(fd, path, seekable=False))
        try:
            yield out
            out.flush()
        finally:
            with contextlib.suppress(OSError, ValueError):
                out.close()
        return
    try:
        target = Path(os.path.realpath(path))
        fd, aside = _open_aside(target, private)
    except OSError as exc:
        raise _failed(path, exc) from None
    except ValueError:
        raise OutputError(path, None, "not a path: it holds a NUL character") from None
    out = OutputStream(_Sink(fd, path, seekable=True))
    try:
        yield out
        out.flush()
        try:
            os.fsync(fd)
            out.close()
            os.replace(aside, target)
        except OSError as exc:
            raise _failed(path, exc) from None
    finally:
        with contextlib.suppress(OSError, ValueError):
            out.close()
        aside.unlink(missing_ok=True)


@contextlib.contextmanager
def output_text(path: Path, *, private: bool = False, encoding: str = "utf-8") -> Iterator[TextIO]:
    """As :func:`output`, for text in ``encoding``; line ends are written as given."""
    with output(path, private=private) as out:
        text = io.TextIOWrapper(out, encoding=encoding, newline="")
        try:
            yield text
            text.flush()
        finally:
            with contextlib.suppress(OSError, ValueError):
                text.detach()


def write_output(path: Path, data: bytes, *, private: bool = False) -> int:
    """Write ``data`` to ``path`` as :func:`output` does; the bytes written."""
    with output(path, private=private) as out:
        out.write(data)
    return len(data)


def write_whole(path: Path, data: bytes | str, *, mode: int | None = None, sync_folder: bool = False) -> None:
    """Put ``data`` at ``path`` whole: the one atomic write of the project's own files (a state, a ledger,
    a journal), as :func:`output` does for a file a person named, but always by a rename (a link at
    ``path`` is replaced, not followed) and with the system's error as it is (an :class:`OSError`).

    The new content goes to a file aside with a name of its own (two writers never share one), is
    fsync'd, given ``mode`` (e.g. 0o600) when one is asked (else what the umask leaves of 0o666), and
    renamed over ``path``; a failure at any step leaves what was at ``path`` and no file aside.
    ``sync_folder``: the rename itself is made durable too (a journal that must survive a power cut)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    for _ in range(100):
        aside = path.with_name(f".{path.name}.{secrets.token_hex(4)}.new")
        try:
            fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
        except FileExistsError:
            continue
        break
    else:
        raise FileExistsError(errno.EEXIST, "no free name for a file aside", str(path.parent))
    try:
        try:
            if mode is not None:
                os.fchmod(fd, mode)
            view = memoryview(raw)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(aside, path)
    except BaseException:
        aside.unlink(missing_ok=True)
        raise
    if sync_folder:
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
