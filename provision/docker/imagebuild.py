"""Build a PostgreSQL image from Debian's packages, with no container registry at all.

mmdebstrap makes a root filesystem (a tarball, cached by what went into it), then the Docker API
builds ``FROM scratch`` on it with our own entrypoint. The first build downloads packages and takes
about a minute; a second build reuses the cached root filesystem and takes seconds.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker.errors

from provision.docker import engine
from provision.docker.suites import DEFAULT_MAJOR as DEFAULT_MAJOR
from provision.docker.suites import SUITES as SUITES
from provision.docker.suites import supported_text
from provision.docker.templating import render, templates_dir
from provision.errors import EnvironmentProblem, InputError, OperationFailed

BUILT_REPOSITORY = "provision/postgres"
ROOTFS_FORMAT = "2"  # bump when the hooks or package set change in a way the key would not see
Progress = Callable[[str], None]


def built_tag(major: int) -> str:
    return f"{BUILT_REPOSITORY}:{major}"


def cache_dir() -> Path:
    base = os.environ.get("PROVISION_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "provision"
    )
    return Path(base)


def packages_for(major: int) -> list[str]:
    # xz-utils and zstd: init scripts *.sql.xz and *.sql.zst; libnss-wrapper: any --user uid gets a name.
    # From 18 on, Debian ships the JIT (LLVM) as its own package, only recommended; the image keeps it.
    jit = [f"postgresql-{major}-jit"] if major >= 18 else []
    return [f"postgresql-{major}", *jit, "locales", "tzdata", "xz-utils", "zstd", "libnss-wrapper"]


def suite_for(major: int) -> str:
    if major not in SUITES:
        raise InputError(
            f"no Debian suite ships PostgreSQL {major} as its own package",
            fix=f"build one of: {supported_text()}",
        )
    return SUITES[major]


def _host_codename() -> str:
    try:
        text = Path("/etc/os-release").read_text(encoding="utf-8")
    except OSError:
        return ""
    match = re.search(r"^VERSION_CODENAME=\"?([a-z]+)", text, re.MULTILINE)
    return match.group(1) if match else ""


def _host_debian_entries() -> list[tuple[str, str]]:
    """(URI, suite) pairs of the host's Debian sources, one-line and deb822 formats alike."""
    entries: list[tuple[str, str]] = []
    apt = Path("/etc/apt")
    files = [apt / "sources.list", *sorted((apt / "sources.list.d").glob("*.list"))]
    for path in files:
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
            if len(parts) >= 3 and parts[0] == "deb":
                entries.append((parts[1], parts[2]))
    for path in sorted((apt / "sources.list.d").glob("*.sources")):
        for stanza in re.split(r"\n\s*\n", path.read_text(encoding="utf-8", errors="replace")):
            fields: dict[str, str] = {}
            for line in stanza.splitlines():
                if ":" in line and not line.lstrip().startswith("#"):
                    key, _, value = line.partition(":")
                    fields[key.strip().lower()] = value.strip()
            if "deb" in fields.get("types", "").split() and fields.get("enabled", "yes") != "no":
                for uri in fields.get("uris", "").split():
                    for suite in fields.get("suites", "").split():
                        entries.append((uri, suite))
    return entries


def debian_sources(suite: str, mirror: str | None = None) -> str:
    """sources.list lines for ``suite``: from ``mirror``, else from the host's own Debian mirrors."""
    mirror = mirror or os.environ.get("PROVISION_DEBIAN_MIRROR") or None
    if mirror:
        return f"deb {mirror} {suite} main\ndeb {mirror} {suite}-updates main\n"
    codename = _host_codename()
    lines = []
    for uri, host_suite in _host_debian_entries():
        base, sep, pocket = host_suite.partition("-")
        if codename and base == codename and "debian" in uri:
            line = f"deb {uri} {suite}{sep}{pocket} main"
            if line not in lines:
                lines.append(line)
    if not lines:
        raise EnvironmentProblem(
            "found no Debian package mirror in this machine's /etc/apt sources",
            fix="name one: `provision image build --mirror URL` or PROVISION_DEBIAN_MIRROR=URL "
            "(a Debian mirror, or a local one at an air-gapped site)",
        )
    return "\n".join(lines) + "\n"


def rootfs_key(major: int, suite: str, sources: str) -> str:
    digest = hashlib.sha256()
    for part in (ROOTFS_FORMAT, str(major), suite, sources, *packages_for(major)):
        digest.update(part.encode() + b"\0")
    for hook in ("essential-hook.sh", "customize-hook.sh"):
        digest.update((templates_dir() / "image" / hook).read_bytes())
    return digest.hexdigest()[:16]


def _dpkg_options() -> list[str]:
    rules = [
        "path-exclude=/usr/share/man/*",
        "path-exclude=/usr/share/info/*",
        "path-exclude=/usr/share/doc/*",
        "path-include=/usr/share/doc/*/copyright",
        "path-exclude=/usr/share/locale/*",
        "path-include=/usr/share/locale/ru/*",
        "path-include=/usr/share/locale/locale.alias",
    ]
    return [f"--dpkgopt={rule}" for rule in rules]


def build_rootfs(major: int, suite: str, sources: str, dest: Path, progress: Progress) -> None:
    """Run mmdebstrap into ``dest`` (a tarball), atomically: a failed run leaves no file."""
    tool = shutil.which("mmdebstrap")
    if tool is None:
        raise EnvironmentProblem(
            "mmdebstrap is not installed; it builds the image's root filesystem from Debian's packages",
            fix="install it: `sudo apt-get install mmdebstrap` (or run `make install`, which does)",
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    hooks = templates_dir() / "image"
    with tempfile.TemporaryDirectory(prefix="provision-rootfs-") as tmp:
        sources_file = Path(tmp) / "sources.list"
        sources_file.write_text(sources, encoding="utf-8")
        partial = dest.with_suffix(".partial.tar")
        log_path = dest.with_suffix(".log")
        cmd = [
            tool,
            "--variant=minbase",
            f"--include={','.join(packages_for(major))}",
            *_dpkg_options(),
            # A mirror snapshot or an air-gapped site's copy outlives a suite's Valid-Until (forky's, a
            # week): the signatures are still checked, only the expiry date is not.
            "--aptopt=Acquire::Check-Valid-Until false",
            f'--essential-hook=sh {hooks / "essential-hook.sh"} "$1"',
            f'--customize-hook=sh {hooks / "customize-hook.sh"} "$1" {major}',
            suite,
            str(partial),
            str(sources_file),
        ]
        progress(f"building the root filesystem: Debian {suite} + {', '.join(packages_for(major))}")
        with open(log_path, "w", encoding="utf-8") as log:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            assert proc.stdout is not None
            tail: list[str] = []
            for line in proc.stdout:
                log.write(line)
                tail = [*tail[-19:], line.rstrip()]
                if line.startswith("I: ") and "running" not in line and "tempdir" not in line:
                    progress("  " + line[3:].strip())
            code = proc.wait()
        if code != 0:
            partial.unlink(missing_ok=True)
            raise OperationFailed(
                f"mmdebstrap failed (exit {code}); full log in {log_path}",
                fix="check the Debian mirror is reachable (or pass --mirror) and that you are root "
                "or may use user namespaces",
                details="\n".join(tail),
            )
        partial.replace(dest)


def prune_rootfs(major: int, suite: str, keep: Path) -> list[Path]:
    """Remove the cached root filesystems of ``major`` on ``suite`` other than ``keep`` (built from
    older packages, hooks or sources: no build reads them again) with their logs; return them."""
    removed = []
    for old in sorted(keep.parent.glob(f"postgres{major}-{suite}-*.tar")):
        if old != keep and not old.name.endswith(".partial.tar"):
            old.unlink(missing_ok=True)
            old.with_suffix(".log").unlink(missing_ok=True)
            removed.append(old)
    return removed


def _context_tar(rootfs: Path, dockerfile: str, dest: Path) -> None:
    with tarfile.open(dest, "w") as tar:
        for name, data, mode in (
            ("Dockerfile", dockerfile.encode(), 0o644),
            (
                "docker-entrypoint.sh",
                (templates_dir() / "image" / "docker-entrypoint.sh").read_bytes(),
                0o755,
            ),
        ):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, 0
            tar.addfile(info, io.BytesIO(data))
        tar.add(str(rootfs), arcname="rootfs.tar")


@dataclass(frozen=True)
class BuildResult:
    tag: str
    image_id: str
    size_bytes: int
    rootfs_cached: bool
    rootfs_seconds: float
    docker_seconds: float


def build_image(
    major: int = 15,
    *,
    mirror: str | None = None,
    tag: str | None = None,
    refresh: bool = False,
    progress: Progress = lambda _line: None,
) -> BuildResult:
    """Build ``provision/postgres:<major>`` (or ``tag``) from Debian's packages; cache the rootfs."""
    suite = suite_for(major)
    docker_client = engine.client()
    sources = debian_sources(suite, mirror)
    key = rootfs_key(major, suite, sources)
    rootfs = cache_dir() / "rootfs" / f"postgres{major}-{suite}-{key}.tar"
    cached = rootfs.is_file() and not refresh
    started = time.monotonic()
    if cached:
        progress(f"using the cached root filesystem {rootfs}")
    else:
        build_rootfs(major, suite, sources, rootfs, progress)
        for stale in prune_rootfs(major, suite, keep=rootfs):
            progress(f"removed the superseded root filesystem {stale}")
    rootfs_seconds = time.monotonic() - started

    tag = tag or built_tag(major)
    dockerfile = render("image/Dockerfile.j2", major=major, suite=suite, rootfs_key=key)
    started = time.monotonic()
    progress(f"building the image {tag} (FROM scratch, through the Docker API)")
    with tempfile.TemporaryDirectory(prefix="provision-context-") as tmp:
        context = Path(tmp) / "context.tar"
        _context_tar(rootfs, dockerfile, context)
        image_id = ""
        with open(context, "rb") as fileobj:
            try:
                for chunk in docker_client.api.build(
                    fileobj=fileobj, custom_context=True, tag=tag, rm=True, forcerm=True, decode=True
                ):
                    if "error" in chunk:
                        raise OperationFailed(f"docker build of {tag} failed: {chunk['error'].strip()}")
                    if "aux" in chunk and "ID" in chunk["aux"]:
                        image_id = chunk["aux"]["ID"]
            except docker.errors.APIError as exc:
                raise OperationFailed(f"docker build of {tag} failed: {exc.explanation or exc}") from None
    image = docker_client.images.get(tag)
    return BuildResult(
        tag=tag,
        image_id=image_id or image.id,
        size_bytes=int(image.attrs.get("Size", 0)),
        rootfs_cached=cached,
        rootfs_seconds=rootfs_seconds,
        docker_seconds=time.monotonic() - started,
    )
