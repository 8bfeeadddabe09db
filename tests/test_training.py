"""Trainers' workflow on a real server: baseline, seats, reset, snapshots, locking."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from typer.testing import CliRunner

from provision.books import bringup
from provision.cli import app
from provision.clients import lifecycle
from provision.clients.render import client_env
from provision.clients.storage import loop_problem
from provision.clients.workspace import Workspace
from provision.errors import InputError
from provision.training import copies, seats
from provision.training.journal import CRASH_AT
from provision.training.snapshots import Snapshots

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
) -> Iterator[seats.Trainer]:
    major, postgres = STORAGES[request.param]
    if request.param == "clone" and loop_problem():
        pytest.skip(f"no clone storage on this machine: {loop_problem()}")
    pg_image_of(major)
    root = tmp_path_factory.mktemp(f"training-{request.param}").resolve()
    workspace = Workspace(root)
    path = workspace.files("klass").profile
    path.parent.mkdir(parents=True)
    path.write_text(PROFILE + postgres, encoding="utf-8")
    report = bringup.up_client(workspace, "klass", build=False, progress=lambda _l: None)
    assert report.up.env.storage.method == request.param
    yield seats.Trainer.of(report.up.env)
    lifecycle.destroy(workspace, "klass")


def seat_dsn(trainer: seats.Trainer, k: int) -> str:
    return next(s.dsn_with_password for s in trainer.seats() if s.seat == k)


def digest(dsn: str) -> str:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (SELECT t::text AS x FROM okno.payment t UNION ALL "
            "SELECT t::text FROM okno.meter_reading t UNION ALL SELECT t::text FROM okno.balance t) s"
        ).fetchone()
    return str(row[0]) if row else ""


def test_a_trainees_changes_are_gone_after_reset_and_other_seats_keep_theirs(trainer: seats.Trainer) -> None:
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


def test_reset_ends_open_sessions_and_the_same_dsn_works_after(trainer: seats.Trainer) -> None:
    dsn = seat_dsn(trainer, 1)
    conn = psycopg.connect(dsn, autocommit=True)
    conn.execute("SELECT 1")
    trainer.reset(seat=1)
    with pytest.raises(psycopg.OperationalError):
        conn.execute("SELECT 1")
    conn.close()
    with psycopg.connect(dsn) as again:
        assert again.execute("SELECT count(*) FROM account").fetchone() == (300,)


def test_a_seat_login_opens_only_its_own_database(trainer: seats.Trainer) -> None:
    dsn = seat_dsn(trainer, 1)
    base = dsn.rsplit("/", 1)[0]
    for other in ("odno_okno__seat02", "odno_okno", "odno_okno__baseline", "postgres"):
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(f"{base}/{other}", connect_timeout=5)
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("odno_okno__seat01",)


def test_snapshot_save_change_restore(trainer: seats.Trainer) -> None:
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


def test_a_killed_reset_leaves_the_baseline_and_the_next_reset_works(trainer: seats.Trainer) -> None:
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


def test_two_resets_of_one_client_wait_for_each_other(trainer: seats.Trainer) -> None:
    root = trainer.env.workspace.root
    procs = [_cli(root, "reset", "klass", "--all") for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()
        assert b"reset odno_okno" in out


def _retire_with_a_trainees_table(trainer: seats.Trainer, k: int) -> str:
    """Seat ``k`` as a reset leaves it before its old copy is dropped: the old copy renamed aside, holding its
    login's CONNECT and a table the login owns (a trainer gave it one) (the background drop has not run
    yet); its name."""
    retired, seat = trainer.names.retired(), trainer.names.seat(k)
    with psycopg.connect(trainer.dsn(seat), autocommit=True) as conn:
        conn.execute("CREATE TABLE okno.my_notes (x int)")
        conn.execute(sql.SQL("ALTER TABLE okno.my_notes OWNER TO {}").format(sql.Identifier(seat)))
    with trainer.admin() as conn:
        copies.clone(conn, trainer.names.baseline, seat, seat, (trainer.names.work(seat), retired))
        assert trainer.exists(conn, retired)
    return retired


def test_seats_follow_the_profile(
    trainer: seats.Trainer,
) -> None:
    workspace = trainer.env.workspace
    retired = _retire_with_a_trainees_table(trainer, 2)
    profile = workspace.files("klass").profile.read_text(encoding="utf-8")
    workspace.files("klass").profile.write_text(profile.replace("seats = 2", "seats = 1"), encoding="utf-8")
    try:
        # killed after seat 2's database is dropped and before its login is: the next command finishes it
        env = {k: v for k, v in os.environ.items() if k != CRASH_AT} | {CRASH_AT: "seat:login"}
        argv = [sys.executable, "-m", "provision.cli", "--workspace", str(workspace.root), "up", "klass"]
        killed = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, check=False)
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        with trainer.admin() as conn:
            assert not trainer.exists(conn, "odno_okno__seat02")
            assert conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'odno_okno__seat02'").fetchone() == (1,)
        done = CliRunner().invoke(app, ["--workspace", str(workspace.root), "seats", "klass"])
        assert done.exit_code == 0, done.output
        assert "left at step seat:login" in done.output and "seats removed" in done.output, done.output
        smaller = seats.Trainer.of(client_env(workspace, "klass"))
        assert [s.seat for s in smaller.seats()] == [0, 1]
        with smaller.admin() as conn:
            assert not smaller.exists(conn, "odno_okno__seat02") and not smaller.exists(conn, retired)
            assert conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'odno_okno__seat02'").fetchone() is None
        with pytest.raises(InputError, match="no seat 2"):
            smaller.reset(seat=2)
        assert not seats.journal_path(trainer.env).exists()
    finally:
        workspace.files("klass").profile.write_text(profile, encoding="utf-8")
        bringup.up_client(workspace, "klass", build=False, progress=lambda _l: None)


def test_a_seat_with_a_retired_copy_is_removed_in_one_go(trainer: seats.Trainer) -> None:
    retired = _retire_with_a_trainees_table(trainer, 2)
    workspace = trainer.env.workspace
    profile = workspace.files("klass").profile.read_text(encoding="utf-8")
    workspace.files("klass").profile.write_text(profile.replace("seats = 2", "seats = 1"), encoding="utf-8")
    try:
        bringup.up_client(workspace, "klass", build=False, progress=lambda _l: None)
        with trainer.admin() as conn:
            assert not trainer.exists(conn, "odno_okno__seat02") and not trainer.exists(conn, retired)
            assert conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'odno_okno__seat02'").fetchone() is None
    finally:
        workspace.files("klass").profile.write_text(profile, encoding="utf-8")
        bringup.up_client(workspace, "klass", build=False, progress=lambda _l: None)
    assert [s.seat for s in seats.Trainer.of(client_env(workspace, "klass")).seats()] == [0, 1, 2]


def _ready_copies(trainer: seats.Trainer) -> set[str]:
    with trainer.admin() as conn:
        found = conn.execute("SELECT datname FROM pg_database WHERE datname ~ %s", ("^odno_okno" + copies.READY,))
        return {row[0] for row in found}


def _ready_for(trainer: seats.Trainer, timeout: float = 90.0) -> set[str]:
    """The ready copies of the baseline as it is, once every seat has one (the maker runs detached)."""
    with trainer.admin() as conn:
        oid = copies.template_oid(conn, trainer.names.baseline)
    assert oid is not None
    wanted = {copies.ready_name(trainer.names.stem, seat, oid) for seat in range(3)}  # the working database, 2 seats
    deadline = time.monotonic() + timeout
    while _ready_copies(trainer) != wanted:
        assert time.monotonic() < deadline, (_ready_copies(trainer), wanted)
        time.sleep(0.2)
    return wanted


def test_on_clone_storage_a_reset_takes_a_ready_copy_and_a_new_baseline_never_meets_an_old_one(
    trainer: seats.Trainer,
) -> None:
    trainer.reset(seat=1)
    if trainer.env.storage.method != "clone":  # copies of every byte: no copy is made ahead
        time.sleep(1)
        assert _ready_copies(trainer) == set()
        return
    ready = _ready_for(trainer)
    clean = digest(seat_dsn(trainer, 1))
    with psycopg.connect(seat_dsn(trainer, 1)) as conn:
        conn.execute("DELETE FROM payment WHERE id = (SELECT min(id) FROM payment)")
    trainer.reset(seat=1)
    assert digest(seat_dsn(trainer, 1)) == clean
    assert _ready_for(trainer) == ready  # the one taken is made again
    working = trainer.dsn(trainer.names.db)
    with psycopg.connect(working, autocommit=True) as conn:  # a new baseline: the working database changed
        conn.execute("CREATE TABLE okno.lesson_mark (x int)")
    try:
        trainer.freeze_baseline()
        trainer.reset(seat=1)
        with psycopg.connect(seat_dsn(trainer, 1)) as conn:
            assert conn.execute("SELECT to_regclass('okno.lesson_mark')").fetchone() != (None,)
        assert _ready_for(trainer).isdisjoint(ready)  # the old baseline's copies are gone
    finally:
        with psycopg.connect(working, autocommit=True) as conn:
            conn.execute("DROP TABLE okno.lesson_mark")
        trainer.freeze_baseline()
        trainer.reset(all_=True)
