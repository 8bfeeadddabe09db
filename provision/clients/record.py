"""A client's record on disk: every path of its folder (:class:`ClientFiles`) and the choices kept between
runs (:class:`ClientState`). No other module spells a file's name or a state key; they ask these.

Layout (all under ``<workspace>/compose/<client>/``)::

    client.toml        the profile (input, written by ``provision init``)
    compose.yaml       rendered by ``provision render`` / ``up`` (output)
    stack.yaml         the same for a client on a swarm (``[docker] swarm = true``)
    secrets/           0700: postgres_password, seats.json (the seats' passwords), seat-links.json (the
                       trainees' links), anonymization.key (imports); each 0600
    state.json         choices made once and kept: the port picked for ``port = "auto"`` (until
                       ``destroy``), the image, the storage, the swarm node
    import/            0700: last-load.json and rejected.csv of the last ``provision import load``
    switchover/        0700: the reports of the switch-overs rehearsed or run (<mode>-<YYYY-MM>.json),
                       last.json (a copy of the last), pending-run.json (a run's note before its
                       switch-in), <mode>-rejected.csv (the rows left out)
    agents/            the client's own formats of payment agents' registries
    storage/           a clone storage's XFS file and its mount point (when it is kept here)
    resets.json        when each database was last reset
    journal.json       the copy or swap in progress (:mod:`provision.training.journal`)

Beside the clients, ``<workspace>/compose/.<name>.lock`` are the advisory lock files (training:
``.training-<client>.lock``); the ports' lock is machine-wide (:func:`provision.docker.ports.machine_lock`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from provision.docker.ports import valid_port
from provision.errors import InputError
from seed.errors import UnreadableFile
from seed.infile import read_small
from seed.outfile import write_whole

StateKey = Literal["port", "image", "storage", "node"]
STATE_KEYS: tuple[StateKey, ...] = ("port", "image", "storage", "node")
STATE_FIX = (
    "restore it, or delete it: provision writes it anew (the port and the image are chosen again; a client with "
    "clone storage or on a swarm then loses track of where its data is, so restore it for those)"
)
STATE_TEXT_FIELDS: dict[str, type] = {"node": str, "storage": dict}  # where the data is: refused, not guessed


def _holds_text(value: Any, wanted: type) -> bool:
    if wanted is dict:
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    return isinstance(value, str)


@dataclass(frozen=True)
class ClientFiles:
    """The paths of one client of one workspace (``root`` is the workspace's ``compose/`` folder)."""

    root: Path
    client: str

    @property
    def directory(self) -> Path:
        """The client's folder: everything below is the client's."""
        return self.root / self.client

    @property
    def profile(self) -> Path:
        """The profile, ``client.toml``: the one input a person writes."""
        return self.directory / "client.toml"

    @property
    def compose(self) -> Path:
        """The rendered compose file (an output, written anew by each render)."""
        return self.directory / "compose.yaml"

    @property
    def stack(self) -> Path:
        """The rendered stack file of a client on a swarm."""
        return self.directory / "stack.yaml"

    @property
    def secrets(self) -> Path:
        """The owner-only folder of the client's secrets."""
        return self.directory / "secrets"

    @property
    def password(self) -> Path:
        """The database owner's password (made once; the data volume is made with it)."""
        return self.secrets / "postgres_password"

    @property
    def seat_passwords(self) -> Path:
        """The trainees' seats' passwords."""
        return self.secrets / "seats.json"

    @property
    def seat_links(self) -> Path:
        """The trainees' sign-in links the console made, by token."""
        return self.secrets / "seat-links.json"

    @property
    def anonymization_key(self) -> Path:
        """The key of the client's pseudonyms (imports); lost, every pseudonym changes."""
        return self.secrets / "anonymization.key"

    @property
    def state(self) -> Path:
        """The choices kept between runs (:class:`ClientState`)."""
        return self.directory / "state.json"

    @property
    def imports(self) -> Path:
        """The owner-only folder of the last import's reports."""
        return self.directory / "import"

    @property
    def last_load(self) -> Path:
        """The last ``import load``'s report."""
        return self.imports / "last-load.json"

    @property
    def rejected_rows(self) -> Path:
        """The rows the last ``import load`` left out."""
        return self.imports / "rejected.csv"

    @property
    def switchovers(self) -> Path:
        """The folder of the switch-overs' reports."""
        return self.directory / "switchover"

    @property
    def last_switchover(self) -> Path:
        """A copy of the last switch-over's report (rehearsed or run), what ``switchover status`` shows."""
        return self.switchovers / "last.json"

    @property
    def pending_switchover(self) -> Path:
        """The report a run notes just before its switch-in; settled into the last one when found in."""
        return self.switchovers / "pending-run.json"

    def switchover_report(self, mode: str, month: str) -> Path:
        """A switch-over's report: ``mode`` is ``rehearsal`` or ``run``, ``month`` the closed one (YYYY-MM)."""
        return self.switchovers / f"{mode}-{month}.json"

    def switchover_rejected(self, mode: str) -> Path:
        """The rows a switch-over of ``mode`` left out."""
        return self.switchovers / f"{mode}-rejected.csv"

    @property
    def agents(self) -> Path:
        """The client's own formats of agents' registries."""
        return self.directory / "agents"

    @property
    def lessons(self) -> Path:
        """The client's own lesson files (beside the built-in ones)."""
        return self.directory / "lessons"

    @property
    def lesson(self) -> Path:
        """The running lesson: its file, each seat's drawn values, the tasks done, the trainees' names."""
        return self.directory / "lesson.json"

    @property
    def storage(self) -> Path:
        """Where a clone storage keeps its file and mount point when nothing else is said."""
        return self.directory / "storage"

    @property
    def resets(self) -> Path:
        """When each of the client's databases was last reset."""
        return self.directory / "resets.json"

    @property
    def journal(self) -> Path:
        """The copy or swap in progress."""
        return self.directory / "journal.json"

    @property
    def training_lock(self) -> Path:
        """The client's lock (beside the clients' folders, so removing a folder never removes a held lock)."""
        return self.root / f".training-{self.client}.lock"

    def has_record(self) -> bool:
        """Whether the folder holds a profile or a state (what makes a client known)."""
        return self.profile.exists() or self.state.exists()

    # -- the state kept between runs ------------------------------------------------------------
    def read_state(self) -> ClientState:
        """The choices kept for the client; a file that is not what provision writes is refused with its
        name (a bad kept port is not: it is only a cache of a pick, see :attr:`ClientState.bad_port`)."""
        path = self.state
        if not os.path.lexists(path):
            return ClientState()
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
        return ClientState.of(data)

    def change_state(self, forget: tuple[StateKey, ...] = (), **keep: Any) -> ClientState:
        """The one write of the state: read it as it is on disk now, keep the given fields (``port=``,
        ``image=``, ``storage=``, ``node=``), drop those in ``forget`` (``destroy``: the next ``up`` chooses
        again) and write it back whole, only if that changes anything. Returns the state as written."""
        unknown = [key for key in (*keep, *forget) if key not in STATE_KEYS]
        if unknown:
            raise TypeError(f"no such field of a client's state: {', '.join(unknown)}")
        raw = self.read_state().raw
        new = {key: value for key, value in {**raw, **keep}.items() if key not in forget}
        if new != raw:
            self.state.parent.mkdir(parents=True, exist_ok=True)
            write_whole(self.state, json.dumps(new, indent=2, sort_keys=True) + "\n")
        return ClientState.of(new)


@dataclass(frozen=True)
class ClientState:
    """What ``state.json`` keeps, typed. A kept port that is no port reads as none (a new one is picked:
    :attr:`bad_port` says so); an image that is no text as none; ``raw`` is the file as read, so a write
    keeps what it does not change exactly as it was."""

    port: int | None = None
    image: str | None = None
    storage: dict[str, str] | None = None
    node: str | None = None
    bad_port: str | None = None  # the kept port's repr (shortened) when it is no port (1-65535)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def brought_up(self) -> bool:
        """Whether an image was ever kept: the client was brought up (before storages were chosen, too)."""
        return bool(self.raw.get("image"))

    @classmethod
    def of(cls, data: dict[str, Any]) -> ClientState:
        port, image, storage, node = (data.get(key) for key in STATE_KEYS)
        bad = None
        if "port" in data and not valid_port(port):
            bad = repr(port)
            bad = bad if len(bad) <= 40 else bad[:40] + "..."
        return cls(
            port=port if valid_port(port) else None,
            image=image if isinstance(image, str) else None,
            storage=dict(storage) if isinstance(storage, dict) else None,
            node=node if isinstance(node, str) else None,
            bad_port=bad,
            raw=dict(data),
        )
