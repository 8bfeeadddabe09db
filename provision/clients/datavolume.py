"""The major of PostgreSQL that made a client's data volume, read without starting PostgreSQL.

`provision up` asks it before an image is chosen or built: a volume initialised by another major than
the profile's is refused with the way forward, and nothing is changed.
"""

from __future__ import annotations

import io
import shlex
import tarfile
from typing import Any

import docker.errors

from provision.clients.profile import Profile
from provision.clients.workspace import Workspace
from provision.docker import engine
from provision.docker.hosts import DockerHost
from provision.errors import InputError

PGDATA = "/var/lib/postgresql/data"  # where the image keeps the cluster (templates/image/Dockerfile.j2)
_PROBE_MOUNT = "/provision-pgdata"


def data_volume(workspace: Workspace, client: str, host: DockerHost = engine.LOCAL) -> Any | None:
    """The client's data volume, found by its labels; None for a client never started."""
    found = engine.find("volumes", engine.labels_for(client, str(workspace.root), "data"), host)
    return found[0] if found else None


def _read_file(container: Any, path: str) -> str | None:
    """A small file out of a container (running or not) through the engine's archive API."""
    try:
        stream, _stat = container.get_archive(path)
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            member = next((m for m in tar.getmembers() if m.isfile()), None)
            handle = tar.extractfile(member) if member is not None else None
            return handle.read().decode("utf-8", errors="replace") if handle is not None else None
    except (docker.errors.APIError, tarfile.TarError):  # no cluster there (yet), or unreadable: not refused
        return None


def _probe_images(workspace: Workspace, client: str, profile: Profile, host: DockerHost) -> list[str]:
    """Images present on this machine to create (never start) a container from: the client's own first."""
    previous = workspace.files(client).read_state().image
    wanted = [ref for ref in (previous, profile.image) if ref]
    try:
        present = [tag for image in engine.client(host).images.list() for tag in image.tags]
    except docker.errors.APIError:
        present = []
    return [*[ref for ref in wanted if ref in present], *[tag for tag in present if tag not in wanted]]


def volume_major(workspace: Workspace, client: str, profile: Profile, volume: Any) -> int | None:
    """The PG_VERSION in the volume; None when it holds no cluster (yet) or cannot be read."""
    host = profile.docker.target()
    labels = engine.labels_for(client, str(workspace.root), "db")
    for container in engine.find("containers", labels, host):  # a container of the client mounts it already
        mounts = container.attrs.get("Mounts") or []
        if any(m.get("Name") == volume.name and m.get("Destination") == PGDATA for m in mounts):
            return _major(_read_file(container, f"{PGDATA}/PG_VERSION"))
    for image in _probe_images(workspace, client, profile, host):
        try:
            probe = engine.client(host).containers.create(
                image,
                command=["true"],
                entrypoint=[],
                network_disabled=True,
                labels=engine.labels_for(client, str(workspace.root), "probe"),
                volumes={volume.name: {"bind": _PROBE_MOUNT, "mode": "ro"}},
            )
        except (docker.errors.ImageNotFound, docker.errors.APIError):
            continue
        try:
            return _major(_read_file(probe, f"{_PROBE_MOUNT}/PG_VERSION"))
        finally:
            probe.remove(force=True, v=True)  # with the anonymous volume of an image VOLUME
    return None


def _major(text: str | None) -> int | None:
    value = (text or "").strip()
    return int(value) if value.isdigit() else None


def _db_container_ref(workspace: Workspace, client: str) -> str:
    """A shell word naming the client's database container, for a command shown to a person."""
    labels = {engine.LABEL_CLIENT: client, engine.LABEL_WORKSPACE: str(workspace.root), engine.LABEL_ROLE: "db"}
    filters = " ".join(shlex.quote(f"--filter=label={key}={value}") for key, value in labels.items())
    return f"$(docker ps --quiet {filters})"


def check_data_major(workspace: Workspace, profile: Profile) -> None:
    """Refuse (exit 2) a data volume initialised by another PostgreSQL major than the profile's."""
    client = profile.client
    volume = data_volume(workspace, client, profile.docker.target())
    if volume is None:
        return
    held = volume_major(workspace, client, profile, volume)
    if held is None or held == profile.major:
        return
    raise InputError(
        f"the data volume {volume.name} of {client!r} holds a PostgreSQL {held} cluster, but "
        f"{profile.where} says major = {profile.major}; PostgreSQL {profile.major} cannot run on it, "
        "so nothing was started or changed",
        fix=f"set major = {held} back under [postgres] there (and image, if set), and `up` runs on the data as "
        f"before; or move the data to PostgreSQL {profile.major}: with major = {held}, `provision up {client}`; "
        f"dump the books: `docker exec {_db_container_ref(workspace, client)} pg_dump --username {profile.user} "
        f"--dbname {profile.database} > {client}.sql`; restore them into a new client on {profile.major} "
        f'(`provision init NEW`, then in its profile major = {profile.major} and [seed] mode = "none", '
        f"`provision up NEW`, `provision psql NEW < {client}.sql`); or run pg_upgrade by hand",
    )
