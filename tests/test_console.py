"""The trainer's console over HTTP, in process: the password and its lock-out, CSRF on every action, and,
against a real client, a seat reset that undoes a trainee's change, a snapshot saved and restored, a
trainee's link, a reset that waits for a CLI command holding the client, and the books as SVG."""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import psycopg
import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from provision.cli import app as cli_app
from provision.clients import lifecycle
from provision.clients.render import client_env
from provision.clients.workspace import Workspace
from provision.console import auth
from provision.console.app import make_app
from provision.console.jobs import Jobs
from provision.console.lockout import Limits
from provision.errors import InputError
from provision.training import classroom, journal, seats
from tests.browser import served_in_chromium, wait_for
from tests.clients import one_row, seeded_client

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
CLIENT = "klass"


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found, page[:500]
    return found.group(1)


def logged_in(client: TestClient, password: str) -> str:
    """Log in; the session's CSRF token."""
    page = client.get("/login").text
    response = client.post("/login", data={"password": password, "csrf": csrf_of(page)}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/").text)


def finished(client: TestClient, response: Any, timeout: float = 60.0) -> dict[str, Any]:
    """Follow an action's job to its end; its state."""
    assert response.status_code == 303, response.text
    job = response.headers["location"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state: dict[str, Any] = client.get(job + ".json").json()
        if state["state"] != "running":
            return state
        time.sleep(0.05)
    raise AssertionError(f"{job} still running")


# -- without a database -------------------------------------------------------------------------------
@pytest.fixture
def empty_console(tmp_path: Path) -> tuple[TestClient, str, Workspace]:
    ws = Workspace(tmp_path)
    (ws.compose_root / "x").mkdir(parents=True)
    (ws.compose_root / "x" / "client.toml").write_text("[postgres]\nport = 55997\n", encoding="utf-8")
    password, made, path = auth.console_password(ws)
    assert made and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert auth.console_password(ws)[:2] == (password, False)  # made once
    return TestClient(make_app(ws, password)), password, ws


def test_nothing_without_logging_in(empty_console: tuple[TestClient, str, Workspace]) -> None:
    client, _password, _ws = empty_console
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    assert client.get("/client/x", follow_redirects=False).status_code == 303
    assert client.post("/client/x/reset", data={"seat": "1", "csrf": "x"}).status_code == 403
    assert client.get("/client/x/chart/months.svg", follow_redirects=False).status_code == 303
    page = client.get("/login")
    assert "Пароль" in page.text  # Russian unless asked
    assert page.headers["x-frame-options"] == "DENY" and "default-src 'self'" in page.headers["content-security-policy"]


def test_a_wrong_password_then_the_lockout(empty_console: tuple[TestClient, str, Workspace]) -> None:
    client, password, _ws = empty_console
    token = csrf_of(client.get("/login").text)
    for _ in range(Limits().free_per_address):
        assert client.post("/login", data={"password": "nope", "csrf": token}).status_code == 401
    assert "Неверный пароль" in client.post("/login", data={"password": "nope", "csrf": token}).text
    locked = client.post("/login", data={"password": password, "csrf": token})
    assert locked.status_code == 429 and "подождите" in locked.text  # even the right one, for a while


def test_every_action_needs_the_sessions_csrf_token(empty_console: tuple[TestClient, str, Workspace]) -> None:
    client, password, _ws = empty_console
    assert client.post("/login", data={"password": password, "csrf": "forged"}).status_code == 403
    token = logged_in(client, password)
    assert "x" in client.get("/").text
    for path, data in [
        ("/client/x/reset", {"seat": "1"}),
        ("/client/x/snapshot/save", {"snapshot": "s1"}),
        ("/client/x/snapshot/restore", {"snapshot": "s1", "seat": "0"}),
    ]:
        assert client.post(path, data={**data, "csrf": "wrong"}).status_code == 403
        assert client.post(path, data=data).status_code == 403
    assert client.post("/client/nosuch/reset", data={"seat": "1", "csrf": token}).status_code == 404
    which = client.post("/client/x/reset", data={"csrf": token})
    assert which.status_code == 400 and "Какое место?" in which.text
    kept = dict(client.cookies)
    assert client.post("/logout", data={"csrf": token}, follow_redirects=False).status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303
    client.cookies.update(kept)  # a copy of the session cookie taken before the logout
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_damaged_secret_is_made_anew_and_never_empty(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    path = auth.console_dir(ws) / "password"
    path.parent.mkdir(parents=True)
    path.write_text("\n", encoding="ascii")  # a disk that filled up as it was written
    password, made, _ = auth.console_password(ws)
    assert made and len(password) >= auth.SHORTEST and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not auth.password_matches("", "") and len(auth.session_key(ws)) >= auth.SHORTEST


def test_an_unknown_trainee_link_opens_nothing(empty_console: tuple[TestClient, str, Workspace]) -> None:
    client, _password, _ws = empty_console
    page = client.get("/seat/not-a-token")
    assert page.status_code == 404 and "Ссылка недействительна" in page.text
    assert client.post("/seat/not-a-token/reset", data={"csrf": "x"}).status_code == 403


def test_english_on_request(empty_console: tuple[TestClient, str, Workspace]) -> None:
    client, _password, _ws = empty_console
    client.get("/lang/en")
    assert "Password" in client.get("/login").text


def test_the_command_shows_the_password_once_and_serves(tmp_path: Path) -> None:
    """`provision console` as a trainer starts it: the address, the password the first time only, the
    login page; a port already taken is refused with the fix."""
    (tmp_path / "compose" / "x").mkdir(parents=True)
    (tmp_path / "compose" / "x" / "client.toml").write_text("[postgres]\nport = 55996\n", encoding="utf-8")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "provision.cli", "--workspace", str(tmp_path), "console", "--port", str(port)]
    outputs = []
    for _ in range(2):
        server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            assert server.stdout is not None
            outputs.append(server.stdout.readline() + server.stdout.readline())
            deadline = time.monotonic() + 20
            while True:
                try:
                    page = httpx2.get(f"http://127.0.0.1:{port}/login", timeout=2)
                    break
                except httpx2.TransportError:
                    assert time.monotonic() < deadline, "the console did not start"
                    time.sleep(0.1)
            assert page.status_code == 200 and "Пароль" in page.text
            if len(outputs) == 2:  # the console holds the port: a second one is refused
                busy = subprocess.run(command, capture_output=True, text=True, timeout=60)
                assert busy.returncode == 3 and "cannot listen" in busy.stderr + busy.stdout, busy
        finally:
            server.terminate()
            server.wait(20)
    password = auth.console_password(Workspace(tmp_path))[0]
    assert f"http://127.0.0.1:{port}/" in outputs[0] and password in outputs[0]
    assert password not in outputs[1] and "password is in" in outputs[1]


def test_a_failed_job_says_why() -> None:
    jobs = Jobs()

    def fails(_say: Any) -> str:
        raise InputError("no such snapshot", fix="see the list")

    job = jobs.start("t", "/", fails)
    for _ in range(100):
        if job.state != "running":
            break
        time.sleep(0.01)
    assert job.state == "failed" and job.result == "no such snapshot (see the list)"


# -- against a real client ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def classroom_up(tmp_path_factory: pytest.TempPathFactory, pg_image: str) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("console").resolve()
    ws, dsn = seeded_client(root, CLIENT, "[seed]\naccounts = 200\nmonths = 3\n[training]\nseats = 2\n")
    password = auth.console_password(ws)[0]
    client = TestClient(make_app(ws, password))
    yield {"ws": ws, "dsn": dsn, "client": client, "token": logged_in(client, password)}
    lifecycle.destroy(ws, CLIENT)


def seat_dsn(up: dict[str, Any], seat: int) -> str:
    return next(s.dsn_with_password for s in seats.client_seats(up["ws"], CLIENT) if s.seat == seat)


def accounts_in(dsn: str) -> int:
    return int(one_row(dsn, "SELECT count(*) FROM okno.account")[0])


@pytest.mark.docker
@pytest.mark.slow
def test_a_seat_reset_from_the_console_undoes_the_trainees_change(classroom_up: dict[str, Any]) -> None:
    client, token = classroom_up["client"], classroom_up["token"]
    page = client.get(f"/client/{CLIENT}").text
    assert page.count('class="reset"') == 3 and "postgresql://" in page and "/seat/" in page
    seat = seat_dsn(classroom_up, 1)
    before = accounts_in(seat)
    with psycopg.connect(seat) as conn:
        conn.execute("DELETE FROM okno.account_person")
        conn.execute("DELETE FROM okno.meter_reading")
    response = client.post(f"/client/{CLIENT}/reset", data={"seat": "1", "csrf": token}, follow_redirects=False)
    state = finished(client, response)
    assert state["state"] == "done", state
    assert TestClient(client.app).get(response.headers["location"] + ".json").status_code == 404  # not theirs
    assert int(one_row(seat, "SELECT count(*) FROM okno.meter_reading")[0]) > 0 and accounts_in(seat) == before
    assert "Последний сброс" in client.get(f"/client/{CLIENT}").text
    svg = client.get(f"/client/{CLIENT}/chart/months.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and "<rect" in svg.text
    assert "<rect" in client.get(f"/client/{CLIENT}/chart/debt.svg").text
    none = client.get(f"/client/{CLIENT}/import")
    assert none.status_code == 404 and "has no import report" in none.text


@pytest.mark.docker
@pytest.mark.slow
def test_a_fullwidth_seat_number_resets_nothing(classroom_up: dict[str, Any]) -> None:
    """`seat=０` passes isdigit() and int() reads it as 0, the working database: refused, nothing reset."""
    client, token, dsn = classroom_up["client"], classroom_up["token"], classroom_up["dsn"]
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE okno.account SET residents = 97 WHERE id = 2")
    for seat in ("０", "１", "٣", "+1", " 1"):
        response = client.post(f"/client/{CLIENT}/reset", data={"seat": seat, "csrf": token}, follow_redirects=False)
        assert response.status_code == 400 and "ничего не сброшено" in response.text, seat
    jobs = client.app.state.console.jobs
    assert all(jobs.running(f"{CLIENT}/{target}") is None for target in ("seat0", "seat1", "seat3", "all"))
    assert one_row(dsn, "SELECT residents FROM okno.account WHERE id = 2")[0] == 97


@pytest.mark.docker
@pytest.mark.slow
def test_a_snapshot_saved_and_restored_from_the_console(classroom_up: dict[str, Any]) -> None:
    client, token, dsn = classroom_up["client"], classroom_up["token"], classroom_up["dsn"]
    save = client.post(
        f"/client/{CLIENT}/snapshot/save", data={"snapshot": "lesson-1", "csrf": token}, follow_redirects=False
    )
    assert finished(client, save)["state"] == "done"
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE okno.account SET residents = 9 WHERE id = 1")
    assert "lesson-1" in client.get(f"/client/{CLIENT}").text
    restore = client.post(
        f"/client/{CLIENT}/snapshot/restore",
        data={"snapshot": "lesson-1", "seat": "0", "csrf": token},
        follow_redirects=False,
    )
    assert finished(client, restore)["state"] == "done"
    assert one_row(dsn, "SELECT residents FROM okno.account WHERE id = 1")[0] != 9
    bad = client.post(
        f"/client/{CLIENT}/snapshot/save", data={"snapshot": "Bad Name", "csrf": token}, follow_redirects=False
    )
    state = finished(client, bad)
    assert state["state"] == "failed" and "snapshot" in state["result"]


@pytest.mark.docker
@pytest.mark.slow
def test_a_trainee_link_shows_that_seat_and_resets_it(classroom_up: dict[str, Any]) -> None:
    ws = classroom_up["ws"]
    links = classroom.seat_links(client_env(ws, CLIENT, pick=False))
    trainee = TestClient(classroom_up["client"].app)  # no session: a trainee's browser
    page = trainee.get(f"/seat/{links[2]}").text
    assert seat_dsn(classroom_up, 2) in page and seat_dsn(classroom_up, 1) not in page
    assert "Сбросить моё место" in page and "/client/" not in page
    with psycopg.connect(seat_dsn(classroom_up, 2)) as conn:
        conn.execute("DELETE FROM okno.meter_reading")
    done = finished(
        trainee, trainee.post(f"/seat/{links[2]}/reset", data={"csrf": csrf_of(page)}, follow_redirects=False)
    )
    assert done["state"] == "done"
    assert int(one_row(seat_dsn(classroom_up, 2), "SELECT count(*) FROM okno.meter_reading")[0]) > 0
    assert trainee.get("/", follow_redirects=False).status_code == 303  # nothing else
    result = CliRunner().invoke(cli_app, ["--workspace", str(ws.root), "reset", CLIENT, "--all", "--new-links"])
    assert result.exit_code == 0 and "links are new" in result.output, result.output
    assert trainee.get(f"/seat/{links[2]}").status_code == 404
    fresh = classroom.seat_links(client_env(ws, CLIENT, pick=False))[2]
    assert fresh != links[2] and trainee.get(f"/seat/{fresh}").status_code == 200


@pytest.mark.docker
@pytest.mark.slow
def test_a_console_reset_waits_for_a_cli_command_and_says_so(classroom_up: dict[str, Any]) -> None:
    client, token, ws = classroom_up["client"], classroom_up["token"], classroom_up["ws"]
    env = client_env(ws, CLIENT, pick=False)
    holding, release = threading.Event(), threading.Event()

    def cli_command() -> None:  # another thread holds the client's lock, as a `provision reset` would
        with journal.client_lock(seats._lock_path(env), "reset", lambda _m: None):
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=cli_command)
    thread.start()
    holding.wait(10)
    response = client.post(f"/client/{CLIENT}/reset", data={"seat": "1", "csrf": token}, follow_redirects=False)
    job = response.headers["location"]
    time.sleep(0.5)
    state = client.get(job + ".json").json()
    assert state["state"] == "running" and any("Занято" in line for line in state["lines"]), state
    assert client.get(f"/client/{CLIENT}").status_code == 200  # other pages go on meanwhile
    release.set()
    thread.join()
    assert finished(client, response)["state"] == "done"


# -- in a real headless Chromium ---------------------------------------------------------------------------
SHOTS = os.environ.get("PROVISION_SCREENSHOTS")  # a folder: the main pages' screenshots go there (docs/)


@pytest.fixture(scope="module")
def browser(classroom_up: dict[str, Any]) -> Iterator[tuple[Any, str]]:
    """The console served by uvicorn on a free port, and a headless Chromium driven by Selenium."""
    with served_in_chromium(classroom_up["client"].app) as found:
        yield found


def logged_in_browser(browser: tuple[Any, str], up: dict[str, Any]) -> tuple[Any, str]:
    """The browser on the client's page, logged in (when the session has gone, or a test runs alone)."""
    from selenium.webdriver.common.by import By

    driver, url = browser
    driver.get(f"{url}/client/{CLIENT}")
    if driver.current_url.endswith("/login"):
        shot(driver, "login")
        driver.find_element(By.ID, "password").send_keys(auth.console_password(up["ws"])[0])
        driver.find_element(By.ID, "enter").click()
        wait_for(lambda: driver.find_element(By.LINK_TEXT, CLIENT).is_displayed())
        driver.find_element(By.LINK_TEXT, CLIENT).click()
    wait_for(lambda: driver.find_element(By.ID, "seats").is_displayed())
    return driver, url


def shot(driver: Any, name: str) -> None:
    if SHOTS:
        driver.save_screenshot(str(Path(SHOTS) / f"console-{name}.png"))


@pytest.mark.docker
@pytest.mark.slow
def test_in_a_browser_log_in_reset_a_seat_and_use_a_snapshot(
    browser: tuple[Any, str], classroom_up: dict[str, Any]
) -> None:
    from selenium.webdriver.common.by import By

    driver, url = logged_in_browser(browser, classroom_up)  # the first test: no session yet, the login page
    assert driver.find_element(By.ID, "seats").text.count("postgresql://") == 3
    shot(driver, "client")
    seat = seat_dsn(classroom_up, 1)
    with psycopg.connect(seat) as conn:
        conn.execute("DELETE FROM okno.meter_reading")
    driver.find_element(By.ID, "reset-1").click()
    wait_for(lambda: driver.find_element(By.ID, "job-state").get_attribute("class") == "ok")  # live, by SSE
    assert int(one_row(seat, "SELECT count(*) FROM okno.meter_reading")[0]) > 0
    shot(driver, "job")
    driver.find_element(By.ID, "back").click()
    wait_for(lambda: driver.find_element(By.ID, "snapshot-name").is_displayed())
    driver.find_element(By.ID, "snapshot-name").send_keys("browser-1")
    driver.find_element(By.ID, "snapshot-save").click()
    wait_for(lambda: driver.find_element(By.ID, "job-state").get_attribute("class") == "ok")
    driver.find_element(By.ID, "back").click()
    wait_for(lambda: driver.find_element(By.ID, "restore-browser-1").is_displayed())
    driver.find_element(By.ID, "restore-browser-1").click()
    wait_for(lambda: driver.find_element(By.ID, "job-state").get_attribute("class") == "ok")
    links = classroom.seat_links(client_env(classroom_up["ws"], CLIENT, pick=False))
    driver.get(f"{url}/seat/{links[1]}")
    assert driver.find_element(By.ID, "my-dsn").text == seat
    shot(driver, "trainee")


@pytest.mark.docker
@pytest.mark.slow
def test_in_a_browser_no_action_without_a_session_or_with_a_forged_token(
    browser: tuple[Any, str], classroom_up: dict[str, Any]
) -> None:
    from selenium.webdriver.common.by import By

    driver, url = logged_in_browser(browser, classroom_up)
    driver.execute_script("document.querySelectorAll('input[name=csrf]').forEach(e => e.value = 'forged')")
    driver.find_element(By.ID, "reset-1").click()
    wait_for(lambda: "устаревшая форма" in driver.page_source)
    driver.get(f"{url}/client/{CLIENT}")
    driver.delete_all_cookies()
    driver.find_element(By.ID, "reset-1").click()
    wait_for(lambda: "log in first" in driver.page_source)
