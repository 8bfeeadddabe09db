"""Lessons: the file's every field checked, the per-seat draw; on a client's seats the built-in lesson solved in a
seat by its solutions (tests/lesson_solutions.py), left untouched and half done; a seat's reset back to the lesson's
start; a bad lesson refused with every seat as it was; a killed start undone."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import psycopg
import pytest
from openpyxl import load_workbook
from starlette.testclient import TestClient

from provision.books import bringup
from provision.clients import lifecycle
from provision.clients.profile import load_profile
from provision.clients.render import env_for
from provision.clients.storage import loop_problem
from provision.clients.workspace import Workspace
from provision.console import auth
from provision.console.app import make_app
from provision.errors import InputError
from provision.training import classwork, journal, lessons, lessonsql, lessonstate, seats
from provision.training.classroom import class_view, loopback_only, room_address
from tests.browser import served_in_chromium, wait_for
from tests.clients import cli
from tests.lesson_solutions import FIRST_DAY
from tests.test_console import csrf_of, finished, logged_in

# -- on a client's seats ----------------------------------------------------------------------------------
CLIENT = "klasse"
SEATS = 3
HALF = ("reading", "owner", "meter", "debtors")


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory, pg_image_of: Callable[[int], str]) -> Iterator[Workspace]:
    """A client of 1,200 accounts and three seats, on clone storage where this machine has it."""
    major, postgres = (15, "") if loop_problem() else (18, 'major = 18\nstorage = "clone"\n')
    pg_image_of(major)
    workspace = Workspace(tmp_path_factory.mktemp("lessons").resolve())
    path = workspace.files(CLIENT).profile
    path.parent.mkdir(parents=True)
    path.write_text(
        f"[postgres]\n{postgres}[seed]\naccounts = 1200\nmonths = 6\nrandom_seed = 5\n[training]\nseats = {SEATS}\n",
        encoding="utf-8",
    )
    bringup.up_client(workspace, CLIENT, build=False, progress=lambda _l: None)
    yield workspace
    lifecycle.destroy(workspace, CLIENT)


def _trainer(workspace: Workspace) -> seats.Trainer:
    return seats.Trainer.of(env_for(workspace, load_profile(workspace, CLIENT)))


def _solve(workspace: Workspace, seat: int, tasks: tuple[str, ...] | None = None) -> None:
    """The solutions run in ``seat`` as its trainee (the seat's own login), with the seat's values."""
    trainer = _trainer(workspace)
    dsn = next(s.dsn_with_password for s in trainer.seats() if s.seat == seat)
    running = lessonstate.read(trainer.env)
    assert running is not None
    drawn = lessons.Drawn({n: lessonstate.decode(v) for n, v in running.values[str(seat)].items()})
    with psycopg.connect(dsn, autocommit=True) as conn:
        for task, solution in FIRST_DAY.items():
            if tasks is None or task in tasks:
                query, values = lessons.bind(solution, drawn, task)
                with psycopg.ClientCursor(conn) as cur:
                    cur.execute(query, values)


def _done(board: classwork.Board) -> dict[int, list[str]]:
    return {s.seat: [t.task for t in s.tasks if t.done] for s in board.seats}


def _own_lesson(workspace: Workspace, name: str, text: str) -> None:
    folder = workspace.files(CLIENT).lessons
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.toml").write_text(text, encoding="utf-8")


def _seat_backends(workspace: Workspace, count: int) -> dict[int, str]:
    """The trainer's connections to the seats' databases: backend pid -> database, once there are ``count``
    of them (a closed connection's server process is listed until it has exited: some milliseconds)."""
    deadline = time.monotonic() + 10
    with _trainer(workspace).admin() as conn:
        while True:
            rows = conn.execute(
                "SELECT pid, datname FROM pg_stat_activity WHERE datname ~ '__seat' AND usename = current_user"
                " AND pid <> pg_backend_pid()"
            ).fetchall()
            if len(rows) == count or time.monotonic() > deadline:
                return {pid: name for pid, name in rows}
            time.sleep(0.05)


def _seat_marks(workspace: Workspace) -> dict[int, int]:
    """Each seat's floors of building 1 (a trainee's change, to see a seat left as it was)."""
    trainer = _trainer(workspace)
    found = {}
    for seat in trainer.seats():
        if seat.seat:
            with psycopg.connect(seat.dsn_with_password) as conn:
                row = conn.execute("SELECT floors FROM building WHERE id = 1").fetchone()
                found[seat.seat] = row[0] if row else 0
    return found


@pytest.mark.docker
@pytest.mark.slow
def test_the_first_day_solved_untouched_and_half_done(classroom: Workspace) -> None:
    code, out = cli(classroom, "lesson", "list", CLIENT)
    assert code == 0 and "first-day" in out and "Первый день оператора" in out
    code, out = cli(classroom, "lesson", "start", CLIENT, "first-day")
    assert code == 0, out
    first = lessonstate.read(_trainer(classroom).env)
    assert first is not None
    _solve(classroom, 1)
    _solve(classroom, 3, HALF)
    board = classwork.status(classroom, CLIENT)
    every = [t.id for t in board.lesson.tasks]
    assert _done(board) == {1: every, 2: [], 3: list(HALF)}
    assert [s.points for s in board.seats] == [100, 0, sum(t.points for t in board.lesson.tasks if t.id in HALF)]
    untouched = board.seats[1]
    assert all(t.hint and not t.done for t in untouched.tasks)  # each undone task says why, in Russian
    assert all(any("а" <= ch <= "я" for ch in t.hint or "") for t in untouched.tasks)
    # each seat its own account, meter and amount; the same again on a second start
    values = first.values
    assert len({json.dumps(values[str(k)]["meter"]) for k in range(1, SEATS + 1)}) == SEATS
    assert len({json.dumps(values[str(k)]["debtor"]) for k in range(1, SEATS + 1)}) == SEATS
    code, out = cli(classroom, "lesson", "status", CLIENT, "--json")
    assert code == 0 and json.loads(out)["seats"][0]["done"] == len(every)
    with _trainer(classroom).admin() as conn:  # a seat that does not answer (a reset under way) keeps its ticks
        conn.execute("ALTER DATABASE odno_okno__seat01 ALLOW_CONNECTIONS false")
        try:
            away = classwork.status(classroom, CLIENT).seats[0]
        finally:
            conn.execute("ALTER DATABASE odno_okno__seat01 ALLOW_CONNECTIONS true")
    assert not away.reachable and away.done == len(every) and all(t.when for t in away.tasks)
    # the report, per trainee and task
    assert classwork.set_name(classroom, CLIENT, 3, "  Анна   Петрова ") == "Анна Петрова"
    code, out = cli(classroom, "lesson", "report", CLIENT, "-o", str(classroom.root / "class.csv"))
    assert code == 0, out
    with open(classroom.root / "class.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0][:3] == ["Место", "Слушатель", "Задание"] and len(rows) == 1 + SEATS * len(every)
    assert rows[1 + 2 * len(every) + every.index("owner")][:3] == ["3", "Анна Петрова", "owner"]
    code, out = cli(classroom, "lesson", "report", CLIENT, "-o", str(classroom.root / "class.xlsx"))
    assert code == 0, out
    sheet = load_workbook(classroom.root / "class.xlsx").active
    assert sheet is not None and sheet.max_row == 2 + SEATS * len(every)
    # the console's kept connections: the same ones look again
    links = lessonsql.Links()
    assert _done(classwork.status(classroom, CLIENT, links=links))[1] == every
    kept = _seat_backends(classroom, SEATS)
    assert len(kept) == SEATS and _done(classwork.status(classroom, CLIENT, links=links))[1] == every
    assert _seat_backends(classroom, SEATS) == kept
    # a seat's reset during the lesson goes back to the lesson's start: its setup there, its work gone
    code, out = cli(classroom, "reset", CLIENT, "--seat", "1")
    assert code == 0 and "seat01 to the running lesson's start" in out, out
    assert _done(classwork.status(classroom, CLIENT, links=links))[1] == []  # the connection it ended, made again
    renewed = _seat_backends(classroom, SEATS)
    assert len(renewed) == SEATS and renewed.keys() != kept.keys() and renewed.keys() & kept.keys()
    links.close()
    assert _seat_backends(classroom, 0) == {}
    # two looks at one seat at once keep one connection; one given back after the close is closed
    links = lessonsql.Links()
    dsn = _trainer(classroom).dsn(_trainer(classroom).names.seat(2))
    with links.using(dsn) as one, links.using(dsn) as two:
        assert one is not two and len(_seat_backends(classroom, 2)) == 2
    assert len(_seat_backends(classroom, 1)) == 1
    with links.using(dsn):
        links.close()
    assert _seat_backends(classroom, 0) == {}
    _solve(classroom, 1, ("suspense",))  # the planted suspense line is there again to be assigned
    assert _done(classwork.status(classroom, CLIENT))[1] == ["suspense"]
    # a second start: every seat from its start again, each with the same values as the first time
    code, out = cli(classroom, "lesson", "start", CLIENT, "first-day")
    assert code == 0 and "stopped lesson first-day" in out
    again = lessonstate.read(_trainer(classroom).env)
    assert again is not None and again.values == first.values and again.names == {"3": "Анна Петрова"}
    assert _done(classwork.status(classroom, CLIENT)) == {1: [], 2: [], 3: []}
    code, out = cli(classroom, "lesson", "stop", CLIENT)
    assert code == 0 and "stopped lesson first-day" in out
    with _trainer(classroom).admin() as conn:
        left = conn.execute("SELECT count(*) FROM pg_database WHERE datname ~ '__new$'").fetchone()
    assert left == (0,)
    code, out = cli(classroom, "lesson", "status", CLIENT)
    assert code == 2 and "no lesson runs" in out


BAD = """
title = "Плохой урок"
[[task]]
id = "one"
title = "Одна"
text = "Текст."
{field}
"""


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize(
    ("field", "said"),
    [
        ('check = "SELECT count(*) > 0 FROM (UPDATE account SET residents = residents RETURNING 1) x"', ""),
        ("check = \"UPDATE account SET residents = residents WHERE id = 1 RETURNING true\"", "its check changes data"),
        (
            'check = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) > 0 FROM r"',
            "its check did not finish in 5 s",
        ),
        ('check = "SELECT true"\nsetup = "DO $$ BEGIN IF current_database() LIKE \'%seat02%\' THEN '
         "RAISE EXCEPTION 'нет такого счёта'; END IF; END $$\"", "seat 2: its setup fails: нет такого счёта"),
        ('check = "SELECT true FROM no_such_table"', "its check fails: relation \"no_such_table\" does not exist"),
    ],
)  # fmt: skip
def test_a_bad_lesson_is_refused_and_every_seat_stays_as_it_was(classroom: Workspace, field: str, said: str) -> None:
    for seat in seats.Trainer.seats(_trainer(classroom)):
        if seat.seat:
            with psycopg.connect(seat.dsn_with_password, autocommit=True) as conn:
                conn.execute("UPDATE building SET floors = 59 WHERE id = 1")  # a trainee's change
    _own_lesson(classroom, "bad", BAD.format(field=field))
    code, out = cli(classroom, "lesson", "start", CLIENT, "bad")
    assert code == 2, out
    assert ("bad.toml: task 1 (one)" in out and said in out) if said else "syntax error" in out or "fails" in out
    assert _seat_marks(classroom) == dict.fromkeys(range(1, SEATS + 1), 59)  # every seat as the trainee left it
    with _trainer(classroom).admin() as conn:  # no work copy left
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname ~ '__new$'").fetchone() == (0,)


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("step", ["lesson:setup", "lesson:swap"])
def test_a_killed_start_is_undone_before_its_swap_and_finished_after(classroom: Workspace, step: str) -> None:
    if lessonstate.read(_trainer(classroom).env) is not None:
        classwork.stop(classroom, CLIENT)
    code, out = cli(classroom, "reset", CLIENT, "--all")
    assert code == 0, out
    env = {**os.environ, journal.CRASH_AT: step}
    killed = subprocess.run(
        [sys.executable, "-m", "provision.cli", "--workspace", str(classroom.root), "lesson", "start", CLIENT,
         "first-day"], env=env, capture_output=True, timeout=600, check=False,
    )  # fmt: skip
    assert killed.returncode == -9
    code, out = cli(classroom, "seats", CLIENT)  # the next command repairs first
    assert code == 0, out
    with _trainer(classroom).admin() as conn:
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname ~ '__new$'").fetchone() == (0,)
    running = lessonstate.read(_trainer(classroom).env)
    if step == "lesson:setup":  # undone: no lesson, the seats as they were
        assert running is None
        assert _tables(classroom, "lesson_debtors") == dict.fromkeys(range(1, SEATS + 1), 0)
    else:  # finished: the lesson runs, every seat at its start
        assert running is not None
        assert _tables(classroom, "lesson_debtors") == dict.fromkeys(range(1, SEATS + 1), 1)
        assert _done(classwork.status(classroom, CLIENT)) == {k: [] for k in range(1, SEATS + 1)}
        code, out = cli(classroom, "lesson", "stop", CLIENT)
        assert code == 0, out


def _tables(workspace: Workspace, name: str) -> dict[int, int]:
    """Each seat's count of tables named ``name``."""
    found = {}
    for seat in _trainer(workspace).seats():
        if seat.seat:
            with psycopg.connect(seat.dsn_with_password) as conn:
                row = conn.execute("SELECT count(*) FROM pg_tables WHERE tablename = %s", (name,)).fetchone()
                found[seat.seat] = row[0] if row else 0
    return found


def test_a_trainee_reaches_the_database_by_the_consoles_address_where_it_listens_there() -> None:
    assert room_address("127.0.0.1", "10.0.0.5") is None  # loopback only: the trainer's page says so
    assert room_address("0.0.0.0", "10.0.0.5") == "10.0.0.5"
    assert room_address("::", "klass.local") == "klass.local"
    assert room_address("10.0.0.7", "10.0.0.5") == "10.0.0.7"  # bound to one address: that one
    assert loopback_only("127.0.0.1") and not loopback_only("0.0.0.0")


# -- in the console --------------------------------------------------------------------------------------
def _tokens(workspace: Workspace) -> dict[int, str]:
    view = class_view(env_for(workspace, load_profile(workspace, CLIENT)))
    return {s.seat: s.token for s in view.seats if s.seat}


@pytest.fixture(scope="module")
def console(classroom: Workspace) -> Iterator[tuple[TestClient, str]]:
    """The console of the classroom, logged in: (its client, the session's CSRF token); the lesson stopped after."""
    password = auth.console_password(classroom)[0]
    client = TestClient(make_app(classroom, password))
    yield client, logged_in(client, password)
    if lessonstate.read(_trainer(classroom).env) is not None:
        classwork.stop(classroom, CLIENT)


@pytest.mark.docker
@pytest.mark.slow
def test_the_console_starts_a_lesson_and_a_trainee_sees_only_their_own_tasks(
    classroom: Workspace, console: tuple[TestClient, str]
) -> None:
    client, csrf = console
    if lessonstate.read(_trainer(classroom).env) is not None:
        classwork.stop(classroom, CLIENT)
    page = client.get(f"/client/{CLIENT}/lesson").text
    assert 'id="no-lesson"' in page and "Первый день оператора" in page and 'id="loopback"' in page
    state = finished(client, client.post(f"/client/{CLIENT}/lesson/start", data={"lesson": "first-day", "csrf": csrf},
                                         follow_redirects=False))  # fmt: skip
    assert state["state"] == "done", state
    board = client.get(f"/client/{CLIENT}/lesson").text
    assert board.count('class="tile"') == SEATS and "Закончить урок" in board
    running = lessonstate.read(_trainer(classroom).env)
    assert running is not None
    serials = {k: lessonstate.decode(running.values[str(k)]["meter"])["serial"] for k in range(1, SEATS + 1)}
    trainee = TestClient(client.app)  # another browser: no trainer's session
    token = _tokens(classroom)[2]
    mine = trainee.get(f"/seat/{token}").text
    assert serials[2] in mine and serials[1] not in mine and serials[3] not in mine
    assert "Пульт преподавателя" not in mine and "Выйти" not in mine and 'id="trainer-only"' in mine
    assert mine.count('class="todo"') == len(FIRST_DAY) and "<script" not in mine.split("<main>")[1]
    form = csrf_of(mine)
    trainee.post(f"/seat/{token}/name", data={"name": "Мария Иванова", "csrf": form})
    checked = trainee.post(f"/seat/{token}/check", data={"csrf": form}).text
    assert 'id="hint"' in checked and "Показание за открытый месяц" in checked  # the first undone task's hint
    _solve(classroom, 2, ("reading",))
    checked = trainee.post(f"/seat/{token}/check", data={"csrf": form}).text
    assert checked.count('class="done"') == 1 and 'value="Мария Иванова"' in checked
    assert trainee.get(f"/seat/{_tokens(classroom)[1]}x").status_code == 404  # another seat's token, mangled
    assert trainee.post(f"/seat/{token}/check", data={"csrf": "forged"}).status_code == 403
    assert trainee.get(f"/client/{CLIENT}/lesson/events", follow_redirects=False).status_code == 303  # to the login
    done = classwork.status(classroom, CLIENT)
    assert done.seats[1].name == "Мария Иванова" and [t.task for t in done.seats[1].tasks if t.done] == ["reading"]


@pytest.mark.docker
@pytest.mark.slow
def test_in_a_browser_the_board_follows_the_class_live(classroom: Workspace, console: tuple[TestClient, str]) -> None:
    from selenium.webdriver.common.by import By

    client, _csrf = console
    if lessonstate.read(_trainer(classroom).env) is None:
        classwork.start(classroom, CLIENT, "first-day")
    with served_in_chromium(client.app) as (driver, url):
        driver.get(f"{url}/login")
        driver.find_element(By.ID, "password").send_keys(auth.console_password(classroom)[0])
        driver.find_element(By.ID, "enter").click()
        wait_for(lambda: "/login" not in driver.current_url)
        driver.get(f"{url}/client/{CLIENT}/lesson")
        wait_for(lambda: driver.find_element(By.ID, "board").get_attribute("data-updated"))  # the stream is live
        tile = driver.find_element(By.ID, "tile-3")
        before = int(tile.find_element(By.CLASS_NAME, "done").text)
        _solve(classroom, 3, ("owner",))  # done in SQL: the page is not reloaded
        wait_for(
            lambda: int(driver.find_element(By.ID, "tile-3").find_element(By.CLASS_NAME, "done").text) == before + 1
        )
        assert "Новый собственник" in driver.find_element(By.ID, "tile-3").find_element(By.CLASS_NAME, "last").text
        assert driver.execute_script("return performance.getEntriesByType('navigation').length") == 1
        running = lessonstate.read(_trainer(classroom).env)
        assert running is not None
        serials = {k: lessonstate.decode(running.values[str(k)]["meter"])["serial"] for k in range(1, SEATS + 1)}
        driver.delete_all_cookies()  # a trainee's browser: no trainer's session
        driver.get(f"{url}/seat/{_tokens(classroom)[3]}")
        mine = driver.find_element(By.ID, "my-tasks").text
        assert serials[3] in mine and serials[1] not in mine and serials[2] not in mine
        assert len(driver.find_elements(By.CSS_SELECTOR, "#my-tasks li")) == len(FIRST_DAY)
        assert not driver.find_elements(By.ID, "logout") and "Пульт преподавателя" not in driver.page_source


@pytest.mark.docker
@pytest.mark.slow
def test_a_damaged_lesson_record_still_stops(classroom: Workspace) -> None:
    path = _trainer(classroom).env.files.lesson
    path.write_text("{not json", encoding="utf-8")
    code, out = cli(classroom, "lesson", "stop", CLIENT)
    assert code == 0 and "damaged" in out, out
    assert not path.exists()
    code, out = cli(classroom, "reset", CLIENT, "--seat", "1")  # a reset works again
    assert code == 0, out


@pytest.mark.docker
@pytest.mark.slow
def test_a_lesson_started_during_a_stop_runs_on_and_a_later_look_keeps_its_tick(
    classroom: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = cli(classroom, "lesson", "start", CLIENT, "first-day")
    assert code == 0, out
    env = _trainer(classroom).env
    # a look begun after this one saw seat 2's reading done: this one's "undone" does not take its tick away
    later = (dt.datetime.now().astimezone() + dt.timedelta(minutes=1)).isoformat(timespec="seconds")
    with lessonstate.changing(env) as kept:
        assert kept is not None
        kept.done["2"] = {"reading": later}
    assert classwork.status(classroom, CLIENT).seats[1].tasks[0].when == later
    with lessonstate.changing(env) as kept:  # a tick from before the look: the seat was reset, it goes
        assert kept is not None
        kept.done["2"] = {"reading": "2026-01-01T00:00:00+00:00"}
    assert classwork.status(classroom, CLIENT).seats[1].tasks[0].when is None
    # another lesson started while a stop looked at the class: the stop refuses, the new lesson runs
    looked = classwork.status

    def look_then_start(*args: object, **kwargs: object) -> classwork.Board:
        board = looked(*args, **kwargs)  # type: ignore[arg-type]
        running = lessonstate.read(env)
        assert running is not None
        lessonstate.write(env, dataclasses.replace(running, id="another"))
        return board

    monkeypatch.setattr(classwork, "status", look_then_start)
    with pytest.raises(InputError, match="was started on 'klasse' meanwhile"):
        classwork.stop(classroom, CLIENT)
    monkeypatch.undo()
    running = lessonstate.read(env)
    assert running is not None and running.id == "another"
    assert classwork.stop(classroom, CLIENT).lesson == "first-day" and lessonstate.read(env) is None
