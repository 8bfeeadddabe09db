"""Reset figures: the whole `provision reset` command against the raw clone and pg_restore -j2.

For each size: seed a client, then time (median of --repeat runs)
  reset:      `provision reset CLIENT` as a user runs it (a new process: CLI, lock, clone, swap, a query)
  raw clone:  `CREATE DATABASE ... TEMPLATE <baseline> STRATEGY FILE_COPY` alone
  pg_restore: `pg_restore -j2` of a directory dump of the same data into a new database
and, with --class-seats, `provision reset CLIENT --all` for a class of that many seats.
Run: `make bench-reset` or `python benchmarks/bench_reset.py --accounts 10000 100000`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

from provision import bringup, engine, lifecycle, training
from provision.workspace import Workspace


def timed_cli(root: Path, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "provision.cli", "--workspace", str(root), *args], check=True, capture_output=True
    )
    return time.perf_counter() - started


def measure(accounts: int, seats: int, repeat: int, memory: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="provision-bench-reset-") as tmp:
        root = Path(tmp).resolve()
        workspace = Workspace(root)
        path = workspace.profile_path("bench-reset")
        path.parent.mkdir(parents=True)
        path.write_text(
            f'[postgres]\nmemory_limit = "{memory}"\n[seed]\naccounts = {accounts}\n[training]\nseats = {seats}\n',
            encoding="utf-8",
        )
        try:
            report = bringup.up_client(workspace, "bench-reset", build=False, progress=lambda _l: None)
            trainer = training.Trainer.of(report.up.env)
            env = trainer.env
            container = lifecycle.db_container(env)
            with trainer.admin() as conn:
                size = conn.execute("SELECT pg_database_size(%s)", (trainer.names.baseline,)).fetchone()
            reset = [timed_cli(root, "reset", "bench-reset") for _ in range(repeat)]
            raw = []
            with trainer.admin() as conn:
                for _ in range(repeat):
                    started = time.perf_counter()
                    conn.execute(f'CREATE DATABASE bench_raw TEMPLATE "{trainer.names.baseline}" STRATEGY FILE_COPY')
                    raw.append(time.perf_counter() - started)
                    conn.execute("DROP DATABASE bench_raw")
            user, db = env.profile.user, env.profile.database
            dump = container.exec_run(
                ["pg_dump", "-U", user, "-Fd", "-j", "2", "-f", "/tmp/bench.dump", db], user="postgres"
            )
            assert dump.exit_code == 0, dump.output
            restore = []
            for _ in range(repeat):
                started = time.perf_counter()
                made = container.exec_run(
                    [
                        "sh",
                        "-c",
                        f"createdb -U {user} bench_restore && pg_restore -U {user} -j 2 -d bench_restore "
                        "/tmp/bench.dump",
                    ],
                    user="postgres",
                )
                restore.append(time.perf_counter() - started)
                assert made.exit_code == 0, made.output
                container.exec_run(["dropdb", "-U", user, "bench_restore"], user="postgres")
            result = {
                "accounts": accounts,
                "database_mb": round(int(size[0]) / 1024**2) if size else None,
                "reset_s": round(statistics.median(reset), 3),
                "raw_clone_s": round(statistics.median(raw), 3),
                "pg_restore_j2_s": round(statistics.median(restore), 2),
            }
            result["reset_to_raw_clone"] = round(result["reset_s"] / result["raw_clone_s"], 2)
            result["pg_restore_to_reset"] = round(result["pg_restore_j2_s"] / result["reset_s"], 1)
            if seats:
                result[f"reset_all_{seats}_seats_s"] = round(
                    statistics.median([timed_cli(root, "reset", "bench-reset", "--all") for _ in range(repeat)]), 2
                )
            with psycopg.connect(trainer.dsn(db)) as conn:
                conn.execute("SELECT 1").fetchone()
            return result
        finally:
            lifecycle.destroy(workspace, "bench-reset")
            engine.remove_labelled({engine.LABEL_WORKSPACE: str(workspace.root)})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--class-seats", type=int, default=12, help="seats for the class reset (first size)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory", default="2g")
    args = parser.parse_args()
    for i, accounts in enumerate(args.accounts):
        print(json.dumps(measure(accounts, args.class_seats if i == 0 else 0, args.repeat, args.memory)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
