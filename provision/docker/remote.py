"""Docker hosts over SSH: one OpenSSH master connection per host, which every command shares.

The master forwards the host's Docker socket to a local socket, so docker-py, both Compose generations and
the docker CLI talk to the remote engine as to a local one (no paramiko, no Docker CLI on the far side
needed for that), and it carries the forwards of the clients' database ports: the ports stay bound to the
host's 127.0.0.1, and seeds and imports stream through the SSH connection, with nothing written on the way.
The master lives on for a while after the last command (ControlPersist), so the next command is quick.
Its files are in a private folder under /tmp (a socket's path must stay short).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from provision.docker.hosts import DockerHost
from provision.docker.ports import ephemeral_port
from provision.errors import EnvironmentProblem
from seed.outfile import write_whole

PERSIST_SECONDS = 900
CONNECT_TIMEOUT = 10


def runtime_dir(host: DockerHost) -> Path:
    """The host's private folder of sockets: /tmp/provision-UID/HASH (0700, ours, or refused)."""
    base = Path(os.environ.get("PROVISION_RUNTIME_DIR") or f"/tmp/provision-{os.getuid()}")
    digest = hashlib.sha256(f"{host.url}\0{host.socket}\0{host.identity}".encode()).hexdigest()[:12]
    for folder in (base, base / digest):
        folder.mkdir(mode=0o700, exist_ok=True)
        info = folder.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
            raise EnvironmentProblem(
                f"{folder} is not a private folder of this user", fix=f"remove it (`rm -rf {folder}`) and run again"
            )
    return base / digest


def _destination(host: DockerHost) -> list[str]:
    """``[-p PORT] [USER@]HOST``: the port only when the URL names one (else ~/.ssh/config's, or 22)."""
    user, address, port = host.ssh_parts()
    named = host.url.rsplit("@", 1)[-1].rstrip("/")
    explicit = ["-p", str(port)] if re.search(r":\d+$", named) else []
    return [*explicit, f"{user}@{address}" if user else address]


def known_hosts_file() -> Path:
    """provision's own known hosts, kept across reboots (PROVISION_KNOWN_HOSTS, else XDG's state folder)."""
    chosen = os.environ.get("PROVISION_KNOWN_HOSTS")
    if chosen:
        return Path(chosen)
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    folder = state / "provision"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder / "known_hosts"


def ssh_options(host: DockerHost) -> list[str]:
    """The options every ssh of provision uses: no prompt (a refusal fails at once), a host key learnt
    on first contact and checked ever after, the profile's key if it names one."""
    known = Path.home() / ".ssh" / "known_hosts"
    options = [
        "-o", "BatchMode=yes",
        "-o", f"ConnectTimeout={CONNECT_TIMEOUT}",
        "-o", "StrictHostKeyChecking=accept-new",
        "-o", f"UserKnownHostsFile={known_hosts_file()} {known}",
        "-o", "ServerAliveInterval=15",
        "-o", "ServerAliveCountMax=4",
        "-o", "ExitOnForwardFailure=yes",
    ]  # fmt: skip
    if host.identity:
        options += ["-o", "IdentitiesOnly=yes", "-i", host.identity]
    return options


def _control(host: DockerHost) -> Path:
    return runtime_dir(host) / "ssh.ctl"


def docker_socket(host: DockerHost) -> Path:
    return runtime_dir(host) / "docker.sock"


def _mux(host: DockerHost, *options: str) -> list[str]:
    """``ssh`` through the host's master connection, with ``options`` (``-O check``, ``-O forward ...``);
    never a master of its own (whatever ~/.ssh/config says of ControlMaster)."""
    return ["ssh", *ssh_options(host), "-o", "ControlMaster=no", "-S", str(_control(host)), *options,
            *_destination(host)]  # fmt: skip


def _ssh(argv: list[str], *, timeout: float | None, **options: Any) -> subprocess.CompletedProcess[str]:
    """Run an ssh command line; no ssh client here, or no answer in time, is one error with the fix."""
    try:
        return subprocess.run(argv, text=True, timeout=timeout, check=False, **options)
    except FileNotFoundError:
        raise EnvironmentProblem(
            "no ssh client on this machine (a client on an ssh:// host needs one)",
            fix="install OpenSSH's client: `sudo apt-get install openssh-client`",
        ) from None
    except subprocess.TimeoutExpired:
        raise EnvironmentProblem(
            f"`{' '.join(argv[:1] + argv[-3:])}` did not finish within {timeout:.0f} s",
            fix="check the address and the network to the host",
        ) from None


def ssh_argv(host: DockerHost, *command: str) -> list[str]:
    """``ssh`` through the host's master connection, running ``command`` there."""
    return [*_mux(host), *command]


def _fault(host: DockerHost, stderr: str) -> EnvironmentProblem:
    """What ssh's own words mean, as one error with the fix."""
    user, address, port = host.ssh_parts()
    login = f"ssh -p {port} {user + '@' if user else ''}{address}"
    text = " ".join(line.strip() for line in stderr.splitlines() if line.strip() and "Warning: Permanently" not in line)
    if host.identity and ("Load key" in text or "bad permissions" in text or "No such file" in text):
        return EnvironmentProblem(
            f"{host.url}: cannot use the key {host.identity} ({text[-160:]})",
            fix="give [docker] identity the path of a private key readable only by you (chmod 600)",
        )
    if "Permission denied" in text:
        key = f"the key {host.identity}" if host.identity else "your SSH keys"
        return EnvironmentProblem(
            f"{host.url}: the SSH server refused {key} ({text[-160:]})",
            fix=f"add the public key to ~{user or ''}/.ssh/authorized_keys there (`ssh-copy-id -p {port} "
            f"{user + '@' if user else ''}{address}`), or name the right one in [docker] identity",
        )
    if "Host key verification failed" in text or "IDENTIFICATION HAS CHANGED" in text:
        return EnvironmentProblem(
            f"{host.url}: the host's SSH key is not the one known for it",
            fix=f"if the machine was reinstalled, remove its old key (`ssh-keygen -f {known_hosts_file()} -R "
            f"{shlex.quote(address if port == 22 else f'[{address}]:{port}')}`, and the same with -f "
            "~/.ssh/known_hosts); otherwise do not connect: someone may be in the middle",
        )
    if any(
        word in text
        for word in ("Connection refused", "timed out", "No route", "Could not resolve", "unreachable", "closed by")
    ):
        return EnvironmentProblem(
            f"{host.url}: cannot reach the SSH server ({text[-200:]})",
            fix=f"check the address and that sshd runs there and lets you in: `{login}` should log in",
        )
    return EnvironmentProblem(
        f"{host.url}: ssh failed ({text[-300:] or 'no message'})", fix=f"`{login}` should log in without a prompt"
    )


def _master_pid(host: DockerHost) -> int | None:
    """The process ID of the host's master connection, or None when there is none."""
    done = _ssh(_mux(host, "-O", "check"), timeout=CONNECT_TIMEOUT + 5, capture_output=True, stdin=subprocess.DEVNULL)
    found = re.search(r"pid=(\d+)", done.stderr + done.stdout)
    return int(found.group(1)) if done.returncode == 0 and found else None


def _start_master(host: DockerHost) -> None:
    sock = docker_socket(host)
    sock.unlink(missing_ok=True)
    _control(host).unlink(missing_ok=True)
    argv = [
        "ssh", *ssh_options(host),
        "-M", "-S", str(_control(host)), "-o", f"ControlPersist={PERSIST_SECONDS}",
        "-o", "StreamLocalBindUnlink=yes",
        "-f", "-N", "-L", f"{sock}:{host.socket}",
        *_destination(host),
    ]  # fmt: skip
    if host.identity and not Path(host.identity).is_file():
        raise EnvironmentProblem(
            f"{host.url}: no key file {host.identity}", fix="give [docker] identity the path of a private key"
        )
    # ssh -f leaves a master in the background: its output goes to a file, not to pipes it would hold open
    with tempfile.TemporaryFile("w+") as errors:
        done = _ssh(argv, timeout=CONNECT_TIMEOUT * 3, stdout=subprocess.DEVNULL, stderr=errors,
                    stdin=subprocess.DEVNULL)  # fmt: skip
        errors.seek(0)
        done.stderr = errors.read()
    if done.returncode != 0:
        raise _fault(host, done.stderr)
    _forget(host)  # a new master holds no forward yet (forwards.json keeps their ports, to take them again)


def _check_docker_there(host: DockerHost) -> None:
    quoted = shlex.quote(host.socket)
    probe = f"if test -S {quoted}; then test -r {quoted} -a -w {quoted} && echo ok || echo denied; else echo none; fi"
    done = run(host, probe, timeout=CONNECT_TIMEOUT * 2)
    answer = done.stdout.strip()
    user = host.ssh_parts()[0] or "your user"
    if answer == "none":
        raise EnvironmentProblem(
            f"{host.url}: no Docker engine there (no socket {host.socket})",
            fix="install and start Docker on that host (`sudo apt-get install docker.io`), or set [docker] socket "
            "to its socket (a rootless engine's is /run/user/UID/docker.sock)",
        )
    if answer == "denied":
        raise EnvironmentProblem(
            f"{host.url}: {user} may not use the Docker socket {host.socket} there",
            fix=f"add {user} to the docker group there (`sudo usermod -aG docker {user}`, then log in again)",
        )


_checked: dict[DockerHost, tuple[float, int]] = {}  # when this process last found the host's master, its pid
RECHECK_SECONDS = 2.0


def gateway(host: DockerHost) -> Path:
    """The local socket that reaches the host's Docker engine; the master connection made (again, in a
    long-lived process such as the console, after it closed when idle) if needed. The socket's path stays."""
    seen, pid_before = _checked.get(host, (-RECHECK_SECONDS, 0))
    if time.monotonic() - seen < RECHECK_SECONDS:
        return docker_socket(host)
    pid = _master_pid(host)
    if pid is not None and pid != pid_before:
        _forget(host)  # another process opened this master: its forwards are not the ones remembered here
    if pid is not None and docker_socket(host).is_socket():
        _checked[host] = (time.monotonic(), pid)
        return docker_socket(host)
    if pid is not None:  # alive, but its socket is gone: start over
        close(host)
    _start_master(host)
    try:
        _check_docker_there(host)
    except EnvironmentProblem:
        close(host)  # no connection is left open to a host that cannot serve
        raise
    _checked[host] = (time.monotonic(), _master_pid(host) or 0)
    return docker_socket(host)


def run(host: DockerHost, command: str, *, timeout: float | None = 600) -> subprocess.CompletedProcess[str]:
    """Run a shell command on the host through the master; an SSH fault becomes the error with the fix."""
    done = _ssh(ssh_argv(host, command), timeout=timeout, capture_output=True, stdin=subprocess.DEVNULL)
    if done.returncode == 255:
        raise _fault(host, done.stderr)
    return done


def close(host: DockerHost) -> None:
    """End the host's master connection (its forwards end with it)."""
    _ssh(_mux(host, "-O", "exit"), timeout=CONNECT_TIMEOUT + 5, capture_output=True, stdin=subprocess.DEVNULL)
    docker_socket(host).unlink(missing_ok=True)
    _forget(host)


def listening_ports(host: DockerHost) -> set[int]:
    """The TCP ports something listens on at the host (its /proc/net/tcp and tcp6), to pick a free one."""
    gateway(host)
    done = run(host, "cat /proc/net/tcp /proc/net/tcp6 2>/dev/null", timeout=30)
    ports = set()
    for line in done.stdout.splitlines()[1:]:
        fields = line.split()
        if len(fields) > 3 and fields[3] == "0A" and ":" in fields[1]:  # 0A: LISTEN
            ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


# -- the database ports -----------------------------------------------------------------------------
def _forwards_path(host: DockerHost) -> Path:
    return runtime_dir(host) / "forwards.json"


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


_forwarded: dict[tuple[DockerHost, str], int] = {}  # this process's forwards, checked once


def forward(host: DockerHost, remote_port: int, remote_address: str = "127.0.0.1") -> int:
    """A local port forwarded to ``remote_address:remote_port`` on the host (kept while the master lives)."""
    key = f"{remote_address}:{remote_port}"
    gateway(host)  # a master opened anew forgets the forwards of the one before
    if (host, key) in _forwarded:
        return _forwarded[(host, key)]
    _forwarded[(host, key)] = port = _forward(host, key, remote_port, remote_address)
    return port


def _forget(host: DockerHost) -> None:
    _checked.pop(host, None)
    for forwarded in [k for k in _forwarded if k[0] == host]:
        del _forwarded[forwarded]


def _forward(host: DockerHost, key: str, remote_port: int, remote_address: str) -> int:
    """Forward a local port to ``key`` on the host through its master: the port this forward had before
    (under an earlier master too, so that a connection string stays the same) when it is free, else a new
    one. ``forwards.json`` keeps the ports, and the master that holds them."""
    master = _master_pid(host)
    path = _forwards_path(host)
    try:
        kept: dict[str, Any] = json.loads(path.read_text())
        ports = {str(k): int(v) for k, v in kept.get("ports", {}).items()}
    except (OSError, ValueError, TypeError, AttributeError):
        kept, ports = {}, {}
    before = ports.get(key)
    if before is not None and kept.get("master") == master and _answers(before):
        return before
    tries = ([before] if before is not None else []) + [ephemeral_port() for _ in range(3)]
    for local in tries:
        spec = f"127.0.0.1:{local}:{remote_address}:{remote_port}"
        done = _ssh(_mux(host, "-O", "forward", "-L", spec), timeout=CONNECT_TIMEOUT + 5, capture_output=True,
                    stdin=subprocess.DEVNULL)  # fmt: skip
        if done.returncode == 0:
            ports[key] = local
            write_whole(path, json.dumps({"master": master, "ports": ports}))
            return local
        time.sleep(0.1)  # another program has the port (or took it between the pick and the forward)
    raise EnvironmentProblem(
        f"{host.url}: cannot forward a local port to {key} there ({done.stderr.strip()[-200:]})",
        fix="run the command again; if it persists, `provision hosts --close` ends the connection",
    )


def tunnel_argv(host: DockerHost, local_port: int, remote_port: int, remote_address: str) -> list[str]:
    """A foreground ``ssh -N -L`` of its own (not the shared master), for `provision tunnel`."""
    return [
        "ssh", *ssh_options(host), "-o", "ControlMaster=no", "-o", "ControlPath=none",
        "-N", "-L", f"127.0.0.1:{local_port}:{remote_address}:{remote_port}", *_destination(host),
    ]  # fmt: skip
