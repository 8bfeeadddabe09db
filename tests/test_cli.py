"""The CLI: exit codes and messages a person and a script can act on; help for every command."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from provision.cli import app, output
from provision.clients.workspace import Workspace
from provision.errors import EXIT_ENVIRONMENT, EXIT_INPUT

runner = CliRunner()
README = Path(__file__).resolve().parent.parent / "README.md"


def _commands(group: Any, prefix: str = "provision") -> list[tuple[str, Any]]:
    found = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        found.append((path, command))
        if hasattr(command, "commands"):
            found.extend(_commands(command, path))
    return found


COMMANDS = _commands(typer.main.get_command(app))


def test_the_command_set_is_complete() -> None:
    names = {path for path, _ in COMMANDS}
    for expected in (
        "up",
        "down",
        "destroy",
        "status",
        "list",
        "logs",
        "psql",
        "render",
        "init",
        "image build",
        "image status",
        "image save",
        "image load",
    ):
        assert f"provision {expected}" in names


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_command_has_help_and_is_in_the_readme(path: str, command: Any) -> None:
    assert (command.help or "").strip(), f"{path} has no help"
    result = runner.invoke(app, [*path.split()[1:], "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output
    assert re.search(rf"`{re.escape(path)}\b", README.read_text(encoding="utf-8")), f"{path} not in README"


def test_unknown_client_is_an_input_error(workspace: Workspace) -> None:
    result = runner.invoke(app, ["render", "demoo"])
    assert result.exit_code == EXIT_INPUT
    assert "error: unknown client 'demoo'" in result.output
    assert "did you mean demo?" in result.output


def test_profile_typo_is_an_input_error_naming_the_field(workspace: Workspace, write_profile) -> None:  # type: ignore[no-untyped-def]
    path = write_profile("x", '[postgres]\nmemory_limt = "2g"\n')
    result = runner.invoke(app, ["up", "x"])
    assert result.exit_code == EXIT_INPUT
    assert f"error: {path}: unknown field postgres.memory_limt" in result.output
    assert "did you mean 'memory_limit'?" in result.output
    assert "Traceback" not in result.output


def test_docker_daemon_down_is_an_environment_error(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{workspace.root}/no-docker.sock")
    result = runner.invoke(app, ["up", "demo"])
    assert result.exit_code == EXIT_ENVIRONMENT
    assert "error: cannot reach the Docker daemon" in result.output
    assert "fix: start it" in result.output


@pytest.mark.docker
def test_compose_missing_is_an_environment_error(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVISION_COMPOSE", "/nonexistent/docker-compose")
    result = runner.invoke(app, ["up", "demo"])
    assert result.exit_code == EXIT_ENVIRONMENT
    assert "error: no Docker Compose found" in result.output


def test_init_then_render(workspace: Workspace) -> None:
    result = runner.invoke(app, ["init", "teplo-set", "--title", "АО «Теплосеть»"])
    assert result.exit_code == 0, result.output
    assert "compose/teplo-set/client.toml" in result.output
    again = runner.invoke(app, ["init", "teplo-set"])
    assert again.exit_code == EXIT_INPUT
    assert "already exists" in again.output
    rendered = runner.invoke(app, ["render", "teplo-set"])
    assert rendered.exit_code == 0
    assert Path(rendered.output.strip()).is_file()


def test_workspace_option_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVISION_HOME", str(tmp_path / "home"))
    result = runner.invoke(app, ["init", "a"])
    assert result.exit_code == 0
    assert (tmp_path / "home" / "compose" / "a" / "client.toml").is_file()
    result = runner.invoke(app, ["--workspace", str(tmp_path / "other"), "init", "b"])
    assert result.exit_code == 0
    assert (tmp_path / "other" / "compose" / "b" / "client.toml").is_file()


QUESTION = "Delete every container and the data volume of 'demo'?"


@pytest.fixture
def at_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """A person at a terminal answers the questions (CliRunner's stdin is not a TTY)."""
    monkeypatch.setattr(output, "stdin_is_a_terminal", lambda: True)


def test_destroy_without_a_terminal_refuses_and_asks_for_yes(workspace: Workspace) -> None:
    result = runner.invoke(app, ["destroy", "demo"], input="y\n")
    assert result.exit_code == EXIT_INPUT
    assert "error: destroying 'demo' deletes its data; pass --yes to confirm" in result.output
    assert QUESTION not in result.output


def test_destroy_asks_for_confirmation_and_no_keeps_everything(workspace: Workspace, at_a_terminal: None) -> None:
    result = runner.invoke(app, ["destroy", "demo"], input="n\n")
    assert result.exit_code == 1
    assert QUESTION in result.output
    assert "Aborted" in result.output
    assert "destroyed" not in result.output


@pytest.mark.docker
def test_destroy_asks_for_confirmation_and_yes_destroys(workspace: Workspace, at_a_terminal: None) -> None:
    result = runner.invoke(app, ["destroy", "demo"], input="y\n")
    assert result.exit_code == 0, result.output
    assert QUESTION in result.output
    assert "demo destroyed: containers, network and data volume removed" in result.output


def test_image_load_of_a_missing_file_is_an_input_error(workspace: Workspace) -> None:
    result = runner.invoke(app, ["image", "load", "nothing-here.tar"])
    assert result.exit_code == EXIT_INPUT
    assert "nothing-here.tar: no such file" in result.output


@pytest.mark.docker
@pytest.mark.slow
def test_up_prints_connection_hiding_the_password(workspace: Workspace, pg_image: str) -> None:
    result = runner.invoke(app, ["up", "demo"])
    assert result.exit_code == 0, result.output
    password = workspace.files("demo").password.read_text(encoding="utf-8")
    assert "demo is up" in result.output
    assert re.search(r"connect:  postgresql://odno_okno:\*\*\*@127\.0\.0\.1:\d+/odno_okno", result.output)
    assert password not in result.output
    shown = runner.invoke(app, ["up", "demo", "--show-password"])
    assert shown.exit_code == 0
    assert "demo was already up" in shown.output
    assert f":{password}@127.0.0.1" in shown.output
    status = runner.invoke(app, ["status", "demo", "--json"])
    assert status.exit_code == 0
    assert json.loads(status.output)[0]["state"] == "running"
    psql = runner.invoke(app, ["psql", "demo", "-c", "SELECT 40 + 2"])
    assert psql.exit_code == 0
    logs = runner.invoke(app, ["logs", "demo", "--tail", "5"])
    assert logs.exit_code == 0
    gone = runner.invoke(app, ["destroy", "demo", "--yes"])
    assert gone.exit_code == 0
    assert "demo destroyed" in gone.output


def test_seed_needs_a_client_or_a_dsn(workspace: Workspace) -> None:
    result = runner.invoke(app, ["seed"])
    assert result.exit_code == EXIT_INPUT
    assert "name a client or give --dsn" in result.output


def test_unreachable_database_is_an_environment_error_without_the_password(workspace: Workspace) -> None:
    result = runner.invoke(app, ["check", "--dsn", "postgresql://someone:secret-pw@127.0.0.1:1/nothing"])
    assert result.exit_code == EXIT_ENVIRONMENT
    assert "cannot use the database postgresql://someone:***@127.0.0.1:1/nothing" in result.output
    assert "secret-pw" not in result.output
