"""The running lesson's record (``lesson.json`` in the client's folder): which lesson, each seat's drawn
values (typed, so a check or a seat's setup binds them as the start did), the tasks seen done and when, the
trainees' names.

Below :mod:`seats` (a reset during a lesson asks it where each seat starts) and :mod:`classwork` (which
writes it). Every change is a read-modify-write under the record's own lock, written whole by a rename.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from provision.clients.render import ClientEnv
from provision.errors import InputError
from provision.training.lessons import Drawn, Lesson, read_lesson
from seed.errors import UnreadableFile
from seed.infile import read_small
from seed.outfile import write_whole

FIX = "stop the lesson (`provision lesson stop CLIENT`) and start it again"


@dataclass
class Running:
    """A lesson running on a client's seats."""

    id: str  # this start's, so a kill's repair tells its own copies from a lesson that runs
    lesson: str  # its name
    file: str  # the lesson file it was started from
    started: str  # ISO time
    seats: int
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # seat -> name -> encoded value
    done: dict[str, dict[str, str]] = field(default_factory=dict)  # seat -> task -> when first seen done
    names: dict[str, str] = field(default_factory=dict)  # seat -> the trainee's name

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True)


def path_of(env: ClientEnv) -> Path:
    return env.files.lesson


def read(env: ClientEnv) -> Running | None:
    """The running lesson, or None."""
    path = path_of(env)
    if not os.path.lexists(path):
        return None
    try:
        data = json.loads(read_small(path))
        return Running(**data)
    except UnreadableFile as exc:
        raise InputError(f"{path}: unreadable lesson record (it {exc.reason})", fix=FIX) from None
    except (ValueError, TypeError) as exc:
        raise InputError(f"{path}: not a lesson record ({str(exc)[:120]})", fix=FIX) from None


def write(env: ClientEnv, running: Running) -> None:
    with _locked(env):
        _write(env, running)


def _write(env: ClientEnv, running: Running) -> None:
    write_whole(path_of(env), running.to_json(), sync_folder=True)


def settle(env: ClientEnv, record: dict[str, Any]) -> None:
    """A start's record (as its journal kept it), written unless it is there already: what the repair of a
    start killed during its swap finishes with."""
    running = Running(**record)
    with _locked(env):
        current = None
        with contextlib.suppress(InputError):
            current = read(env)
        if current is None or current.id != running.id:
            _write(env, running)


def remove(env: ClientEnv) -> None:
    """The record gone, whatever it holds (a damaged one too)."""
    with _locked(env), contextlib.suppress(FileNotFoundError):
        path_of(env).unlink()


@contextlib.contextmanager
def _locked(env: ClientEnv) -> Iterator[None]:
    """The record's lock: every change of it is made under it, so none is lost to another."""
    lock = path_of(env).with_suffix(".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


@contextlib.contextmanager
def changing(env: ClientEnv) -> Iterator[Running | None]:
    """The running lesson for a change (written back after the block when it was not None); under the
    record's lock, so two checks of a class never lose each other's ticks."""
    with _locked(env):
        running = read(env)
        before = running.to_json() if running else None
        yield running
        if running is not None and running.to_json() != before:
            _write(env, running)


def seat_setups(env: ClientEnv) -> dict[int, tuple[Lesson, Drawn]]:
    """What a reset of each seat in a running lesson applies again after the baseline's copy (the seat's
    start): the lesson and the seat's values; none without a lesson."""
    running = read(env)
    if running is None:
        return {}
    lesson = read_lesson(Path(running.file))
    return {int(k): (lesson, drawn_of(running, int(k))) for k in running.values}


def drawn_of(running: Running, seat: int) -> Drawn:
    return Drawn({name: decode(value) for name, value in running.values[str(seat)].items()})


# -- values kept with their types --------------------------------------------------------------------
def encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, dict):
        return {"row": {k: encode(v) for k, v in value.items()}}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # anything else a query gives (a uuid, an interval) as its text


def decode(value: Any) -> Any:
    if isinstance(value, dict):
        ((kind, raw),) = value.items()
        if kind == "decimal":
            return Decimal(raw)
        if kind == "datetime":
            return dt.datetime.fromisoformat(raw)
        if kind == "date":
            return dt.date.fromisoformat(raw)
        return {k: decode(v) for k, v in raw.items()}
    return value


def now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")
