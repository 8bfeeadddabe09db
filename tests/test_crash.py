"""A command killed (SIGKILL) at each step of each copy and swap; the next command repairs, and the books
are the old ones or the new ones, never a mix. The client's database name is 63 bytes long, the most
PostgreSQL allows, so every test here also runs the names derived from it end to end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from provision.books import bringup
from provision.clients import lifecycle
from provision.clients.render import client_env
from provision.clients.workspace import Workspace
from provision.training import seats
from provision.training.journal import CRASH_AT
from provision.training.snapshots import Snapshots
from tests.test_training import digest, seat_dsn

pytestmark = [pytest.mark.docker, pytest.mark.slow]
DATABASE = ("obuchenie_" * 7)[:63]
PROFILE = f'[postgres]\ndatabase = "{DATABASE}"\n[seed]\naccounts = 100\nmonths = 2\n[training]\nseats = 2\n'
CLIENT = "crash"


@pytest.fixture(scope="module")
def trainer(tmp_path_factory: pytest.TempPathFactory, pg_image: str) -> Iterator[seats.Trainer]:
    workspace = Workspace(tmp_path_factory.mktemp("crash").resolve())
    path = workspace.files(CLIENT).profile
    path.parent.mkdir(parents=True)
    path.write_text(PROFILE, encoding="utf-8")
    report = bringup.up_client(workspace, CLIENT, build=False, progress=lambda _l: None)
    yield seats.Trainer.of(report.up.env)
    lifecycle.destroy(workspace, CLIENT)


def cli(trainer: seats.Trainer, *args: str, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != CRASH_AT}
    if crash_at:
        env[CRASH_AT] = crash_at
    root = str(trainer.env.workspace.root)
    argv = [sys.executable, "-m", "provision.cli", "--workspace", root, *args]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, check=False)


def killed_at(trainer: seats.Trainer, step: str, *args: str) -> None:
    done = cli(trainer, *args, crash_at=step)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert seats.journal_path(trainer.env).exists()


def baseline_digest(trainer: seats.Trainer) -> str:
    trainer.reset(seat=2)
    return digest(seat_dsn(trainer, 2))


def change(dsn: str) -> str:
    with psycopg.connect(dsn) as conn:
        conn.execute("DELETE FROM okno.payment WHERE id = (SELECT min(id) FROM okno.payment)")
    return digest(dsn)


def repair(trainer: seats.Trainer) -> None:
    """What the next command of the client does first, and the one line it says."""
    said: list[str] = []
    with seats.serialized(trainer.env, "the next command", said.append):
        pass
    assert len(said) == 1 and said[0].startswith("repaired what `"), said
    assert not seats.journal_path(trainer.env).exists()
    stem = trainer.names.stem
    with trainer.admin() as conn:
        rows = conn.execute(
            "SELECT datname, datistemplate, datallowconn, datacl IS NULL OR datacl::text ~ '[{,]=[A-Za-z]*c' "
            "FROM pg_database WHERE (starts_with(datname, %s) OR datname = %s) AND datname !~ '__old[0-9]+$'",
            (stem, trainer.names.db),
        ).fetchall()
    assert not [r for r in rows if "__new" in r[0]], rows  # no work copy left
    assert all(template != allowed for _, template, allowed, _ in rows), rows  # templates closed, the rest open
    assert not [r for r in rows if r[3]], rows  # nothing open to PUBLIC
    for k in (1, 2):
        with psycopg.connect(seat_dsn(trainer, k)) as conn:
            conn.execute("SELECT 1")


RESETS = [
    *[(("reset", CLIENT, "--seat", "1"), step, 1) for step in ("seat:copy", "seat:retire", "seat:closed", "seat:swap")],
    *[(("reset", CLIENT, "--all"), step, 0) for step in ("database:closed", "database:swap", "seat:swap")],
    *[(("snapshot", "restore", CLIENT, "lesson", "--all"), step, 0) for step in ("database:retire", "seat:closed")],
]


@pytest.mark.parametrize(("args", "step", "seat"), RESETS, ids=[f"{a[0]}-{a[-1]}-{s}" for a, s, _ in RESETS])
def test_a_killed_reset_or_restore_leaves_the_old_or_the_new_database(
    trainer: seats.Trainer, args: tuple[str, ...], step: str, seat: int
) -> None:
    new = baseline_digest(trainer)
    if args[0] == "snapshot":
        assert cli(trainer, "snapshot", "save", CLIENT, "lesson", "--seat", "2").returncode == 0
    dsn = seat_dsn(trainer, seat)
    old = change(dsn)
    killed_at(trainer, step, *args)
    repair(trainer)
    assert digest(dsn) in (old, new)
    if args[0] == "snapshot":
        assert cli(trainer, "snapshot", "delete", CLIENT, "lesson").returncode == 0
    trainer.reset(all_=True)


@pytest.mark.parametrize("step", ["snapshot:closed", "snapshot:swap"])
def test_a_killed_snapshot_save_leaves_no_snapshot_or_a_whole_one(trainer: seats.Trainer, step: str) -> None:
    working = trainer.dsn(trainer.names.db)
    saved = change(working)
    killed_at(trainer, step, "snapshot", "save", CLIENT, "kept")
    repair(trainer)
    listed = cli(trainer, "snapshot", "list", CLIENT)
    if "kept" in listed.stdout:
        assert cli(trainer, "snapshot", "restore", CLIENT, "kept", "--seat", "1").returncode == 0
        assert digest(seat_dsn(trainer, 1)) == saved
        assert cli(trainer, "snapshot", "delete", CLIENT, "kept").returncode == 0
    assert step == "snapshot:closed" or "kept" in listed.stdout
    trainer.reset(all_=True)


def test_a_seat_login_cannot_connect_to_a_work_copy(trainer: seats.Trainer) -> None:
    killed_at(trainer, "seat:swap", "reset", CLIENT, "--seat", "1")  # the seat retired, its copy aside
    work = trainer.names.work(trainer.names.seat(1))
    with trainer.admin() as conn:
        assert trainer.exists(conn, work)
    for k in (1, 2):
        seat = seat_dsn(trainer, k)
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(seat.rsplit("/", 1)[0] + "/" + work, connect_timeout=5).close()
    repair(trainer)


BOOKS = ["load", "switched", "baseline:closed", "baseline:swap", "seats"]


@pytest.mark.parametrize("step", BOOKS)
def test_a_killed_seed_leaves_old_or_new_books_with_their_own_baseline(trainer: seats.Trainer, step: str) -> None:
    working = trainer.dsn(trainer.names.db)
    old = digest(working)
    killed_at(trainer, step, "seed", CLIENT, "--seed", str(100 + BOOKS.index(step)))
    repair(trainer)
    now = digest(working)
    assert (now == old) == (step == "load")
    assert baseline_digest(trainer) == now  # a reset brings back these books, not the ones before


@pytest.mark.parametrize("step", ["switched", "baseline:swap"])
def test_a_killed_import_leaves_the_new_books_with_their_own_baseline(
    trainer: seats.Trainer, step: str, tmp_path: Path
) -> None:
    assert cli(trainer, "import", "sample", CLIENT, str(tmp_path / "export")).returncode == 0
    working = trainer.dsn(trainer.names.db)
    old = trainer.books()
    killed_at(trainer, step, "import", "load", CLIENT, str(tmp_path / "export"))
    repair(trainer)
    assert trainer.books() != old  # the new books (when made), whatever they hold
    assert baseline_digest(trainer) == digest(working)


def test_a_trainees_own_password_does_not_break_the_next_reset(trainer: seats.Trainer) -> None:
    dsn = seat_dsn(trainer, 1)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("ALTER ROLE CURRENT_USER PASSWORD 'mine-now'")
        conn.execute("ALTER ROLE CURRENT_USER SET work_mem = '1MB'")
    done = cli(trainer, "reset", CLIENT, "--seat", "1")
    assert done.returncode == 0, done.stderr
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SHOW work_mem").fetchone() != ("1MB",)


def test_two_commands_of_one_client_wait_for_each_other_and_say_so(trainer: seats.Trainer) -> None:
    env = client_env(trainer.env.workspace, CLIENT)
    with seats.serialized(env, "seed"):
        root = str(trainer.env.workspace.root)
        argv = [sys.executable, "-m", "provision.cli", "--workspace", root, "reset", CLIENT, "--seat", "1"]
        waiting = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        assert waiting.poll() is None  # it waits
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert f"waiting for `seed` (pid {os.getpid()}) to finish" in err
    assert f"reset {trainer.names.seat(1)}" in out


def test_up_reopens_a_working_database_a_killed_copy_left_closed(trainer: seats.Trainer) -> None:
    killed_at(trainer, "snapshot:closed", "snapshot", "save", CLIENT, "closed")
    done = cli(trainer, "up", CLIENT)
    assert done.returncode == 0, done.stderr
    assert "repaired what `snapshot save`" in done.stdout + done.stderr
    with psycopg.connect(trainer.dsn(trainer.names.db)) as conn:
        assert conn.execute("SELECT count(*) FROM okno.account").fetchone() == (100,)


@pytest.mark.parametrize("reader", [("seats", CLIENT), ("check", CLIENT), ("stats", CLIENT)])
def test_a_command_that_only_reads_repairs_first_too(trainer: seats.Trainer, reader: tuple[str, ...]) -> None:
    new = baseline_digest(trainer)
    old = change(seat_dsn(trainer, 1))
    killed_at(trainer, "seat:retire", "reset", CLIENT, "--seat", "1")
    done = cli(trainer, *reader)
    assert "repaired what `" in done.stderr, done.stderr
    assert not seats.journal_path(trainer.env).exists()
    assert digest(seat_dsn(trainer, 1)) in (old, new)
    trainer.reset(all_=True)


@pytest.mark.parametrize("handed_over", [False, True], ids=["still-the-logins", "handed-over"])
def test_a_seat_removal_killed_with_its_snapshot_open_closes_the_snapshot(
    trainer: seats.Trainer, handed_over: bool
) -> None:
    """Removing seat 2 opens its snapshot for a moment to take back a table its login owns there. A kill in
    that moment (the command killed just before, and the snapshot then left as the removal leaves it: open,
    the table the login's or already handed over) is finished by the next command, which closes it again."""
    seat, snapshot = trainer.names.seat(2), trainer.names.snapshot("notes")
    with psycopg.connect(trainer.dsn(seat), autocommit=True) as conn:
        conn.execute("CREATE TABLE okno.my_notes (x int)")
        conn.execute(sql.SQL("ALTER TABLE okno.my_notes OWNER TO {}").format(sql.Identifier(seat)))
    Snapshots(trainer).save("notes", seat=2)
    path = trainer.env.workspace.files(CLIENT).profile
    path.write_text(PROFILE.replace("seats = 2", "seats = 1"), encoding="utf-8")
    try:
        killed_at(trainer, "seat:login", "up", CLIENT)
        with trainer.admin() as conn:
            conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(sql.Identifier(snapshot)))
        if handed_over:
            with psycopg.connect(trainer.dsn(snapshot), autocommit=True) as conn:
                conn.execute(sql.SQL("REASSIGN OWNED BY {} TO CURRENT_USER").format(sql.Identifier(seat)))
                conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(seat)))
        done = cli(trainer, "seats", CLIENT)
        assert done.returncode == 0 and "seats removed" in done.stderr + done.stdout, done.stderr
        with trainer.admin() as conn:
            state = conn.execute(
                "SELECT datistemplate, datallowconn FROM pg_database WHERE datname = %s", (snapshot,)
            ).fetchone()
            assert state == (True, False)
            assert conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (seat,)).fetchone() is None
    finally:
        path.write_text(PROFILE, encoding="utf-8")
        assert cli(trainer, "snapshot", "delete", CLIENT, "notes").returncode == 0
        assert cli(trainer, "up", CLIENT).returncode == 0
