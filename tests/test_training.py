"""Trainers' workflow on a real server: baseline, seats, reset, snapshots, locking."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from provision import bringup, lifecycle, training
from provision.errors import InputError
from provision.render import client_env
from provision.snapshots import Snapshots
from provision.storage import loop_problem
from provision.workspace import Workspace

pytestmark = [pytest.mark.docker, pytest.mark.slow]
PROFILE = 'title = "training tests"\n[seed]\naccounts = 300\nmonths = 3\n[training]\nseats = 2\n'
# Every test runs on both storages: copies of every byte (15, a Docker volume) and clones sharing extents
# (18, file_copy_method = clone on an XFS file provision makes and mounts).
STORAGES = {
    "copy": (15, '[postgres]\nstorage = "copy"\n'),
    "clone": (18, '[postgres]\nmajor = 18\nstorage = "clone"\n'),
}


@pytest.fixture(scope="module", params=list(STORAGES))
def trainer(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pg_image_of: Callable[[int], str]
) -> Iterator[training.Trainer]:
    major, postgres = STORAGES[request.param]
    if request.param == "clone" and loop_problem():
        pytest.skip(f"no clone storage on this machine: {loop_problem()}")
    pg_image_of(major)
    root = tmp_path_factory.mktemp(f"training-{request.param}").resolve()
    workspace = Workspace(root)
    path = workspace.profile_path("klass")
    path.parent.mkdir(parents=True)
    path.write_text(PROFILE + postgres, encoding="utf-8")
    report = bringup.up_client(workspace, "klass", build=False, progress=lambda _l: None)
    assert report.up.env.storage.method == request.param
    yield training.Trainer.of(report.up.env)
    lifecycle.destroy(workspace, "klass")


def seat_dsn(trainer: training.Trainer, k: int) -> str:
    return next(s.dsn_with_password for s in trainer.seats() if s.seat == k)


def digest(dsn: str) -> str:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (SELECT t::text AS x FROM okno.payment t UNION ALL "
            "SELECT t::text FROM okno.meter_reading t UNION ALL SELECT t::text FROM okno.balance t) s"
        ).fetchone()
    return str(row[0]) if row else ""


def test_a_trainees_changes_are_gone_after_reset_and_other_seats_keep_theirs(trainer: training.Trainer) -> None:
    clean = digest(seat_dsn(trainer, 1))
    with psycopg.connect(seat_dsn(trainer, 1)) as conn:
        conn.execute("DELETE FROM payment WHERE id = (SELECT min(id) FROM payment)")
        conn.execute(
            "UPDATE meter_reading SET value1 = value1 + 7 WHERE (meter_id, period) IN "
            "(SELECT meter_id, period FROM meter_reading LIMIT 1)"
        )
    with psycopg.connect(seat_dsn(trainer, 2)) as conn:
        conn.execute("DELETE FROM payment WHERE id = (SELECT max(id) FROM payment)")
    changed_two = digest(seat_dsn(trainer, 2))
    assert digest(seat_dsn(trainer, 1)) != clean
    assert trainer.reset(seat=1) == ["odno_okno__seat01"]
    assert digest(seat_dsn(trainer, 1)) == clean
    assert digest(seat_dsn(trainer, 2)) == changed_two
    trainer.reset(seat=2)
    assert digest(seat_dsn(trainer, 2)) == clean


def test_reset_ends_open_sessions_and_the_same_dsn_works_after(trainer: training.Trainer) -> None:
    dsn = seat_dsn(trainer, 1)
    conn = psycopg.connect(dsn, autocommit=True)
    conn.execute("SELECT 1")
    trainer.reset(seat=1)
    with pytest.raises(psycopg.OperationalError):
        conn.execute("SELECT 1")
    conn.close()
    with psycopg.connect(dsn) as again:
        assert again.execute("SELECT count(*) FROM account").fetchone() == (300,)


def test_a_seat_login_opens_only_its_own_database(trainer: training.Trainer) -> None:
    dsn = seat_dsn(trainer, 1)
    base = dsn.rsplit("/", 1)[0]
    for other in ("odno_okno__seat02", "odno_okno", "odno_okno__baseline", "postgres"):
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(f"{base}/{other}", connect_timeout=5)
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("odno_okno__seat01",)


def test_snapshot_save_change_restore(trainer: training.Trainer) -> None:
    dsn = seat_dsn(trainer, 2)
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE account SET residents = residents + 1 WHERE id = 1")
    saved = digest(dsn)
    snapshots = Snapshots(trainer)
    snapshots.save("lesson-2", seat=2)
    listed = {s.name: s for s in snapshots.saved()}
    assert listed["lesson-2"].source == "odno_okno__seat02"
    assert listed["lesson-2"].size_bytes > 1_000_000
    with psycopg.connect(dsn) as conn:
        conn.execute("DELETE FROM payment")
    assert digest(dsn) != saved
    snapshots.restore("lesson-2", seat=2)
    assert digest(dsn) == saved

    with pytest.raises(InputError, match="no snapshot 'missing'"):
        snapshots.restore("missing", seat=2)
    assert digest(dsn) == saved
    with pytest.raises(InputError, match="exists"):
        snapshots.save("lesson-2")
    with pytest.raises(InputError, match="baseline cannot be deleted"):
        snapshots.delete("baseline")
    with pytest.raises(InputError, match="invalid snapshot name"):
        snapshots.save("Урок 1")
    snapshots.delete("lesson-2")
    assert "lesson-2" not in {s.name for s in snapshots.saved()}


def _cli(workspace_root: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "provision.cli", "--workspace", str(workspace_root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )


def test_a_killed_reset_leaves_the_baseline_and_the_next_reset_works(trainer: training.Trainer) -> None:
    root = trainer.env.workspace.root
    proc = _cli(root, "reset", "klass", "--all")
    time.sleep(0.8)
    proc.kill()
    proc.wait()
    with trainer.admin() as conn:
        deadline = time.monotonic() + 60  # the server finishes what the killed command had started
        while time.monotonic() < deadline and conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query ~* '^(CREATE|ALTER|DROP) "
            "DATABASE' AND state = 'active'"
        ).fetchone() != (0,):
            time.sleep(0.1)
        row = conn.execute(
            "SELECT datistemplate, datallowconn FROM pg_database WHERE datname = %s", (trainer.names.baseline,)
        ).fetchone()
        assert row == (True, False)
        # as if killed between the swap's two renames: a copy aside and no seat database
        conn.execute("DROP DATABASE IF EXISTS odno_okno__seat01 WITH (FORCE)")
        conn.execute("DROP DATABASE IF EXISTS odno_okno__seat01__new WITH (FORCE)")
        conn.execute("CREATE DATABASE odno_okno__seat01__new TEMPLATE odno_okno__baseline")
    trainer.reset(all_=True)
    with psycopg.connect(seat_dsn(trainer, 1)) as conn:
        assert conn.execute("SELECT count(*) FROM account").fetchone() == (300,)
    with trainer.admin() as conn:
        left = conn.execute("SELECT count(*) FROM pg_database WHERE datname LIKE '%\\_\\_new'").fetchone()
    assert left == (0,)


def test_two_resets_of_one_client_wait_for_each_other(trainer: training.Trainer) -> None:
    root = trainer.env.workspace.root
    procs = [_cli(root, "reset", "klass", "--all") for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()
        assert b"reset odno_okno" in out


def test_seats_follow_the_profile(trainer: training.Trainer) -> None:
    workspace = trainer.env.workspace
    profile = workspace.profile_path("klass").read_text(encoding="utf-8")
    workspace.profile_path("klass").write_text(profile.replace("seats = 2", "seats = 1"), encoding="utf-8")
    try:
        bringup.up_client(workspace, "klass", build=False, progress=lambda _l: None)
        smaller = training.Trainer.of(client_env(workspace, "klass"))
        assert [s.seat for s in smaller.seats()] == [0, 1]
        with smaller.admin() as conn:
            assert not smaller.exists(conn, "odno_okno__seat02")
            assert conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'odno_okno__seat02'").fetchone() is None
        with pytest.raises(InputError, match="no seat 2"):
            smaller.reset(seat=2)
    finally:
        workspace.profile_path("klass").write_text(profile, encoding="utf-8")
        bringup.up_client(workspace, "klass", build=False, progress=lambda _l: None)
