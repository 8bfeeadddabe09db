"""The image of a client on another Docker host, without a registry between them.

In order: the image is there already; the site's own registry ([docker] registry) has it; else it is
found or built here, as for a local client, and carried over. To an SSH host it goes as one file,
appended to a partial file there so that a dropped connection resumes where it stopped, checked by its
SHA-256 and loaded with the docker CLI there; to an engine reached directly (a socket, TCP) it streams
from this engine's ``save`` into that one's ``load``.
"""

from __future__ import annotations

import fcntl
import hashlib
import shlex
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import docker.errors
import requests.exceptions

from provision.docker import engine, remote
from provision.docker.hosts import DockerHost
from provision.docker.imagebuild import built_tag, cache_dir
from provision.docker.images import ImageWanted, image_present, pull, resolve_image, save
from provision.errors import EnvironmentProblem, OperationFailed

Progress = Callable[[str], None]
CHUNK = 4 * 1024**2
TRIES = 3
REMOTE_DIR = "~/.cache/provision-images"


def image_on(
    host: DockerHost, profile: ImageWanted, *, build: bool, mirror_env: str, previous: str, progress: Progress
) -> str:
    """The image the client runs on ``host``, made present there."""
    if host.is_local:
        return resolve_image(profile, build=build, mirror_env=mirror_env, previous=previous, progress=progress)
    for ref in dict.fromkeys([profile.image, built_tag(profile.major)]):  # the order resolve_image takes
        if image_present(ref, host):
            return ref
    registry = profile.docker.registry
    if registry:
        for ref in (built_tag(profile.major), profile.image):
            progress(f"pulling {ref} on {host.name} from the site's registry {registry}")
            if pull(ref, registry, host) is None:
                return ref
        progress(f"the registry {registry} has neither image; carrying it from here")
    ref = resolve_image(profile, build=build, mirror_env=mirror_env, previous=previous, progress=progress)
    carry(ref, host, progress)
    return ref


def carry(ref: str, host: DockerHost, progress: Progress) -> None:
    """Copy the image ``ref`` from this machine's engine to ``host``'s; one transfer to a host at a time
    from this machine (two `up`s of one site wait for each other, and the second finds the image there)."""
    folder = cache_dir() / "carry"
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(host.url.encode()).hexdigest()[:12]
    with open(folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if image_present(ref, host):
            return
        if host.is_ssh:
            _carry_over_ssh(ref, host, progress)
        else:
            _stream(ref, host, progress)
    if not image_present(ref, host):
        raise OperationFailed(f"{ref} was carried to {host.name}, but its engine does not show it")


class _Meter:
    """Progress of a transfer, about every tenth of it."""

    def __init__(self, what: str, total: int, progress: Progress, done: int = 0) -> None:
        self.what, self.total, self.progress, self.done = what, max(total, 1), progress, done
        self.shown = done * 10 // self.total
        self.started = time.monotonic()

    def add(self, count: int) -> None:
        self.done += count
        tenth = self.done * 10 // self.total
        if tenth > self.shown:
            self.shown = tenth
            rate = self.done / max(time.monotonic() - self.started, 1e-3) / 1024**2
            self.progress(
                f"{self.what}: {self.done / 1024**2:,.0f} of {self.total / 1024**2:,.0f} MB ({rate:,.0f} MB/s)"
            )


def _stream(ref: str, host: DockerHost, progress: Progress) -> None:
    """``save`` here piped into ``load`` there, retried from the start (an engine's load cannot resume)."""
    size = int(engine.client().images.get(ref).attrs.get("Size", 0))
    for attempt in range(1, TRIES + 1):
        meter = _Meter(f"carrying {ref} to {host.name}", size, progress)

        def chunks(meter: _Meter = meter) -> Iterator[bytes]:
            for chunk in engine.client().api.get_image(ref, chunk_size=CHUNK):
                meter.add(len(chunk))
                yield chunk

        try:
            answer = engine.client(host).api.load_image(chunks())
            for line in answer if not isinstance(answer, dict) else [answer]:
                if isinstance(line, dict) and line.get("errorDetail"):  # the engine refused the archive
                    raise docker.errors.APIError(str(line.get("error") or line["errorDetail"]))
            return
        except (docker.errors.APIError, requests.exceptions.RequestException) as exc:
            if attempt == TRIES:
                raise OperationFailed(
                    f"carrying {ref} to {host.name} failed {TRIES} times ({str(exc).splitlines()[0][:200]})",
                    fix=f"check the space there (`docker system df`), or carry it by hand: `provision image save "
                    f"{ref} -o image.tar.gz`, then `provision image load image.tar.gz` on that host",
                ) from None
            progress(f"the transfer stopped ({str(exc).splitlines()[0][:120]}); trying again")


def _local_archive(ref: str, progress: Progress) -> tuple[Path, str]:
    """The image as one file in the cache (made once per image), and its SHA-256."""
    image_id = str(engine.client().images.get(ref).id).removeprefix("sha256:")[:16]
    folder = cache_dir() / "carry"
    folder.mkdir(parents=True, exist_ok=True)
    archive = folder / f"{image_id}.tar"
    digest_file = archive.with_suffix(".sha256")
    if not (archive.is_file() and digest_file.is_file()):
        save([ref], archive, progress)
        digest = hashlib.sha256()
        with open(archive, "rb") as handle:
            while block := handle.read(CHUNK):
                digest.update(block)
        digest_file.write_text(digest.hexdigest())
    for old in folder.glob("*.tar"):  # one archive kept: the newest image's
        if old != archive:
            old.unlink(missing_ok=True)
            old.with_suffix(".sha256").unlink(missing_ok=True)
    return archive, digest_file.read_text().strip()


def _remote_size(host: DockerHost, path: str) -> int:
    done = remote.run(host, f"mkdir -p {REMOTE_DIR} && (stat -c %s {path} 2>/dev/null || echo 0)", timeout=60)
    text = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "0"
    return int(text) if text.isdigit() else 0


def _send(host: DockerHost, archive: Path, path: str, offset: int, meter: _Meter) -> str | None:
    """Append the archive from ``offset`` to the file there; None when it all arrived, else what went wrong
    (a dropped connection, or the far side's own words: a full disk)."""
    argv = remote.ssh_argv(host, f"cat >> {path}")
    with tempfile.TemporaryFile("w+") as errors:
        with subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors) as proc:
            assert proc.stdin is not None
            try:
                with open(archive, "rb") as handle:
                    handle.seek(offset)
                    while block := handle.read(CHUNK):
                        proc.stdin.write(block)
                        meter.add(len(block))
                proc.stdin.close()
            except BrokenPipeError:
                pass
            proc.wait()
        if proc.returncode == 0:
            return None
        errors.seek(0)
        said = [line.strip() for line in errors.read().splitlines() if line.strip()]
        return said[-1][:200] if said else f"ssh ended with {proc.returncode}"


def _carry_over_ssh(ref: str, host: DockerHost, progress: Progress) -> None:
    archive, digest = _local_archive(ref, progress)
    size = archive.stat().st_size
    path = f"{REMOTE_DIR}/{digest[:16]}.tar.part"
    for attempt in range(1, TRIES + 2):
        offset = _remote_size(host, path)
        if offset > size:  # not ours, or another image's: start over
            remote.run(host, f"rm -f {path}")
            offset = 0
        if offset:
            progress(f"resuming the transfer of {ref} to {host.name} at {offset / 1024**2:,.0f} MB")
        if offset == size:
            break
        stopped = _send(host, archive, path, offset, _Meter(f"carrying {ref} to {host.name}", size, progress, offset))
        if stopped is None:
            break
        if attempt > TRIES:
            raise OperationFailed(
                f"carrying {ref} to {host.name} stopped {TRIES + 1} times ({stopped}); what arrived is kept there",
                fix="free space there if it is full (`df -h ~` there); then run `provision up` again: the transfer "
                f"resumes at {offset / 1024**2:,.0f} MB or later",
            )
        progress(f"the transfer stopped ({stopped}); resuming")
    there = remote.run(host, f"sha256sum {path}", timeout=300).stdout.split()
    if not there or there[0] != digest:
        remote.run(host, f"rm -f {path}")
        raise OperationFailed(
            f"the image that arrived on {host.name} is damaged (its SHA-256 differs); it was removed",
            fix="run `provision up` again to send it anew",
        )
    progress(f"loading {ref} into the engine of {host.name}")
    load = remote.run(host, f"docker -H unix://{shlex.quote(host.socket)} load -i {path} && rm -f {path}", timeout=1800)
    if load.returncode != 0:
        message = (load.stderr or load.stdout).strip().splitlines()
        if load.returncode == 127:
            raise EnvironmentProblem(
                f"{host.name}: no docker command there to load the image with",
                fix="install the Docker CLI there (`sudo apt-get install docker.io` brings it), or set [docker] "
                "registry to a registry that host can pull from",
            )
        raise OperationFailed(
            f"{host.name}: docker could not load {ref} ({message[-1][:200] if message else 'no message'})",
            fix="check the space there (`docker system df`); the archive is kept there for another try",
        )
