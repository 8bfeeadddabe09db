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


def pick_free_port(host: str, taken: set[int]) -> int:
    """The first port from 54320 up that no other client claims and nothing on ``host`` listens on."""
    for port in range(FIRST_PORT, LAST_PORT + 1):
        if port not in taken and port_is_free(host, port):
            return port
    raise RuntimeError(f"no free port between {FIRST_PORT} and {LAST_PORT} on {host}")
