"""Hostile files given to the commands that read or write them whole: an image archive that is not one,
a template written where it cannot be, a mapping whose date format cannot read a date. Each is refused
with exit 2 naming the file (and the field), and leaves nothing behind."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provision.cli import app
from provision.clients.workspace import Workspace
from seed.errors import MappingError
from seed.legacy.convert import date_pattern_problem
from seed.legacy.mapping import load_mapping
from tests.test_hostile import GOOD_PROFILE, NO_DOCKER, first_line

runner = CliRunner()


def _tar(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


NOT_IMAGES: list[tuple[str, bytes, str]] = [
    ("empty", b"", "an empty file, not an image archive"),
    ("text", b"hello\n" * 100, "not an image archive, or a truncated one"),
    ("binary", bytes(range(256)) * 8, "not an image archive, or a truncated one"),
    ("tar-of-text", _tar({"notes.txt": b"x"}), "a tar archive, but not of images (no manifest.json in it)"),
    ("truncated-tar", _tar({"manifest.json": b"[]" * 400})[:700], "not an image archive, or a truncated one"),
    ("gzip-of-text", gzip.compress(b"hello"), "not an image archive, or a truncated one"),
    ("gzip-of-tar", gzip.compress(_tar({"a.txt": b"x"})), "a tar archive, but not of images"),
    (
        "truncated-gzip",
        gzip.compress(_tar({"manifest.json": bytes(range(256)) * 50}))[:200],
        "not an image archive, or a truncated",
    ),
]


@pytest.mark.parametrize(("content", "fragment"), [pytest.param(c, f, id=i) for i, c, f in NOT_IMAGES])
def test_loading_what_is_not_an_image_archive_is_refused(workspace: Workspace, content: bytes, fragment: str) -> None:
    (workspace.root / "pg.tar").write_bytes(content)
    result = runner.invoke(app, ["image", "load", "pg.tar"])
    assert result.exit_code == 2, result.output
    assert first_line(result.output).startswith(f"error: pg.tar: {fragment}"), result.output
    assert "provision image save" in result.output  # the fix


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("folder", "folder: a folder, not an image archive"),
        ("/dev/null", "/dev/null: not a regular file (a device or a pipe)"),
        ("/dev/zero", "/dev/zero: not a regular file (a device or a pipe)"),
        ("fifo", "fifo: not a regular file (a device or a pipe)"),
        ("loop", "loop: cannot be opened (Too many levels of symbolic links)"),
        ("absent.tar", "absent.tar: no such file"),
    ],
)
def test_loading_a_folder_device_pipe_or_loop_is_refused_without_reading(
    workspace: Workspace, source: str, fragment: str
) -> None:
    (workspace.root / "folder").mkdir()
    os.mkfifo(workspace.root / "fifo")  # opened, it would block: it must never be
    (workspace.root / "loop").symlink_to("loop")
    result = runner.invoke(app, ["image", "load", source])
    assert result.exit_code == 2, result.output
    assert first_line(result.output) == f"error: {fragment}"


@pytest.mark.docker
@pytest.mark.parametrize(
    ("manifest", "fragment"),
    [("[]", "the archive holds no image"), ('{"x": 1}', "not an image archive (")],
)
def test_a_tar_with_a_false_manifest_is_refused_by_the_engine_as_input(
    workspace: Workspace, manifest: str, fragment: str
) -> None:
    (workspace.root / "pg.tar").write_bytes(_tar({"manifest.json": manifest.encode()}))
    result = runner.invoke(app, ["image", "load", "pg.tar"])
    assert result.exit_code == 2, result.output
    assert f"error: pg.tar: {fragment}" in result.output


@pytest.mark.parametrize(
    ("target", "fragment"),
    [
        ("/proc/x", "/proc/x: cannot write the export files there"),
        ("/proc", "/proc: cannot write the export files there"),
        ("/sys/x", "/sys/x: cannot write the export files there"),
        ("/dev/null", "/dev/null: not a folder"),
        ("afile.txt", "afile.txt: not a folder"),
        ("p" * 5000, "cannot be made (File name too long)"),
        ("a\x00b", "holds a NUL byte"),
        ("loop", "loop: cannot be made (Too many levels of symbolic links)"),
    ],
)
def test_a_template_where_it_cannot_be_written_is_refused(workspace: Workspace, target: str, fragment: str) -> None:
    (workspace.root / "afile.txt").write_text("x\n", encoding="utf-8")
    (workspace.root / "loop").symlink_to("loop")
    result = runner.invoke(app, ["import", "template", target])
    assert result.exit_code == 2, result.output
    assert fragment in first_line(result.output), result.output
    assert sorted(p.name for p in workspace.root.iterdir()) == ["afile.txt", "loop"]


@pytest.mark.parametrize("target", ["/proc/x", "/sys/x", "loop"])
def test_a_sample_export_where_it_cannot_be_written_is_refused_before_the_client_is_asked(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    monkeypatch.setenv("DOCKER_HOST", NO_DOCKER)
    (workspace.root / "loop").symlink_to("loop")
    result = runner.invoke(app, ["import", "sample", "demo", target])
    assert result.exit_code == 2, result.output
    assert first_line(result.output).startswith(f"error: {target}: cannot "), result.output


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero"])
def test_up_refuses_a_state_that_is_no_file_before_docker_is_asked(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    monkeypatch.setenv("DOCKER_HOST", NO_DOCKER)
    folder = workspace.root / "compose" / "demo"
    folder.mkdir(parents=True)
    (folder / "client.toml").write_text(GOOD_PROFILE, encoding="utf-8")
    state = folder / "state.json"
    if kind == "fifo":
        os.mkfifo(state)
    else:
        state.symlink_to(kind)
    result = runner.invoke(app, ["up", "demo"])
    assert result.exit_code == 2, result.output
    assert first_line(result.output).startswith(f"error: {state}: unreadable state"), result.output


@pytest.mark.parametrize("host", ["", " "])
def test_the_console_refuses_an_empty_host_rather_than_every_address(workspace: Workspace, host: str) -> None:
    (workspace.root / "compose").mkdir()
    result = runner.invoke(app, ["console", "--host", host])
    assert result.exit_code == 2, result.output
    assert first_line(result.output).startswith("error: --host"), result.output
    assert [p.name for p in workspace.root.rglob("*")] == ["compose"]  # no certificate made for ""


def test_a_template_over_one_file_of_the_layout_writes_none(workspace: Workspace) -> None:
    folder = workspace.root / "export"
    folder.mkdir()
    (folder / "payments.csv").write_text("mine\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "template", "export"])
    assert result.exit_code == 2, result.output
    assert first_line(result.output) == "error: export/payments.csv already exists"
    assert [p.name for p in folder.iterdir()] == ["payments.csv"]
    assert (folder / "payments.csv").read_text(encoding="utf-8") == "mine\n"


def test_a_template_in_a_new_folder_is_written_whole(workspace: Workspace) -> None:
    result = runner.invoke(app, ["import", "template", "new"])
    assert result.exit_code == 0, result.output
    assert len(list((workspace.root / "new").iterdir())) == 8


@pytest.mark.parametrize(
    ("pattern", "is_period", "problem"),
    [
        ("%Q%", False, "'%Q' is not a directive a date is read with"),
        ("%d.%m.%", False, "a '%' at the end"),
        ("%d%d.%m.%Y", False, "'%d' is given twice"),
        ("%m.%Y", False, "no day in it"),
        ("%d.%m", False, "no year in it"),
        ("%Y", True, "no month in it"),
        ("%H:%M", True, "no month and no year in it"),
        ("dd.mm.yyyy", False, "no day and no month and no year in it"),
        ("%c", False, "'%c' is not a directive"),
        ("%-d.%m.%Y", False, "'%-' is not a directive"),
        ("%z %d.%m.%Y", False, "'%z' is not a directive"),
        ("", False, "an empty pattern"),
        ("%d\x00%m%Y", False, "a NUL character"),
    ],
)
def test_a_date_pattern_that_cannot_read_its_field_is_named(pattern: str, is_period: bool, problem: str) -> None:
    assert problem in (date_pattern_problem(pattern, is_period) or "")


@pytest.mark.parametrize(
    ("pattern", "is_period"),
    [
        ("%d.%m.%Y", False),
        ("%Y%m%d", False),
        ("%d/%m/%y", False),
        ("%d.%m.%Y %H:%M:%S", False),
        ("%j/%Y", False),
        ("%d %B %Y", False),
        ("%Y%m", True),
        ("%m.%Y", True),
        ("%B %Y", True),
        ("%d.%m.%Y", True),
        ("%d.%m.%Y 100%%", False),
    ],
)
def test_the_usual_date_patterns_are_allowed(pattern: str, is_period: bool) -> None:
    assert date_pattern_problem(pattern, is_period) is None


READINGS = '[files.readings]\npath = "r.csv"\n[files.readings.columns]\nserial = "N"\nservice = "U"\nperiod = "P"\n'
READINGS += 'value1 = "V"\ntaken_on = "D"\n[files.readings.convert]\n'


@pytest.mark.parametrize(
    ("conversion", "message"),
    [
        ('period = { format = "%Q%" }', "period.format = '%Q%' is not a date pattern ('%Q' is not a directive"),
        ('period = { format = "%Y" }', "period.format = '%Y' is not a date pattern (no month in it)"),
        ('taken_on = { format = "%m.%Y" }', "taken_on.format = '%m.%Y' is not a date pattern (no day in it)"),
        ("taken_on = { format = 5 }", "taken_on.format = 5 is not a date pattern (not a text)"),
        ('value1 = { format = "%d.%m.%Y" }', "value1.format: value1 is not a date; a format reads only these"),
        ('serial = { format = "%Y%m" }', "serial.format: serial is not a date; a format reads only these"),
    ],
)
def test_a_mapping_with_a_wrong_date_format_is_refused_when_read(tmp_path: Path, conversion: str, message: str) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(READINGS + conversion + "\n", encoding="utf-8")
    with pytest.raises(MappingError) as refused:
        load_mapping(mapping, tmp_path)
    assert f"{mapping}: [files.readings.convert]: {message}" in str(refused.value)
    assert "%d %m %Y" in str(refused.value) or "taken_on, verified_on" in str(refused.value)  # what is allowed


def test_a_wrong_date_format_stops_import_check_with_exit_2(workspace: Workspace) -> None:
    (workspace.root / "export").mkdir()
    (workspace.root / "m.toml").write_text(READINGS + 'period = { format = "%Q%" }\n', encoding="utf-8")
    workspace.files("x").profile.parent.mkdir(parents=True)
    workspace.files("x").profile.write_text("[postgres]\nport = 55998\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "check", "x", "export", "--mapping", "m.toml"])
    assert result.exit_code == 2, result.output
    assert first_line(result.output).startswith("error: m.toml: [files.readings.convert]: period.format = '%Q%'")
