"""`provision hosts`: every Docker host of the workspace's clients, reachable or not."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from provision.cli.options import JsonFlag, lazy, workspace
from provision.cli.output import err, print_json, size, table

if TYPE_CHECKING:
    from provision.clients import pool
else:
    pool = lazy("provision.clients.pool")

app = typer.Typer(add_completion=False)


@app.command()
def hosts(
    as_json: JsonFlag = False,
    close: Annotated[
        bool, typer.Option("--close", help="End the SSH connections kept open to the hosts, and their forwards.")
    ] = False,
) -> None:
    """Every Docker host the workspace's clients use, reachable or not: clients, memory, disk, Docker."""
    if close:
        closed = pool.close_connections(workspace())
        typer.echo("closed: " + (", ".join(closed) if closed else "no connection was open"))
        return
    found = pool.hosts(workspace())
    if as_json:
        print_json([info.to_dict() for info in found])
        return
    rows = [
        {
            "host": info.host,
            "state": "reachable" if info.reachable else "UNREACHABLE",
            "clients": ", ".join(info.clients) or "-",
            "memory": f"{size(info.memory_free_bytes)} of {size(info.memory_total_bytes)}"
            if info.memory_total_bytes
            else "",
            "disk": size(info.disk_free_bytes) if info.disk_free_bytes is not None else "",
            "docker": info.docker_version,
            "compose": info.compose,
            "swarm": info.swarm,
        }
        for info in found
    ]
    table(
        rows,
        [
            ("host", "HOST"),
            ("state", "STATE"),
            ("clients", "CLIENTS"),
            ("memory", "FREE MEMORY"),
            ("disk", "FREE DISK"),
            ("docker", "DOCKER"),
            ("compose", "RUNS WITH"),
            ("swarm", "SWARM"),
        ],
    )
    for info in found:
        if info.problem:
            err(info.problem if info.problem.startswith(info.host) else f"{info.host}: {info.problem}")
            if info.fix:
                err(f"  fix: {info.fix}")
