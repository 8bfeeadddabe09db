"""Clients on other Docker hosts: over SSH (a real sshd on a loopback port, throwaway keys) and as a swarm
stack (a real second Docker daemon, a one-node swarm; the shared engine never joins one)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner, Result

from harness.remote_hosts import SecondEngine, SiteRegistry, SshServer, second_engine, site_registry, ssh_server
from provision.cli import app
from provision.clients.render import client_env
from provision.clients.workspace import Workspace
from provision.docker import carry, engine, remote
from provision.docker.hosts import DockerHost
from provision.docker.imagebuild import built_tag
from provision.errors import EXIT_ENVIRONMENT

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SEED = "[seed]\naccounts = 150\nmonths = 3\n\n[training]\nseats = 1\n"


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The SSH connections' private folder, known hosts (a new host key each run) and the carried images'
    archive of this module alone: another suite on this machine carries and forgets its own."""
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"pvrt-{os.getpid()}"
    ours = {
        "PROVISION_RUNTIME_DIR": str(folder),
        "PROVISION_KNOWN_HOSTS": str(folder / "known_hosts"),
        "PROVISION_CACHE_DIR": str(tmp_path_factory.mktemp("cache")),
    }
    saved = {name: os.environ.get(name) for name in ours}
    os.environ.update(ours)
    yield folder
    for control in folder.glob("*/ssh.ctl"):  # the master connections: they outlive the test's sshd otherwise
        subprocess.run(["ssh", "-S", str(control), "-O", "exit", "host"], capture_output=True, check=False)
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    subprocess.run(["rm", "-rf", str(folder), ours["PROVISION_CACHE_DIR"]], check=False)


@pytest.fixture(scope="module")
def engine2(pg_image: str, runtime: Path) -> Iterator[SecondEngine]:
    if os.getuid() != 0 or not shutil.which("dockerd"):
        pytest.skip("a second Docker daemon needs root and dockerd")
    with second_engine(pg_image) as second:
        yield second


@pytest.fixture(scope="module")
def sshd(runtime: Path) -> Iterator[SshServer]:
    if not Path("/usr/sbin/sshd").is_file() or not shutil.which("ssh"):
        pytest.skip("no OpenSSH server or client here: `make install` brings them (.ci/system-packages)")
    with ssh_server() as server:
        yield server


def cli(root: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--workspace", str(root), *args])


def write(root: Path, client: str, text: str) -> Workspace:
    workspace = Workspace(root)
    path = workspace.files(client).profile
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return workspace


def ssh_profile(sshd: SshServer, engine2: SecondEngine, **docker: str) -> str:
    fields = {"host": sshd.url(), "identity": str(sshd.key), "socket": str(engine2.socket), **docker}
    table = "".join(f'{key} = "{value}"\n' for key, value in fields.items())
    return f'title = "Водоканал на площадке заказчика"\n\n[docker]\n{table}\n{SEED}'


def ours(engine2: SecondEngine, root: Path) -> list[str]:
    """Every container, volume, network, service and secret on the second engine labelled with ``root``."""
    client = engine2.client()
    label = {"label": f"{engine.LABEL_WORKSPACE}={root}"}
    found = [c.name for c in client.containers.list(all=True, filters=label)]
    found += [v.name for v in client.volumes.list(filters=label)]
    found += [n.name for n in client.networks.list(filters=label)]
    found += [s.name for s in client.services.list(filters=label)]
    found += [s.name for s in client.secrets.list(filters=label)]
    return found


def accounts(dsn: str) -> int:
    with psycopg.connect(dsn, connect_timeout=10) as conn:
        row = conn.execute("SELECT count(*) FROM okno.account").fetchone()
    assert row is not None
    return int(row[0])


def test_a_client_on_an_ssh_host_comes_up_with_the_image_carried_is_reset_and_destroyed(
    tmp_path: Path, engine2: SecondEngine, sshd: SshServer
) -> None:
    workspace = write(tmp_path, "site", ssh_profile(sshd, engine2))
    assert not any(built_tag(15) in image.tags for image in engine2.client().images.list())

    done = cli(tmp_path, "up", "site")
    assert done.exit_code == 0, done.output
    assert "carrying provision/postgres:15 to ssh://root@127.0.0.1" in done.output
    assert "seeded:   150 accounts" in done.output
    assert any(built_tag(15) in image.tags for image in engine2.client().images.list())
    assert [c.status for c in engine2.client().containers.list(filters={"label": f"{engine.LABEL_CLIENT}=site"})] == [
        "running"
    ]
    assert not engine.find("containers", {engine.LABEL_WORKSPACE: str(tmp_path)})  # nothing on this engine

    env = client_env(workspace, "site")
    password = env.files.password.read_text().strip()
    rendered = env.compose_file.read_text()  # the password reaches the host in a volume, not as a path of here
    assert "file: ./secrets/postgres_password" not in rendered and password not in rendered
    assert f"{env.project}_secrets" in [v.name for v in engine2.client().volumes.list()]
    address, port = env.reach()
    assert (address, port) != ("127.0.0.1", env.port)  # the local end of the SSH forward, not the host's port
    assert f"127.0.0.1:{port}/" in done.output
    dsn = env.dsn(password)
    assert accounts(dsn) == 150

    remote.close(env.host)  # as when the connection closes after 15 idle minutes under a long-lived console
    assert engine.client(env.host).ping() and env.dsn(password) == dsn  # opened again, on the same local port
    assert accounts(dsn) == 150

    status = json.loads(cli(tmp_path, "status", "site", "--json").output)
    assert status[0]["state"] == "running" and status[0]["docker_host"] == sshd.url()
    listed = json.loads(cli(tmp_path, "list", "--json").output)
    assert {(row["client"], row["docker_host"]) for row in listed} >= {("site", sshd.url())}
    hosts = {row["host"]: row for row in json.loads(cli(tmp_path, "hosts", "--json").output)}
    assert hosts[sshd.url()]["reachable"] and hosts[sshd.url()]["clients"] == ["site"]
    assert hosts[sshd.url()]["docker_version"].startswith("20.")
    assert hosts[sshd.url()]["memory_free_bytes"] > 0 and hosts[sshd.url()]["disk_free_bytes"] > 0
    assert hosts["local"]["reachable"] and "site" not in hosts["local"]["clients"]

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE okno.scribble (x int)")
    reset = cli(tmp_path, "reset", "site")
    assert reset.exit_code == 0, reset.output
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT to_regclass('okno.scribble')").fetchone() == (None,)

    seats = json.loads(cli(tmp_path, "seats", "site", "--json", "--show-passwords").output)
    assert [seat["seat"] for seat in seats] == [0, 1]
    assert accounts(seats[1]["connect"]) == 150  # a trainee's seat, through the same forward
    assert cli(tmp_path, "snapshot", "save", "site", "lesson-1").exit_code == 0
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM okno.payment")
    restored = cli(tmp_path, "snapshot", "restore", "site", "lesson-1")
    assert restored.exit_code == 0, restored.output
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(*) > 0 FROM okno.payment").fetchone() == (True,)

    export = tmp_path / "export"
    assert cli(tmp_path, "import", "sample", "site", str(export)).exit_code == 0
    loaded = cli(tmp_path, "import", "load", "site", str(export))  # streamed through the SSH forward
    assert loaded.exit_code == 0, loaded.output
    assert accounts(dsn) == 150

    provision = str(Path(sys.executable).parent / "provision")
    logs = subprocess.run([provision, "--workspace", str(tmp_path), "logs", "site", "--tail", "50"],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)  # fmt: skip
    assert logs.returncode == 0 and "database system is ready" in logs.stdout + logs.stderr

    psql = subprocess.run(
        [str(Path(sys.executable).parent / "provision"), "--workspace", str(tmp_path), "psql", "site", "-tAc",
         "SELECT count(*) FROM okno.account"],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    assert psql.returncode == 0 and psql.stdout.strip() == "150", psql.stderr

    tunnel = subprocess.Popen(
        [str(Path(sys.executable).parent / "provision"), "--workspace", str(tmp_path), "tunnel", "site"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert tunnel.stdout is not None
        lines = [tunnel.stdout.readline() for _ in range(2)]
        assert lines[0].startswith("site: ") and "connect:  postgresql://" in lines[1], lines
        local = int(lines[1].rsplit(":", 1)[1].split("/")[0])
        assert local != port  # a tunnel of its own, beside provision's forward
        tunnelled = f"postgresql://{env.profile.user}:{password}@127.0.0.1:{local}/{env.profile.database}"
        deadline = time.monotonic() + 15
        while True:
            try:
                assert accounts(tunnelled) == 150
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        tunnel.terminate()
        tunnel.wait(timeout=10)

    gone = cli(tmp_path, "destroy", "site", "--yes")
    assert gone.exit_code == 0, gone.output
    assert ours(engine2, tmp_path) == []


def test_a_dropped_image_transfer_resumes_where_it_stopped(
    tmp_path: Path, engine2: SecondEngine, sshd: SshServer
) -> None:
    host = DockerHost(sshd.url(), str(engine2.socket), str(sshd.key))
    ref = built_tag(15)
    archive, digest = carry._local_archive(ref, lambda _line: None)
    partial = f"{carry.REMOTE_DIR}/{digest[:16]}.tar.part"
    assert remote.run(host, "echo $HOME").stdout.strip() == str(sshd.folder / "home")  # this server's own ~
    remote.run(host, f"mkdir -p {carry.REMOTE_DIR} && rm -f {partial}")
    with open(archive, "rb") as whole:  # 50 MB arrived before the connection dropped
        subprocess.run(remote.ssh_argv(host, f"cat > {partial}"), input=whole.read(50 * 1024**2), check=True)
    if any(ref in image.tags for image in engine2.client().images.list()):
        engine2.client().images.remove(ref, force=True)
    lines: list[str] = []
    carry.carry(ref, host, lines.append)
    assert any("resuming the transfer of provision/postgres:15" in line and "at 50 MB" in line for line in lines)
    assert any(ref in image.tags for image in engine2.client().images.list())
    assert remote.run(host, f"test -e {partial} && echo left || echo gone").stdout.strip() == "gone"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("port", "cannot reach the SSH server"),
        ("key", "the SSH server refused the key"),
        ("socket", "no Docker engine there (no socket /run/no-docker-here.sock)"),
    ],
)
def test_an_unreachable_host_a_refused_key_and_no_docker_there_are_one_error_each(
    tmp_path: Path, engine2: SecondEngine, sshd: SshServer, change: str, expected: str
) -> None:
    fields: dict[str, str] = {}
    if change == "port":
        closed = sshd.url().rsplit(":", 1)[0] + ":1"
        fields["host"] = closed
    elif change == "key":
        stranger = tmp_path / "stranger"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
        fields["identity"] = str(stranger)
    else:
        fields["socket"] = "/run/no-docker-here.sock"
    write(tmp_path, "site", ssh_profile(sshd, engine2, **fields))
    done = cli(tmp_path, "up", "site")
    assert done.exit_code == EXIT_ENVIRONMENT, done.output
    assert expected in done.output and "fix:" in done.output and "Traceback" not in done.output
    assert ours(engine2, tmp_path) == []
    assert "image" not in Workspace(tmp_path).files("site").read_state().raw
    if change == "port":  # the other commands still answer, and say which host is out of reach
        listed = cli(tmp_path, "list", "--json")
        assert listed.exit_code == 0 and {r["client"]: r["state"] for r in json.loads(listed.stdout)}["site"] == (
            "unreachable"
        )
        hosts = {r["host"]: r for r in json.loads(cli(tmp_path, "hosts", "--json").stdout)}
        assert not hosts[fields["host"]]["reachable"] and expected in hosts[fields["host"]]["problem"]


@pytest.fixture(scope="module")
def registry(pg_image: str) -> Iterator[SiteRegistry]:
    if not shutil.which("docker-registry") and not Path("/usr/bin/docker-registry").is_file():
        pytest.skip("no docker-registry here: `make install` brings it (.ci/system-packages)")
    with site_registry() as serving:
        yield serving


def test_a_host_pulls_the_image_from_the_sites_registry_instead_of_having_it_carried(
    tmp_path: Path, engine2: SecondEngine, sshd: SshServer, registry: SiteRegistry, pg_image: str
) -> None:
    first = engine.client()
    repository = f"{registry.address}/provision/postgres"
    first.images.get(pg_image).tag(repository, tag="15")
    try:
        for _line in first.images.push(repository, tag="15", stream=True, decode=True):
            pass
    finally:
        first.images.remove(f"{repository}:15")  # the tag only: the image stays
    for image in engine2.client().images.list():
        engine2.client().images.remove(image.id, force=True)

    write(tmp_path, "site", ssh_profile(sshd, engine2, registry=registry.address))
    done = cli(tmp_path, "up", "site")
    assert done.exit_code == 0, done.output
    assert f"pulling provision/postgres:15 on {sshd.url()} from the site's registry {registry.address}" in done.output
    assert "carrying" not in done.output
    assert any(pg_image in image.tags for image in engine2.client().images.list())
    assert cli(tmp_path, "destroy", "site", "--yes").exit_code == 0
    assert ours(engine2, tmp_path) == []


def swarm_profile(engine2: SecondEngine) -> str:
    return f'title = "Пул демо-стендов"\n\n[docker]\nhost = "{engine2.url}"\nengine = "swarm"\n\n{SEED}'


@pytest.mark.parametrize("reached", ["socket", "ssh"])
def test_a_client_deployed_as_a_swarm_stack_is_reachable_reset_kept_over_down_and_destroyed_clean(
    tmp_path: Path, engine2: SecondEngine, sshd: SshServer, reached: str
) -> None:
    profile = ssh_profile(sshd, engine2, engine="swarm") if reached == "ssh" else swarm_profile(engine2)
    workspace = write(tmp_path, "pool", profile)
    done = cli(tmp_path, "up", "pool")
    assert done.exit_code == 0, done.output
    env = client_env(workspace, "pool")
    swarm = engine2.client()
    assert [s.name for s in swarm.services.list()] == [f"{env.project}_db"]
    node = swarm.nodes.list()[0]
    assert node.attrs["Spec"]["Labels"].get(f"org.provision.pin.{env.project}") == "true"
    assert Workspace(tmp_path).files("pool").read_state().raw["node"] == node.id
    stack = (tmp_path / "compose" / "pool" / "stack.yaml").read_text()
    assert 'version: "3.8"' in stack and env.files.password.read_text().strip() not in stack
    dsn = env.dsn(env.files.password.read_text().strip())
    with socket.socket() as probe:  # the node's loopback only: here that is this machine's
        probe.connect(("127.0.0.1", env.port))
    if reached == "ssh":
        assert f"@127.0.0.1:{env.port}/" not in dsn  # through the manager's SSH connection
    assert accounts(dsn) == 150
    assert json.loads(cli(tmp_path, "status", "pool", "--json").output)[0]["state"] == "running"

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE okno.scribble (x int)")
    assert cli(tmp_path, "reset", "pool").exit_code == 0
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT to_regclass('okno.scribble')").fetchone() == (None,)

    down = cli(tmp_path, "down", "pool")
    assert down.exit_code == 0, down.output
    assert swarm.services.list() == []
    assert [v.name for v in swarm.volumes.list(filters={"label": f"{engine.LABEL_CLIENT}=pool"})]
    again = cli(tmp_path, "up", "pool")
    assert again.exit_code == 0, again.output
    assert "seeded" not in again.output and accounts(dsn) == 150  # the data stayed on its node

    gone = cli(tmp_path, "destroy", "pool", "--yes")
    assert gone.exit_code == 0, gone.output
    assert ours(engine2, tmp_path) == []
    assert f"org.provision.pin.{env.project}" not in (swarm.nodes.list()[0].attrs["Spec"].get("Labels") or {})


def test_a_swarm_client_on_an_engine_outside_a_swarm_or_on_a_node_that_left_is_refused(
    tmp_path: Path, engine2: SecondEngine
) -> None:
    write(tmp_path, "here", '[docker]\nengine = "swarm"\n')
    done = cli(tmp_path, "up", "here")
    assert done.exit_code == EXIT_ENVIRONMENT and "is not in a swarm" in done.output and "swarm init" in done.output
    assert engine.client().info()["Swarm"]["LocalNodeState"] == "inactive"  # the shared engine left as it was

    workspace = write(tmp_path, "pool", swarm_profile(engine2))
    workspace.files("pool").change_state(node="zq3" * 8 + "x")
    done = cli(tmp_path, "up", "pool")
    assert done.exit_code == EXIT_ENVIRONMENT and "has left the swarm" in done.output, done.output
    assert ours(engine2, tmp_path) == []
