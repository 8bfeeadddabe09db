"""Payment agents' registries of a client: its formats (built-ins and ``compose/<client>/agents/*.toml``),
a day's sample registry, loading one, the suspense list, and the registry of debts. The work itself is
``seed.registry``'s; this module finds the client's database and formats and keeps its errors readable."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from provision.clients.database import running_dsn, user_errors
from provision.clients.render import ClientEnv, client_env
from provision.clients.workspace import Workspace
from provision.errors import InputError
from provision.inputs import parse_period
from provision.training import seats
from seed.registry import codec, formats, load, sample


def agents_dir(workspace: Workspace, client: str) -> Path:
    """The client's own formats (an unknown client is refused here, before any format is read)."""
    workspace.require_client(client)
    return workspace.files(client).agents


def _client(workspace: Workspace, client: str, command: str) -> tuple[ClientEnv, str]:
    env = client_env(workspace, client)
    seats.repaired(env, command)  # what a killed command left is finished first, as everywhere
    return env, running_dsn(env)


def find_format(workspace: Workspace, client: str, agent: str) -> formats.Format:
    with user_errors():
        return formats.find_format(agent, agents_dir(workspace, client))


def list_formats(workspace: Workspace, client: str) -> list[formats.Format]:
    """Every format the client can use: the built-ins and its own, by name."""
    with user_errors():
        return [
            formats.read_format(path, name)
            for name, path in formats.format_files(agents_dir(workspace, client)).items()
        ]


def parse_day(text: str, option: str = "--date") -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option} {text!r} is not a date", fix="write it as YYYY-MM-DD, e.g. 2026-11-28") from None


def sample_registry(
    workspace: Workspace,
    client: str,
    agent: str,
    day: str,
    out: Path,
    *,
    lines: int = 200,
    faults: int = 0,
    seed: int = 1,
    number: str = "",
) -> sample.Written:
    """`provision registry sample`: a day's registry of ``agent`` from the client's books."""
    when = parse_day(day)
    fmt = find_format(workspace, client, agent)  # a wrong agent is refused before the server is asked
    _env, dsn = _client(workspace, client, "registry sample")
    with user_errors(dsn):
        return sample.sample_registry(dsn, fmt, when, out, lines=lines, faults=faults, seed=seed, number=number)


def load_registry(workspace: Workspace, client: str, path: Path, agent: str) -> load.LoadResult:
    """`provision registry load`: the file checked whole, then loaded in one transaction, or not at all."""
    fmt = find_format(workspace, client, agent)
    reader = codec.RegistryReader(path, fmt)
    with user_errors(loading=True):
        reader.precheck()
    _env, dsn = _client(workspace, client, "registry load")
    with user_errors(dsn, loading=True):
        return load.load_registry(dsn, reader, path.name)


def suspense(workspace: Workspace, client: str, *, all_lines: bool = False) -> list[load.SuspenseLine]:
    """`provision registry suspense`: the payments no account took yet (невыясненные платежи)."""
    _env, dsn = _client(workspace, client, "registry suspense")
    with user_errors(dsn):
        return load.suspense(dsn, all_lines=all_lines)


def assign(workspace: Workspace, client: str, suspense_id: int, account: str) -> tuple[load.SuspenseLine, int]:
    """`provision registry assign`: a suspense line becomes a payment of the account named."""
    _env, dsn = _client(workspace, client, "registry assign")
    with user_errors(dsn):
        return load.assign(dsn, suspense_id, account)


def debts_registry(
    workspace: Workspace, client: str, agent: str, period: str | None, out: Path, number: str = ""
) -> sample.Written:
    """`provision registry debts`: what each open account owes, in the agent's format."""
    month = parse_period(period, "--period") if period else None
    fmt = find_format(workspace, client, agent)
    _env, dsn = _client(workspace, client, "registry debts")
    with user_errors(dsn):
        return sample.debts_registry(dsn, fmt, month, out, number=number)
