"""Every benchmark, run as a user runs it at the smallest size that goes through all its code, so that a
benchmark that breaks fails the suite (bench_import once failed before it measured anything, and nobody
knew); and the memory sampler the benchmarks share.

Each benchmark starts a PostgreSQL of its own and removes it. Its temporary folders, and so its
workspaces, are made in the test's own folder (TMPDIR), so what a killed run leaves behind carries this
session's labels and the next session's cleanup removes it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from provision.clients import storage

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from common import need_disk, run_measured  # noqa: E402

TINY = "300"  # accounts: every table, registry and export file has rows, in seconds
BENCH_TIMEOUT = 300

# A child that writes 200 MB, then forks; the forked child writes 100 MB of its own and holds both a while.
FORKED = """
import os, time
shared = b"x" * (200 << 20)
pid = os.fork()
if pid == 0:
    own = b"y" * (100 << 20)
    time.sleep(1.5)
    os._exit(0)
os.waitpid(pid, 0)
"""


def run_benchmark(tmp_path: Path, script: str, *args: str, **env_vars: str) -> Any:
    """Run ``benchmarks/<script>`` with --json from the repository, as `make` does (``env_vars`` added to
    its environment); its JSON document."""
    env = {**os.environ, "TMPDIR": str(tmp_path), **env_vars}
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / script), *args, "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=BENCH_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"{script} failed:\n{done.stderr[-4000:]}"
    return json.loads(done.stdout)


def test_a_process_tree_s_memory_counts_a_fork_s_shared_pages_once() -> None:
    measured = run_measured([sys.executable, "-c", FORKED])
    assert measured.returncode == 0, measured.stderr
    assert measured.seconds >= 1.5
    rss = measured.peak_rss_mb_by_pid
    assert len(rss) == 2, rss
    assert sum(rss.values()) >= 500, rss  # each process's RSS counts the 200 MB they share
    assert 300 <= measured.peak_pss_mb < 380, measured  # the sum of PSS counts it once, the 100 MB beside it


def test_a_measured_command_s_exit_and_output_are_kept() -> None:
    measured = run_measured([sys.executable, "-c", "import sys; print('out'); sys.exit('err')"])
    assert (measured.returncode, measured.stdout, measured.stderr) == (1, "out\n", "err\n")


def test_a_benchmark_that_lacks_disk_says_what_it_needs_and_what_is_free(tmp_path: Path) -> None:
    need_disk(tmp_path / "not" / "made", 1)
    with pytest.raises(SystemExit, match=r"needs 1048576\.0 GiB free at .*, and [\d.]+ GiB is free there"):
        need_disk(tmp_path, 2**50)


@pytest.mark.docker
@pytest.mark.slow
def test_bench_seed(pg_image: str, tmp_path: Path) -> None:
    (result,) = run_benchmark(tmp_path, "bench_seed.py", "--accounts", TINY, "--memory", "2g")
    assert result["seed_seconds"] > 0 and result["floor_seconds"] > 0 and result["ratio_to_floor"] > 0
    assert result["seed_peak_rss_mb"] > 0


@pytest.mark.docker
@pytest.mark.slow
def test_bench_import(pg_image: str, tmp_path: Path) -> None:
    (result,) = run_benchmark(tmp_path, "bench_import.py", "--accounts", TINY, "--memory", "2g")
    assert result["rows_loaded"] > 0 and (result["rejected"], result["leaks"]) == (0, 0)
    assert result["import_seconds"] > 0 and result["floor_seconds"] > 0 and result["ratio_to_floor"] > 0
    assert result["ratio_to_raw_copy"] > 0 and result["check_seconds"] > 0
    assert result["import_peak_pss_mb"] > 0 and len(result["import_peak_rss_mb"]) >= 2  # the forked reader too
    assert result["check_peak_pss_mb"] > 0


@pytest.mark.docker
@pytest.mark.slow
def test_bench_reset(pg_image_of: Any, tmp_path: Path) -> None:
    pg_image_of(18)
    methods = ["copy"] if storage.loop_problem() else ["copy", "clone"]  # clone needs an XFS loop file
    args = ["--accounts", TINY, "--storage", *methods, "--class-seats", "2", "--repeat", "1", "--memory", "1g"]
    results = run_benchmark(tmp_path, "bench_reset.py", *args)
    measured = [r for r in results if "storage" in r]
    assert [r["storage"] for r in measured] == methods
    for result in measured:
        assert result["reset_seat_cli_s"] > 0 and result["reset_seat_cli_to_library"] > 0
        assert result["raw_create_database_s"] > 0 and result["reset_all_2_seats_cli_s"] > 0
    assert measured[0]["pg_restore_to_reset_cli"] > 0
    if "clone" in methods:
        assert results[-1]["clone_faster_than_copy"] > 0


@pytest.mark.docker
@pytest.mark.slow
def test_bench_registry(pg_image: str, tmp_path: Path) -> None:
    args = ["--accounts", TINY, "--lines", "200", "--repeat", "1"]
    (result,) = run_benchmark(tmp_path, "bench_registry.py", *args)
    assert result["load_s"] > 0 and result["rows_per_s"] > 0 and result["load_to_floor"] > 0
    assert result["cli_s"] > 0 and result["cli_peak_pss_mb"] > 0


@pytest.mark.docker
@pytest.mark.slow
def test_bench_switchover(pg_image: str, tmp_path: Path) -> None:
    (result,) = run_benchmark(tmp_path, "bench_switchover.py", "--accounts", TINY, "--memory", "1g")
    assert result["rehearsal_s"] > 0 and result["import_first_s"] > 0 and result["rehearsal_to_import"] > 0
    assert result["guard_s"] > 0 and result["differences"] == 0 and result["peak_pss_mb"] > 0


@pytest.mark.docker
@pytest.mark.slow
def test_bench_console(pg_image: str, tmp_path: Path) -> None:
    args = ["--seats", "2", "--accounts", TINY, "--repeat", "2"]
    (result,) = run_benchmark(tmp_path, "bench_console.py", *args)
    assert result["page_ms"] > 0 and result["reset_button_s"] > 0 and result["reset_library_s"] > 0


@pytest.mark.docker
@pytest.mark.slow
def test_bench_class(pg_image_of: Any, tmp_path: Path) -> None:
    pg_image_of(15 if storage.loop_problem() else 18)
    args = ["--seats", "3", "--accounts", TINY, "--tasks", "9", "--repeat", "1"]
    (result,) = run_benchmark(tmp_path, "bench_class.py", *args)
    assert result["seats"] == 3 and result["tasks"] == 9 and result["tasks_done"] == 1  # seat 3: the added task
    assert result["lesson_start_s"] > 0 and result["board_s"] > 0 and result["trainee_page_ms"] > 0


@pytest.mark.docker
@pytest.mark.slow
def test_bench_lifecycle(pg_image: str, tmp_path: Path) -> None:
    figures = run_benchmark(tmp_path, "bench_lifecycle.py", "--major", "15", "--repeat", "1", "--no-build")
    assert figures["15"]["up_cold_s"] > 0 and figures["15"]["destroy_s"] > 0
    assert figures["15"]["up_cold_ratio_to_floor"] > 0


@pytest.mark.docker
@pytest.mark.slow
def test_bench_remote(pg_image: str, tmp_path: Path) -> None:
    if os.getuid() != 0 or not shutil.which("dockerd"):
        pytest.skip("a second Docker daemon needs root and dockerd")
    if not Path("/usr/sbin/sshd").is_file() or not shutil.which("ssh"):
        pytest.skip("no OpenSSH server or client here: `make install` brings them (.ci/system-packages)")
    cache = str(tmp_path / "cache")  # its cold carry empties the carried archives' cache: this one alone
    results = run_benchmark(tmp_path, "bench_remote.py", "--accounts", TINY, PROVISION_CACHE_DIR=cache)
    carried = [r for r in results if "mb_per_s" in r]
    assert len(carried) == 3 and all(r["seconds"] > 0 for r in carried)
    assert all(r["x_floor"] > 0 for r in carried[1:])
    over = results[-1]
    assert over["where"] == "ssh host" and over["up_with_seed_s_x_local"] > 0 and over["reset_s_x_local"] > 0


@pytest.mark.slow
@pytest.mark.docker
def test_bench_scale_measures_every_command_and_writes_its_table_and_chart(tmp_path: Path) -> None:
    out = tmp_path / "results"
    args = ["--sizes", TINY, "--seats", "2", "--registry-lines", "300", "--memory", "1g", "--out", str(out)]
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_scale.py"), *args, "--scratch", str(tmp_path)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=BENCH_TIMEOUT * 2, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    rows = json.loads((out / "scale.json").read_text(encoding="utf-8"))
    commands = {row["command"] for row in rows}
    assert {"seed", "stats", "check", "import sample", "import check", "import load", "registry load 300",
            "switchover rehearse"} <= commands, commands  # fmt: skip
    if not storage.loop_problem():
        assert {"reset --seat 1", "reset --all"} <= commands
    for row in rows:
        assert row["seconds"] > 0 and row["peak_pss_mb"] > 0, row
    floored = {row["command"]: row["ratio"] for row in rows if row["floor_seconds"]}
    assert {"seed", "check", "import check", "import load"} <= floored.keys()
    rehearsal = next(row for row in rows if row["command"] == "switchover rehearse")
    assert rehearsal["compare_rows_per_s"], rehearsal  # the rehearsal's own steps read from its report
    assert "| `import load` | 300 |" in (out / "scale.md").read_text(encoding="utf-8")
    assert (out / "scale.svg").read_text(encoding="utf-8").startswith("<svg")
