"""Host ports: pick a free one, hold the machine-wide lock while one is chosen, and tell who holds one."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import ipaddress
import json
import os
import socket
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from provision.errors import EnvironmentProblem
from seed.outfile import write_whole

FIRST_PORT = 54320
LAST_PORT = 54999


def valid_port(value: object) -> bool:
    """A TCP port number (JSON's true is not one)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535


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


# -- the machine-wide lock ------------------------------------------------------------------------
_held = threading.local()


def lock_folder() -> Path:
    """Where every workspace of this user meets: one folder per user, so no other user can hold our lock."""
    return Path(tempfile.gettempdir()) / f"provision-{os.getuid()}"


def _own_folder() -> Path:
    folder = lock_folder()
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise EnvironmentProblem(
            f"{folder} is not a folder of yours: provision keeps its lock of the ports there",
            fix="remove it if you made it, or point TMPDIR at a folder of yours (the same for every workspace)",
        )
    return folder


@contextlib.contextmanager
def machine_lock() -> Iterator[None]:
    """Held while a port is chosen and until the container that publishes it exists, by every workspace of
    this machine: two workspaces never pick the same port at once. Released by the kernel if the process
    dies; taken again by the same thread without waiting (a pick inside a start)."""
    depth = getattr(_held, "depth", 0)
    if depth:
        _held.depth = depth + 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    path = _own_folder() / "ports.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _held.depth = 1
        try:
            yield
        finally:
            _held.depth = 0
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


# -- the claims of clients that are down ---------------------------------------------------------
# A client that is down has no container to claim its port, yet `up` will want it again. Every auto port a
# workspace keeps is also noted here, per user, so another workspace's pick leaves it alone until `destroy`.
Claim = tuple[str, str]  # (workspace, client)


def _ledger_path() -> Path:
    return _own_folder() / "claims.json"


def _read_ledger() -> dict[int, Claim]:
    try:
        data = json.loads(_ledger_path().read_text(encoding="utf-8"))
        return {int(port): (str(who[0]), str(who[1])) for port, who in data.items()}
    except (OSError, ValueError, TypeError, AttributeError, IndexError):  # none yet, or damaged: claims anew
        return {}


def _write_ledger(claims: dict[int, Claim]) -> None:
    path = _ledger_path()
    write_whole(path, json.dumps({str(port): list(who) for port, who in sorted(claims.items())}))


def others_claims(who: Claim, alive: Callable[[int, Claim], bool]) -> set[int]:
    """The ports other clients of this user's workspaces keep, those ``alive`` still confirms (the rest are
    forgotten). The caller holds :func:`machine_lock`."""
    claims = _read_ledger()
    live = {port: owner for port, owner in claims.items() if owner == who or alive(port, owner)}
    if live != claims:
        _write_ledger(live)
    return {port for port, owner in live.items() if owner != who}


def note_claim(port: int, who: Claim) -> None:
    """``who`` keeps ``port`` (and no other). The caller holds :func:`machine_lock`."""
    claims = {p: owner for p, owner in _read_ledger().items() if owner != who}
    if claims.get(port, who) != who:
        return  # another client's note stands: the engine's own claims decide between them
    claims[port] = who
    _write_ledger(claims)


def forget_claim(who: Claim) -> None:
    """``who`` keeps no port any more (destroyed)."""
    with machine_lock():
        claims = _read_ledger()
        kept = {p: owner for p, owner in claims.items() if owner != who}
        if kept != claims:
            _write_ledger(kept)


# -- who listens on a port ------------------------------------------------------------------------
def _address(hexed: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An address as /proc/net/tcp{,6} writes it: 32-bit words in the machine's byte order."""
    raw = bytes.fromhex(hexed)
    step = -1 if sys.byteorder == "little" else 1
    words = b"".join(raw[i : i + 4][::step] for i in range(0, len(raw), 4))
    return ipaddress.ip_address(words)


def _overlaps(address: ipaddress.IPv4Address | ipaddress.IPv6Address, host: str) -> bool:
    """A listener on ``address`` keeps ``host`` from binding the same port."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    try:
        wanted = ipaddress.ip_address(host)
    except ValueError:
        return True
    return address.is_unspecified or wanted.is_unspecified or address == wanted


def _listening_inodes(port: int, host: str, proc: Path) -> set[str]:
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (proc / "net" / table).read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) <= 9 or fields[3] != "0A":
                continue
            address, _, hex_port = fields[1].rpartition(":")
            if int(hex_port, 16) == port and _overlaps(_address(address), host):
                inodes.add(fields[9])
    return inodes


def listener(port: int, host: str = "0.0.0.0", proc: Path = Path("/proc")) -> str | None:
    """The program listening on ``port`` of this machine where it keeps ``host`` from binding, as "name
    (pid N)", when /proc tells (another user's processes, docker-proxy among them, it does not)."""
    inodes = _listening_inodes(port, host, proc)
    if not inodes:
        return None
    wanted = {f"socket:[{inode}]" for inode in inodes}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except OSError:  # gone, or another user's
            continue
        for fd in fds:
            try:
                if os.readlink(fd) not in wanted:
                    continue
                name = (entry / "comm").read_text(encoding="utf-8", errors="replace").strip()
            except OSError:  # this descriptor closed while we looked: the others still count
                continue
            return f"{name} (pid {entry.name})"
    return None
