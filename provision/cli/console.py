"""`provision console`: the trainer's console in the browser."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from provision.cli.options import workspace
from provision.errors import InputError

app = typer.Typer(add_completion=False)


@app.command("console")
def console(
    host: Annotated[
        str, typer.Option(help="Address to listen on; 0.0.0.0 lets a classroom reach it (over HTTPS).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8470,
    cert: Annotated[
        Path | None, typer.Option(help="The site's certificate (PEM) instead of the console's own; with --key.")
    ] = None,
    key: Annotated[Path | None, typer.Option(help="The private key (PEM) of --cert.")] = None,
) -> None:
    """The trainer's console in the browser: seats with their connections, resets, snapshots, the books at a
    glance, a link per trainee. Behind a console password (made at the first start and shown once). Beyond
    this machine it serves HTTPS with a certificate of its own (made at the first start) or --cert/--key."""
    from provision.console import auth, serve

    if not host.strip():  # the socket layer takes "" for every address of the machine
        raise InputError(
            f"--host {host!r}: no address", fix="give one, e.g. 127.0.0.1 (this machine) or 0.0.0.0 (a classroom)"
        )
    ws = workspace()
    if not ws.compose_root.is_dir():
        raise InputError(f"{ws.root}: no clients here", fix="run it in the workspace, or pass --workspace")
    listening = serve.prepare(ws, host, port, cert, key)
    password, made, path = auth.console_password(ws)
    typer.echo(f"the console: {listening.url}")
    if made:
        typer.echo(f"its password (shown this once; kept owner-only in {path}): {password}")
    else:
        typer.echo(f"its password is in {path}")
    certificate = listening.certificate
    if certificate is not None:
        typer.echo(
            f"its certificate ({certificate.how}), SHA-256 fingerprint for trainees to check: {certificate.fingerprint}"
        )
    if not serve.loopback_host(host):
        typer.echo("note: listening beyond this machine: anyone in the classroom with the password can reset")
    serve.run(ws, password, listening)
