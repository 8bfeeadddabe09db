"""Console figures: a client's page with --seats seats, and a seat reset from its button.

Brings up a client with --seats trainee seats (--accounts each), serves the console with uvicorn on a free
port, logs in over HTTP (httpx2) and measures, median of --repeat:
  page:   GET /client/<name>: its seats with sizes and last resets, snapshots, links (the target: < 200 ms)
  reset:  POST of a seat's reset button, then the job followed until done, against the reset's own time
          (the library call the job runs, as `provision reset --seat` runs it); the overhead (< 0.2 s)
Run: `make bench-console` or `python benchmarks/bench_console.py --seats 30`.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from typing import Any

import httpx2
from common import seeded_client, show

from harness.web import served
from provision.console import auth
from provision.console.app import make_app
from provision.training import seats as seat_book

CLIENT = "bench-console"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def measure(seats: int, accounts: int, repeat: int) -> dict[str, Any]:
    profile = f'[postgres]\nport = "auto"\n[seed]\naccounts = {accounts}\nmonths = 3\n[training]\nseats = {seats}\n'
    with seeded_client(CLIENT, profile) as (workspace, _dsn):
        password = auth.console_password(workspace)[0]
        with served(make_app(workspace, password)) as url, httpx2.Client(base_url=url) as web:
            token = CSRF.findall(web.get("/login").text)[0]
            web.post("/login", data={"password": password, "csrf": token})
            page = web.get(f"/client/{CLIENT}")
            assert page.text.count('class="reset"') == seats + 1, "not every seat is on the page"
            token = CSRF.findall(page.text)[0]
            pages, buttons, library = [], [], []
            for _ in range(repeat):
                started = time.perf_counter()
                web.get(f"/client/{CLIENT}").raise_for_status()
                pages.append(time.perf_counter() - started)
            for _ in range(repeat):
                started = time.perf_counter()
                job = web.post(f"/client/{CLIENT}/reset", data={"seat": "1", "csrf": token}).headers["location"]
                while (state := web.get(job + ".json").json())["state"] == "running":
                    time.sleep(0.01)
                assert state["state"] == "done", state
                buttons.append(time.perf_counter() - started)
                started = time.perf_counter()
                seat_book.reset_client(workspace, CLIENT, 1)
                library.append(time.perf_counter() - started)
    button, own = statistics.median(buttons), statistics.median(library)
    return {
        "seats": seats,
        "accounts": accounts,
        "page_ms": round(statistics.median(pages) * 1000, 1),
        "page_max_ms": round(max(pages) * 1000, 1),
        "reset_button_s": round(button, 3),
        "reset_library_s": round(own, 3),
        "button_overhead_s": round(button - own, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seats", type=int, nargs="+", default=[30])
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="all results as one JSON document at the end")
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    for seats in args.seats:
        results.append(measure(seats, args.accounts, args.repeat))
        show(results, args.json)
    show(results, args.json, final=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
