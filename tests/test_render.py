"""Rendering: what the compose file holds, and that both compose CLIs accept it."""

from __future__ import annotations

import stat
import subprocess

import jinja2
import pytest
import yaml

from provision.clients.lifecycle import client_env, render_client
from provision.clients.render import memory_bytes, server_settings
from provision.clients.workspace import Workspace
from provision.docker.templating import render
from tests.conftest import compose_clis

APP_PROFILE = """
title = "ТСЖ «Рассвет»"
[postgres]
port = 55111
memory_limit = "2g"
[services.app]
image = "registry.vendor.example/odno-okno/app:3.2"
ports = ["127.0.0.1:8080:8080"]
environment = { JAVA_OPTS = "-Xmx1g" }
"""


def _load(workspace: Workspace, client: str) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(render_client(workspace, client).read_text(encoding="utf-8"))


def test_demo_compose_is_safe_by_default(workspace: Workspace) -> None:
    doc = _load(workspace, "demo")
    db = doc["services"]["db"]
    port = workspace.files("demo").read_state().raw["port"]
    assert db["ports"] == [f"127.0.0.1:{port}:5432"]
    assert db["restart"] == "unless-stopped"
    assert db["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert db["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert "POSTGRES_PASSWORD" not in db["environment"]
    assert db["volumes"] == ["pgdata:/var/lib/postgresql/data"]
    assert db["stop_signal"] == "SIGINT"
    assert "--locale=ru_RU.UTF-8" in db["environment"]["POSTGRES_INITDB_ARGS"]
    assert doc["secrets"]["postgres_password"]["file"] == "./secrets/postgres_password"
    assert db["labels"]["org.provision.port"] == str(port)  # every workspace sees the claim on the engine
    for labels in (db["labels"], doc["volumes"]["pgdata"]["labels"], doc["networks"]["default"]["labels"]):
        assert labels["org.provision.managed"] == "true"
        assert labels["org.provision.client"] == "demo"
        assert labels["org.provision.workspace"] == str(workspace.root)


def test_password_is_in_a_0600_file_and_nowhere_in_compose(workspace: Workspace) -> None:
    path = render_client(workspace, "demo")
    secret = workspace.files("demo").password
    password = secret.read_text(encoding="utf-8")
    assert len(password) >= 24
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert stat.S_IMODE(secret.parent.stat().st_mode) == 0o700
    assert password not in path.read_text(encoding="utf-8")
    render_client(workspace, "demo")
    assert secret.read_text(encoding="utf-8") == password  # created once, kept


def test_port_is_chosen_once_and_kept(workspace: Workspace) -> None:
    first = client_env(workspace, "demo").port
    assert client_env(workspace, "demo").port == first
    assert workspace.files("demo").read_state().raw["port"] == first


def test_extra_service_waits_for_a_healthy_database(workspace: Workspace, write_profile) -> None:  # type: ignore[no-untyped-def]
    write_profile("tszh", APP_PROFILE)
    doc = _load(workspace, "tszh")
    app = doc["services"]["app"]
    assert app["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert app["environment"]["PGHOST"] == "db"
    assert app["environment"]["JAVA_OPTS"] == "-Xmx1g"
    assert app["environment"]["DATABASE_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert app["secrets"] == ["postgres_password"]
    assert app["labels"]["org.provision.role"] == "app"
    assert doc["services"]["db"]["ports"] == ["127.0.0.1:55111:5432"]
    assert doc["services"]["db"]["mem_limit"] == "2g"


def test_server_settings_follow_the_memory_limit(workspace: Workspace, write_profile) -> None:  # type: ignore[no-untyped-def]
    write_profile("tszh", APP_PROFILE)
    settings = server_settings(client_env(workspace, "tszh").profile)
    assert settings["shared_buffers"] == "512MB"
    assert settings["timezone"] == "Europe/Moscow"
    assert memory_bytes("1.5g") == 1536 * 1024**2


def test_a_missing_template_value_fails_instead_of_rendering_blank() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render("compose.yaml.j2", client="x")


@pytest.mark.docker
@pytest.mark.parametrize("cli", [c for _, c in compose_clis()], ids=[i for i, _ in compose_clis()])
def test_compose_cli_accepts_the_rendered_file(workspace: Workspace, write_profile, cli: str) -> None:  # type: ignore[no-untyped-def]
    argv = cli.split()
    write_profile("tszh", APP_PROFILE)
    for client in ("demo", "tszh"):
        path = render_client(workspace, client)
        done = subprocess.run(
            [*argv, "--project-name", f"test-{client}", "--file", str(path), "config", "--quiet"],
            cwd=path.parent,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
