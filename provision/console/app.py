"""The console's application: its routes, its middleware and its state (:class:`~.context.Console`).

The trainer's pages (:mod:`.pages`) and actions (:mod:`.actions`) sit behind the console password
(:func:`.guard.trainer`); a trainee's page (:mod:`.trainee`) behind its link's token. Every action is a POST
with the session's CSRF token, run as a job (:mod:`.progress` follows it) through the same library calls as
the CLI; pages read through `provision.training.classroom`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from provision.clients.workspace import Workspace
from provision.console import actions, auth, lesson, pages, progress, session, trainee
from provision.console.context import HERE, Console
from provision.console.headers import SecurityHeaders

SESSION_HOURS = 12

ROUTES: list[BaseRoute] = [
    Route("/login", session.login_page, methods=["GET"]),
    Route("/login", session.login, methods=["POST"]),
    Route("/logout", session.logout, methods=["POST"]),
    Route("/lang/{code}", session.language),
    Route("/", pages.clients),
    Route("/client/{name}", pages.client_page),
    Route("/client/{name}/chart/{kind:str}.svg", pages.chart),
    Route("/client/{name}/import", pages.import_report),
    Route("/client/{name}/reset", actions.reset, methods=["POST"]),
    Route("/client/{name}/snapshot/save", actions.snapshot_save, methods=["POST"]),
    Route("/client/{name}/snapshot/restore", actions.snapshot_restore, methods=["POST"]),
    Route("/client/{name}/lesson", lesson.board_page),
    Route("/client/{name}/lesson/events", lesson.board_events),
    Route("/client/{name}/lesson/start", lesson.start, methods=["POST"]),
    Route("/client/{name}/lesson/stop", lesson.stop, methods=["POST"]),
    Route("/jobs/{id}.json", progress.job_json),
    Route("/jobs/{id}", progress.job_page),
    Route("/jobs/{id}/events", progress.job_events),
    Route("/seat/{token}", trainee.seat_page),
    Route("/seat/{token}/reset", trainee.seat_reset, methods=["POST"]),
    Route("/seat/{token}/check", lesson.seat_check, methods=["POST"]),
    Route("/seat/{token}/name", lesson.seat_name, methods=["POST"]),
    Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
]


async def _close_idle(console: Console) -> None:
    """The seats' connections no board has used for a while closed, whether anybody looks or not."""
    while True:
        await asyncio.sleep(IDLE_LOOK_SECONDS)
        await run_in_threadpool(console.close_idle)


IDLE_LOOK_SECONDS = 30.0


def make_app(workspace: Workspace, password: str, https: bool = False) -> Starlette:
    """The console for ``workspace``; with ``https`` (served over TLS) its cookies are sent over TLS only."""
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=auth.session_key(workspace),
            session_cookie="provision_console",
            max_age=SESSION_HOURS * 3600,
            same_site="strict",
            https_only=https,
        ),
    ]
    console = Console(workspace, password, https)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        tidy = asyncio.create_task(_close_idle(console))
        try:
            yield
        finally:
            tidy.cancel()
            console.close()  # the seats' connections its boards kept

    app = Starlette(routes=ROUTES, middleware=middleware, lifespan=lifespan)
    app.state.console = console  # the endpoints' shared state; the tests' too
    return app
