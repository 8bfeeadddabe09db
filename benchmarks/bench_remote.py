"""A client on an SSH host against the same client on this machine, and the image carried over SSH against
the raw floor, measured in the same run.

The "remote" host is this machine seen through a real sshd on a loopback port (throwaway keys) whose Docker
socket is a second Docker daemon (harness/remote_hosts.py): the figures are what provision's SSH transport
costs, with no network in between. Floors and ratios:
- carrying the image: `docker save IMAGE | ssh HOST docker load` with nothing of provision in between;
  provision's carry from cold (the archive written to the cache, sent, checked by SHA-256, loaded) and warm
  (the archive already cached);
- `provision up` with seeding, a reset and a full `stats` of the books: the SSH client against the same
  profile on the local engine.
Run: `make bench-remote` (`--accounts N`, default 10,000).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import show  # noqa: E402

from harness.remote_hosts import second_engine, ssh_server  # noqa: E402
from provision.books import bringup, seeding
from provision.clients import lifecycle
from provision.clients.workspace import Workspace  # noqa: E402
from provision.docker import carry, engine, imagebuild, remote
from provision.docker.hosts import DockerHost  # noqa: E402
from provision.training import seats


def client_figures(root: Path, profile: str, label: str, accounts: int) -> dict[str, Any]:
    """`up` (seeded), a reset of the working database, and `stats` of the books, for one client."""
    workspace = Workspace(root)
    path = workspace.files("site").profile
    path.parent.mkdir(parents=True)
    path.write_text(profile, encoding="utf-8")
    try:
        started = time.perf_counter()
        bringup.up_client(workspace, "site", build=False, progress=lambda _l: None)
        up = time.perf_counter() - started
        started = time.perf_counter()
        seats.reset_client(workspace, "site")
        reset = time.perf_counter() - started
        started = time.perf_counter()
        seeding.stats_target(workspace, "site", None)
        stats = time.perf_counter() - started
    finally:
        lifecycle.destroy(workspace, "site")
    return {"where": label, "accounts": accounts, "up_with_seed_s": round(up, 2), "reset_s": round(reset, 2),
            "stats_s": round(stats, 2)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    ref = imagebuild.built_tag(imagebuild.DEFAULT_MAJOR)
    results: list[dict[str, Any]] = []
    runtime = tempfile.mkdtemp(prefix="pvbench-")
    os.environ["PROVISION_RUNTIME_DIR"] = runtime
    os.environ["PROVISION_KNOWN_HOSTS"] = os.path.join(runtime, "known_hosts")  # a new sshd key each run
    with second_engine(ref) as engine2, ssh_server() as sshd:
        host = DockerHost(sshd.url(), str(engine2.socket), str(sshd.key))
        remote.gateway(host)
        size = int(engine.client().images.get(ref).attrs["Size"])

        started = time.perf_counter()
        save = subprocess.Popen(["docker", "save", ref], stdout=subprocess.PIPE)
        subprocess.run(remote.ssh_argv(host, f"docker -H unix://{engine2.socket} load"), stdin=save.stdout,
                       check=True, capture_output=True)  # fmt: skip
        save.wait()
        floor = time.perf_counter() - started
        results.append({"what": "image over SSH: docker save | ssh docker load (floor)", "mb": size // 1024**2,
                        "seconds": round(floor, 2), "mb_per_s": round(size / 1024**2 / floor, 1)})  # fmt: skip
        show(results, args.json)
        for label, cached in (("cold: archive written, sent, checked, loaded", False), ("warm: archive cached", True)):
            engine2.client().images.remove(ref, force=True)
            if not cached:
                for old in (imagebuild.cache_dir() / "carry").glob("*"):
                    old.unlink()
            started = time.perf_counter()
            carry.carry(ref, host, lambda _l: None)
            seconds = time.perf_counter() - started
            rate = round(size / 1024**2 / seconds, 1)
            results.append({"what": f"image over SSH, provision carry {label}", "seconds": round(seconds, 2),
                            "mb_per_s": rate, "x_floor": round(seconds / floor, 2)})  # fmt: skip
            show(results, args.json)

        seed = f"[seed]\naccounts = {args.accounts}\nmonths = 12\n"
        with tempfile.TemporaryDirectory(prefix="pvbench-local-") as tmp:
            local = client_figures(Path(tmp), seed, "local engine", args.accounts)
        results.append(local)
        show(results, args.json)
        docker = f'[docker]\nhost = "{sshd.url()}"\nidentity = "{sshd.key}"\nsocket = "{engine2.socket}"\n'
        with tempfile.TemporaryDirectory(prefix="pvbench-ssh-") as tmp:
            over = client_figures(Path(tmp), docker + seed, "ssh host", args.accounts)
        for key in ("up_with_seed_s", "reset_s", "stats_s"):
            over[f"{key}_x_local"] = round(over[key] / local[key], 2)
        results.append(over)
        show(results, args.json)
        for control in Path(runtime).glob("*/ssh.ctl"):  # every master connection the run opened
            subprocess.run(["ssh", "-S", str(control), "-O", "exit", "host"], capture_output=True, check=False)
    shutil.rmtree(runtime, ignore_errors=True)
    show(results, args.json, final=True)


if __name__ == "__main__":
    main()
