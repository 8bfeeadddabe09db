"""The password of a client on another host, in a Docker volume there.

Compose gives a service its ``secrets: file:`` as a bind mount of that file, which names a path on the
engine's own machine: on another host the path is not there. So for a client on another host (not a swarm:
swarm keeps secrets itself) provision writes the password into a small labelled volume on that host through
the engine's API (into a container created, never started), and the compose file mounts the volume read-only.
"""

from __future__ import annotations

import io
import tarfile

import docker.errors

from provision.clients.render import ClientEnv, secret_volume_name
from provision.clients.secrets import ensure_password, read_password
from provision.docker import engine
from provision.errors import OperationFailed

POSTGRES_UID = 999  # the image's postgres user (templates/image)


def place_password(env: ClientEnv) -> str:
    """Write the client's password into its secrets volume on its host; return the volume's name."""
    client = engine.client(env.host)
    name = secret_volume_name(env)
    try:
        client.volumes.get(name)
    except docker.errors.NotFound:
        try:
            client.volumes.create(name, labels=env.labels("secrets"))
        except docker.errors.APIError as exc:
            raise OperationFailed(
                f"cannot make the volume {name} on {env.host.name}: {exc.explanation or exc}"
            ) from None
    ensure_password(env.files.password)
    data = read_password(env.files.password).encode()
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        member = tarfile.TarInfo(env.files.password.name)
        member.size, member.mode, member.uid, member.gid = len(data), 0o400, POSTGRES_UID, POSTGRES_UID
        tar.addfile(member, io.BytesIO(data))
    try:
        holder = client.containers.create(
            env.image,
            command=["true"],
            entrypoint=[],
            network_disabled=True,
            labels=env.labels("probe"),
            volumes={name: {"bind": "/secrets", "mode": "rw"}},
        )
    except docker.errors.APIError as exc:
        raise OperationFailed(f"cannot write the password on {env.host.name}: {exc.explanation or exc}") from None
    try:
        holder.put_archive("/secrets", archive.getvalue())
    except docker.errors.APIError as exc:
        raise OperationFailed(f"cannot write the password on {env.host.name}: {exc.explanation or exc}") from None
    finally:
        holder.remove(force=True, v=True)  # with the anonymous volume of the image's VOLUME
    return name
