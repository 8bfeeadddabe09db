"""The lifecycle against a real Docker engine and a real PostgreSQL, with each Compose generation."""

from __future__ import annotations

import os
import socket

import psycopg
import pytest

from provision.clients import lifecycle
from provision.clients.workspace import Workspace
from provision.docker import engine
from provision.errors import EnvironmentProblem

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _labels(workspace: Workspace, client: str) -> dict[str, str]:
    return {engine.LABEL_CLIENT: client, engine.LABEL_WORKSPACE: str(workspace.root)}


def _query(dsn: str, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    with psycopg.connect(dsn, autocommit=True) as conn:
        cur = conn.execute(sql)
        return cur.fetchall() if cur.description else []


def test_up_down_up_keeps_data_and_destroy_removes_everything(
    workspace: Workspace, pg_image: str, compose_cli: str
) -> None:
    result = lifecycle.up(workspace, "demo")
    dsn = result.dsn_with_password()
    assert result.changed
    assert _query(dsn, "SELECT current_setting('lc_collate')") == [("ru_RU.UTF-8",)]
    _query(
        dsn,
        "CREATE TABLE trainee_note (id int, body text); INSERT INTO trainee_note VALUES (1, 'Лицевой счёт')",
    )

    again = lifecycle.up(workspace, "demo")
    assert not again.changed
    assert again.env.port == result.env.port

    status = lifecycle.status(workspace, "demo")
    assert status.state == "running"
    assert status.port == result.env.port

    lifecycle.down(workspace, "demo")
    assert lifecycle.status(workspace, "demo").state == "down"
    assert engine.find("volumes", _labels(workspace, "demo"))

    lifecycle.up(workspace, "demo")
    assert _query(dsn, "SELECT body FROM trainee_note") == [("Лицевой счёт",)]

    db = lifecycle.db_container(result.env)
    assert db is not None and db.labels[engine.LABEL_PORT] == str(result.env.port)  # a claim every workspace sees

    lifecycle.destroy(workspace, "demo")
    for kind in ("containers", "volumes", "networks"):
        assert engine.find(kind, _labels(workspace, "demo")) == [], kind
    assert lifecycle.status(workspace, "demo").state == "absent"
    assert workspace.files("demo").read_state().port is None  # the next `up` picks again


def test_two_clients_are_isolated(workspace: Workspace, pg_image: str, write_profile) -> None:  # type: ignore[no-untyped-def]
    write_profile("water", 'title = "Водоканал"\n')
    write_profile("heat", 'title = "Теплосеть"\n')
    water = lifecycle.up(workspace, "water")
    heat = lifecycle.up(workspace, "heat")
    assert water.env.port != heat.env.port
    assert water.password != heat.password
    water_db = lifecycle.db_container(water.env)
    heat_db = lifecycle.db_container(heat.env)
    assert water_db is not None and heat_db is not None
    water_mounts = {m["Name"] for m in water_db.attrs["Mounts"] if m["Type"] == "volume"}
    heat_mounts = {m["Name"] for m in heat_db.attrs["Mounts"] if m["Type"] == "volume"}
    assert water_mounts and heat_mounts and not water_mounts & heat_mounts
    assert set(water_db.attrs["NetworkSettings"]["Networks"]) != set(heat_db.attrs["NetworkSettings"]["Networks"])

    _query(water.dsn_with_password(), "CREATE TABLE only_water (x int); INSERT INTO only_water VALUES (1)")
    assert _query(heat.dsn_with_password(), "SELECT to_regclass('only_water')") == [(None,)]
    with pytest.raises(psycopg.OperationalError):
        _query(heat.env.dsn(water.password), "SELECT 1")  # one client's password opens no other

    listed = {row.client: row for row in lifecycle.list_clients(workspace)}
    assert listed["water"].state == listed["heat"].state == "running"
    for client in ("water", "heat"):
        lifecycle.destroy(workspace, client)


def test_port_taken_by_another_program_is_reported(
    workspace: Workspace,
    pg_image: str,
    write_profile,  # type: ignore[no-untyped-def]
) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        write_profile("busy", f"[postgres]\nport = {port}\n")
        with pytest.raises(EnvironmentProblem, match=f"port {port} on 127.0.0.1 is taken by ") as info:
            lifecycle.up(workspace, "busy")
        assert f"(pid {os.getpid()})" in info.value.message  # this process listens there: /proc names it
    assert engine.find("containers", _labels(workspace, "busy")) == []


def test_a_database_that_cannot_start_shows_its_log(
    workspace: Workspace,
    pg_image: str,
    write_profile,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import dataclasses

    from provision.clients.profile import load_profile
    from provision.errors import OperationFailed

    # A locale the image lacks is refused when the profile is read; this stands for an image that lacks one
    # the profile allows, so the server itself fails to start.
    write_profile("broken", "[postgres]\nstart_timeout = 60\n")
    broken = dataclasses.replace(load_profile(workspace, "broken"), locale="xx_XX.UTF-8")
    monkeypatch.setattr(lifecycle, "load_profile", lambda *_args: broken)
    with pytest.raises(OperationFailed) as info:
        lifecycle.up(workspace, "broken")
    assert "stopped while starting" in info.value.message
    assert info.value.details and "xx_XX" in info.value.details
    lifecycle.destroy(workspace, "broken")
