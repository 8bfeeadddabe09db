"""The suite's cleanup judges whose objects it may remove: its own, and those of sessions certainly gone;
never those of a session still running (another checkout's suite on the same engine)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests import sessions

HOLD = (
    "import sys, time; from pathlib import Path; from tests import sessions; "
    "h = sessions.hold(Path(sys.argv[1])); print('held', flush=True); time.sleep(600)"
)


def _session(root: Path, n: int) -> Path:
    folder = root / f"pytest-{n}"
    (folder / "test_x0" / "compose").mkdir(parents=True)
    return folder


def test_an_object_of_a_live_other_session_is_kept_and_of_a_dead_one_removed(tmp_path: Path) -> None:
    root = tmp_path / "pytest-of-someone"
    mine, other = _session(root, 1), _session(root, 2)
    label = str(other / "test_x0")
    repo = Path(__file__).resolve().parent.parent
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(other)], cwd=repo, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert not sessions.removable(label, mine, root)
        assert sessions.removable(str(mine / "test_x0"), mine, root)  # this session's own
    finally:
        holder.kill()
        holder.wait()
    assert sessions.removable(label, mine, root)  # its lock was freed by its death: an orphan


def test_a_session_of_older_code_is_judged_by_pytests_own_lock(tmp_path: Path) -> None:
    root = tmp_path / "pytest-of-someone"
    mine, older = _session(root, 1), _session(root, 3)
    label = str(older / "test_x0" / "compose")
    (older / ".lock").write_text(str(os.getpid()))  # a running process (this one) wrote it
    assert not sessions.removable(label, mine, root)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    time.sleep(0.01)
    (older / ".lock").write_text(str(dead.pid))
    assert sessions.removable(label, mine, root)
    (older / ".lock").unlink()  # pytest removes it when the session ends
    assert sessions.removable(label, mine, root)
    assert sessions.removable(str(root / "pytest-9" / "test_gone0"), mine, root)  # its folder already removed


def test_objects_outside_this_users_sessions_are_never_removed(tmp_path: Path) -> None:
    root = tmp_path / "pytest-of-someone"
    mine = _session(root, 1)
    for label in ("", "relative/path", str(tmp_path / "elsewhere"), str(root), str(root.parent / "pytest-of-x")):
        assert not sessions.removable(label, mine, root), label
    assert not sessions.removable(str(tmp_path / "elsewhere"), mine, None)
    assert sessions.removable(str(mine / "a"), mine, None)  # a --basetemp of one's own
    assert sessions.root_of(mine / "test_x0") == root and sessions.root_of(Path("/srv/x")) is None
