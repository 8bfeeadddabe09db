"""Which PostgreSQL image a client runs, and getting it without a registry when there is none."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker.errors

from provision import engine
from provision.errors import EnvironmentProblem, InputError, OperationFailed
from provision.hosts import DockerHost
from provision.imagebuild import BUILT_REPOSITORY, build_image, built_tag, cache_dir
from provision.profile import Profile
from provision.suites import SUITES

Progress = Callable[[str], None]


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
    profile: Profile, *, build: bool, mirror_env: str = "", previous: str = "", progress: Progress
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
    another site; `load` there restores every one with its tag. Written beside ``dest`` and renamed, so
    an interrupted save leaves no half file under the name."""
    docker_client = engine.client()
    missing = [ref for ref in refs if not image_present(ref)]
    if missing:
        raise InputError(f"no image {', '.join(map(repr, missing))} here", fix="see `provision image status`")
    tmp = dest.with_name(dest.name + ".partial")
    compress = dest.suffix == ".gz"
    progress(f"saving {', '.join(refs)} to {dest}")
    # The engine's /images/get takes several names and writes their layers once; docker-py offers it
    # only for one image (get_image), so the request is made here with its own session.
    api = docker_client.api
    try:
        response = api._get(api._url("/images/get"), params={"names": refs}, stream=True)
        api._raise_for_status(response)
        with gzip.open(tmp, "wb", compresslevel=6) if compress else open(tmp, "wb") as out:
            for chunk in response.iter_content(chunk_size=4 * 1024**2):
                out.write(chunk)
    except docker.errors.APIError as exc:
        tmp.unlink(missing_ok=True)
        raise OperationFailed(f"docker could not save {', '.join(refs)}: {exc.explanation or exc}") from None
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OperationFailed(
            f"{dest}: cannot write the archive ({exc.strerror or exc})",
            fix="free some space there or give another --output",
        ) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(dest)
    return dest.stat().st_size


def built_present() -> list[str]:
    """The tags of the images provision built that are here, by major."""
    return [tag for tag in (built_tag(major) for major in sorted(SUITES)) if image_present(tag)]


def load(source: Path, progress: Progress) -> list[str]:
    """Load images from a file made by ``save`` (or ``docker save``); gzip is read as is."""
    if not source.is_file():
        raise InputError(f"{source}: no such file", fix="give the path of a file made by `provision image save`")
    progress(f"loading images from {source}")
    with open(source, "rb") as handle:
        try:
            loaded = engine.client().images.load(handle)
        except docker.errors.APIError as exc:
            raise OperationFailed(
                f"{source}: not an image archive ({exc.explanation or exc})",
                fix="make the file with `provision image save` or `docker save`",
            ) from None
    return [tag for image in loaded for tag in image.tags]
