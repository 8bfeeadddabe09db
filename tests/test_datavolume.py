"""`provision up` refuses a data volume made by another PostgreSQL major, and changes nothing."""

from __future__ import annotations

import psycopg
import pytest
from typer.testing import CliRunner

from provision.cli import app
from provision.clients import lifecycle
from provision.clients.workspace import Workspace
from provision.docker import engine
from provision.errors import EXIT_INPUT

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_up_refuses_a_volume_of_another_major_and_keeps_it(workspace: Workspace, pg_image: str, write_profile) -> None:  # type: ignore[no-untyped-def]
    profile = write_profile("old", '[postgres]\nmajor = 15\n[seed]\nmode = "none"\n')
    first = lifecycle.up(workspace, "old")
    dsn = first.dsn_with_password()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE note (body text); INSERT INTO note VALUES ('Лицевой счёт')")
    lifecycle.down(workspace, "old")
    labels = {engine.LABEL_CLIENT: "old", engine.LABEL_WORKSPACE: str(workspace.root)}
    [volume] = engine.find("volumes", labels)

    profile.write_text('[postgres]\nmajor = 17\nimage = "postgres:17"\n[seed]\nmode = "none"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["up", "old"])
    assert result.exit_code == EXIT_INPUT, result.output
    text = " ".join(result.output.split())
    assert f"the data volume {volume.name} of 'old' holds a PostgreSQL 15 cluster" in text
    assert "says major = 17" in text
    assert "set major = 15 back" in text and "pg_dump" in text and "pg_upgrade" in text
    assert "Traceback" not in result.output
    assert engine.find("containers", labels) == []  # no db container, no probe left
    assert [v.name for v in engine.find("volumes", labels)] == [volume.name]

    profile.write_text('[postgres]\nmajor = 15\n[seed]\nmode = "none"\n', encoding="utf-8")
    again = lifecycle.up(workspace, "old")
    with psycopg.connect(again.dsn_with_password(), autocommit=True) as conn:
        assert conn.execute("SELECT body FROM note").fetchall() == [("Лицевой счёт",)]
    lifecycle.up(workspace, "old")  # the running container's own volume is read, the major matches

    db = lifecycle.db_container(again.env)
    assert db is not None
    profile.write_text('[postgres]\nmajor = 17\nimage = "postgres:17"\n[seed]\nmode = "none"\n', encoding="utf-8")
    refused = CliRunner().invoke(app, ["up", "old"])  # read through the running container: left running
    assert refused.exit_code == EXIT_INPUT, refused.output
    assert "holds a PostgreSQL 15 cluster" in " ".join(refused.output.split())
    db.reload()
    assert db.status == "running"
    assert lifecycle.db_container(again.env).id == db.id  # type: ignore[union-attr]
