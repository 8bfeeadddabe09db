"""Per-client secrets: a random password in a 0600 file, created once and never printed by default."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from provision.errors import EnvironmentProblem
from seed.errors import UnreadableFile
from seed.infile import read_small_text


def ensure_password(path: Path) -> str:
    """Return the password kept in ``path``, creating a random one (0600, folder 0700) the first time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    if not path.exists():
        password = secrets.token_urlsafe(24)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(password)
        return password
    if stat.S_IMODE(path.stat().st_mode) != 0o600:
        os.chmod(path, 0o600)
    return read_password(path)


def read_password(path: Path) -> str:
    if not os.path.lexists(path):
        raise EnvironmentProblem(
            f"{path} is missing: the client was never brought up here",
            fix="bring it up first (provision up CLIENT), or restore the file from a backup",
        )
    try:
        password = read_small_text(path, 4096).strip()
    except UnreadableFile as exc:
        raise EnvironmentProblem(
            f"cannot read the password file: {exc}",
            fix="run provision as the user who created the client, or restore the file",
        ) from None
    if not password:
        raise EnvironmentProblem(f"the password file {path} is empty", fix="restore it from a backup")
    return password
