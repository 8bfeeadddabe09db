"""Host ports: pick a free one once per client, and say clearly when one is taken."""

from __future__ import annotations

import errno
import socket

FIRST_PORT = 54320
LAST_PORT = 54999


def port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def pick_free_port(host: str, taken: set[int], *, here: bool = True) -> int:
    """The first port from 54320 up that no other client claims and (``here``: ``host`` is an address of
    this machine) nothing on ``host`` listens on. On another machine's engine only the claims are known:
    a port taken there by another program is that engine's error when the client starts."""
    for port in range(FIRST_PORT, LAST_PORT + 1):
        if port not in taken and (not here or port_is_free(host, port)):
            return port
    raise RuntimeError(f"no free port between {FIRST_PORT} and {LAST_PORT} on {host}")


def ephemeral_port(avoid: range = range(FIRST_PORT, LAST_PORT + 1)) -> int:
    """A free local port from the system's ephemeral range, outside the clients' own range (a forward of a
    remote client must not take the port a local client starts on)."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port not in avoid:
            return port
    raise RuntimeError("no free local port outside the clients' range")
