"""Clone storage: a client's data on a copy-on-write file system (an XFS file provision makes and mounts, or
a folder the profile names), PostgreSQL 18's file_copy_method = clone, and what the machine must offer.

The trainers' workflow itself (isolation, resets, snapshots) runs on clone storage in test_training.py."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from provision.books import bringup
from provision.cli import app
from provision.clients import lifecycle, storage
from provision.clients.workspace import Workspace
from provision.docker import engine

NO_LOOP = storage.loop_problem()
needs_loop = pytest.mark.skipif(NO_LOOP is not None, reason=f"cannot make an XFS file system here: {NO_LOOP}")
CLONE = '[postgres]\nmajor = 18\nstorage = "clone"\n'


@pytest.fixture(scope="module")
def xfs_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder on an XFS with reflink: a loop-mounted file made by the test, as a user's own would be."""
    if NO_LOOP:
        pytest.skip(f"cannot make an XFS file system here: {NO_LOOP}")
    root = tmp_path_factory.mktemp("xfs")
    image, mount_point = root / "own.xfs", root / "mnt"
    with open(image, "wb") as handle:
        handle.truncate(3 * 1024**3)
    subprocess.run(["mkfs.xfs", "-q", "-m", "reflink=1", str(image)], check=True)
    mount_point.mkdir()
    subprocess.run(["mount", "-o", "loop", str(image), str(mount_point)], check=True)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "--lazy", str(mount_point)], check=False)


def test_a_real_clone_tells_a_reflink_file_system_from_others(xfs_folder: Path, tmp_path: Path) -> None:
    assert storage.reflink_problem(xfs_folder) is None
    assert storage.fs_type(xfs_folder) == "xfs"
    problem = storage.reflink_problem(tmp_path)
    assert problem is not None and storage.fs_type(tmp_path) in problem
    assert not any(p.name.startswith(".provision-reflink") for p in tmp_path.iterdir())


@needs_loop
def test_making_and_removing_the_xfs_file_may_be_repeated_after_a_kill(workspace: Workspace, write_profile) -> None:  # type: ignore[no-untyped-def]
    from provision.clients.profile import load_profile

    write_profile("k", CLONE + 'data_size = "2g"\n')
    profile = load_profile(workspace, "k")
    made = storage.plan(workspace, profile, "provision-k-test", workspace.files("k").read_state(), decide=True)
    assert (made.method, made.kind) == ("clone", "image")
    assert made.root is not None and made.image_file is not None and made.mount_point is not None
    made.root.mkdir(parents=True)
    (made.root / "data.xfs.partial").write_bytes(b"left by a killed mkfs")
    try:
        storage.ensure(made, profile)
        storage.ensure(made, profile)  # again: nothing to do
        assert storage.is_mounted(made.mount_point) and made.data is not None and made.data.is_dir()
        assert made.image_file.stat().st_size == 2 * 1024**3
        assert made.image_file.stat().st_blocks * 512 < 200 * 1024**2  # sparse
        assert storage.reflink_problem(made.data) is None
        assert not (made.root / "data.xfs.partial").exists()
        used = storage.usage(made)
        assert used is not None and used.apparent_bytes == 0 and used.real_bytes is not None
        assert used.real_bytes < 4 * 1024**2  # the file system's own metadata is not the client's data
    finally:
        storage.remove(made)
        storage.remove(made)  # again, as after a kill in the middle: nothing left to do
    assert not storage.is_mounted(made.mount_point) and not made.root.exists()


def _status(client: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(app, ["status", client, "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    return dict(rows[0])


@needs_loop
@pytest.mark.docker
@pytest.mark.slow
def test_a_clone_client_survives_a_reboot_shares_its_copies_and_destroy_removes_its_file(
    pg_image_of: Callable[[int], str], workspace: Workspace, write_profile
) -> None:  # type: ignore[no-untyped-def]
    pg_image_of(18)
    write_profile("cow", CLONE + "[seed]\naccounts = 400\nmonths = 3\n[training]\nseats = 4\n")
    report = bringup.up_client(workspace, "cow", build=False, progress=lambda _l: None)
    env = report.up.env
    mount_point, image = env.storage.mount_point, env.storage.image_file
    assert mount_point is not None and image is not None
    try:
        assert storage.is_mounted(mount_point)
        assert "file_copy_method=clone" in env.compose_file.read_text(encoding="utf-8")
        assert str(env.storage.data) in env.compose_file.read_text(encoding="utf-8")
        with psycopg.connect(report.up.dsn_with_password()) as conn:
            assert conn.execute("SHOW file_copy_method").fetchone() == ("clone",)
        shown = _status("cow")
        assert shown["storage"].startswith("clone: XFS file")
        # the working database, the baseline and four seats: six copies, their files sharing their extents
        assert shown["data_bytes"] < shown["data_apparent_bytes"]
        seat = report.up.dsn_with_password().rsplit("/", 1)[0] + "/odno_okno__seat03"
        with psycopg.connect(seat) as conn:
            row = conn.execute("SELECT pg_relation_filepath('okno.charge')").fetchone()
        assert row is not None and env.storage.data is not None
        extents = subprocess.run(
            ["filefrag", "-v", str(env.storage.data / row[0])], capture_output=True, text=True, check=True
        ).stdout.splitlines()
        extents = [line for line in extents if line.strip()[:1].isdigit()]
        assert extents and all("shared" in line for line in extents), extents

        # a reboot: the container stops, the file system is no longer mounted; Docker cannot start the
        # container on an empty folder (the data folder is inside the mount), and `up` mounts it again
        lifecycle.down(workspace, "cow")
        subprocess.run(["umount", str(mount_point)], check=True)
        assert not storage.is_mounted(mount_point) and not env.storage.data.exists()  # type: ignore[union-attr]
        again = lifecycle.up(workspace, "cow")
        assert storage.is_mounted(mount_point)
        with psycopg.connect(again.dsn_with_password()) as conn:
            assert conn.execute("SELECT count(*) FROM okno.account").fetchone() == (400,)
    finally:
        lifecycle.destroy(workspace, "cow")
    assert not storage.is_mounted(mount_point)
    assert not image.exists() and not mount_point.exists()
    assert "storage" not in workspace.files("cow").read_state().raw
    assert engine.find("volumes", {engine.LABEL_CLIENT: "cow", engine.LABEL_WORKSPACE: str(workspace.root)}) == []


@pytest.mark.docker
@pytest.mark.slow
def test_a_data_dir_is_used_where_it_can_clone_refused_where_it_cannot_and_storage_does_not_change_under_a_client(
    pg_image_of: Callable[[int], str], workspace: Workspace, write_profile, xfs_folder: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    pg_image_of(18)
    runner = CliRunner()
    plain = tmp_path / "plain"
    write_profile("own", CLONE + f'data_dir = "{plain}"\n[seed]\nmode = "none"\n')
    refused = runner.invoke(app, ["up", "own"])
    assert refused.exit_code == 3, refused.output
    assert "cannot clone files there" in refused.output and "postgres.data_dir" in refused.output
    assert engine.find("containers", {engine.LABEL_WORKSPACE: str(workspace.root)}) == []
    assert "storage" not in workspace.files("own").read_state().raw

    write_profile("own", CLONE + f'data_dir = "{xfs_folder / "clients"}"\n[seed]\nmode = "none"\n')
    try:
        up = runner.invoke(app, ["up", "own"])
        assert up.exit_code == 0, up.output
        data = xfs_folder / "clients" / lifecycle.client_env(workspace, "own").project
        assert (data / "PG_VERSION").read_text().strip() == "18"
        assert _status("own")["storage"] == f"clone: folder {data}"

        write_profile("own", '[postgres]\nmajor = 18\nstorage = "copy"\n[seed]\nmode = "none"\n')
        moved = runner.invoke(app, ["up", "own"])
        assert moved.exit_code == 2, moved.output
        assert f"keeps its data on clone: folder {data}" in moved.output
        assert "provision destroy own" in moved.output
        write_profile("own", CLONE + f'data_dir = "{xfs_folder / "clients"}"\n[seed]\nmode = "none"\n')
    finally:
        lifecycle.destroy(workspace, "own")
    assert not data.exists() and (xfs_folder / "clients").is_dir()  # the client's folder goes, the user's stays
