"""Every command that touches the books, at 10,000, 100,000 and 1,000,000 accounts x 12 months, in one run:
time, the peak memory of all its processes together (PSS, so pages a fork shares count once) and, where one
exists, its floor measured in the same run on the same server (see ``floors``).

For each size, a client of its own (PostgreSQL 18; clone storage where this machine can mount XFS, so that
resets are measured as trainers run them; 30 seats) is brought up empty, and then, each as a user runs it
(a new `provision` process):
  seed               `provision seed --accounts N --months 12`      floor: the same rows COPYed again, keys
  stats, check       `provision stats`, `provision check`            floor (check): every table counted
  reset              `reset --seat 1` (median of 3), `reset --all` of the 30 seats
  registry load      a bank's registry of 100,000 lines (and 1,000,000 at a million accounts)
  import sample      the books through the month before last         floor: every table COPYed out
  import check       of that export                                  floor: the files read and split (csv)
  import load        of that export                                  floor: the loaded rows COPYed again, keys
  switchover         `switchover rehearse` with the final export (through the last closed month)
The results go to a JSON file, a Markdown table and an SVG chart (``--out``); the disk the largest size needs
is checked first; whatever the run made is removed, even when it fails.

Run: `make bench-scale`, or `python benchmarks/bench_scale.py --sizes 10000 100000`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import floors
import psycopg
import scale_report
from common import container_cpu_seconds, need_disk, run_measured

from provision.books import bringup
from provision.clients import lifecycle, storage
from provision.clients.workspace import Workspace
from provision.docker import engine
from provision.training import copies

CLIENT = "bench-scale"
SEATS = 30  # a class
END_PERIOD = "2026-12"  # the open month: the books close November 2026
FIRST_EXPORT, FINAL_EXPORT = "2026-10", "2026-11"
REGISTRY_DAY = "2026-12-05"
COMPARE_STEP = "compare with the books"  # the rehearsal's step that compares the old books with the new
# What a size needs on disk, per account, measured at 10,000 and 100,000 accounts x 12 months: the books and
# their baseline (shared extents on clone storage), the working schema of a load beside the books, a floor's
# dump files and schema, two exports.
BYTES_PER_ACCOUNT = 60_000
GOALS: dict[str, tuple[str, Callable[[dict[str, Any]], bool]]] = {
    "seed": ("<= 1.2x floor, < 400 MB", lambda r: r["ratio"] <= 1.2 and r["peak_pss_mb"] < 400),
    "stats": ("<= 2 s", lambda r: r["seconds"] <= 2),
    "check": ("<= 180 s", lambda r: r["seconds"] <= 180),
    "reset --seat 1": ("<= 0.5 s", lambda r: r["seconds"] <= 0.5),
    "reset --all": (f"{SEATS} seats <= 3 s", lambda r: r["seconds"] <= 3),
    "registry load 100,000": ("<= 1.5 s", lambda r: r["seconds"] <= 1.5),  # lines
    "registry load 1,000,000": ("<= 10 s", lambda r: r["seconds"] <= 10),
    "import check": ("<= 1.3x floor, <= 1 GB", lambda r: r["ratio"] <= 1.3 and r["peak_pss_mb"] <= 1024),
    "import load": (
        "<= 1.5x floor, >= 300k rows/s, <= 1.5 GB",
        lambda r: r["ratio"] <= 1.5 and (r["rows_per_s"] or 0) >= 300_000 and r["peak_pss_mb"] <= 1536,
    ),
    "switchover rehearse": (
        "<= 600 s, compare >= 3M rows/s",
        lambda r: r["seconds"] <= 600 and (r["compare_rows_per_s"] or 0) >= 3_000_000,
    ),
}


class Run:
    """One size's client, and the rows measured on it."""

    def __init__(
        self, root: Path, accounts: int, seats: int, scratch: Path, dsn: str, rows: list[dict[str, Any]]
    ) -> None:
        self.root, self.accounts, self.seats, self.scratch, self.dsn = root, accounts, seats, scratch, dsn
        self.rows = rows
        self.container = ""  # the server's container id, for its CPU account

    def cli(self, *args: str) -> tuple[dict[str, Any], str]:
        """A `provision` command in a new process: its figures (with the server's CPU seconds meanwhile, where
        its container's account is readable), and what it printed."""
        before = container_cpu_seconds(self.container) if self.container else None
        measured = run_measured([*provision_argv(), "--workspace", str(self.root), *args])
        after = container_cpu_seconds(self.container) if self.container else None
        if measured.returncode not in (0, 4):  # 4: a check or a rehearsal found differences; still measured
            raise SystemExit(f"`provision {' '.join(args)}` failed ({measured.returncode}):\n{measured.stderr[-3000:]}")
        server = round(after - before, 2) if before is not None and after is not None else None
        return {
            "seconds": measured.seconds,
            "peak_pss_mb": measured.peak_pss_mb,
            "server_cpu_s": server,
        }, measured.stdout

    def floor(self, measure: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
        """A floor measured in this process, with the server's CPU seconds meanwhile (``server_cpu_s``)."""
        before = container_cpu_seconds(self.container) if self.container else None
        found = measure(*args)
        after = container_cpu_seconds(self.container) if self.container else None
        server = round(after - before, 2) if before is not None and after is not None else None
        return {**found, "server_cpu_s": server}

    def add(
        self, command: str, figures: dict[str, Any], floor: dict[str, Any] | None = None, rows: int | None = None
    ) -> None:
        floor_s = floor["seconds"] if floor else None
        row = {"command": command, "accounts": self.accounts, **figures, "floor_seconds": floor_s}
        row["floor_server_cpu_s"] = floor.get("server_cpu_s") if floor else None
        row["ratio"] = round(figures["seconds"] / floor_s, 2) if floor_s else None
        row["rows_per_s"] = round(rows / figures["seconds"]) if rows else None
        for key in ("seconds", "floor_seconds", "peak_pss_mb"):
            if row.get(key) is not None:
                row[key] = round(row[key], 3 if key != "peak_pss_mb" else 0)
        goal = GOALS.get(command) if self.seats == SEATS or command != "reset --all" else None
        row["goal"], row["met"] = (goal[0], goal[1](row)) if goal else (None, None)
        self.rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)


def provision_argv() -> list[str]:
    script = Path(sys.executable).parent / "provision"
    return [str(script)] if script.exists() else [sys.executable, "-m", "provision.cli"]


def profile_text(accounts: int, method: str, memory: str, seats: int) -> str:
    return (
        f'[postgres]\nmajor = 18\nstorage = "{method}"\nmemory_limit = "{memory}"\nport = "auto"\n'
        f'[seed]\nmode = "none"\naccounts = {accounts}\nmonths = 12\n[training]\nseats = {seats}\n'
    )


def seed_and_read(run: Run) -> None:
    figures, _ = run.cli("seed", CLIENT, "--accounts", str(run.accounts), "--months", "12", "--end-period", END_PERIOD)
    floor = run.floor(floors.copy_floor, run.dsn, run.scratch / "floor")
    run.add("seed", {**figures, "database_mb": floors.database_mb(run.dsn)}, floor, floor["rows"])
    figures, _ = run.cli("stats", CLIENT, "--json")
    run.add("stats", figures)
    figures, _ = run.cli("check", CLIENT, "--json")
    run.add("check", figures, run.floor(floors.scan_floor, run.dsn))


def resets(run: Run) -> None:
    """The first reset after a new baseline copies (no ready copy yet) and leaves a ready copy per seat; the
    next ones, as a class makes them (seconds apart, once those are made), rename one in."""
    figures, _ = run.cli("reset", CLIENT, "--seat", "1")
    run.add("reset --seat 1, first", figures)
    _wait_for_ready_copies(run)
    figures, _ = run.cli("reset", CLIENT, "--all")
    run.add("reset --all", {**figures, "seats": run.seats})
    seat = []
    for _ in range(3):
        _wait_for_ready_copies(run)
        seat.append(run.cli("reset", CLIENT, "--seat", "1")[0])
    run.add("reset --seat 1", {key: _median([s[key] for s in seat]) for key in ("seconds", "server_cpu_s")}
            | {"peak_pss_mb": max(s["peak_pss_mb"] for s in seat)})  # fmt: skip


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def _wait_for_ready_copies(run: Run, timeout: float = 600) -> None:
    """Until every seat and the working database have their ready copy (made detached after a reset)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(run.dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute("SELECT count(*) FROM pg_database WHERE datname ~ %s", (copies.READY,)).fetchone()
            if row and row[0] >= run.seats + 1:
                return
            time.sleep(0.5)


def registries(run: Run, lines_each: int) -> None:
    sizes = [lines_each] + ([1_000_000] if run.accounts >= 1_000_000 else [])
    for number, lines in enumerate(sizes, start=1):
        path = run.scratch / f"registry-{lines}.txt"
        run.cli("registry", "sample", CLIENT, "--agent", "bank", "--date", REGISTRY_DAY, "--lines", str(lines),
                "--number", f"S{number}", "-o", str(path))  # fmt: skip
        figures, _ = run.cli("registry", "load", CLIENT, str(path), "--agent", "bank", "--json")
        run.add(f"registry load {lines:,}", figures, rows=lines)
        path.unlink()


def exports(run: Run) -> None:
    """The old system's two exports, written from the seeded books before anything is imported: the first
    (what a client's books are imported from) and the final one (what the switch-over takes)."""
    figures, _ = run.cli("import", "sample", CLIENT, str(run.scratch / "export-first"), "--through", FIRST_EXPORT)
    exported = sum(p.stat().st_size for p in (run.scratch / "export-first").iterdir()) / 2**20
    run.add("import sample", {**figures, "export_mb": round(exported)}, run.floor(floors.dump_floor, run.dsn))
    run.cli("import", "sample", CLIENT, str(run.scratch / "export-final"), "--through", FINAL_EXPORT)


def imports(run: Run) -> None:
    first, final = run.scratch / "export-first", run.scratch / "export-final"
    figures, _ = run.cli("import", "check", CLIENT, str(first), "--json")
    read = run.floor(floors.read_floor, first)
    run.add("import check", figures, read, read["rows"])
    figures, out = run.cli("import", "load", CLIENT, str(first), "--json")
    loaded = _json_of(out).get("rows_loaded_total")
    floor = run.floor(floors.copy_floor, run.dsn, run.scratch / "floor")
    run.add("import load", figures, floor, loaded)
    shutil.rmtree(first)
    books = floors.scan_floor(run.dsn)["rows"]  # the old books' rows; the new ones are as many and a month
    figures, out = run.cli("switchover", "rehearse", CLIENT, str(final), "--json")
    steps = _json_of(out).get("steps") or {}
    compared = steps.get(COMPARE_STEP)
    run.add("switchover rehearse", {**figures, "compare_rows_per_s": round(2 * books / compared) if compared else None})
    print(json.dumps({"accounts": run.accounts, "switchover_steps": steps}, ensure_ascii=False), flush=True)
    shutil.rmtree(final)


def _json_of(out: str) -> dict[str, Any]:
    """The JSON document a command printed (its report), or nothing: the first line that starts one and
    decodes whole (a progress line before it may hold a brace of its own)."""
    decoder = json.JSONDecoder()
    at = 0 if out.startswith("{") else out.find("\n{") + 1
    while at > 0 or out.startswith("{"):
        try:
            found, _end = decoder.raw_decode(out, at)
        except json.JSONDecodeError:
            found = None
        if isinstance(found, dict):
            return found.get("result", found) if isinstance(found.get("result"), dict) else found
        nxt = out.find("\n{", at + 1)
        if nxt < 0:
            break
        at = nxt + 1
    return {}


def measure(accounts: int, method: str, args: argparse.Namespace, rows: list[dict[str, Any]]) -> None:
    """One size, its rows added to ``rows`` as they are measured (so a failure keeps what came before)."""
    seats = args.seats
    with tempfile.TemporaryDirectory(prefix="provision-bench-scale-", dir=args.scratch) as tmp:
        root = Path(tmp).resolve()
        workspace = Workspace(root)
        path = workspace.files(CLIENT).profile
        path.parent.mkdir(parents=True)
        path.write_text(profile_text(accounts, method, args.memory, seats), encoding="utf-8")
        try:
            up = bringup.up_client(workspace, CLIENT, build=False, progress=lambda _line: None).up
            run = Run(root, accounts, seats, root / "scratch", up.dsn_with_password(), rows)
            container = lifecycle.db_container(up.env)
            run.container = str(container.id) if container is not None else ""
            started = time.monotonic()
            seed_and_read(run)
            if "import" not in args.skip:
                exports(run)
            if method == "clone" and "reset" not in args.skip:
                resets(run)
            if "registry" not in args.skip:
                registries(run, args.registry_lines)
            if "import" not in args.skip:
                imports(run)
            print(f"# {accounts:,} accounts measured in {time.monotonic() - started:.0f} s", file=sys.stderr)
        finally:
            lifecycle.destroy(workspace, CLIENT)
            engine.remove_labelled({engine.LABEL_WORKSPACE: str(workspace.root)})


def write_results(rows: list[dict[str, Any]], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "scale.json").write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "scale.md").write_text(scale_report.markdown(rows), encoding="utf-8")
    (out / "scale.svg").write_text(scale_report.svg(rows), encoding="utf-8")
    print(f"wrote {out / 'scale.json'}, {out / 'scale.md'} and {out / 'scale.svg'}", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000], help="accounts")
    parser.add_argument("--memory", default="8g", help="the PostgreSQL server's memory limit")
    parser.add_argument("--scratch", type=Path, default=Path(tempfile.gettempdir()), help="where the run works")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"), help="where the results go")
    parser.add_argument("--storage", choices=["clone", "copy"], default="clone")
    parser.add_argument("--seats", type=int, default=SEATS, help="the class whose seats `reset --all` resets")
    parser.add_argument("--registry-lines", type=int, default=100_000, help="the registry loaded at every size")
    parser.add_argument("--skip", nargs="*", default=[], choices=["reset", "registry", "import"], help="steps left out")
    args = parser.parse_args()
    method = args.storage
    if method == "clone" and storage.loop_problem():
        print(f"no clone storage here ({storage.loop_problem()}): copy storage, resets not measured", file=sys.stderr)
        method = "copy"
    need_disk(args.scratch, max(args.sizes) * BYTES_PER_ACCOUNT)
    rows: list[dict[str, Any]] = []
    try:
        for accounts in sorted(args.sizes):
            measure(accounts, method, args, rows)
            write_results(rows, args.out)  # after each size, so a long run shows what it has
    finally:
        if rows:
            write_results(rows, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
