"""Real remote hosts for the tests: a second Docker daemon (its own config, data root, exec root, socket,
bridge and containerd namespace, initialised as a one-node swarm) and an OpenSSH server on a loopback port
with throwaway keys, whose Docker socket is the second daemon's.

The shared engine is never put in swarm mode. The second daemon is started with its own bridge and without
iptables rules, and the first engine's networks and its docker0 bridge are checked to be exactly as they
were when it stops (a daemon that took docker0 with it once broke every `docker run` on this machine).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker

from provision import engine
from provision.ports import pick_free_port

BRIDGE = "provtest0"
BRIDGE_ADDRESS = "10.213.255.1/24"  # the second daemon's containers only: no traffic leaves this machine


def _links() -> set[str]:
    done = subprocess.run(["ip", "-json", "link"], capture_output=True, text=True, check=True)
    return {link["ifname"] for link in json.loads(done.stdout)}


def _first_engine_networks() -> list[tuple[str, str, str]]:
    return sorted((n.id, n.name, n.attrs.get("Driver", "")) for n in engine.client().networks.list())


@dataclass(frozen=True)
class SecondEngine:
    socket: Path
    url: str
    folder: Path

    def client(self) -> docker.DockerClient:
        return docker.DockerClient(base_url=self.url, timeout=120)


def _wait_socket(path: Path, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the second dockerd exited: {log.read_text()[-2000:]}")
        if path.is_socket():
            try:
                docker.DockerClient(base_url=f"unix://{path}", timeout=5).ping()
                return
            except Exception:  # noqa: BLE001 - not answering yet
                pass
        time.sleep(0.3)
    raise RuntimeError(f"the second dockerd did not answer in {timeout:.0f} s: {log.read_text()[-2000:]}")


def _mounts_under(folder: Path) -> list[str]:
    with open("/proc/mounts", encoding="utf-8") as handle:
        points = [line.split()[1] for line in handle]
    return sorted((p for p in points if p.startswith(f"{folder}/")), key=len, reverse=True)


@dataclass
class _Before:
    links: set[str]
    networks: list[tuple[str, str, str]]


def _check_first_engine_untouched(before: _Before, image: str) -> None:
    links = _links()
    assert "docker0" not in before.links or "docker0" in links, "the first engine's docker0 bridge is gone"
    assert links == before.links, f"network links changed: {sorted(links ^ before.links)}"
    assert _first_engine_networks() == before.networks, "the first engine's networks changed"
    # and a container still starts on the default bridge network
    engine.client().containers.run(image, ["true"], entrypoint=[], remove=True, labels={"org.provision.test": "true"})


@contextlib.contextmanager
def second_engine(image: str) -> Iterator[SecondEngine]:
    """A second Docker daemon on this machine, a one-node swarm manager; stopped and removed after."""
    if shutil.which("dockerd") is None or os.getuid() != 0:
        raise RuntimeError("a second Docker daemon needs dockerd and root")
    before = _Before(_links(), _first_engine_networks())
    folder = Path(tempfile.mkdtemp(prefix="pv2-", dir="/tmp"))  # short: socket paths have a length limit
    made_bridge = BRIDGE not in before.links
    if made_bridge:
        subprocess.run(["ip", "link", "add", BRIDGE, "type", "bridge"], check=True)
        subprocess.run(["ip", "addr", "add", BRIDGE_ADDRESS, "dev", BRIDGE], check=True)
        subprocess.run(["ip", "link", "set", BRIDGE, "up"], check=True)
    (folder / "daemon.json").write_text("{}")
    sock = folder / "docker.sock"
    log = folder / "dockerd.log"
    argv = [
        "dockerd",
        "--config-file", str(folder / "daemon.json"),
        "--data-root", str(folder / "data"),
        "--exec-root", str(folder / "exec"),
        "--pidfile", str(folder / "docker.pid"),
        "--host", f"unix://{sock}",
        "--bridge", BRIDGE,
        "--iptables=false",
        "--ip-masq=false",
        "--containerd-namespace", "provtest",
        "--containerd-plugins-namespace", "provtest-plugins",
        "--default-address-pool", "base=10.214.0.0/16,size=24",
    ]  # fmt: skip
    with open(log, "wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_socket(sock, process, log)
        second = SecondEngine(sock, f"unix://{sock}", folder)
        swarm_port = pick_free_port("127.0.0.1", set())
        second.client().swarm.init(advertise_addr="127.0.0.1", listen_addr=f"127.0.0.1:{swarm_port}")
        yield second
    finally:
        try:
            client = docker.DockerClient(base_url=f"unix://{sock}", timeout=60)
            for service in client.services.list():
                service.remove()
            client.swarm.leave(force=True)  # the second daemon's own swarm; the shared engine is never in one
            for container in client.containers.list(all=True):
                container.remove(force=True, v=True)
            client.networks.prune()  # a network's bridge outlives a daemon that stops
        except Exception:  # noqa: BLE001 - stop it below in any case
            pass
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        for link in sorted(_links() - before.links):  # its bridges: ours, docker_gwbridge, its networks' br-*
            if link in (BRIDGE, "docker_gwbridge") or link.startswith("br-"):
                subprocess.run(["ip", "link", "delete", link], check=False)
        for point in _mounts_under(folder):  # its network namespaces and overlays
            subprocess.run(["umount", "--lazy", point], check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
        _check_first_engine_untouched(before, image)


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path, what: str) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.1)


@dataclass(frozen=True)
class SshServer:
    port: int
    key: Path  # the client's private key, authorised for root
    folder: Path

    def url(self, user: str = "root") -> str:
        return f"ssh://{user}@127.0.0.1:{self.port}"


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


@contextlib.contextmanager
def ssh_server() -> Iterator[SshServer]:
    """Debian's sshd on a loopback port, with a throwaway host key and one authorised client key."""
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    if not Path(sshd).is_file():
        raise RuntimeError("no sshd: install openssh-server")
    folder = Path(tempfile.mkdtemp(prefix="pvssh-", dir="/tmp"))
    _keygen(folder / "host_key")
    _keygen(folder / "client_key")
    (folder / "authorized_keys").write_text((folder / "client_key.pub").read_text())
    port = pick_free_port("127.0.0.1", set())
    (folder / "sshd_config").write_text(
        f"""Port {port}
ListenAddress 127.0.0.1
HostKey {folder / "host_key"}
AuthorizedKeysFile {folder / "authorized_keys"}
PidFile {folder / "sshd.pid"}
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
MaxSessions 50
MaxStartups 50
LogLevel ERROR
"""
    )
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation folder
    with open(folder / "log", "wb") as log:
        process = subprocess.Popen([sshd, "-D", "-e", "-f", str(folder / "sshd_config")], stderr=log)
    try:
        _wait_listening(port, process, folder / "log", "sshd")
        yield SshServer(port, folder / "client_key", folder)
    finally:
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class SiteRegistry:
    address: str  # host:port, as a profile's [docker] registry names it


@contextlib.contextmanager
def site_registry() -> Iterator[SiteRegistry]:
    """Debian's docker-registry on a loopback port with its storage in a throwaway folder (Docker pulls from
    and pushes to 127.0.0.0/8 without TLS)."""
    binary = shutil.which("docker-registry") or "/usr/bin/docker-registry"
    if not Path(binary).is_file():
        raise RuntimeError("no docker-registry: install Debian's docker-registry")
    folder = Path(tempfile.mkdtemp(prefix="pvreg-", dir="/tmp"))
    port = pick_free_port("127.0.0.1", set())
    (folder / "config.yml").write_text(
        "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {folder / 'data'}\nhttp:\n  addr: 127.0.0.1:{port}\n"
    )
    with open(folder / "log", "wb") as log:
        process = subprocess.Popen([binary, "serve", str(folder / "config.yml")], stdout=log, stderr=log)
    try:
        _wait_listening(port, process, folder / "log", "docker-registry")
        yield SiteRegistry(f"127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(folder, ignore_errors=True)
