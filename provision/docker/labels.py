"""The labels provision stamps on every container, volume and network (pure: no Docker import)."""

from __future__ import annotations

LABEL_PREFIX = "org.provision"
LABEL_MANAGED = f"{LABEL_PREFIX}.managed"
LABEL_CLIENT = f"{LABEL_PREFIX}.client"
LABEL_WORKSPACE = f"{LABEL_PREFIX}.workspace"
LABEL_ROLE = f"{LABEL_PREFIX}.role"
LABEL_PORT = f"{LABEL_PREFIX}.port"  # the host port a database container publishes: a claim every workspace sees


def labels_for(client: str, workspace: str, role: str) -> dict[str, str]:
    return {LABEL_MANAGED: "true", LABEL_CLIENT: client, LABEL_WORKSPACE: workspace, LABEL_ROLE: role}
