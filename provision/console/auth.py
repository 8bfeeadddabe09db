"""The console's secrets and guards: a random password (owner-only, shown once), the key that signs the
session cookie and a CSRF token per session. Wrong passwords are answered by :mod:`.lockout`."""

from __future__ import annotations

import hmac
import os
import secrets
import stat
import tempfile
from pathlib import Path

from provision.clients.workspace import Workspace


def console_dir(workspace: Workspace) -> Path:
    """Where the console keeps its secrets: beside the clients, never a client's own folder."""
    return workspace.compose_root / ".console"


SHORTEST = 16  # a secret file holding less is damaged (a full disk, a copy cut short): made anew


def _secret(path: Path, make: str) -> tuple[str, bool]:
    """The secret in ``path`` (0600), made from ``make`` the first time; (it, whether just made). It is
    written to a file of its own and linked into place, so a reader never sees it half written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    if path.is_file():
        kept = path.read_text(encoding="ascii", errors="replace").strip()
        if len(kept) >= SHORTEST:
            if stat.S_IMODE(path.stat().st_mode) & 0o077:
                os.chmod(path, 0o600)
            return kept, False
        path.unlink()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:  # mkstemp makes it 0600
            handle.write(make + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:  # another console made it meanwhile: theirs stands
            return path.read_text(encoding="ascii").strip(), False
    finally:
        os.unlink(tmp)
    return make, True


def console_password(workspace: Workspace) -> tuple[str, bool, Path]:
    """The console password (made at the first start: the command shows it once), whether it is new, its file."""
    path = console_dir(workspace) / "password"
    password, made = _secret(path, secrets.token_urlsafe(18))
    return password, made, path


def session_key(workspace: Workspace) -> str:
    return _secret(console_dir(workspace) / "session.key", secrets.token_hex(32))[0]


def password_matches(given: str, password: str) -> bool:
    return len(password) >= SHORTEST and hmac.compare_digest(given.encode(), password.encode())


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def csrf_matches(given: str | None, expected: str | None) -> bool:
    return bool(given and expected) and hmac.compare_digest(str(given).encode(), str(expected).encode())
