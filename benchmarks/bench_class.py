"""A class of 100 seats through a lesson, on clone storage (PostgreSQL 18, an XFS file with reflink):

  seats:    `provision up CLIENT` after the profile's seats went from 0 to --seats: the seats made (roles,
            passwords, copies), and the disk they added each (the XFS file's used blocks; the goal: <= 10 s
            and <= 50 MB a seat); then how long until the ready copies `up` leaves to make in the background
            (what the next resets rename in) are all there
  start:    `provision lesson start CLIENT bench` of a lesson of --tasks tasks (the built-in «Первый день
            оператора» and more): every seat's own start made, its setup applied, the seats reset to it (<= 10 s)
  board:    every task checked on every seat (`classwork.status`, the call behind `lesson status` and the
            console's board), with a third of the class's tasks done: the first look (every connection
            made, as `lesson status` does), and the median of --repeat looks as the console's board makes
            them, on the seats' connections it keeps (<= 2 s)
  pages:    the console's trainer page of the client, the board page and a trainee's page, median of
            --repeat over HTTP (< 200 ms each)
The floor beside the seats: `CREATE DATABASE ... TEMPLATE` of the baseline once, as the seats' copies are.
The lesson starts once the ready copies are made, as a trainer starts one some time after `up`.
Run: `make bench-class` or `python benchmarks/bench_class.py --seats 100`.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2
import psycopg
from common import seeded_client, show
from psycopg import sql

from harness.web import served
from provision.clients.profile import load_profile
from provision.clients.render import env_for
from provision.clients.storage import loop_problem
from provision.console import auth
from provision.console.app import make_app
from provision.training import classroom, classwork, copies, lessons, lessonsql, seats

CLIENT = "bench-class"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
EXTRA_TASK = """
[[task]]
id = "look{n}"
title = "Просмотр {n}"
text = "Заведите реестр с именем файла look{n}."
points = 5
check = "SELECT EXISTS (SELECT 1 FROM payment_registry WHERE file_name = 'look{n}'), 'Реестра нет.'"
"""


def provision_argv() -> list[str]:
    script = Path(sys.executable).parent / "provision"
    return [str(script)] if script.exists() else [sys.executable, "-m", "provision.cli"]


def cli(root: Path, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run([*provision_argv(), "--workspace", str(root), *args], check=True, capture_output=True)
    return time.perf_counter() - started


def used_bytes(mount: Path | None) -> int | None:
    if mount is None:
        return None
    found = os.statvfs(mount)
    return (found.f_blocks - found.f_bfree) * found.f_frsize


def lesson_text(tasks: int) -> str:
    """The built-in first day, and simple tasks after it up to ``tasks``."""
    text = lessons.lesson_files(None)["first-day"].read_text(encoding="utf-8")
    built_in = text.count("[[task]]")
    return text + "".join(EXTRA_TASK.format(n=n) for n in range(1, tasks - built_in + 1))


def measure(seat_count: int, accounts: int, tasks: int, repeat: int) -> dict[str, Any]:
    method = "copy" if loop_problem() else "clone"
    storage = 'major = 18\nstorage = "clone"\n' if method == "clone" else ""
    profile = f'[postgres]\nport = "auto"\n{storage}[seed]\naccounts = {accounts}\nmonths = 6\n'
    with seeded_client(CLIENT, profile) as (workspace, _dsn):
        root = workspace.root
        env = env_for(workspace, load_profile(workspace, CLIENT))
        trainer = seats.Trainer.of(env)
        with trainer.admin() as conn:  # the floor: one copy of the baseline, as each seat's is made
            started = time.perf_counter()
            baseline = sql.Identifier(trainer.names.baseline)
            conn.execute(sql.SQL("CREATE DATABASE bench_floor TEMPLATE {} STRATEGY FILE_COPY").format(baseline))
            floor = time.perf_counter() - started
            conn.execute("DROP DATABASE bench_floor")
        mount = env.storage.mount_point
        before = used_bytes(mount)
        path = workspace.files(CLIENT).profile
        path.write_text(profile + f"[training]\nseats = {seat_count}\n", encoding="utf-8")
        made = cli(root, "up", CLIENT)
        after = used_bytes(mount)
        ready = until_ready(trainer, seat_count) + made
        own = workspace.files(CLIENT).lessons
        own.mkdir()
        (own / "bench.toml").write_text(lesson_text(tasks), encoding="utf-8")
        start = cli(root, "lesson", "start", CLIENT, "bench")
        solve_a_third(workspace, seat_count)
        began = time.perf_counter()
        classwork.status(workspace, CLIENT)
        cold = time.perf_counter() - began
        boards = []
        links = lessonsql.Links()
        try:
            for _ in range(repeat + 1):  # the first makes the connections the next keep
                began = time.perf_counter()
                board = classwork.status(workspace, CLIENT, links=links)
                boards.append(time.perf_counter() - began)
        finally:
            links.close()
        boards = boards[1:]
        done = sum(seat.done for seat in board.seats)
        print(f"# seats made {made:.1f} s, lesson started {start:.1f} s, board {min(boards):.2f} s", file=sys.stderr)
        page, lesson_page, trainee_page = console_pages(workspace, repeat)
        cli(root, "lesson", "stop", CLIENT)
    return {
        "storage": method,
        "accounts": accounts,
        "seats": seat_count,
        "tasks": len(board.lesson.tasks),
        "seats_made_s": round(made, 2),
        "floor_one_copy_s": round(floor, 3),
        "disk_per_seat_mb": round((after - before) / seat_count / 2**20, 2) if before is not None and after else None,
        "ready_copies_s": round(ready, 2),
        "lesson_start_s": round(start, 2),
        "board_first_s": round(cold, 3),
        "board_s": round(statistics.median(boards), 3),
        "board_max_s": round(max(boards), 3),
        "tasks_done": done,
        "client_page_ms": page,
        "board_page_ms": lesson_page,
        "trainee_page_ms": trainee_page,
    }


def until_ready(trainer: seats.Trainer, seat_count: int) -> float:
    """Seconds until the ready copies of the baseline for every seat and the working database are made."""
    began = time.perf_counter()
    with trainer.admin() as conn:
        while time.perf_counter() - began < 600:
            pattern = f"^{re.escape(trainer.names.stem)}{copies.READY}"
            found = conn.execute("SELECT count(*) FROM pg_database WHERE datname ~ %s", (pattern,)).fetchone()
            if found and found[0] >= seat_count + 1:
                break
            time.sleep(0.1)
    return time.perf_counter() - began


def solve_a_third(workspace: Any, seat_count: int) -> None:
    """The first added task done on a third of the seats (a trainee's INSERT), so the board has ticks to find."""
    trainer = seats.Trainer.of(env_for(workspace, load_profile(workspace, CLIENT)))
    for seat in trainer.seats():
        if seat.seat and seat.seat % 3 == 0:
            with psycopg.connect(seat.dsn_with_password, autocommit=True) as conn:
                conn.execute(
                    "INSERT INTO payment_registry (agent_id, registry_date, file_name, line_count, total) "
                    "VALUES (1, current_date, 'look1', 0, 0)"
                )


def console_pages(workspace: Any, repeat: int) -> tuple[float, float, float]:
    """Median milliseconds of the client's page, the board page and a trainee's page, over HTTP."""
    password = auth.console_password(workspace)[0]
    token = next(s.token for s in classroom.class_view(env_for(workspace, load_profile(workspace, CLIENT))).seats
                 if s.seat == 1)  # fmt: skip
    with served(make_app(workspace, password)) as url, httpx2.Client(base_url=url, timeout=300) as web:
        login = CSRF.findall(web.get("/login").text)[0]
        web.post("/login", data={"password": password, "csrf": login})
        found = []
        for address in (f"/client/{CLIENT}", f"/client/{CLIENT}/lesson", f"/seat/{token}"):
            web.get(address).raise_for_status()  # the first look checks the class; the next ones see it kept
            times = []
            for _ in range(repeat):
                began = time.perf_counter()
                web.get(address).raise_for_status()
                times.append(time.perf_counter() - began)
            found.append(round(statistics.median(times) * 1000, 1))
    return found[0], found[1], found[2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seats", type=int, nargs="+", default=[100])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="all results as one JSON document at the end")
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    for count in args.seats:
        results.append(measure(count, args.accounts, args.tasks, args.repeat))
        show(results, args.json)
    show(results, args.json, final=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
