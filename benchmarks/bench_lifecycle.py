"""Lifecycle figures: image build (cold and cached), `up` cold and idempotent, down/up, destroy.

The floor is the same image started with a bare `docker run` until a query answers, measured in
the same run; `up` is reported as a ratio to it. Run: `make bench` (add `--cold-build` to rebuild
the root filesystem from Debian's packages, which downloads about 100 MB).
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

import psycopg

from provision import engine, imagebuild, images, lifecycle
from provision.workspace import Workspace

BENCH_LABELS = {"org.provision.test": "true", "org.provision.bench": "true"}


def timed(func: Callable[[], Any]) -> float:
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def raw_docker_run(image: str) -> float:
    """Seconds from `docker run` to the first answered query, with nothing of provision in between."""
    docker_client = engine.client()
    started = time.perf_counter()
    container = docker_client.containers.run(
        image,
        detach=True,
        environment={"POSTGRES_PASSWORD": "bench"},
        labels=BENCH_LABELS,
        ports={"5432/tcp": ("127.0.0.1", None)},
    )
    try:
        while True:
            container.reload()
            port = container.attrs["NetworkSettings"]["Ports"]["5432/tcp"][0]["HostPort"]
            try:
                with psycopg.connect(f"postgresql://postgres:bench@127.0.0.1:{port}/postgres", connect_timeout=2) as c:
                    c.execute("SELECT 1").fetchone()
                    break
            except psycopg.OperationalError:
                time.sleep(0.1)
        return time.perf_counter() - started
    finally:
        container.remove(force=True, v=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cold-build", action="store_true", help="rebuild the root filesystem from Debian")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of the quick steps")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    figures: dict[str, Any] = {}
    tag = imagebuild.built_tag(15)
    say = (lambda _line: None) if args.json else (lambda line: print(line, file=sys.stderr))
    if args.cold_build:
        shutil.rmtree(imagebuild.cache_dir() / "rootfs", ignore_errors=True)
        if images.image_present(tag):
            engine.client().images.remove(tag, force=True)
        figures["image_build_cold_s"] = timed(lambda: imagebuild.build_image(15, progress=say))
    elif not images.image_present(tag):
        figures["image_build_first_s"] = timed(lambda: imagebuild.build_image(15, progress=say))
    figures["image_build_cached_s"] = timed(lambda: imagebuild.build_image(15, progress=say))
    figures["image_size_mb"] = images.image_info(tag).size_bytes / 1024**2

    raw = [raw_docker_run(tag) for _ in range(args.repeat)]
    figures["floor_docker_run_to_query_s"] = statistics.median(raw)

    with tempfile.TemporaryDirectory(prefix="provision-bench-") as tmp:
        workspace = Workspace(Path(tmp).resolve())
        try:
            colds, idems, restarts = [], [], []
            for _ in range(args.repeat):
                colds.append(timed(lambda: lifecycle.up(workspace, "demo")))
                idems.append(timed(lambda: lifecycle.up(workspace, "demo")))
                lifecycle.down(workspace, "demo")
                restarts.append(timed(lambda: lifecycle.up(workspace, "demo")))
                figures.setdefault("destroy_s", []).append(timed(lambda: lifecycle.destroy(workspace, "demo")))
            figures["up_cold_s"] = statistics.median(colds)
            figures["up_idempotent_s"] = statistics.median(idems)
            figures["up_after_down_s"] = statistics.median(restarts)
            figures["destroy_s"] = statistics.median(figures["destroy_s"])
        finally:
            engine.remove_labelled({engine.LABEL_WORKSPACE: str(workspace.root)})
    figures["up_cold_ratio_to_floor"] = figures["up_cold_s"] / figures["floor_docker_run_to_query_s"]
    figures["compose"] = lifecycle.compose.find_compose().name

    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:32} {value:.2f}" if isinstance(value, float) else f"{key:32} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
