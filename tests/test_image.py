"""The PostgreSQL image built from Debian's packages keeps the official image's contract."""

from __future__ import annotations

import contextlib
import gzip
import io
import lzma
import struct
import tarfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker.errors
import psycopg
import pytest
from typer.testing import CliRunner

from harness.containers import run_once
from provision.cli import app
from provision.docker import engine, images
from provision.docker.imagebuild import SUITES, debian_sources, packages_for, prune_rootfs, rootfs_key, suite_for
from provision.errors import InputError

pytestmark = pytest.mark.docker
TEST_LABELS = {"org.provision.test": "true"}


def _tar(files: dict[str, str | bytes], owner: int = 0) -> bytes:
    """Files by path (text or bytes); a path ending in / is a folder owned by ``owner``, mode 0700."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, text in files.items():
            if name.endswith("/"):
                folder = tarfile.TarInfo(name.rstrip("/"))
                folder.type, folder.mode, folder.uid, folder.gid = tarfile.DIRTYPE, 0o700, owner, owner
                tar.addfile(folder)
                continue
            data = text.encode() if isinstance(text, str) else text
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _zstd_stored(data: bytes) -> bytes:
    """A zstd frame holding ``data`` as one raw (uncompressed) block: enough for `zstd -d`."""
    assert len(data) < 128 * 1024
    magic, descriptor, window = struct.pack("<I", 0xFD2FB528), b"\x00", b"\x58"  # 2 MiB window
    block_header = (1 | len(data) << 3).to_bytes(3, "little")  # last block, raw, its size
    return magic + descriptor + window + block_header + data


@pytest.fixture(scope="module", params=sorted(SUITES), ids=lambda major: f"pg{major}")
def major_image(request: pytest.FixtureRequest, pg_image_of: Callable[[int], str]) -> tuple[int, str]:
    """(major, image): every contract test runs on the image of each major Debian ships, built when missing."""
    major = int(request.param)
    return major, pg_image_of(major)


@pytest.fixture
def start_container(major_image: tuple[int, str]) -> Iterator[Any]:
    pg_image = major_image[1]
    made: list[Any] = []

    def start(
        env: dict[str, str],
        files: dict[str, str | bytes] | None = None,
        volume: str | None = None,
        *,
        user: str | None = None,
        command: list[str] | None = None,
    ) -> Any:
        docker_client = engine.client()
        container = docker_client.containers.create(
            pg_image,
            command=command,
            environment=env,
            labels=TEST_LABELS,
            user=user or "",
            ports={"5432/tcp": ("127.0.0.1", None)},
            volumes={volume: {"bind": "/var/lib/postgresql/data", "mode": "rw"}} if volume else None,
        )
        made.append(container)
        if files:
            owner = int(user.split(":")[0]) if user else 0
            container.put_archive("/", _tar(files, owner))
        container.start()
        return container

    yield start
    for container in made:
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True, v=True)


def _port(container: Any) -> int:
    container.reload()
    return int(container.attrs["NetworkSettings"]["Ports"]["5432/tcp"][0]["HostPort"])


def _wait_query(container: Any, dsn_tail: str, sql: str, timeout: float = 60) -> list[tuple[Any, ...]]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(f"postgresql://{dsn_tail.format(port=_port(container))}", connect_timeout=2) as conn:
                return conn.execute(sql).fetchall()
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise AssertionError(container.logs(tail=30).decode()) from None
            time.sleep(0.3)


def test_initdb_from_env_and_file_secret_then_password_login(start_container) -> None:  # type: ignore[no-untyped-def]
    container = start_container(
        {
            "POSTGRES_USER": "billing",
            "POSTGRES_DB": "okno",
            "POSTGRES_PASSWORD_FILE": "/run/pw",
            "POSTGRES_INITDB_ARGS": "--locale=ru_RU.UTF-8 --encoding=UTF8",
        },
        files={"run/pw": "s3cret-пароль\n"},
    )
    rows = _wait_query(
        container,
        "billing:s3cret-пароль@127.0.0.1:{port}/okno",
        "SELECT current_user, current_database(), "
        "(SELECT datcollate FROM pg_database WHERE datname = current_database()), "
        "current_setting('listen_addresses'), (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)",
    )
    assert rows == [("billing", "okno", "ru_RU.UTF-8", "*", True)]
    status = container.exec_run("cat /proc/1/status").output.decode()
    assert "Uid:\t999" in status  # PID 1 runs as postgres, not root
    with pytest.raises(psycopg.OperationalError, match="password authentication failed|проверку подлинности"):
        psycopg.connect(f"postgresql://billing:wrong@127.0.0.1:{_port(container)}/okno", connect_timeout=3)


def test_no_password_is_refused_with_a_clear_message(start_container) -> None:  # type: ignore[no-untyped-def]
    container = start_container({})
    container.wait(timeout=30)
    assert "no superuser password is set" in container.logs().decode()


def test_initdb_scripts_run_once_and_restart_skips_init(start_container) -> None:  # type: ignore[no-untyped-def]
    volume = f"provision-test-{time.monotonic_ns()}"
    engine.client().volumes.create(volume, labels=TEST_LABELS)
    try:
        initdb = "docker-entrypoint-initdb.d"
        scripts = {
            f"{initdb}/01-schema.sql": "CREATE TABLE marks (n int); INSERT INTO marks VALUES (1);",
            f"{initdb}/02-more.sh": 'psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" '
            "-c 'INSERT INTO marks VALUES (2)'\n",
        }
        env = {"POSTGRES_PASSWORD": "pw"}
        first = start_container(env, files=scripts, volume=volume)
        assert _wait_query(first, "postgres:pw@127.0.0.1:{port}/postgres", "SELECT n FROM marks ORDER BY n") == [
            (1,),
            (2,),
        ]
        started = time.monotonic()
        first.stop(timeout=30)
        stop_seconds = time.monotonic() - started
        log = first.logs().decode()
        assert stop_seconds < 10
        assert "database system is shut down" in log.splitlines()[-1]
        first.remove()

        second = start_container(env, files=scripts, volume=volume)
        assert _wait_query(second, "postgres:pw@127.0.0.1:{port}/postgres", "SELECT count(*) FROM marks") == [(2,)]
        assert "already initialised; skipping initialisation" in second.logs().decode()
    finally:
        for container in engine.client().containers.list(all=True, filters={"volume": volume}):
            container.remove(force=True)
        engine.client().volumes.get(volume).remove(force=True)


def test_compressed_and_sourced_init_scripts_local_scram_and_server_options(start_container) -> None:  # type: ignore[no-untyped-def]
    initdb = "docker-entrypoint-initdb.d"
    sourced = (
        "docker_process_sql <<<\"INSERT INTO marks VALUES ('sourced')\"\n"
        "docker_process_sql <<<\"CREATE TABLE seen AS SELECT current_setting('max_connections') AS mc\"\n"
    )
    container = start_container(
        {
            "POSTGRES_PASSWORD": "pw",
            "POSTGRES_DB": "okno",
            "POSTGRES_INITDB_ARGS": "--auth-local=scram-sha-256",
        },
        files={
            f"{initdb}/01-table.sql": "CREATE TABLE marks (what text);",
            f"{initdb}/02-gz.sql.gz": gzip.compress(b"INSERT INTO marks VALUES ('gz');"),
            f"{initdb}/03-xz.sql.xz": lzma.compress(b"INSERT INTO marks VALUES ('xz');"),
            f"{initdb}/04-zst.sql.zst": _zstd_stored(b"INSERT INTO marks VALUES ('zst');"),
            f"{initdb}/05-helpers.sh": sourced,  # not executable: sourced, so it sees the helpers
        },
        command=["postgres", "-c", "max_connections=42"],
    )
    rows = _wait_query(
        container,
        "postgres:pw@127.0.0.1:{port}/okno",
        "SELECT string_agg(what, ',' ORDER BY what), (SELECT mc FROM seen), current_setting('max_connections'), "
        "pg_jit_available() FROM marks",
    )
    assert rows == [("gz,sourced,xz,zst", "42", "42", True)], container.logs(tail=30).decode()
    hba = container.exec_run("grep -E '^local' /var/lib/postgresql/data/pg_hba.conf", user="postgres").output
    assert b"scram-sha-256" in hba


def test_runs_as_the_postgres_uid_or_any_uid_that_owns_pgdata(start_container) -> None:  # type: ignore[no-untyped-def]
    as_postgres = start_container({"POSTGRES_PASSWORD": "pw"}, user="999:999")
    as_other = start_container(
        {"POSTGRES_PASSWORD": "pw", "PGDATA": "/tmp/pgdata"}, files={"tmp/pgdata/": ""}, user="1234:1234"
    )
    for container, uid in ((as_postgres, "999"), (as_other, "1234")):
        rows = _wait_query(container, "postgres:pw@127.0.0.1:{port}/postgres", "SELECT current_user")
        assert rows == [("postgres",)]
        assert f"Uid:\t{uid}" in container.exec_run("cat /proc/1/status").output.decode()
    # As the image holds it: a running container's first write there copies the folder up to its own
    # layer, and overlayfs drops the setgid bit then (the official image's folder does the same).
    facts = run_once(
        engine.client(),
        as_postgres.image.id,
        [],
        entrypoint=["sh", "-c", "stat -c '%a %U' /var/run/postgresql; id -u postgres; getent shadow postgres"],
        labels=TEST_LABELS,
    )
    lines = facts.decode().splitlines()
    assert lines[:2] == ["3777 postgres", "999"]
    assert lines[2].startswith("postgres:")


def test_image_status_lists_the_built_image(major_image: tuple[int, str]) -> None:
    pg_image = major_image[1]
    info = images.status([])  # every image provision built is listed, whatever its major
    row = next(r for r in info.images if r.tag == pg_image)
    assert row.present and row.built_by_provision and row.size_bytes > 50 * 1024**2


def test_other_commands_run_as_given(major_image: tuple[int, str]) -> None:
    major, pg_image = major_image
    docker_client = engine.client()
    version = run_once(docker_client, pg_image, ["postgres", "--version"], labels=TEST_LABELS)
    assert version.decode().startswith(f"postgres (PostgreSQL) {major}.")
    said = run_once(docker_client, pg_image, ["bash", "-c", "echo ok"], labels=TEST_LABELS)
    assert said == b"ok\n"
    labels = docker_client.images.get(pg_image).labels
    assert labels["org.provision.postgres-major"] == str(major)
    assert labels["org.provision.debian-suite"] == SUITES[major]


@pytest.mark.slow
def test_one_archive_carries_every_major(pg_image_of: Callable[[int], str], tmp_path: Path) -> None:
    docker_client = engine.client()
    carried = {}
    for major in SUITES:
        carried[major] = f"provision-test/postgres:{major}-carried"
        docker_client.images.get(pg_image_of(major)).tag(*carried[major].split(":"))
    archive = tmp_path / "postgres-all.tar"
    saved = CliRunner().invoke(app, ["image", "save", "-o", str(archive), *carried.values()])
    assert saved.exit_code == 0, saved.output
    assert archive.stat().st_size > 3 * 300 * 1024**2  # each image whole: no registry at the other end
    assert not list(tmp_path.glob("*.partial"))
    for ref in carried.values():
        docker_client.images.remove(ref)  # only the extra tag goes; the image keeps provision/postgres:N
    loaded = CliRunner().invoke(app, ["image", "load", str(archive)])
    assert loaded.exit_code == 0, loaded.output
    for major, ref in carried.items():
        assert ref in loaded.output
        assert docker_client.images.get(ref).id == docker_client.images.get(pg_image_of(major)).id
        docker_client.images.remove(ref)


def test_saving_an_absent_image_names_it_and_writes_nothing(tmp_path: Path) -> None:
    archive = tmp_path / "none.tar"
    result = CliRunner().invoke(app, ["image", "save", "-o", str(archive), "provision-test/absent:1"])
    assert result.exit_code == 2
    assert "no image 'provision-test/absent:1' here" in result.output
    assert not archive.exists() and not list(tmp_path.iterdir())
    result = CliRunner().invoke(app, ["image", "save", "-o", str(archive), "--major", "16"])
    assert result.exit_code == 2 and "PostgreSQL 16" in result.output


def test_a_new_root_filesystem_supersedes_the_old_ones_of_its_major_and_suite(tmp_path: Path) -> None:
    names = [
        "postgres15-bookworm-aaaa.tar",
        "postgres15-bookworm-aaaa.log",
        "postgres15-bookworm-bbbb.tar",
        "postgres15-bookworm-cccc.partial.tar",
        "postgres17-trixie-aaaa.tar",
        "postgres18-forky-dddd.tar",
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    removed = prune_rootfs(15, "bookworm", keep=tmp_path / "postgres15-bookworm-bbbb.tar")
    assert [p.name for p in removed] == ["postgres15-bookworm-aaaa.tar"]
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(set(names) - {"postgres15-bookworm-aaaa.tar", "postgres15-bookworm-aaaa.log"})


def test_rootfs_key_follows_inputs() -> None:
    sources = "deb http://mirror.invalid/debian bookworm main\n"
    key = rootfs_key(15, "bookworm", sources)
    assert key == rootfs_key(15, "bookworm", sources)
    assert key != rootfs_key(15, "bookworm", sources.replace("mirror", "other"))
    assert packages_for(15)[0] == "postgresql-15"
    assert suite_for(15) == "bookworm"
    assert suite_for(18) == "forky"
    with pytest.raises(InputError, match="PostgreSQL 16") as refused:
        suite_for(16)
    assert "18 (Debian forky)" in (refused.value.fix or "")
    assert debian_sources("bookworm", "http://mirror.invalid/debian").startswith(
        "deb http://mirror.invalid/debian bookworm main"
    )
