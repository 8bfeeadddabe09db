"""Every file a command writes on request (`-o`, `--html`, `--problems`), as a person meets it: a regular file
put in place whole, a symlink followed and kept, a device or FIFO written in place and never turned into a
file, and a write that fails one message with exit 3, the old file untouched. `import check` carries the
command-level tests (it needs no database); the registries' own are in tests/test_registries.py."""

from __future__ import annotations

import os
import pickle
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provision.cli import app
from provision.clients.workspace import Workspace
from provision.errors import InputError
from provision.inputs import check_output_file
from seed import outfile
from seed.errors import OutputError
from tests.small_export import account, write_export

HTML_START = "<!doctype html>"


def export(tmp_path: Path) -> str:
    """An export with one problem (an account without its number): a list of one row, a report."""
    return str(write_export(tmp_path / "export", {"accounts": [account("1001"), account("", flat="2")]}))


def check(folder: str, *options: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["import", "check", "demo", folder, *options])
    assert "Traceback" not in result.output and (result.exception is None or isinstance(result.exception, SystemExit))
    return result.exit_code, result.output


def is_char_device(path: str) -> bool:
    return stat.S_ISCHR(os.stat(path).st_mode)


def test_dev_null_takes_the_report_and_stays_a_device(tmp_path: Path, workspace: Workspace) -> None:
    folder = export(tmp_path)
    for option in ("--html", "--problems"):
        code, out = check(folder, option, "/dev/null")
        assert code == 0 and "wrote /dev/null" in out, out
    assert is_char_device("/dev/null")


def test_dev_full_is_one_message_with_exit_3_and_stays_a_device(tmp_path: Path, workspace: Workspace) -> None:
    folder = export(tmp_path)
    code, out = check(folder, "--html", "/dev/full")
    assert code == 3, out
    assert "error: /dev/full: cannot be written (No space left on device)" in out and "fix:" in out
    code, out = check(folder, "--problems", "/dev/full")
    assert code == 3 and "--problems /dev/full: cannot write the list (No space left on device)" in out, out
    assert is_char_device("/dev/full")


def test_a_symlink_is_followed_and_kept(tmp_path: Path, workspace: Workspace) -> None:
    folder = export(tmp_path)
    (tmp_path / "reports").mkdir()
    real = tmp_path / "reports" / "check.html"
    real.write_text("last week's", encoding="utf-8")
    link = tmp_path / "latest.html"
    link.symlink_to(real)
    code, out = check(folder, "--html", str(link))
    assert code == 0, out
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_text(encoding="utf-8").lower().startswith(HTML_START)
    assert stat.S_IMODE(real.stat().st_mode) == 0o600  # it quotes the export: owner only, as before
    assert sorted(p.name for p in real.parent.iterdir()) == ["check.html"]  # nothing left aside
    dangling = tmp_path / "next.csv"
    dangling.symlink_to(tmp_path / "reports" / "problems.csv")  # a link to a file not yet made
    code, out = check(folder, "--problems", str(dangling))
    assert code == 0 and dangling.is_symlink(), out
    assert (tmp_path / "reports" / "problems.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_a_fifo_s_reader_gets_the_list(tmp_path: Path, workspace: Workspace) -> None:
    folder = export(tmp_path)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    code, out = check(folder, "--problems", str(fifo))  # no .csv: a FIFO takes the CSV
    reader.join(timeout=30)
    assert code == 0, out
    assert got and got[0].startswith(b"\xef\xbb\xbf") and b"accounts.csv" in got[0]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_dev_stdout_gets_the_page_in_its_place(tmp_path: Path, workspace: Workspace) -> None:
    """Run as a person runs it: the page on the standard output, piped, and the note on stderr."""
    folder = export(tmp_path)
    argv = [sys.executable, "-m", "provision.cli", "--workspace", str(workspace.root), "import", "check", "demo"]
    done = subprocess.run(
        [*argv, folder, "--html", "/dev/stdout"], capture_output=True, timeout=300, check=False, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode("utf-8").lower().startswith(HTML_START)
    assert "wrote /dev/stdout" in done.stderr.decode("utf-8")
    piped = tmp_path / "page.html"
    with piped.open("wb") as shell_file:  # `> page.html`: the shell's own file, written, not replaced
        done = subprocess.run(
            [*argv, folder, "--html", "/dev/stdout"], stdout=shell_file, timeout=300, check=False, cwd=tmp_path
        )
    assert done.returncode == 0 and piped.read_text(encoding="utf-8").lower().startswith(HTML_START)


def test_what_cannot_be_written_is_refused_before_any_work(tmp_path: Path, workspace: Workspace) -> None:
    (tmp_path / "afolder").mkdir()
    for path, said in (
        (tmp_path / "afolder", "is a folder"),
        (tmp_path / "none" / "r.html", f"no folder {tmp_path / 'none'}"),
    ):
        with pytest.raises(InputError, match=said):
            check_output_file(path, "--html")
    for path in (Path("/dev/null"), Path("/dev/stdout"), tmp_path / "new.html"):
        assert check_output_file(path, "-o") == path
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(InputError, match="cannot be reached"):
        check_output_file(loop, "-o")


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("/proc/x", "is inside /proc"),
        ("/proc/self/status", "is inside /proc"),
        ("/proc/sys/vm/drop_caches", "is inside /proc"),
        ("/sys/x", "is inside /sys"),
        ("/sys/kernel/x", "is inside /sys"),
        ("/dev/pts/x", "is on a devpts file system"),
    ],
)
def test_the_kernel_s_file_systems_are_refused_even_to_root(path: str, said: str) -> None:
    """Root's os.access says yes in /proc and /sys: the place itself is refused, named, before any work."""
    with pytest.raises(InputError, match=f"^-o {path}: {said}"):
        check_output_file(Path(path), "-o")


def test_a_link_into_the_kernel_s_file_systems_is_refused_but_an_open_file_of_a_process_is_not(tmp_path: Path) -> None:
    (tmp_path / "to-proc").symlink_to("/proc/x")
    with pytest.raises(InputError, match="is inside /proc"):
        check_output_file(tmp_path / "to-proc", "-o")
    (tmp_path / "out").symlink_to("/dev/stdout")
    for path in ("/dev/stdout", "/dev/stderr", "/proc/self/fd/2", "/dev/fd/2", str(tmp_path / "out")):
        assert outfile.pseudo_place(Path(path)) is None, path


def test_a_write_that_fails_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "registry.txt"
    target.write_bytes(b"yesterday")
    target.chmod(0o640)

    def broken() -> None:
        with outfile.output(target) as out:
            out.write(b"half of it")
            raise RuntimeError("the books went away midway")

    with pytest.raises(RuntimeError):
        broken()
    assert target.read_bytes() == b"yesterday" and sorted(os.listdir(tmp_path)) == ["registry.txt"]
    assert outfile.write_output(target, b"today") == 5
    assert target.read_bytes() == b"today" and stat.S_IMODE(target.stat().st_mode) == 0o640  # its mode kept
    with pytest.raises(OutputError, match="cannot be written"):
        outfile.write_output(tmp_path / "none" / "r.txt", b"x")


def test_a_failed_write_error_pickles_as_itself() -> None:
    error = OutputError("/dev/full", 28, "No space left on device")
    again = pickle.loads(pickle.dumps(error))
    assert (
        isinstance(again, OSError)
        and str(again) == str(error) == "/dev/full: cannot be written (No space left on device)"
    )


@pytest.mark.docker
def test_an_image_saved_to_dev_full_is_one_message_and_the_device_stays(pg_image: str) -> None:
    result = CliRunner().invoke(app, ["image", "save", pg_image, "-o", "/dev/full"])
    assert result.exit_code == 3, result.output
    assert "/dev/full: cannot write the archive (No space left on device)" in result.output
    assert "Traceback" not in result.output and is_char_device("/dev/full")
