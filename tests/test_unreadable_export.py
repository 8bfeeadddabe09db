"""An export file that cannot be read as written (a NUL byte, a field past the csv module's limit) is one
input error naming the file and the line, for `import check` as for `import load` (the load: in
test_import_load, against a real PostgreSQL)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provision.cli import app
from provision.clients.workspace import Workspace
from seed.errors import LegacyFormatError
from seed.legacy.read import read_table
from tests.small_export import tiny_export

BIG = 50 * 1024 * 1024


def damage(folder: Path, how: str) -> tuple[Path, str]:
    """The export with one file damaged; the message expected (its file and line)."""
    if how == "nul":
        path = folder / "payments.csv"
        path.write_bytes(path.read_bytes().replace(b"15.01.2026", b"15.01\x002026"))
        return folder, r"payments\.csv, line 2: a NUL byte"
    if how == "nul_in_balances":  # read by the check's second process
        path = folder / "balances.csv"
        path.write_bytes(path.read_bytes().replace(b"01.2026", b"01.20\x0026"))
        return folder, r"balances\.csv, line 2: a NUL byte"
    if how == "long_field":
        path = folder / "persons.csv"
        path.write_bytes(path.read_bytes() + b"1002;" + b"x" * BIG + b"\r\n")
        return folder, r"persons\.csv, line 3: a field longer than 131,072 characters"
    path = folder / "accounts.csv"  # one line of 50 MB, no line ends at all
    path.write_bytes(b"x" * BIG)
    return folder, r"accounts\.csv, line 1: a field longer than 131,072 characters"


CASES = ["nul", "nul_in_balances", "long_field", "single_line"]


@pytest.mark.parametrize("how", CASES)
def test_the_reader_names_the_file_and_line(tmp_path: Path, how: str) -> None:
    folder, expected = damage(tiny_export(tmp_path / "export"), how)
    name = expected.split(r"\.")[0]
    with pytest.raises(LegacyFormatError, match=expected):
        list(read_table(folder / f"{name}.csv")[1])


@pytest.mark.parametrize("how", CASES)
def test_the_check_fails_with_exit_2_naming_the_file_and_line(workspace: Workspace, tmp_path: Path, how: str) -> None:
    folder, expected = damage(tiny_export(tmp_path / "export"), how)
    done = CliRunner().invoke(app, ["import", "check", "demo", str(folder)])
    assert done.exit_code == 2, done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)
    assert re.search(expected, done.output), done.output


def test_a_clean_small_export_checks(workspace: Workspace, tmp_path: Path) -> None:
    done = CliRunner().invoke(app, ["import", "check", "demo", str(tiny_export(tmp_path / "export"))])
    assert done.exit_code == 0, done.output
