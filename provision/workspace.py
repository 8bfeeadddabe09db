"""Where a workspace keeps each client's profile, rendered files, secrets and state.

Layout (all under ``<workspace>/compose/<client>/``)::

    client.toml        the profile (input, written by ``provision init``)
    compose.yaml       rendered by ``provision render`` / ``up`` (output)
    secrets/           0700: postgres_password, seats.json (the seats' passwords),
                       anonymization.key (imports); each 0600
    state.json         choices made once and kept: the port picked for ``port = "auto"``, the image
    import/            0700: last-load.json and rejected.csv of the last ``provision import load``

Beside the clients, ``<workspace>/compose/.<name>.lock`` are the advisory lock files (ports, training).
"""

from __future__ import annotations

import contextlib
import difflib
import fcntl
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

    def client_dir(self, client: str) -> Path:
        return self.compose_root / validate_client_name(client)

    def profile_path(self, client: str) -> Path:
        return self.client_dir(client) / "client.toml"

    def compose_file(self, client: str) -> Path:
        return self.client_dir(client) / "compose.yaml"

    def secrets_dir(self, client: str) -> Path:
        return self.client_dir(client) / "secrets"

    def password_file(self, client: str) -> Path:
        return self.secrets_dir(client) / "postgres_password"

    def state_path(self, client: str) -> Path:
        return self.client_dir(client) / "state.json"

    def known_clients(self) -> list[str]:
        """Clients with a profile or state in this workspace, plus the built-in ones."""
        names = set(BUILTIN_CLIENTS)
        if self.compose_root.is_dir():
            for entry in self.compose_root.iterdir():
                if (
                    entry.is_dir()
                    and CLIENT_NAME_RE.match(entry.name)
                    and ((entry / "client.toml").exists() or (entry / "state.json").exists())
                ):
                    names.add(entry.name)
        return sorted(names)

    def has_profile(self, client: str) -> bool:
        return self.profile_path(client).is_file()

    def require_client(self, client: str) -> None:
        """Refuse a client that has neither a profile nor a built-in one, suggesting close names."""
        validate_client_name(client)
        if client in BUILTIN_CLIENTS or self.has_profile(client):
            return
        known = self.known_clients()
        close = difflib.get_close_matches(client, known, n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise InputError(
            f"unknown client {client!r}: no {self.profile_path(client)}",
            fix=f"{hint}create it with `provision init {client}` (known: {', '.join(known)})",
        )

    # -- state kept between runs -------------------------------------------------------------
    def read_state(self, client: str) -> dict[str, Any]:
        path = self.state_path(client)
        if not path.exists():
            return {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(
                f"{path}: unreadable state ({exc})", fix="delete the file; provision writes it anew"
            ) from exc
        return data if isinstance(data, dict) else {}

    def write_state(self, client: str, state: dict[str, Any]) -> None:
        path = self.state_path(client)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(path)

    def update_state(self, client: str, **changes: Any) -> None:
        """Read the state as it is on disk now, change the given keys, write it back."""
        state = self.read_state(client)
        if any(state.get(key) != value for key, value in changes.items()):
            self.write_state(client, {**state, **changes})

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
