"""When each database of a client was last reset (or restored from a snapshot): what a trainer sees beside
each seat. Kept in ``compose/<client>/resets.json``, written after each reset under the client's lock."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from provision.clients.render import ClientEnv
from seed.outfile import write_whole


def _path(env: ClientEnv) -> Path:
    return env.files.resets


def last_resets(env: ClientEnv) -> dict[str, str]:
    """Database -> the time of its last reset (ISO, local time), for those ever reset here."""
    try:
        return dict(json.loads(_path(env).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def note_resets(env: ClientEnv, databases: list[str]) -> None:
    """Note that ``databases`` were just reset (atomically; a damaged file starts afresh)."""
    if not databases:
        return
    seen = last_resets(env)
    now = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    seen.update(dict.fromkeys(databases, now))
    write_whole(_path(env), json.dumps(seen, indent=1, sort_keys=True))
