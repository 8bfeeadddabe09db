"""Where a client's data lives, and so how its databases are copied.

``copy``: a Docker volume (or a folder the profile names); a reset copies every byte of the baseline.
``clone``: the data lives on a copy-on-write file system (XFS with reflink, or Btrfs) and the server runs
with PostgreSQL 18's ``file_copy_method = clone``: ``CREATE DATABASE ... STRATEGY FILE_COPY`` then shares
the files' extents instead of copying them, so a reset takes the same time whatever the size and a seat
costs only what its trainee writes. The file system is a folder the user names (``data_dir``, checked
with a real clone of a test file) or, when none is named, an XFS file this module makes, formats with
reflink and loop-mounts under the client's folder (root only).

The choice is made once, when the client is first brought up or rendered, and kept in its state: the
data cannot move between storages without a new data volume.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provision.clients.profile import CLONE_MAJOR, Profile, data_size_bytes
from provision.clients.record import ClientState
from provision.clients.workspace import Workspace
from provision.errors import EnvironmentProblem, OperationFailed, ProfileError

FICLONE = 0x40049409  # linux/fs.h: _IOW(0x94, 9, int)
IMAGE_NAME = "data.xfs"
MOUNT_NAME = "mnt"
# The data folder lies inside the mount: absent when the file system is not mounted, so Docker cannot
# start the database on an empty folder (after a reboot, before `up` mounts the file again).
DATA_NAME = "pgdata"
EMPTY_USED = "empty-used"  # what the new file system itself took, so that `status` shows the data's share
MIN_IMAGE = 2 * 1024**3
DEFAULT_IMAGE = 64 * 1024**3


@dataclass(frozen=True)
class Storage:
    """A client's storage: ``method`` copy or clone; ``kind`` volume (Docker's), folder (the profile's
    data_dir) or image (an XFS file provision made and mounts)."""

    method: str
    kind: str
    root: Path | None = None  # folder: data_dir; image: the client's storage folder (image file, mount point)
    data: Path | None = None  # the folder bound as PGDATA (None: a Docker volume)

    @property
    def image_file(self) -> Path | None:
        return self.root / IMAGE_NAME if self.kind == "image" and self.root else None

    @property
    def mount_point(self) -> Path | None:
        return self.root / MOUNT_NAME if self.kind == "image" and self.root else None

    def describe(self) -> str:
        if self.kind == "image":
            return f"{self.method}: XFS file {self.image_file} (reflink), mounted at {self.mount_point}"
        if self.kind == "folder":
            return f"{self.method}: folder {self.data}"
        return f"{self.method}: Docker volume"

    def holder(self) -> str:
        """What holds the data, in a few words: for `destroy` to say what it removed."""
        if self.kind == "image":
            return f"data file {self.image_file}"
        return f"data folder {self.data}" if self.kind == "folder" else "data volume"

    def record(self) -> dict[str, Any]:
        """What the client's state keeps of it (:func:`_recorded` reads it back)."""
        kept = {"method": self.method, "kind": self.kind, "root": str(self.root) if self.root else ""}
        if self.kind == "folder":
            kept["data"] = str(self.data)
        return kept


# -- what the machine offers ----------------------------------------------------------------------
def _unescape(field: str) -> str:
    return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def mounts() -> list[tuple[str, str, str]]:
    """(mount point, file system type, source) of every mount this process sees."""
    found = []
    try:
        text = Path("/proc/self/mountinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    for line in text.splitlines():
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) >= 5 and len(tail) >= 2:
            found.append((_unescape(fields[4]), tail[0], _unescape(tail[1])))
    return found


def is_mounted(path: Path) -> bool:
    target = os.path.realpath(path)
    return any(point == target for point, _, _ in mounts())


def fs_type(path: Path) -> str:
    """The type of the file system holding ``path`` (the longest mount point above it)."""
    target = os.path.realpath(path)
    best, kind = "", "unknown"
    for point, fstype, _ in mounts():
        if (target == point or target.startswith(point.rstrip("/") + "/")) and len(point) >= len(best):
            best, kind = point, fstype
    return kind


def reflink_problem(folder: Path) -> str | None:
    """None when files in ``folder`` can be cloned (a real FICLONE of a test file); else why not."""
    try:
        with tempfile.TemporaryDirectory(dir=folder, prefix=".provision-reflink-") as tmp:
            source, clone = Path(tmp) / "source", Path(tmp) / "clone"
            source.write_bytes(os.urandom(64 * 1024))
            with open(source, "rb") as src, open(clone, "wb") as dst:
                fcntl.ioctl(dst.fileno(), FICLONE, src.fileno())
            if clone.read_bytes() != source.read_bytes():
                return "a cloned test file differs from its source"
    except OSError as exc:
        return f"{fs_type(folder)} cannot clone files there ({exc.strerror or exc})"
    return None


def loop_problem() -> str | None:
    """None when this process can make and mount an XFS file; else why not."""
    if os.geteuid() != 0:
        return "mounting a file system needs root"
    if shutil.which("mkfs.xfs") is None:
        return "mkfs.xfs is not installed (Debian's xfsprogs)"
    if not Path("/dev/loop-control").exists():
        return "this machine has no loop devices (/dev/loop-control)"
    if "xfs" not in Path("/proc/filesystems").read_text(encoding="utf-8", errors="replace"):
        return "this kernel does not offer XFS"
    return None


CLONE_FIX = (
    "name a folder on XFS (reflink) or Btrfs in postgres.data_dir, run as root so provision can make one, "
    'or set postgres.storage = "copy"'
)


# -- the choice, made once -------------------------------------------------------------------------
def data_dir_of(profile: Profile) -> Path | None:
    if not profile.data_dir:
        return None
    path = Path(profile.data_dir).expanduser()
    if not path.is_absolute() and profile.source is not None:
        path = profile.source.parent / path
    return Path(os.path.abspath(path))


def _build(method: str, profile: Profile, workspace: Workspace, project: str) -> Storage:
    data_dir = data_dir_of(profile)
    if data_dir is not None:
        return Storage(method, "folder", data_dir, data_dir / project)
    if method == "clone":
        root = workspace.files(profile.client).storage
        return Storage(method, "image", root, root / MOUNT_NAME / DATA_NAME)
    return Storage(method, "volume")


def _clone_possible(profile: Profile) -> str | None:
    """None when a clone storage can be had for this profile; else why not."""
    if profile.major < CLONE_MAJOR:
        return f"PostgreSQL {profile.major} has no file_copy_method = clone (it came in {CLONE_MAJOR})"
    data_dir = data_dir_of(profile)
    if data_dir is None:
        return loop_problem()
    probe = data_dir
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return reflink_problem(probe)


def _recorded(state: ClientState) -> Storage | None:
    record = state.storage
    if record is not None and record.get("method") in ("copy", "clone"):
        root = Path(record["root"]) if record.get("root") else None
        kind = str(record.get("kind", "volume"))
        data = None
        if kind == "image" and root is not None:
            data = root / MOUNT_NAME / DATA_NAME
        elif kind == "folder" and root is not None:
            data = Path(str(record.get("data") or ""))
        return Storage(str(record["method"]), kind, root, data)
    if state.brought_up:  # brought up before storages were chosen: its data is in a Docker volume
        return Storage("copy", "volume")
    return None


def plan(workspace: Workspace, profile: Profile, project: str, state: ClientState, *, decide: bool) -> Storage:
    """The client's storage: the one kept in its ``state``, else (``decide``) chosen now and kept.

    Without ``decide`` (showing a client) nothing is probed or written: a client not yet brought up
    shows what its profile asks, "auto" read as copy."""
    kept = _recorded(state)
    if kept is not None:
        _check_unchanged(profile, kept)
        return kept
    if not decide:
        return _build("clone" if profile.storage == "clone" else "copy", profile, workspace, project)
    if profile.storage == "clone":
        problem = _clone_possible(profile)
        if problem:
            raise EnvironmentProblem(
                f'{profile.where}: postgres.storage = "clone" cannot be had: {problem}', fix=CLONE_FIX
            )
        method = "clone"
    elif profile.storage == "auto" and not profile.docker.remote:  # an XFS file is made on this machine only
        method = "clone" if _clone_possible(profile) is None else "copy"
    else:
        method = "copy"
    chosen = _build(method, profile, workspace, project)
    workspace.files(profile.client).change_state(storage=chosen.record())
    return chosen


def _check_unchanged(profile: Profile, kept: Storage) -> None:
    wanted_dir = data_dir_of(profile)
    moved = (kept.kind == "folder") != (wanted_dir is not None) or (
        kept.kind == "folder" and wanted_dir is not None and kept.root != wanted_dir
    )
    switched = profile.storage != "auto" and profile.storage != kept.method
    if moved or switched:
        asked = f'storage = "{profile.storage}"' + (f", data_dir = {str(wanted_dir)!r}" if wanted_dir else "")
        raise ProfileError(
            f"{profile.where}: client {profile.client!r} keeps its data on {kept.describe()}; the profile asks {asked}",
            fix=f"a client's storage is chosen when it is first brought up: put the profile back, or move the data "
            f"(`provision snapshot save` does not carry it: dump it) and `provision destroy {profile.client}` "
            f"to start over on the new storage",
        )


# -- making it ready, and removing it --------------------------------------------------------------
def _run(cmd: list[str], what: str) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise OperationFailed(
            f"{what} failed (exit {done.returncode})",
            fix="see the output below",
            details=(done.stderr or done.stdout).strip()[-2000:],
        )


def image_size(profile: Profile, folder: Path) -> int:
    """The XFS file's size: the profile's data_size, or 64 GiB (sparse: it takes only what is written),
    at most 80% of the free space where it lives, so that PostgreSQL sees a full disk before the host does."""
    if profile.data_size:
        return data_size_bytes(profile.data_size)
    free = shutil.disk_usage(folder).free
    size = min(DEFAULT_IMAGE, free * 4 // 5)
    if size < MIN_IMAGE:
        raise EnvironmentProblem(
            f"{folder}: {free // 1024**2} MB free, too little for a client's data file",
            fix='free some space, or set postgres.storage = "copy"',
        )
    return size // (1024**2) * 1024**2


def ensure(storage: Storage, profile: Profile, say: Callable[[str], None] | None = None) -> None:
    """Make the storage ready to bind: the folder exists, or the XFS file exists, is mounted and holds the
    data folder. Every step may be repeated, so a kill between two is finished by the next call."""
    if storage.data is None:
        return
    if storage.kind == "folder":
        storage.data.mkdir(parents=True, exist_ok=True, mode=0o700)
        if storage.method == "clone":
            problem = reflink_problem(storage.data)
            if problem:
                raise EnvironmentProblem(f"{storage.data}: {problem}", fix=CLONE_FIX)
        return
    image, mount_point = storage.image_file, storage.mount_point
    if image is None or mount_point is None or storage.root is None:
        return
    made = False
    if not is_mounted(mount_point):
        problem = loop_problem()
        if problem:
            raise EnvironmentProblem(
                f"client {profile.client!r} keeps its data in {image}: {problem}",
                fix="run provision as root (the file is mounted once per boot)",
            )
        storage.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not image.exists():
            partial = image.with_name(image.name + ".partial")
            partial.unlink(missing_ok=True)
            size = image_size(profile, storage.root)
            if say:
                say(f"making the copy-on-write data file {image} (XFS, reflink, {size // 1024**3} GiB sparse)")
            with open(partial, "wb") as handle:
                handle.truncate(size)
            _run(["mkfs.xfs", "-q", "-m", "reflink=1", "-L", "provision", str(partial)], f"mkfs.xfs of {partial}")
            partial.replace(image)
            made = True
        mount_point.mkdir(exist_ok=True, mode=0o700)
        if say:
            say(f"mounting {image} at {mount_point}")
        _run(["mount", "-o", "loop,discard,noatime", str(image), str(mount_point)], f"mounting {image}")
    baseline = storage.root / EMPTY_USED
    if made or not baseline.exists() and not storage.data.exists():
        baseline.write_text(str(_used(mount_point)), encoding="utf-8")  # the empty file system's own metadata
    storage.data.mkdir(exist_ok=True, mode=0o700)


def remove(storage: Storage) -> None:
    """Delete the client's data on its storage (after its containers are gone): the folder, or the XFS
    file after unmounting it. A kill in between is finished by the next call."""
    if storage.data is None or storage.root is None:
        return
    if storage.kind == "folder":
        shutil.rmtree(storage.data, ignore_errors=True)
        return
    mount_point, image = storage.mount_point, storage.image_file
    if mount_point is None or image is None:
        return
    if is_mounted(mount_point):
        _run(["umount", str(mount_point)], f"unmounting {mount_point}")
    image.unlink(missing_ok=True)
    (storage.root / EMPTY_USED).unlink(missing_ok=True)
    image.with_name(image.name + ".partial").unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        mount_point.rmdir()
    with contextlib.suppress(OSError):
        storage.root.rmdir()


# -- how much it takes -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Usage:
    apparent_bytes: int  # every file's size: what the copies would take on a file system without sharing
    real_bytes: int | None  # the blocks the data takes (extents shared by clones counted once); None: unknown


def _apparent(folder: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


def usage(storage: Storage) -> Usage | None:
    """Apparent and real size of a client's data on a folder or an XFS file; None for a Docker volume."""
    if storage.data is None or not storage.data.is_dir():
        return None
    apparent = _apparent(storage.data)
    real = None
    if storage.kind == "image" and storage.mount_point is not None and is_mounted(storage.mount_point):
        try:
            empty = int((storage.root or Path()).joinpath(EMPTY_USED).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            empty = 0
        real = max(_used(storage.mount_point) - empty, 0)
    return Usage(apparent, real)


def _used(mount_point: Path) -> int:
    stats = os.statvfs(mount_point)
    return (stats.f_blocks - stats.f_bfree) * stats.f_frsize
