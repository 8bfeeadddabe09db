"""The [docker] table of a profile, and what ssh's own words become (pure: no Docker, no SSH)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from provision.clients.profile import parse_profile
from provision.clients.swarm import NodeFacts, most_free
from provision.docker import remote
from provision.docker.hosts import DockerHost, context_host
from provision.errors import EXIT_ENVIRONMENT, EnvironmentProblem, ProfileError


def docker(table: dict[str, object], source: Path | None = None) -> object:
    return parse_profile("site", {"docker": table}, source).docker


def test_an_ssh_host_with_its_key_relative_to_the_profile_and_a_rootless_socket(tmp_path: Path) -> None:
    settings = docker(
        {"host": "ssh://deploy@demo-3.example:2222", "identity": "keys/site", "socket": "/run/user/1000/docker.sock"},
        tmp_path / "client.toml",
    )
    host = settings.target()  # type: ignore[attr-defined]
    assert host == DockerHost(
        "ssh://deploy@demo-3.example:2222", "/run/user/1000/docker.sock", str(tmp_path / "keys/site")
    )
    assert host.ssh_parts() == ("deploy", "demo-3.example", 2222) and host.is_ssh and not host.is_local
    assert DockerHost("ssh://demo-3").ssh_parts() == ("", "demo-3", 22)


def test_the_local_engine_is_the_default_and_a_swarm_is_asked_for_by_name() -> None:
    assert docker({}).remote is False  # type: ignore[attr-defined]
    settings = docker({"host": "unix:///run/pool.sock", "engine": "swarm", "node": "demo-1"})
    assert settings.swarm and settings.node == "demo-1" and settings.remote  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ({"host": "ftp://demo-3"}, "docker.host = 'ftp://demo-3' is not allowed"),
        ({"host": "ssh://deploy@demo-3:99999"}, "docker.host"),
        ({"hots": "ssh://demo-3"}, "did you mean 'host'?"),
        ({"engine": "kubernetes"}, "'compose' or 'swarm'"),
        ({"node": "demo-1"}, "docker.node is for a swarm"),
        ({"host": "ssh://a", "context": "site"}, "docker.host and docker.context both set"),
        ({"identity": "~/.ssh/id"}, "are for an ssh:// host"),
        ({"host": 3}, "docker.host = 3 is not allowed"),
        ({"registry": "http://registry"}, "docker.registry"),
        ({"host": "ssh://-oProxyCommand=x"}, "docker.host"),  # never an option to ssh
    ],
)
def test_a_wrong_docker_table_is_refused_naming_the_field(table: dict[str, object], words: str) -> None:
    with pytest.raises(ProfileError) as caught:
        docker(table)
    assert words in str(caught.value)


def test_a_remote_client_keeps_its_data_in_a_volume_there() -> None:
    with pytest.raises(ProfileError, match="for this machine's engine"):
        parse_profile("site", {"docker": {"host": "ssh://demo-3"}, "postgres": {"storage": "clone", "major": 18}}, None)
    # an address that is not this machine's is the remote host's own to bind to
    assert parse_profile("site", {"docker": {"host": "ssh://demo-3"}, "postgres": {"host": "10.20.30.40"}}, None)
    with pytest.raises(ProfileError, match="not an address of this machine"):
        parse_profile("site", {"postgres": {"host": "10.20.30.40"}}, None)


def test_a_docker_context_is_read_from_the_docker_clis_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    meta = tmp_path / "contexts" / "meta" / hashlib.sha256(b"site-a").hexdigest()
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(json.dumps({"Name": "site-a", "Endpoints": {"docker": {"Host": "ssh://deploy@a"}}}))
    assert context_host("site-a") == "ssh://deploy@a"
    assert parse_profile("site", {"docker": {"context": "site-a"}}, None).docker.target().url == "ssh://deploy@a"
    with pytest.raises(EnvironmentProblem, match="no Docker context 'site-b'") as caught:
        context_host("site-b")
    assert caught.value.exit_code == EXIT_ENVIRONMENT


@pytest.mark.parametrize(
    ("stderr", "words"),
    [
        ("deploy@demo-3: Permission denied (publickey).", "refused the key"),
        ("ssh: connect to host demo-3 port 22: Connection refused", "cannot reach the SSH server"),
        ("ssh: Could not resolve hostname demo-3: Name or service not known", "cannot reach the SSH server"),
        (
            "@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@\nHost key verification failed.",
            "not the one known",
        ),
        ('Load key "/k": bad permissions\ndeploy@demo-3: Permission denied (publickey).', "cannot use the key"),
        ("something else entirely", "ssh failed"),
    ],
)
def test_what_ssh_says_becomes_one_error_with_the_fix(stderr: str, words: str) -> None:
    problem = remote._fault(DockerHost("ssh://deploy@demo-3", identity="/k"), stderr)
    assert words in problem.message and problem.fix and problem.exit_code == EXIT_ENVIRONMENT


def test_the_runtime_folder_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVISION_RUNTIME_DIR", str(tmp_path / "rt"))
    folder = remote.runtime_dir(DockerHost("ssh://demo-3"))
    assert folder.parent == tmp_path / "rt" and oct(folder.stat().st_mode & 0o777) == "0o700"
    (tmp_path / "rt").chmod(0o755)
    with pytest.raises(EnvironmentProblem, match="not a private folder"):
        remote.runtime_dir(DockerHost("ssh://demo-3"))


def test_placement_takes_the_ready_node_with_the_most_memory_not_promised() -> None:
    gib = 1024**3
    nodes = [
        NodeFacts("a", "demo-1", True, 32 * gib),
        NodeFacts("b", "demo-2", True, 16 * gib),
        NodeFacts("c", "demo-3", False, 64 * gib),  # down or drained: never chosen
    ]
    assert most_free(nodes, {}) == nodes[0]
    assert most_free(nodes, {"a": 20 * gib}) == nodes[1]  # 12 GiB left on demo-1, 16 on demo-2
    assert most_free([nodes[2]], {}) is None


def test_ssh_is_given_a_port_only_when_the_url_names_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVISION_RUNTIME_DIR", str(tmp_path / "rt"))
    monkeypatch.setenv("PROVISION_KNOWN_HOSTS", str(tmp_path / "known_hosts"))
    named = remote.ssh_argv(DockerHost("ssh://deploy@demo-3:2222"), "true")
    plain = remote.ssh_argv(DockerHost("ssh://deploy@demo-3"), "true")  # ~/.ssh/config's Port applies
    assert named[-4:] == ["-p", "2222", "deploy@demo-3", "true"] and "-p" not in plain
    assert "ControlMaster=no" in plain and f"UserKnownHostsFile={tmp_path / 'known_hosts'}" in " ".join(plain)


def test_a_plain_tcp_engine_is_refused_before_anything_is_sent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from provision.cli import app

    monkeypatch.delenv("DOCKER_TLS_VERIFY", raising=False)
    profile = tmp_path / "compose" / "site" / "client.toml"
    profile.parent.mkdir(parents=True)
    profile.write_text('[docker]\nhost = "tcp://demo-3.example:2375"\n', encoding="utf-8")
    done = CliRunner().invoke(app, ["--workspace", str(tmp_path), "up", "site"])
    assert done.exit_code == EXIT_ENVIRONMENT and "plain TCP" in done.output and "ssh://" in done.output
