"""Reset figures, side by side: the copy path, the clone path (PostgreSQL 18's file_copy_method = clone on
an XFS file with reflink), and pg_restore -j2 of the same data.

For each size and storage, on PostgreSQL 18, seed a client, then time (median of --repeat runs):
  reset:        `provision reset CLIENT --seat 1` as a user runs it (a new process: CLI, lock, copy, swap, a query)
  library:      the same reset as one call in this process (`seats.reset_client`), and the ratio of the two:
                what the command line costs on top of its work (its start-up and imports; the goal is <= 2x)
  raw:          `CREATE DATABASE ... TEMPLATE <baseline> STRATEGY FILE_COPY` alone
  reset --all:  the working database and a class of --class-seats seats
  startup:      `provision --version`, the command's own start-up
and once per size `pg_restore -j2` of a directory dump into a new database. On the clone path also the
disk: what the class's seats added (real, extents shared) against one copy of the database.
Run: `make bench-reset` or `python benchmarks/bench_reset.py --accounts 10000 100000`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import show

from provision.books import bringup
from provision.clients import lifecycle, storage
from provision.clients.workspace import Workspace
from provision.docker import engine
from provision.training import seats

CLIENT = "bench-reset"


def provision_argv() -> list[str]:
    script = Path(sys.executable).parent / "provision"
    return [str(script)] if script.exists() else [sys.executable, "-m", "provision.cli"]


def timed_cli(root: Path | None, *args: str) -> float:
    started = time.perf_counter()
    where = ["--workspace", str(root)] if root else []
    subprocess.run([*provision_argv(), *where, *args], check=True, capture_output=True)
    return time.perf_counter() - started


def median_of(repeat: int, func: Any) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


def real_bytes(env: Any) -> int | None:
    used = storage.usage(env.storage)
    return used.real_bytes if used else None


def pg_restore_seconds(trainer: seats.Trainer, repeat: int) -> float:
    env = trainer.env
    container = lifecycle.db_container(env)
    assert container is not None
    user, db = env.profile.user, env.profile.database
    dump = container.exec_run(["pg_dump", "-U", user, "-Fd", "-j", "2", "-f", "/tmp/bench.dump", db], user="postgres")
    assert dump.exit_code == 0, dump.output
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        made = container.exec_run(
            [
                "sh",
                "-c",
                f"createdb -U {user} bench_restore && pg_restore -U {user} -j 2 -d bench_restore /tmp/bench.dump",
            ],
            user="postgres",
        )
        times.append(time.perf_counter() - started)
        assert made.exit_code == 0, made.output
        container.exec_run(["dropdb", "-U", user, "bench_restore"], user="postgres")
    container.exec_run(["rm", "-rf", "/tmp/bench.dump"], user="postgres")
    return round(statistics.median(times), 2)


def measure(accounts: int, method: str, class_seats: int, repeat: int, memory: str, restore: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="provision-bench-reset-") as tmp:
        root = Path(tmp).resolve()
        workspace = Workspace(root)
        path = workspace.files(CLIENT).profile
        path.parent.mkdir(parents=True)
        profile = (
            f'[postgres]\nmajor = 18\nstorage = "{method}"\nmemory_limit = "{memory}"\nport = "auto"\n'
            f"[seed]\naccounts = {accounts}\n[training]\nseats = 1\n"
        )
        path.write_text(profile, encoding="utf-8")
        try:
            report = bringup.up_client(workspace, CLIENT, build=False, progress=lambda _l: None)
            trainer = seats.Trainer.of(report.up.env)
            with trainer.admin() as conn:
                row = conn.execute("SELECT pg_database_size(%s)", (trainer.names.baseline,)).fetchone()
            size = int(row[0]) if row else 0
            before = real_bytes(trainer.env)
            path.write_text(profile.replace("seats = 1", f"seats = {class_seats}"), encoding="utf-8")
            started = time.perf_counter()
            bringup.up_client(workspace, CLIENT, build=False, progress=lambda _l: None)  # makes the class's seats
            seats_s = time.perf_counter() - started
            after = real_bytes(trainer.env)
            result: dict[str, Any] = {
                "accounts": accounts,
                "storage": method,
                "database_mb": round(size / 1024**2),
                "reset_seat_cli_s": median_of(repeat, lambda: timed_cli(root, "reset", CLIENT, "--seat", "1")),
                "reset_seat_library_s": median_of(repeat, lambda: seats.reset_client(workspace, CLIENT, seat=1)),
                "cli_startup_s": median_of(repeat, lambda: timed_cli(None, "--version")),
            }
            # what the command line adds to the reset it runs (its start-up, imports, arguments): at most 2x
            result["reset_seat_cli_to_library"] = round(result["reset_seat_cli_s"] / result["reset_seat_library_s"], 2)
            raw = []
            with trainer.admin() as conn:
                for _ in range(repeat):
                    started = time.perf_counter()
                    conn.execute(f'CREATE DATABASE bench_raw TEMPLATE "{trainer.names.baseline}" STRATEGY FILE_COPY')
                    raw.append(time.perf_counter() - started)
                    conn.execute("DROP DATABASE bench_raw")
            result["raw_create_database_s"] = round(statistics.median(raw), 3)
            every = median_of(repeat, lambda: timed_cli(root, "reset", CLIENT, "--all"))
            result[f"reset_all_{class_seats}_seats_cli_s"] = every
            result[f"make_{class_seats - 1}_seats_s"] = round(seats_s, 2)
            if before is not None and after is not None:
                result[f"disk_{class_seats - 1}_new_seats_mb"] = round((after - before) / 1024**2, 1)
                result["disk_new_seats_to_one_copy"] = round((after - before) / size, 3)
            if restore:
                result["pg_restore_j2_s"] = pg_restore_seconds(trainer, repeat)
                result["pg_restore_to_reset_cli"] = round(result["pg_restore_j2_s"] / result["reset_seat_cli_s"], 1)
            return result
        finally:
            lifecycle.destroy(workspace, CLIENT)
            engine.remove_labelled({engine.LABEL_WORKSPACE: str(workspace.root)})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--storage", nargs="+", default=["copy", "clone"], choices=["copy", "clone"])
    parser.add_argument("--class-seats", type=int, default=12, help="seats of the class reset with --all")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory", default="2g")
    parser.add_argument("--json", action="store_true", help="all results as one JSON document at the end")
    args = parser.parse_args()
    if "clone" in args.storage and storage.loop_problem():
        print(f"no clone path here: {storage.loop_problem()}", file=sys.stderr)
        args.storage = [s for s in args.storage if s != "clone"]
    results: list[dict[str, Any]] = []
    for accounts in args.accounts:
        for i, method in enumerate(args.storage):
            results.append(measure(accounts, method, args.class_seats, args.repeat, args.memory, restore=i == 0))
            show(results, args.json)
    clone = {r["accounts"]: r for r in results if r["storage"] == "clone"}
    copy = {r["accounts"]: r for r in results if r["storage"] == "copy"}
    if len(clone) >= 2:
        small, large = min(clone), max(clone)
        ratio = clone[large]["reset_seat_library_s"] / clone[small]["reset_seat_library_s"]
        results.append({"clone_reset_size_ratio": round(ratio, 2), "sizes": [small, large]})
        show(results, args.json)
    for accounts in sorted(clone.keys() & copy.keys()):
        speedup = copy[accounts]["reset_seat_cli_s"] / clone[accounts]["reset_seat_cli_s"]
        restore = copy[accounts].get("pg_restore_j2_s")
        summary = {"accounts": accounts, "clone_faster_than_copy": round(speedup, 1)}
        if restore:
            summary["clone_faster_than_pg_restore"] = round(restore / clone[accounts]["reset_seat_cli_s"], 1)
        results.append(summary)
        show(results, args.json)
    show(results, args.json, final=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
