"""Lifecycle figures per PostgreSQL major: image build (cold and cached) and size, `up` of a client
(the container to its first answered query; seeding is measured by bench_seed) cold and idempotent,
down/up, destroy.

The floor is the same image started with a bare `docker run` until a query answers, measured in
the same run; `up` is reported as a ratio to it. Run: `make bench` (add `--cold-build` to rebuild
each root filesystem from Debian's packages, which downloads about 100 MB a major; `--major N` for one;
`--no-build` to measure the clients only, on images already built, as the test suite does).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from provision.clients import lifecycle
from provision.clients.workspace import Workspace
from provision.docker import engine, imagebuild, images
from seed.dsn import make_dsn

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
                dsn = make_dsn(host="127.0.0.1", port=port, user="postgres", password="bench", dbname="postgres")
                with psycopg.connect(dsn, connect_timeout=2) as c:
                    c.execute("SELECT 1").fetchone()
                    break
            except psycopg.OperationalError:
                time.sleep(0.1)
        return time.perf_counter() - started
    finally:
        container.remove(force=True, v=True)


def image_figures(major: int, cold: bool, say: Callable[[str], None]) -> dict[str, Any]:
    """Build times (cold when asked, else first if absent, and cached) and size of one major's image."""
    figures: dict[str, Any] = {"suite": imagebuild.SUITES[major]}
    tag = imagebuild.built_tag(major)
    if cold:
        for stale in (imagebuild.cache_dir() / "rootfs").glob(f"postgres{major}-*.tar"):
            stale.unlink()
        if images.image_present(tag):
            engine.client().images.remove(tag, force=True)
        figures["image_build_cold_s"] = timed(lambda: imagebuild.build_image(major, progress=say))
    elif not images.image_present(tag):
        figures["image_build_first_s"] = timed(lambda: imagebuild.build_image(major, progress=say))
    figures["image_build_cached_s"] = timed(lambda: imagebuild.build_image(major, progress=say))
    figures["image_size_mb"] = images.image_info(tag).size_bytes / 1024**2
    return figures


def built(major: int) -> dict[str, Any]:
    """No figures of the build with --no-build: the image must be there already (none is built)."""
    tag = imagebuild.built_tag(major)
    if not images.image_present(tag):
        raise SystemExit(f"no image {tag} here: build it first (`provision image build --major {major}`)")
    return {"suite": imagebuild.SUITES[major]}


def client_figures(major: int, repeat: int) -> dict[str, Any]:
    """`up` cold, idempotent, after `down`, and `destroy` of a client on ``major`` (the library's `up`: the
    container to a query, no seeding), with the floor: the same image's bare `docker run` to a query."""
    figures: dict[str, Any] = {}
    tag = imagebuild.built_tag(major)
    figures["floor_docker_run_to_query_s"] = statistics.median(raw_docker_run(tag) for _ in range(repeat))
    with tempfile.TemporaryDirectory(prefix="provision-bench-") as tmp:
        workspace = Workspace(Path(tmp).resolve())
        profile = workspace.files("demo").profile
        profile.parent.mkdir(parents=True)
        profile.write_text(f'[postgres]\nmajor = {major}\nport = "auto"\n[seed]\naccounts = 3000\n', encoding="utf-8")
        try:
            colds, idems, restarts, destroys = [], [], [], []
            for _ in range(repeat):
                colds.append(timed(lambda: lifecycle.up(workspace, "demo")))
                idems.append(timed(lambda: lifecycle.up(workspace, "demo")))
                lifecycle.down(workspace, "demo")
                restarts.append(timed(lambda: lifecycle.up(workspace, "demo")))
                destroys.append(timed(lambda: lifecycle.destroy(workspace, "demo")))
            figures["up_cold_s"] = statistics.median(colds)
            figures["up_idempotent_s"] = statistics.median(idems)
            figures["up_after_down_s"] = statistics.median(restarts)
            figures["destroy_s"] = statistics.median(destroys)
        finally:
            engine.remove_labelled({engine.LABEL_WORKSPACE: str(workspace.root)})
    figures["up_cold_ratio_to_floor"] = figures["up_cold_s"] / figures["floor_docker_run_to_query_s"]
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--major",
        type=int,
        action="append",
        choices=sorted(imagebuild.SUITES),
        help="a PostgreSQL major (repeatable; default: every one provision builds)",
    )
    build = parser.add_mutually_exclusive_group()
    build.add_argument("--cold-build", action="store_true", help="rebuild the root filesystem from Debian")
    build.add_argument("--no-build", action="store_true", help="measure the clients only, on images already built")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of the quick steps")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    say = (lambda _line: None) if args.json else (lambda line: print(line, file=sys.stderr))
    figures: dict[str, Any] = {"compose": lifecycle.compose.find_compose().name}
    for major in args.major or sorted(imagebuild.SUITES):
        image = built(major) if args.no_build else image_figures(major, args.cold_build, say)
        figures[str(major)] = {**image, **client_figures(major, args.repeat)}

    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"compose: {figures.pop('compose')}")
    keys = list(dict.fromkeys(key for per in figures.values() for key in per))
    print(f"{'':32}" + "".join(f"{major:>12}" for major in figures))
    for key in keys:
        cells = []
        for per in figures.values():
            value = per.get(key, "")
            cells.append(f"{value:12.2f}" if isinstance(value, float) else f"{value!s:>12}")
        print(f"{key:32}" + "".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
