"""Long actions (a reset, a snapshot) run each on a thread of their own, so no page waits for them; their
progress lines and outcome are kept for the page that follows them (server-sent events)."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from provision.errors import ProvisionError

Say = Callable[[str], None]


@dataclass
class Job:
    id: str
    title: str
    back: str  # the page to return to
    owner: str = ""  # the session that started it
    target: str = ""  # what it works on (client/seatN, client/all, client/snapshots)
    lines: list[str] = field(default_factory=list)
    state: str = "running"  # running, done, failed
    result: str = ""
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0


class Jobs:
    """The console's jobs, newest last; the oldest finished ones are forgotten."""

    KEEP = 200

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def running(self, target: str) -> Job | None:
        """The job working on ``target`` now, if any."""
        with self._lock:
            return next((j for j in self._jobs.values() if j.target == target and j.state == "running"), None)

    def start(self, title: str, back: str, work: Callable[[Say], str], owner: str = "", target: str = "") -> Job:
        """Run ``work(say)`` on its own thread; what it returns is the job's result, a ProvisionError its failure."""
        job = Job(secrets.token_urlsafe(12), title, back, owner=owner, target=target)
        with self._lock:
            self._jobs[job.id] = job
            finished = [j for j in self._jobs.values() if j.state != "running"]
            for old in finished[: max(0, len(self._jobs) - self.KEEP)]:
                del self._jobs[old.id]

        def run() -> None:
            try:
                job.result = work(job.lines.append)
                job.state = "done"
            except ProvisionError as exc:
                job.result = exc.message + (f" ({exc.fix})" if exc.fix else "")
                job.state = "failed"
            except Exception as exc:  # noqa: BLE001 - a page must say what went wrong, never hang
                job.result = f"{type(exc).__name__}: {exc}"
                job.state = "failed"
            finally:
                job.seconds = time.monotonic() - job.started

        threading.Thread(target=run, name=f"console-job-{job.id}", daemon=True).start()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)
