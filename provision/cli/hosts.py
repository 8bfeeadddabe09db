"""Commands for the Docker hosts of the workspace's clients: hosts, tunnel."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from provision.cli.options import Client, JsonFlag, lazy, workspace
from provision.cli.output import err, print_json, size, table

if TYPE_CHECKING:
    from provision.clients import pool
else:
    pool = lazy("provision.clients.pool")

app = typer.Typer()


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


@app.command()
def tunnel(
    client: Client,
    port: Annotated[
        int | None, typer.Option("--port", min=1024, max=65535, help="The local port (default: a free one).")
    ] = None,
) -> None:
    """Forward a local port to the database of a client on an SSH host, until Ctrl-C."""
    opened = pool.tunnel(workspace(), client, port)
    typer.echo(
        f"{client}: {opened.env.host.name} 127.0.0.1:{opened.env.port} is now 127.0.0.1:{opened.local_port} here"
    )
    typer.echo(f"  connect:  {opened.dsn('***')}")
    typer.echo(f"  password: {opened.env.password_file}")
    typer.echo("  Ctrl-C closes the tunnel")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvp(opened.argv[0], opened.argv)  # ssh itself from here on: a signal to this process reaches it
