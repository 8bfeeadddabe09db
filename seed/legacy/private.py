"""Files that carry what an export holds (rows left out, reports): readable by their owner alone, in a
folder only the owner may enter, and put in place whole, so a reader never sees half of one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO, TextIO

from seed.outfile import PRIVATE_MODE, output_text

FILE_MODE = PRIVATE_MODE
FOLDER_MODE = 0o700


def private_folder(folder: Path) -> Path:
    """A folder of our own for such files, made (or narrowed to) owner only."""
    folder.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    os.chmod(folder, FOLDER_MODE)
    return folder


def open_private(path: Path) -> TextIO:
    """A new or emptied UTF-8 text file that only its owner can read (an existing one is narrowed too)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


def open_private_bytes(path: Path) -> BinaryIO:
    """As :func:`open_private`, for a binary file (a spreadsheet)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return os.fdopen(fd, "wb")


def aside(path: Path) -> Path:
    """Where the next version of a file waits until what makes it is committed (the rows a load leaves out,
    beside the last load's list until the new load commits)."""
    return path.with_name(path.name + ".new")


def write_private(path: Path, text: str) -> None:
    """Write a file owner-only and whole (:func:`seed.outfile.output`: aside first, then in its place in one
    rename; a device or a FIFO a person named is written in place). A new folder for it is made
    owner-only; an existing one is left as it is."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=FOLDER_MODE)
    with output_text(path, private=True) as out:
        out.write(text)
