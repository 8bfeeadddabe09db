"""Real remote hosts for the tests and the benchmarks: a second Docker daemon (its own config, data root,
exec root, socket, bridge and containerd namespace, initialised as a one-node swarm) and an OpenSSH server on
a loopback port with throwaway keys, whose Docker socket is the second daemon's.

The shared engine is never put in swarm mode. Other suites (another checkout's, with a second daemon of
their own) run on this machine at the same time, so each second daemon has names and addresses of its own:
its bridge, its swarm's gateway bridge (made before the swarm, under a name of ours) and its networks'
address pool, chosen where no link of the machine has an address. When it stops, the links it made (known
by its networks' ids) must be gone, and the first engine's docker0 and default networks still there (a daemon that
took docker0 with it once broke every `docker run` on this machine); links and networks others add
meanwhile are theirs.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import random
import secrets
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

from harness.containers import run_once
from provision.docker import engine
from provision.docker.ports import pick_free_port


def _links() -> set[str]:
    done = subprocess.run(["ip", "-json", "link"], capture_output=True, text=True, check=True)
    return {link["ifname"] for link in json.loads(done.stdout)}


def _addresses() -> list[ipaddress.IPv4Network]:
    done = subprocess.run(["ip", "-json", "-4", "addr"], capture_output=True, text=True, check=True)
    return [
        ipaddress.IPv4Network(f"{a['local']}/{a['prefixlen']}", strict=False)
        for link in json.loads(done.stdout)
        for a in link.get("addr_info", [])
    ]


@dataclass(frozen=True)
class Plan:
    """A second daemon's own names and addresses: nothing another suite's second daemon uses."""

    bridge: str  # at most 15 bytes, a kernel link name
    gateway: str  # the swarm's docker_gwbridge, under a name of ours
    bridge_address: str
    gateway_subnet: str
    pool: str  # the networks' address pool (a /16)

    @classmethod
    def choose(cls) -> Plan:
        used = _addresses()
        free = [
            k for k in range(200, 250) if not any(ipaddress.ip_network(f"10.{k}.0.0/16").overlaps(net) for net in used)
        ]
        if len(free) < 2:
            raise RuntimeError("no free 10.x.0.0/16 for a second Docker daemon")
        first, pool = random.sample(free, 2)  # noqa: S311 - two suites choosing at once rarely choose alike
        tag = secrets.token_hex(3)
        return cls(f"pvt{tag}", f"pvt{tag}g", f"10.{first}.0.1/24", f"10.{first}.1.0/24", f"10.{pool}.0.0/16")


def _first_engine_networks() -> set[tuple[str, str, str]]:
    """The first engine's own networks (bridge, host, none); others' come and go with their suites."""
    own = engine.client().networks.list(names=["bridge", "host", "none"])
    return {(n.id, n.name, n.attrs.get("Driver", "")) for n in own if n.name in ("bridge", "host", "none")}


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
    docker0: bool
    networks: set[tuple[str, str, str]]


def _its_links(plan: Plan, network_ids: list[str]) -> set[str]:
    """The links a second daemon makes: its bridge, its gateway bridge, one br-* per network of its own."""
    return {plan.bridge, plan.gateway} | {f"br-{nid[:12]}" for nid in network_ids}


def _check_first_engine_untouched(before: _Before, left: set[str], image: str) -> None:
    links = _links()
    assert not before.docker0 or "docker0" in links, "the first engine's docker0 bridge is gone"
    assert not left & links, f"the second daemon's links are left: {sorted(left & links)}"
    missing = before.networks - _first_engine_networks()
    assert not missing, f"the first engine's networks changed: {sorted(missing)} gone"
    # and a container still starts on the default bridge network
    run_once(engine.client(), image, ["true"], entrypoint=[], labels={"org.provision.test": "true"})


def _gateway_bridge(client: docker.DockerClient, plan: Plan) -> None:
    """The swarm's docker_gwbridge, made before the swarm so that its link has our name, not the one every
    daemon's swarm would take."""
    pool = docker.types.IPAMPool(subnet=plan.gateway_subnet)
    client.networks.create(
        "docker_gwbridge",
        driver="bridge",
        ipam=docker.types.IPAMConfig(pool_configs=[pool]),
        options={
            "com.docker.network.bridge.name": plan.gateway,
            "com.docker.network.bridge.enable_icc": "false",
            "com.docker.network.bridge.enable_ip_masquerade": "false",
        },
    )


def _stop(process: subprocess.Popen[bytes], sock: Path) -> list[str]:
    """Leave the swarm, remove what runs, stop the daemon; the ids of the networks it had."""
    ids: list[str] = []
    try:
        client = docker.DockerClient(base_url=f"unix://{sock}", timeout=60)
        for service in client.services.list():
            service.remove()
        client.swarm.leave(force=True)  # the second daemon's own swarm; the shared engine is never in one
        for container in client.containers.list(all=True):
            container.remove(force=True, v=True)
        ids = [n.id for n in client.networks.list()]
        client.networks.prune()  # a network's bridge outlives a daemon that stops
    except Exception:  # noqa: BLE001 - stop it below in any case
        pass
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    return ids


@contextlib.contextmanager
def second_engine(image: str) -> Iterator[SecondEngine]:
    """A second Docker daemon on this machine, a one-node swarm manager; stopped and removed after."""
    if shutil.which("dockerd") is None or os.getuid() != 0:
        raise RuntimeError("a second Docker daemon needs dockerd and root")
    before = _Before("docker0" in _links(), _first_engine_networks())
    plan = Plan.choose()
    folder = Path(tempfile.mkdtemp(prefix="pv2-", dir="/tmp"))  # short: socket paths have a length limit
    subprocess.run(["ip", "link", "add", plan.bridge, "type", "bridge"], check=True)
    subprocess.run(["ip", "addr", "add", plan.bridge_address, "dev", plan.bridge], check=True)
    subprocess.run(["ip", "link", "set", plan.bridge, "up"], check=True)
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
        "--bridge", plan.bridge,
        "--iptables=false",
        "--ip-masq=false",
        "--containerd-namespace", f"provtest-{plan.bridge}",
        "--containerd-plugins-namespace", f"provtest-plugins-{plan.bridge}",
        "--default-address-pool", f"base={plan.pool},size=24",
    ]  # fmt: skip
    with open(log, "wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_socket(sock, process, log)
        second = SecondEngine(sock, f"unix://{sock}", folder)
        _gateway_bridge(second.client(), plan)
        swarm_port = pick_free_port("127.0.0.1", set())
        second.client().swarm.init(advertise_addr="127.0.0.1", listen_addr=f"127.0.0.1:{swarm_port}")
        yield second
    finally:
        made = _its_links(plan, _stop(process, sock))
        for link in sorted(made & _links()):
            subprocess.run(["ip", "link", "delete", link], check=False)
        for point in _mounts_under(folder):  # its network namespaces and overlays
            subprocess.run(["umount", "--lazy", point], check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
        _check_first_engine_untouched(before, made, image)


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
    """Debian's sshd on a loopback port, with a throwaway host key and one authorised client key. Its
    sessions' home is a folder of its own: what provision keeps in a host's ~ (the carried images' files)
    is then this server's alone, not every suite's on this machine that logs in as root."""
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    if not Path(sshd).is_file():
        raise RuntimeError("no sshd: install openssh-server")
    folder = Path(tempfile.mkdtemp(prefix="pvssh-", dir="/tmp"))
    _keygen(folder / "host_key")
    _keygen(folder / "client_key")
    (folder / "authorized_keys").write_text((folder / "client_key.pub").read_text())
    (folder / "home").mkdir()
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
SetEnv HOME={folder / "home"}
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
