"""A workspace: its clients' folders under ``compose/``, found, named and locked. What each client's folder
holds, and its state, is :mod:`provision.clients.record`'s (``Workspace.files(client)``).
"""

from __future__ import annotations

import contextlib
import difflib
import fcntl
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from provision.clients.record import ClientFiles
from provision.errors import InputError

CLIENT_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$|^[a-z0-9]$")
BUILTIN_CLIENTS = ("demo",)


def validate_client_name(name: str) -> str:
    if not CLIENT_NAME_RE.match(name):
        raise InputError(
            f"invalid client name {name!r}",
            fix="use 1-40 lowercase Latin letters, digits and dashes, e.g. 'vodokanal-ensk'",
        )
    return name


def resolve_workspace(option: str | Path | None = None) -> Path:
    """The workspace is ``--workspace``, else ``$PROVISION_HOME``, else the current folder."""
    raw = option or os.environ.get("PROVISION_HOME") or os.getcwd()
    return Path(raw).expanduser().resolve()


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def compose_root(self) -> Path:
        return self.root / "compose"

    def files(self, client: str) -> ClientFiles:
        """The paths of ``client``'s record, and its state (a wrong name refused here)."""
        return ClientFiles(self.compose_root, validate_client_name(client))

    def known_clients(self) -> list[str]:
        """Clients with a profile or state in this workspace, plus the built-in ones."""
        names = set(BUILTIN_CLIENTS)
        if self.compose_root.is_dir():
            for entry in self.compose_root.iterdir():
                if entry.is_dir() and CLIENT_NAME_RE.match(entry.name) and self.files(entry.name).has_record():
                    names.add(entry.name)
        return sorted(names)

    def has_profile(self, client: str) -> bool:
        return self.files(client).profile.is_file()

    def require_client(self, client: str) -> None:
        """Refuse a client that has neither a profile nor a built-in one, suggesting close names."""
        validate_client_name(client)
        if client in BUILTIN_CLIENTS or self.has_profile(client):
            return
        known = self.known_clients()
        close = difflib.get_close_matches(client, known, n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise InputError(
            f"unknown client {client!r}: no {self.files(client).profile}",
            fix=f"{hint}create it with `provision init {client}` (known: {', '.join(known)})",
        )

    @contextlib.contextmanager
    def lock(self, name: str = "workspace") -> Iterator[None]:
        """An advisory lock (released by the kernel if the process dies) for one workspace action."""
        self.compose_root.mkdir(parents=True, exist_ok=True)
        path = self.compose_root / f".{name}.lock"
        with open(path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
