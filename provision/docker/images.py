"""Which PostgreSQL image a client runs, and getting it without a registry when there is none."""

from __future__ import annotations

import gzip
import stat
import tarfile
import zlib
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import docker.errors

from provision.docker import engine
from provision.docker.hosts import DockerHost, DockerSettings
from provision.docker.imagebuild import BUILT_REPOSITORY, build_image, built_tag, cache_dir
from provision.docker.suites import SUITES
from provision.errors import EnvironmentProblem, InputError, OperationFailed
from seed.outfile import output

Progress = Callable[[str], None]


class ImageWanted(Protocol):
    """What a client's profile says of its image (a ``provision.clients.profile.Profile`` is one)."""

    @property
    def client(self) -> str: ...
    @property
    def image(self) -> str: ...
    @property
    def major(self) -> int: ...
    @property
    def registry_mirror(self) -> str: ...
    @property
    def docker(self) -> DockerSettings: ...


def image_present(ref: str, host: DockerHost = engine.LOCAL) -> bool:
    try:
        engine.client(host).images.get(ref)
    except docker.errors.ImageNotFound:
        return False
    except docker.errors.APIError:
        return False
    return True


def _mirror_ref(ref: str, mirror: str) -> str:
    name = ref if "/" in ref else f"library/{ref}"
    return f"{mirror.rstrip('/')}/{name}"


def pull(ref: str, mirror: str = "", host: DockerHost = engine.LOCAL) -> str | None:
    """Pull ``ref`` (through ``mirror`` when set) on ``host``; return the error text, or None on success."""
    engine_client = engine.client(host)
    target = _mirror_ref(ref, mirror) if mirror else ref
    repository, _, tag = target.rpartition(":") if ":" in target.rsplit("/", 1)[-1] else (target, "", "latest")
    try:
        engine_client.images.pull(repository, tag=tag)
        if mirror:
            engine_client.images.get(target).tag(*ref.rsplit(":", 1))
    except docker.errors.APIError as exc:
        return str(exc.explanation or exc).splitlines()[0]
    return None


def resolve_image(
    profile: ImageWanted, *, build: bool, mirror_env: str = "", previous: str = "", progress: Progress
) -> str:
    """The image a client's database runs.

    In order: the profile's image if present; the image provision built for that major if present;
    the profile's image pulled (through a mirror when set); a fresh build when ``build``; else an
    error that says how to get one.
    """
    if image_present(profile.image):
        return profile.image
    fallback = built_tag(profile.major)
    if fallback != profile.image and image_present(fallback):
        if previous != fallback:
            progress(f"{profile.image} is not here; using {fallback}, built from Debian's packages")
        return fallback
    mirror = profile.registry_mirror or mirror_env
    progress(f"pulling {profile.image}" + (f" through {mirror}" if mirror else ""))
    error = pull(profile.image, mirror)
    if error is None:
        return profile.image
    if build:
        progress(f"cannot pull {profile.image} ({error}); building {fallback} from Debian's packages")
        build_image(profile.major, progress=progress)
        return fallback
    raise EnvironmentProblem(
        f"cannot pull {profile.image}: {error}",
        fix="build a compatible image from Debian's packages: "
        f"`provision image build --major {profile.major}` "
        f"(or `provision up {profile.client} --build`), set a registry mirror (postgres.registry_mirror or "
        "PROVISION_REGISTRY_MIRROR), or `provision image load FILE` carried from another machine",
    )


@dataclass(frozen=True)
class ImageInfo:
    tag: str
    present: bool
    image_id: str = ""
    size_bytes: int = 0
    created: str = ""
    built_by_provision: bool = False


def image_info(ref: str) -> ImageInfo:
    try:
        image = engine.client().images.get(ref)
    except docker.errors.ImageNotFound:
        return ImageInfo(ref, False)
    labels = (image.attrs.get("Config") or {}).get("Labels") or {}
    return ImageInfo(
        tag=ref,
        present=True,
        image_id=image.short_id,
        size_bytes=int(image.attrs.get("Size", 0)),
        created=str(image.attrs.get("Created", ""))[:19],
        built_by_provision=labels.get(engine.LABEL_MANAGED) == "true",
    )


@dataclass(frozen=True)
class ImageStatus:
    images: list[ImageInfo]
    rootfs_cache: list[tuple[Path, int]]  # (tarball, size in bytes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "images": [vars(i) for i in self.images],
            "rootfs_cache": [{"path": str(p), "size_bytes": n} for p, n in self.rootfs_cache],
        }


def status(refs: list[str]) -> ImageStatus:
    """What is present: the given images, every image provision built, and the cached root filesystems."""
    engine_client = engine.client()
    built = [
        tag
        for image in engine_client.images.list(filters={"label": f"{engine.LABEL_MANAGED}=true"})
        for tag in image.tags
        if tag.startswith(BUILT_REPOSITORY + ":")
    ]
    rootfs_dir = cache_dir() / "rootfs"
    cached = sorted(rootfs_dir.glob("*.tar")) if rootfs_dir.is_dir() else []
    return ImageStatus(
        [image_info(ref) for ref in dict.fromkeys([*refs, *sorted(built)])], [(p, p.stat().st_size) for p in cached]
    )


def save(refs: list[str], dest: Path, progress: Progress) -> int:
    """Write the images ``refs`` to one file (gzip-compressed when the name ends in .gz), to carry to
    another site; `load` there restores every one with its tag. Written as :mod:`seed.outfile` writes
    (a file aside and renamed, so an interrupted save leaves no half file under the name; a device or a
    FIFO in place); the bytes written."""
    docker_client = engine.client()
    missing = [ref for ref in refs if not image_present(ref)]
    if missing:
        raise InputError(f"no image {', '.join(map(repr, missing))} here", fix="see `provision image status`")
    compress = dest.suffix == ".gz"
    progress(f"saving {', '.join(refs)} to {dest}")
    # The engine's /images/get takes several names and writes their layers once; docker-py offers it
    # only for one image (get_image), so the request is made here with its own session.
    api = docker_client.api
    try:
        response = api._get(api._url("/images/get"), params={"names": refs}, stream=True)
        api._raise_for_status(response)
        with (
            output(dest) as out,
            gzip.GzipFile(fileobj=out, mode="wb", compresslevel=6) if compress else nullcontext(out) as sink,
        ):
            for chunk in response.iter_content(chunk_size=4 * 1024**2):
                sink.write(chunk)
    except docker.errors.APIError as exc:
        raise OperationFailed(f"docker could not save {', '.join(refs)}: {exc.explanation or exc}") from None
    except OSError as exc:
        raise EnvironmentProblem(
            f"{dest}: cannot write the archive ({exc.strerror or exc})",
            fix="free some space there or give another --output",
        ) from None
    return out.size


def built_present() -> list[str]:
    """The tags of the images provision built that are here, by major."""
    return [tag for tag in (built_tag(major) for major in sorted(SUITES)) if image_present(tag)]


ARCHIVE_FIX = "give a file made by `provision image save` (or `docker save`), copied whole"


def check_archive(source: Path) -> None:
    """Refuse what is not an image archive before the engine is sent it: a folder, a device or a pipe
    (which would be read forever or block), an empty or truncated file, a tar that holds no image."""
    if "\x00" in str(source):
        raise InputError(f"{str(source)!r}: a path cannot hold a NUL character", fix=ARCHIVE_FIX)
    try:
        mode = source.stat().st_mode
    except FileNotFoundError:
        raise InputError(
            f"{source}: no such file", fix="give the path of a file made by `provision image save`"
        ) from None
    except OSError as exc:  # a name too long, a loop of links
        shown = str(source) if len(str(source)) <= 200 else f"{str(source)[:80]}... ({len(str(source))} characters)"
        raise InputError(f"{shown}: cannot be opened ({exc.strerror})", fix=ARCHIVE_FIX) from None
    if stat.S_ISDIR(mode):
        raise InputError(f"{source}: a folder, not an image archive", fix=ARCHIVE_FIX)
    if not stat.S_ISREG(mode):
        raise InputError(f"{source}: not a regular file (a device or a pipe)", fix=ARCHIVE_FIX)
    try:
        with open(source, "rb") as handle:
            magic = handle.read(2)
        if not magic:
            raise InputError(f"{source}: an empty file, not an image archive", fix=ARCHIVE_FIX)
        names = _archive_names(source, compressed=magic == b"\x1f\x8b")
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise InputError(f"{source}: not an image archive, or a truncated one ({exc})", fix=ARCHIVE_FIX) from None
    except OSError as exc:
        raise InputError(f"{source}: cannot be read ({exc.strerror or exc})", fix=ARCHIVE_FIX) from None
    if not names & {"manifest.json", "repositories"}:
        raise InputError(f"{source}: a tar archive, but not of images (no manifest.json in it)", fix=ARCHIVE_FIX)


def _archive_names(source: Path, compressed: bool) -> set[str]:
    """The top-level names of a tar (gzip read as it streams), read to its end: a cut file fails here."""
    names: set[str] = set()
    with tarfile.open(source, "r|gz" if compressed else "r|") as archive:
        for member in archive:
            names.add(member.name.removeprefix("./"))
    return names


def load(source: Path, progress: Progress) -> list[str]:
    """Load images from a file made by ``save`` (or ``docker save``); gzip is read as is."""
    check_archive(source)
    progress(f"loading images from {source}")
    with open(source, "rb") as handle:
        try:
            loaded = engine.client().images.load(handle)
        except docker.errors.ImageLoadError as exc:  # what the engine said of the archive's content
            raise InputError(f"{source}: not an image archive ({exc})", fix=ARCHIVE_FIX) from None
        except docker.errors.APIError as exc:
            raise OperationFailed(
                f"{source}: docker could not load the images ({exc.explanation or exc})",
                fix="see the message above; `docker system df` shows the engine's disk",
            ) from None
    if not loaded:
        raise InputError(f"{source}: the archive holds no image (its manifest lists none)", fix=ARCHIVE_FIX)
    return [tag for image in loaded for tag in image.tags]
