"""The crash-safety pieces that need no database: derived names, the journal, children that die with
their parent, and no password handed to a child process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from provision.training import copies, journal
from provision.training.seats import Names


@pytest.mark.parametrize("db", ["odno_okno", "a" * 21, "b" * 22, "z" * 56, ("obuchenie_" * 7)[:63]])
def test_every_derived_name_fits_63_bytes_and_none_collide(db: str) -> None:
    names = Names(db)
    targets = [db, names.baseline, *(names.seat(k) for k in (1, 2, 99)), names.snapshot("s" * 30)]
    derived = [*targets, names.trainee_group, names.retired(), *(names.work(t) for t in targets)]
    assert all(copies.fits(n) for n in derived), [n for n in derived if not copies.fits(n)]
    assert len(set(derived)) == len(derived)
    assert names.work(names.snapshot("x")) != names.work(names.snapshot("y"))


def test_short_names_keep_the_names_existing_clients_have() -> None:
    names = Names("odno_okno")
    assert (names.baseline, names.seat(1), names.work(names.seat(1))) == (
        "odno_okno__baseline",
        "odno_okno__seat01",
        "odno_okno__seat01__new",
    )


SCRIPT = """
import sys
from pathlib import Path
from provision.training import journal
with journal.keeping(Path(sys.argv[1]), "reset") as kept:
    kept.copy({"target": "x"})
    kept.step("seat:copy")
    kept.step("seat:swap")
"""


def test_the_crash_hook_kills_at_the_step_named_with_the_step_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    env = {**os.environ, journal.CRASH_AT: "seat:swap"}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(path)], env=env, check=False)
    assert done.returncode == -signal.SIGKILL
    left = json.loads(path.read_text(encoding="utf-8"))
    assert (left["command"], left["step"], left["copies"]) == ("reset", "seat:swap", [{"target": "x"}])
    env.pop(journal.CRASH_AT)
    assert subprocess.run([sys.executable, "-c", SCRIPT, str(path)], env=env, check=False).returncode == 0
    assert not path.exists()


def test_the_client_lock_is_reentrant_and_names_its_holder(tmp_path: Path) -> None:
    lock = tmp_path / ".training-x.lock"
    said: list[str] = []
    with journal.client_lock(lock, "seed", said.append) as outer:
        with journal.client_lock(lock, "baseline", said.append) as inner:
            assert (outer, inner) == (True, False)
        assert lock.read_text(encoding="utf-8") == f"`seed` (pid {os.getpid()})"
    assert said == []
    assert lock.read_text(encoding="utf-8") == ""


ORPHAN = """
import time
from seed.legacy.forked import Forked
child = Forked(lambda: time.sleep(60))
print(child.pid, flush=True)
time.sleep(60)
"""


def test_a_forked_worker_dies_with_its_killed_parent() -> None:
    parent = subprocess.Popen([sys.executable, "-c", ORPHAN], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0]
    except FileNotFoundError:
        return False
    return status != "Z"


def test_the_drop_process_gets_no_password_in_its_arguments_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    class Child:
        def __init__(self, args: list[str], **kwargs: Any) -> None:
            seen.update(kwargs, args=args)
            self.stdin = self

        def write(self, text: str) -> None:
            seen["stdin"] = text

        def close(self) -> None:
            pass

    monkeypatch.setattr(subprocess, "Popen", Child)
    copies.drop_retired("postgresql://u:s3cret@127.0.0.1:5/postgres", "odno_okno")
    assert "s3cret" not in json.dumps(seen["args"]) and "s3cret" not in json.dumps(seen.get("env") or {})
    assert "s3cret" in seen["stdin"]
