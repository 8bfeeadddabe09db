"""What the benchmarks share: a PostgreSQL of their own in a throwaway workspace, measured children."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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


def child(code: str, *args: str) -> dict[str, Any]:
    """Run ``code`` in a fresh Python (so its peak memory is its own); it prints one JSON line last."""
    done = subprocess.run([sys.executable, "-c", PEAK_RSS + code, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def show(results: list[dict[str, Any]], as_json: bool, final: bool = False) -> None:
    """Each result as a JSON line as it comes, or all of them at the end with --json."""
    if as_json and final:
        print(json.dumps(results, indent=2))
    elif not as_json and not final:
        print(json.dumps(results[-1]), flush=True)
