"""A 3,000-account demo on every PostgreSQL major provision builds: up, the books check, the server."""

from __future__ import annotations

import json
from collections.abc import Callable

import psycopg
import pytest
from typer.testing import CliRunner

from provision.cli import app
from provision.clients import lifecycle
from provision.clients.profile import CLONE_MAJOR
from provision.clients.storage import loop_problem
from provision.clients.workspace import Workspace
from provision.docker.suites import SUITES

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.mark.parametrize("major", sorted(SUITES))
def test_a_demo_comes_up_and_its_books_check_on_each_major(
    major: int, pg_image_of: Callable[[int], str], workspace: Workspace, write_profile
) -> None:  # type: ignore[no-untyped-def]
    image = pg_image_of(major)
    client = f"major{major}"
    write_profile(client, f"[postgres]\nmajor = {major}\n[seed]\naccounts = 3000\nmonths = 12\n")
    runner = CliRunner()
    try:
        up = runner.invoke(app, ["up", client])
        assert up.exit_code == 0, up.output
        assert f"image {image}" in up.output  # postgres:N cannot be pulled here: the one built from Debian's
        checked = runner.invoke(app, ["check", client, "--json"])
        assert checked.exit_code == 0, checked.output
        checks = json.loads(checked.stdout)
        assert len(checks) >= 20
        assert [c["check"] for c in checks if c["violations"] or c["skipped"]] == []
        again = lifecycle.up(workspace, client)  # up again changes nothing
        dsn = again.dsn_with_password()
        # storage = "auto": resets clone files where PostgreSQL (18+) and the machine (XFS by loop) allow
        clone = major >= CLONE_MAJOR and loop_problem() is None
        assert again.env.storage.method == ("clone" if clone else "copy")
        with psycopg.connect(dsn) as conn:
            version = conn.execute("SELECT current_setting('server_version_num')::int / 10000").fetchone()
            accounts = conn.execute("SELECT count(*) FROM okno.account").fetchone()
        assert version == (major,)
        assert accounts == (3000,)
    finally:
        lifecycle.destroy(workspace, client)
