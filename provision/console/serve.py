"""How `provision console` listens: plain HTTP on loopback, HTTPS beyond it (a classroom's network must not
carry the password and the session in clear), and the client's address from the socket alone."""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from provision.clients.workspace import Workspace
from provision.console import tls
from provision.console.app import make_app
from provision.console.lockout import is_loopback
from provision.errors import EnvironmentProblem, InputError

HOST_FIX = "give an address of this machine: 127.0.0.1 (this machine only), 0.0.0.0 (all), or one of `hostname -I`"


@dataclass(frozen=True)
class Listening:
    host: str
    port: int
    certificate: tls.Certificate | None  # None: plain HTTP, on loopback only

    @property
    def url(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.certificate else 'http'}://{shown}:{self.port}/"


def loopback_host(host: str) -> bool:
    return host == "localhost" or is_loopback(host)


def prepare(workspace: Workspace, host: str, port: int, cert: Path | None, key: Path | None) -> Listening:
    """Check what the trainer asked for, then the address; the certificate to serve (made the first time)."""
    if (cert is None) != (key is None):
        raise InputError("--cert and --key go together", fix="give both the certificate and its key, or neither")
    named = tls.named_certificate(cert, key) if cert is not None and key is not None else None
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except (ValueError, TypeError, socket.gaierror) as exc:  # a NUL byte, a label too long, a name not known
        raise InputError(f"--host {host!r}: not an address ({exc})", fix=HOST_FIX) from None
    except OSError as exc:
        if exc.errno == errno.EADDRNOTAVAIL:
            raise InputError(f"--host {host}: not an address of this machine", fix=HOST_FIX) from None
        raise EnvironmentProblem(
            f"cannot listen on {host}:{port} ({exc.strerror or exc})",
            fix="choose another --port, or stop what uses it",
        ) from None
    if named is None and not loopback_host(host):
        named = tls.own_certificate(workspace, host)
    return Listening(host, port, named)


def run(workspace: Workspace, password: str, listening: Listening) -> None:
    """Serve the console until stopped. ``proxy_headers`` off: with it uvicorn takes X-Forwarded-For from
    any local connection as the client's address, and one machine could pose as thirty to the lock-out."""
    cert = listening.certificate
    uvicorn.run(
        make_app(workspace, password, https=cert is not None),
        host=listening.host,
        port=listening.port,
        log_level="warning",
        proxy_headers=False,
        forwarded_allow_ips=[],
        server_header=False,
        ssl_certfile=str(cert.cert) if cert else None,
        ssl_keyfile=str(cert.key) if cert else None,
    )
