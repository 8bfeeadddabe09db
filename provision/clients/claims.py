"""A client's port settled against every workspace of the machine, and its containers started on it.

Every workspace sees the others' claims on the engine: each database container carries its port as a
label (running or stopped), and every container's published ports are listed; the auto port of a client
that is down is noted in the user's ledger of claims (:func:`provision.docker.ports.note_claim`) until `destroy`.
While a port is chosen and until the container that claims it exists, the user's lock
(:func:`provision.docker.ports.machine_lock`) is held, so two workspaces never pick the same one. Another program
can still take a port between the check and the start: an ``auto`` port then moves on (and says so), a
fixed one is refused naming who holds it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from provision.clients.render import ClientEnv, pick_port, ports_claimed_by_others, write_compose
from provision.docker import compose, engine
from provision.docker.ports import listener, machine_lock, note_claim, port_is_free
from provision.errors import EnvironmentProblem

Progress = Callable[[str], None]
ATTEMPTS = 4  # an auto port tried in turn when another program takes each as the client starts


def _ours(env: ClientEnv, use: engine.PortUse) -> bool:
    return use.client == env.client and use.workspace == str(env.workspace.root)


def holder(env: ClientEnv, port: int, uses: list[engine.PortUse] | None = None) -> engine.PortUse | str | None:
    """Who holds ``port`` on the client's host, other than the client itself: another client's container
    (running or stopped) or one not of provision; else a program of this machine, as /proc names it (or
    "another program"); None when nothing does."""
    if uses is None:
        uses = engine.port_uses(env.host)
    if any(use.port == port and use.running and _ours(env, use) for use in uses):
        return None  # the client's own running container publishes it
    others = [use for use in uses if use.port == port and not _ours(env, use)]
    if others:
        return min(others, key=lambda use: (not use.running, not use.client))
    if not env.host.is_local or port_is_free(env.profile.host, port):
        return None
    return listener(port, env.profile.host) or "another program"


def _named(env: ClientEnv, who: engine.PortUse | str) -> str:
    return who if isinstance(who, str) else who.describe(str(env.workspace.root))


def _refuse(env: ClientEnv, port: int, who: engine.PortUse | str | None) -> EnvironmentProblem:
    named = _named(env, who or "another program")
    where = env.profile.host if env.host.is_local else f"{env.profile.host} of {env.host.name}"
    if port != env.port:
        return EnvironmentProblem(
            f"port {port} on {where}, which a service of {env.client!r} publishes, is taken by {named}",
            fix=f"stop it, or change that service's ports in {env.profile.where}",
        )
    if isinstance(who, engine.PortUse) and who.client:
        fix = f"stop that client (`provision down` in its workspace), or set postgres.port in {env.profile.where} "
    else:
        fix = f"stop it (`ss -ltnp 'sport = :{port}'` shows which), or set postgres.port in {env.profile.where} "
    return EnvironmentProblem(f"port {port} on {where} is taken by {named}", fix=fix + 'to another port or "auto"')


def settle(env: ClientEnv, progress: Progress, refused: frozenset[int] = frozenset()) -> ClientEnv:
    """The client's port checked against every claim; a fixed port that is taken is refused (exit 3), an
    ``auto`` one moves to a free port, kept, and said on ``progress``. The caller holds the machine lock."""
    uses = engine.port_uses(env.host)
    who = holder(env, env.port, uses)
    if env.profile.port is not None:
        if who is not None:
            raise _refuse(env, env.port, who)
        return env
    workspace_claims = ports_claimed_by_others(env.workspace, env.client)
    if who is None and env.port not in refused and env.port not in workspace_claims:
        note_claim(env.port, (str(env.workspace.root), env.client))  # kept for it while it is down, too
        return env
    claimed = {use.port for use in uses if not _ours(env, use)} | set(refused) | {env.port}
    port = pick_port(env.workspace, env.profile, claimed)
    if who is not None:
        why = f"port {env.port} is taken by {_named(env, who)}"
    elif env.port in refused:
        why = f"port {env.port} was taken as {env.client} started"
    else:
        why = f"port {env.port} is kept for another client of this workspace"
    progress(f'{why}; {env.client} moves to port {port} (port = "auto")')
    return dataclasses.replace(env, port=port)


def _create(env: ClientEnv, progress: Progress, refused: frozenset[int]) -> ClientEnv:
    """Settle the port and create (not start) the containers: their labels claim it for every workspace."""
    with machine_lock():
        env = settle(env, progress, refused)
        write_compose(env)
        compose.run(env, "up", "--no-start", "--remove-orphans")
    return env


def start(env: ClientEnv, progress: Progress) -> ClientEnv:
    """Create the client's containers on a settled port and start them; returns the env on the port used."""
    refused: frozenset[int] = frozenset()
    for _attempt in range(ATTEMPTS):
        env = _create(env, progress, refused)
        try:
            compose.run(env, "up", "--detach", "--remove-orphans")
            return env
        except compose.PortInUse as exc:
            port = exc.port or env.port
            if port != env.port or env.profile.port is not None:
                raise _refuse(env, port, holder(env, port)) from None
            refused |= {port}
    raise EnvironmentProblem(
        f"{ATTEMPTS} ports in turn were taken as {env.client!r} started ({', '.join(map(str, sorted(refused)))})",
        fix=f"set postgres.port in {env.profile.where} to a port kept free for it",
    )
