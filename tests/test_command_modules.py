"""A command's name tells its file: `provision reset` is provision/cli/reset.py, the `snapshot` group is
provision/cli/snapshot.py, and the table in provision/cli's docstring says the same of every command."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
import typer.main

import provision.cli
from provision.cli.root import COMMANDS, module_of

CLI = Path(provision.cli.__file__).parent
SHARED = {"__init__", "__main__", "root", "options", "output"}  # the modules that are no command


@pytest.mark.parametrize("name", COMMANDS)
def test_a_commands_module_is_named_after_it_and_makes_it(name: str) -> None:
    module = importlib.import_module(module_of(name))
    assert Path(module.__file__ or "").stem == module_of(name).rpartition(".")[2]
    assert typer.main.get_command(module.app).name in (name, None, "")  # a group's app is named by the root


def test_every_module_of_the_cli_is_a_command_or_shared() -> None:
    stems = {p.stem for p in CLI.glob("*.py")} - SHARED
    assert stems == {module_of(name).rpartition(".")[2] for name in COMMANDS}


def test_the_packages_table_maps_every_command_to_its_module() -> None:
    rows = re.findall(r"^\| `([a-z-]+)[^`]*` \| `([a-z_]+)` \|", provision.cli.__doc__ or "", re.MULTILINE)
    assert [command for command, _ in rows] == list(COMMANDS)
    for command, module in rows:
        assert module_of(command) == f"provision.cli.{module}"
