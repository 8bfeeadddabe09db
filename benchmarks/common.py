"""What the benchmarks share: a PostgreSQL of their own in a throwaway workspace, measured children, the
free disk a run needs.

A measured child's memory is its whole process tree's: the peak of the sum of every process's PSS (a page
shared by a fork counts once, split between the processes that share it), and each process's peak RSS.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from provision.books import bringup
from provision.clients import lifecycle
from provision.clients.workspace import Workspace
from provision.docker import engine
from seed import migrate
from seed.load import set_autovacuum

PEAK_RSS = """
def peak_rss_mb():
    import resource
    own = [int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
    return own / 1024, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
"""
POLL_SECONDS = 0.05  # between two samples of a measured command's memory, at the least
SAMPLER_SHARE = 0.1  # of one core the sampler may take: slower polls when a sample costs more than that


@dataclass(frozen=True)
class Measured:
    """What :func:`run_measured` saw of one command, run to its end."""

    seconds: float  # wall time, from the start to the exit
    peak_pss_mb: float  # the peak over time of the sum of the PSS of the command and all its descendants
    peak_rss_mb_by_pid: dict[int, float]  # each process's own peak RSS, the command first, then as they came
    returncode: int
    stdout: str
    stderr: str

    @property
    def peak_rss_mb(self) -> list[float]:
        """The peak RSS of each process, in the order they came."""
        return list(self.peak_rss_mb_by_pid.values())


def _parent_of(pid: int) -> int | None:
    """The parent of ``pid`` (None: it has ended); read past the name in parentheses, which may hold anything."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            text = stat.read()
    except OSError:
        return None
    return int(text[text.rindex(b")") + 2 :].split()[1])


class ProcessTree:
    """A process and its descendants as they come and go, found by their parents in /proc/<pid>/stat.

    /proc/<pid>/task/*/children would name the children directly, but needs a kernel built with
    CONFIG_PROC_CHILDREN, which this machine's is not. A pid's parent is read once, when it first appears
    (it does not change while the pid lives), so a sample costs a listing of /proc, not a read per process.
    """

    def __init__(self, root: int) -> None:
        self.root = root
        self.parents: dict[int, int] = {}

    def now(self) -> list[int]:
        """The root and every descendant alive now, each parent before its children."""
        live = {int(entry.name) for entry in os.scandir("/proc") if entry.name.isdigit()}
        for gone in self.parents.keys() - live:
            del self.parents[gone]
        for pid in live - self.parents.keys():
            parent = _parent_of(pid)
            if parent is not None:
                self.parents[pid] = parent
        children: dict[int, list[int]] = {}
        for pid, parent in self.parents.items():
            children.setdefault(parent, []).append(pid)
        found = [self.root]
        for pid in found:  # the list grows as the walk goes down
            found.extend(sorted(children.get(pid, [])))
        return found


def memory_kb(pid: int) -> tuple[int, int]:
    """(PSS now, peak RSS so far) of one process in kB; (0, 0) once it has ended."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
            pss = next((int(line.split()[1]) for line in rollup if line.startswith(b"Pss:")), 0)
        with open(f"/proc/{pid}/status", "rb") as status:
            hwm = next((int(line.split()[1]) for line in status if line.startswith(b"VmHWM:")), 0)
    except (OSError, ValueError):
        return 0, 0
    return pss, hwm


def run_measured(
    argv: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path | None = None, poll: float = POLL_SECONDS
) -> Measured:
    """Run ``argv`` to its end and measure it: its wall time, the peak of the summed PSS of it and all its
    descendants (so pages a fork shares count once, as the issue's "memory of all its processes" asks), each
    process's peak RSS (VmHWM, exact for whoever was seen alive), its exit code and its whole output.

    Memory is polled every ``poll`` seconds, or less often when a sample itself costs more than
    :data:`SAMPLER_SHARE` of a core (a big process's smaps_rollup walks its page tables): a peak shorter than
    a poll can be missed. ``env`` replaces the environment, as in :func:`subprocess.Popen`."""
    peak_pss = 0
    rss_kb: dict[int, int] = {}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=cwd)
        tree = ProcessTree(process.pid)
        try:
            while process.poll() is None:
                sampled = time.perf_counter()
                total = 0
                for pid in tree.now():
                    pss, hwm = memory_kb(pid)
                    total += pss
                    if hwm:
                        rss_kb[pid] = max(rss_kb.get(pid, 0), hwm)
                peak_pss = max(peak_pss, total)
                time.sleep(max(poll, (time.perf_counter() - sampled) / SAMPLER_SHARE))
        finally:
            if process.poll() is None:  # interrupted: the command goes with the benchmark
                process.kill()
                process.wait()
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        return Measured(
            seconds=seconds,
            peak_pss_mb=peak_pss / 1024,
            peak_rss_mb_by_pid={pid: kb / 1024 for pid, kb in rss_kb.items()},
            returncode=process.returncode,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


def container_cpu_seconds(container_id: str) -> float | None:
    """The CPU seconds a container's processes have used so far (its cgroup's account: v1's cpuacct or v2's
    cpu.stat), so that a benchmark on a shared machine tells the server's own work from the time it waited
    for a core; None where neither is readable."""
    for path, scale in (
        (f"/sys/fs/cgroup/cpuacct/docker/{container_id}/cpuacct.usage", 1e-9),
        (f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope/cpu.stat", 1e-6),
        (f"/sys/fs/cgroup/docker/{container_id}/cpu.stat", 1e-6),
    ):
        try:
            text = Path(path).read_text(encoding="ascii")
        except OSError:
            continue
        if path.endswith("cpu.stat"):
            usage = next((line.split()[1] for line in text.splitlines() if line.startswith("usage_usec")), None)
            return int(usage) * scale if usage else None
        return int(text.strip()) * scale
    return None


def need_disk(path: Path, bytes_needed: int) -> None:
    """Refuse to start (SystemExit, saying how much is needed and how much is free) when the file system
    of ``path`` (or of its nearest existing parent) has less than ``bytes_needed`` free."""
    where = next(p for p in (path, *path.parents) if p.exists())
    free = shutil.disk_usage(where).free
    if free < bytes_needed:
        raise SystemExit(
            f"this benchmark needs {bytes_needed / 2**30:.1f} GiB free at {path}, "
            f"and {free / 2**30:.1f} GiB is free there: free some space or choose smaller sizes"
        )


@contextmanager
def bench_server(name: str, memory: str) -> Iterator[tuple[str, Path]]:
    """A provision client with no data on this machine's Docker: (its DSN, a scratch folder); removed
    after, even when the benchmark fails."""
    with tempfile.TemporaryDirectory(prefix=f"provision-{name}-") as tmp:
        workspace = Workspace(Path(tmp).resolve())
        profile = workspace.files(name).profile
        profile.parent.mkdir(parents=True)
        profile.write_text(f'[postgres]\nmemory_limit = "{memory}"\n[seed]\nmode = "none"\n', encoding="utf-8")
        try:
            yield lifecycle.up(workspace, name).dsn_with_password(), Path(tmp)
        finally:
            lifecycle.destroy(workspace, name)
            engine.remove_labelled({engine.LABEL_WORKSPACE: str(workspace.root)})


@contextmanager
def seeded_client(client: str, profile: str) -> Iterator[tuple[Workspace, str]]:
    """A client brought up and seeded from the ``profile`` text in a throwaway workspace: (the workspace,
    the DSN); destroyed after, even when the benchmark fails."""
    with tempfile.TemporaryDirectory(prefix=f"provision-{client}-") as tmp:
        workspace = Workspace(Path(tmp).resolve())
        path = workspace.files(client).profile
        path.parent.mkdir(parents=True)
        path.write_text(profile, encoding="utf-8")
        try:
            report = bringup.up_client(workspace, client, build=False, progress=lambda _l: None)
            yield workspace, report.up.dsn_with_password()
        finally:
            lifecycle.destroy(workspace, client)
            engine.remove_labelled({engine.LABEL_WORKSPACE: str(workspace.root)})


def bare_tables(conn: psycopg.Connection, schema: str) -> None:
    """A fresh schema with the «Одно Окно» tables and no keys, autovacuum off, after a checkpoint: where a
    floor measurement COPYs."""
    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    migrate.apply(conn, schema, upto=1)
    set_autovacuum(conn, schema, False)
    conn.execute("CHECKPOINT")


def measured_child(code: str, *args: str) -> tuple[dict[str, Any], Measured]:
    """Run ``code`` in a fresh Python (so its memory is its own), measured by :func:`run_measured`: what it
    printed as its last line (one JSON object), and the measure. A failed child stops the benchmark."""
    done = run_measured([sys.executable, "-c", PEAK_RSS + code, *args])
    if done.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1]), done


def child(code: str, *args: str) -> dict[str, Any]:
    """Run ``code`` in a fresh Python as :func:`measured_child` does; what it printed as its last line."""
    return measured_child(code, *args)[0]


def show(results: list[dict[str, Any]], as_json: bool, final: bool = False) -> None:
    """Each result as a JSON line as it comes, or all of them at the end with --json."""
    if as_json and final:
        print(json.dumps(results, indent=2))
    elif not as_json and not final:
        print(json.dumps(results[-1]), flush=True)
