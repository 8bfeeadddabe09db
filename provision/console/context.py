"""What every endpoint reaches: the console's shared state (:class:`Console`, one per application, kept in
``app.state.console``) and one request as an endpoint sees it (:class:`Call`: the language, its words, the
posted form, a page to answer with, an action to start as a job)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from provision.books import seeding
from provision.clients.render import ClientEnv, client_env
from provision.clients.workspace import Workspace
from provision.console import auth
from provision.console.jobs import Job, Jobs, Say
from provision.console.lockout import Lockout
from provision.console.words import LANGS, words
from provision.errors import ProvisionError
from provision.training import lessonsql, seats

HERE = Path(__file__).parent
STATS_SECONDS = 30.0
BOARD_SECONDS = 1.5


class Console:
    """The application's state: the workspace, its password, the lock-out, the trainer's sessions and the jobs."""

    def __init__(self, workspace: Workspace, password: str, https: bool = False) -> None:
        self.workspace, self.password, self.https = workspace, password, https
        self.lockout = Lockout()
        self.jobs = Jobs()
        self.sessions: set[str] = set()  # the trainer's live sessions: a logout ends one for good
        self.stats: dict[tuple[Any, ...], tuple[float, Any]] = {}  # a client's books (two charts), its seats' sizes
        self.boards: dict[str, tuple[float, Any, float]] = {}  # a client's lesson checked: when, board, seconds
        self._board_locks: dict[str, threading.Lock] = {}
        self.links: dict[str, lessonsql.Links] = {}  # a client's seats' connections, kept for its board
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.globals["fmt_size"] = _size

    def is_trainer(self, request: Request) -> bool:
        return request.session.get("user") == "trainer" and request.session.get("sid") in self.sessions

    def books(self, client: str) -> dict[str, Any]:
        """The client's statistics, computed at most once in :data:`STATS_SECONDS` (a page draws two charts)."""
        found: dict[str, Any] = self.kept(("stats", client), lambda: seeding.stats_target(self.workspace, client, None))
        return found

    def kept(self, key: tuple[Any, ...], compute: Callable[[], Any], seconds: float = STATS_SECONDS) -> Any:
        """What ``compute`` gave under ``key`` less than ``seconds`` ago, or what it gives now."""
        now = time.monotonic()
        found = self.stats.get(key)
        if found is None or now - found[0] > seconds:
            found = self.stats[key] = (now, compute())
        return found[1]

    def board(self, client: str, fresh: Callable[[], Any]) -> Any:
        """The client's class board, checked at most once in :data:`BOARD_SECONDS` (or twice the last check's
        time) whoever watches it: every viewer's stream reads the same board; one check of the class runs at
        a time."""
        lock = self._board_locks.setdefault(client, threading.Lock())
        with lock:
            kept = self.boards.get(client)
            # a class whose check takes long is checked less often: never more than half the time
            if kept is None or time.monotonic() - kept[0] > max(BOARD_SECONDS, 2 * kept[2]):
                began = time.monotonic()
                found = fresh()
                kept = self.boards[client] = (time.monotonic(), found, time.monotonic() - began)
            return kept[1]

    def links_of(self, client: str) -> lessonsql.Links:
        """The connections the checks of ``client``'s class are made on, kept between looks."""
        return self.links.setdefault(client, lessonsql.Links())

    def close_idle(self) -> None:
        """Every client's seats' connections unused for a while closed (the application looks every 30 s)."""
        for links in list(self.links.values()):
            links.close_idle()

    def forget_board(self, client: str, *, ended: bool = False) -> None:
        """After a change (a start, a stop, a trainee's check): the next look checks again; after a lesson
        ``ended``, the seats' connections are closed too."""
        self.boards.pop(client, None)
        if ended and (links := self.links.pop(client, None)) is not None:
            links.close()

    def close(self) -> None:
        """The application stops: every kept connection closed."""
        for links in self.links.values():
            links.close()
        self.links.clear()


@dataclass(frozen=True)
class Call:
    """One request to an endpoint: the console it reached and, for a POST that passed its CSRF check, its form."""

    request: Request
    console: Console
    form: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, request: Request, form: Mapping[str, str] | None = None) -> Call:
        console = request.app.state.console
        assert isinstance(console, Console)
        return cls(request, console, form or {})

    @property
    def workspace(self) -> Workspace:
        return self.console.workspace

    @property
    def lang(self) -> str:
        lang = self.request.cookies.get("lang", "ru")
        return lang if lang in LANGS else "ru"

    @property
    def words(self) -> dict[str, str]:
        return words(self.lang)

    def param(self, name: str) -> str:
        return str(self.request.path_params[name])

    def page(self, name: str, status: int = 200, **context: Any) -> Response:
        """The template ``name``; the session gets its CSRF token and an id (whose jobs are whose) here."""
        session = self.request.session
        if "csrf" not in session:
            session["csrf"] = auth.new_csrf()
        session.setdefault("sid", auth.new_csrf())
        trainer = self.console.is_trainer(self.request)
        context.update(w=self.words, lang=self.lang, csrf=session["csrf"], trainer=trainer)
        return self.console.templates.TemplateResponse(self.request, name, context, status_code=status)

    def message(self, text: str, status: int) -> Response:
        return self.page("message.html", status=status, message=text)

    def refused(self) -> Response:
        return self.message(self.words["forbidden"], 403)

    def start(
        self,
        title: str,
        back: str,
        work: Callable[[Say, ClientEnv], Any],
        client: str,
        target: str,
        env: ClientEnv | None = None,
    ) -> Response:
        """Run ``work`` as a job of this session; while one for the same ``target`` (a seat, a client's
        snapshots) runs, a second click follows that one instead of queueing another. The client's profile
        is read here once (unless ``env`` is the client's, read already) and ``work`` is given it."""
        w = self.words
        if env is None:
            try:
                env = client_env(self.workspace, client, pick=False)
            except ProvisionError as exc:
                return self.message(exc.message, 404)
        loaded = env  # what the job is given (a closure sees no narrowing of env)
        jobs = self.console.jobs
        running = jobs.running(f"{client}/{target}")
        if running is not None:
            return job_page(running)

        def run(say: Say) -> str:
            if seats.busy(loaded):
                say(w["busy"])
            return str(work(say, loaded))

        owner = str(self.request.session.get("sid", ""))
        return job_page(jobs.start(title, back, run, owner=owner, target=f"{client}/{target}"))


def job_page(job: Job) -> Response:
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


def _size(value: int | None) -> str:
    if value is None:
        return "—"
    return f"{value / 1024**2:,.0f} MB".replace(",", "\u00a0")
