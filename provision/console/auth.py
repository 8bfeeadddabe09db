"""The console's secrets and guards: a random password (owner-only, shown once), the key that signs the
session cookie, a CSRF token per session, and a lock-out after repeated wrong passwords."""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from provision.workspace import Workspace

FAILURES = 5  # wrong passwords from one address ...
WINDOW = 600.0  # ... within this many seconds ...
LOCKED_FOR = 300.0  # ... lock it out for this long


def console_dir(workspace: Workspace) -> Path:
    """Where the console keeps its secrets: beside the clients, never a client's own folder."""
    return workspace.compose_root / ".console"


def _secret(path: Path, make: str) -> tuple[str, bool]:
    """The secret in ``path`` (0600), made from ``make`` the first time; (it, whether just made)."""
    if path.is_file():
        return path.read_text(encoding="ascii").strip(), False
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another console made it meanwhile
        return path.read_text(encoding="ascii").strip(), False
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(make + "\n")
    return make, True


def console_password(workspace: Workspace) -> tuple[str, bool, Path]:
    """The console password (made at the first start: the command shows it once), whether it is new, its file."""
    path = console_dir(workspace) / "password"
    password, made = _secret(path, secrets.token_urlsafe(12))
    return password, made, path


def session_key(workspace: Workspace) -> str:
    return _secret(console_dir(workspace) / "session.key", secrets.token_hex(32))[0]


def password_matches(given: str, password: str) -> bool:
    return hmac.compare_digest(given.encode(), password.encode())


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def csrf_matches(given: str | None, expected: str | None) -> bool:
    return bool(given and expected) and hmac.compare_digest(str(given).encode(), str(expected).encode())


@dataclass
class Lockout:
    """Wrong passwords per address; an address with too many in a while is refused for a while."""

    failures: dict[str, deque[float]] = field(default_factory=dict)
    locked_until: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def locked(self, address: str) -> float:
        """Seconds the address must still wait (0: it may try)."""
        with self._lock:
            return max(0.0, self.locked_until.get(address, 0.0) - time.monotonic())

    def failed(self, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            seen = self.failures.setdefault(address, deque())
            seen.append(now)
            while seen and seen[0] < now - WINDOW:
                seen.popleft()
            if len(seen) >= FAILURES:
                self.locked_until[address] = now + LOCKED_FOR
                seen.clear()

    def succeeded(self, address: str) -> None:
        with self._lock:
            self.failures.pop(address, None)
