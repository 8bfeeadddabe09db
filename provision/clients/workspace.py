"""Where a workspace keeps each client's profile, rendered files, secrets and state.

Layout (all under ``<workspace>/compose/<client>/``)::

    client.toml        the profile (input, written by ``provision init``)
    compose.yaml       rendered by ``provision render`` / ``up`` (output)
    secrets/           0700: postgres_password, seats.json (the seats' passwords),
                       anonymization.key (imports); each 0600
    state.json         choices made once and kept: the port picked for ``port = "auto"`` (until
                       ``destroy``), the image, the storage, the swarm node
    import/            0700: last-load.json and rejected.csv of the last ``provision import load``

Beside the clients, ``<workspace>/compose/.<name>.lock`` are the advisory lock files (training); the ports'
lock is machine-wide (:func:`provision.docker.ports.machine_lock`).
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

from provision.docker.ports import valid_port
from provision.errors import InputError
from seed.errors import UnreadableFile
from seed.infile import read_small

CLIENT_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$|^[a-z0-9]$")
BUILTIN_CLIENTS = ("demo",)
STATE_FIX = (
    "restore it, or delete it: provision writes it anew (the port and the image are chosen again; a client with "
    "clone storage or on a swarm then loses track of where its data is, so restore it for those)"
)
STATE_TEXT_FIELDS: dict[str, type] = {"node": str, "storage": dict}  # where the data is: refused, not guessed


def _holds_text(value: Any, wanted: type) -> bool:
    if wanted is dict:
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    return isinstance(value, str)


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
        """The choices kept for ``client``; a file that is not what provision writes is refused with its
        name (a bad kept port is not: it is only a cache of a pick, see :meth:`kept_port`)."""
        path = self.state_path(client)
        if not os.path.lexists(path):
            return {}
        try:
            data = json.loads(read_small(path))
        except UnreadableFile as exc:
            raise InputError(f"{path}: unreadable state (it {exc.reason})", fix=STATE_FIX) from None
        except (ValueError, RecursionError) as exc:
            raise InputError(f"{path}: unreadable state (not JSON: {str(exc)[:120]})", fix=STATE_FIX) from None
        if not isinstance(data, dict):
            raise InputError(
                f"{path}: holds a JSON {type(data).__name__}, not an object of kept choices", fix=STATE_FIX
            )
        for key, wanted in STATE_TEXT_FIELDS.items():
            if key in data and not _holds_text(data[key], wanted):
                raise InputError(f"{path}: {key} = {data[key]!r} is not {wanted.__name__} of text", fix=STATE_FIX)
        return data

    def kept_port(self, client: str) -> int | None:
        """The port picked for ``port = "auto"`` and kept; None when there is none, or when what is kept is
        no port (a cache of a pick: :meth:`bad_kept_port` says so and a new one is picked)."""
        port = self.read_state(client).get("port")
        return port if valid_port(port) else None

    def bad_kept_port(self, client: str) -> str | None:
        """A note when the kept port is no port (1-65535), so that a new pick is not a surprise."""
        state = self.read_state(client)
        if "port" not in state or valid_port(state["port"]):
            return None
        shown = repr(state["port"])
        shown = shown if len(shown) <= 40 else shown[:40] + "..."
        return f"{self.state_path(client)}: the kept port {shown} is no port (1-65535); another is picked"

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

    def forget_state(self, client: str, *keys: str) -> None:
        """Drop the given keys from the state as it is on disk now (``destroy``: the next ``up`` chooses again)."""
        state = self.read_state(client)
        if any(key in state for key in keys):
            self.write_state(client, {key: value for key, value in state.items() if key not in keys})

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
