"""`provision console`: the trainer's console in the browser."""

from __future__ import annotations

import socket
from typing import Annotated

import typer

from provision.cli.options import workspace
from provision.errors import EnvironmentProblem, InputError

app = typer.Typer()
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@app.command("console")
def console(
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 lets a classroom reach it.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8470,
) -> None:
    """The trainer's console in the browser: seats with their connections, resets, snapshots, the books at a
    glance, a link per trainee. Behind a console password (made at the first start and shown once)."""
    from provision.console import auth
    from provision.console.app import make_app

    ws = workspace()
    if not ws.compose_root.is_dir():
        raise InputError(f"{ws.root}: no clients here", fix="run it in the workspace, or pass --workspace")
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        raise EnvironmentProblem(
            f"cannot listen on {host}:{port} ({exc.strerror})", fix="choose another --port, or stop what uses it"
        ) from None
    password, made, path = auth.console_password(ws)
    shown = "[::1]" if host == "::1" else host
    typer.echo(f"the console: http://{shown}:{port}/")
    if made:
        typer.echo(f"its password (shown this once; kept owner-only in {path}): {password}")
    else:
        typer.echo(f"its password is in {path}")
    if host not in LOOPBACK:
        typer.echo("note: listening beyond this machine: anyone in the classroom with the password can reset")
    import uvicorn

    uvicorn.run(make_app(ws, password), host=host, port=port, log_level="warning")
