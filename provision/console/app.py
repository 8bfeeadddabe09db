"""The console's routes: pages for the trainer (behind the console password) and a page per trainee seat
(behind its link's token). Every action is a POST with the session's CSRF token, run as a job (`jobs`)
through the same library calls as the CLI; pages read through `provision.training.classroom`."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from provision.books import seeding
from provision.clients.render import client_env
from provision.clients.workspace import Workspace
from provision.console import auth, charts
from provision.console.jobs import Job, Jobs, Say
from provision.console.lockout import Lockout
from provision.console.words import LANGS, words
from provision.errors import ProvisionError
from provision.inputs import ascii_number
from provision.training import classroom, seats, snapshots

HERE = Path(__file__).parent
SESSION_HOURS = 12
STATS_SECONDS = 30.0


class Console:
    """The application's state: the workspace, its password, the lock-out and the jobs."""

    def __init__(self, workspace: Workspace, password: str) -> None:
        self.workspace, self.password = workspace, password
        self.lockout = Lockout()
        self.jobs = Jobs()
        self.sessions: set[str] = set()  # the trainer's live sessions: a logout ends one for good
        self.stats: dict[str, tuple[float, dict[str, Any]]] = {}  # a client's books, for the two charts
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.globals["fmt_size"] = _size

    def is_trainer(self, request: Request) -> bool:
        return request.session.get("user") == "trainer" and request.session.get("sid") in self.sessions

    def books(self, client: str) -> dict[str, Any]:
        """The client's statistics, computed at most once in :data:`STATS_SECONDS` (a page draws two charts)."""
        now = time.monotonic()
        kept = self.stats.get(client)
        if kept is None or now - kept[0] > STATS_SECONDS:
            kept = self.stats[client] = (now, seeding.stats_target(self.workspace, client, None))
        return kept[1]

    # -- helpers -------------------------------------------------------------------------------------
    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        lang = _lang(request)
        session = request.session
        if "csrf" not in session:
            session["csrf"] = auth.new_csrf()
        session.setdefault("sid", auth.new_csrf())  # whose jobs are whose
        context.update(w=words(lang), lang=lang, csrf=session["csrf"], trainer=self.is_trainer(request))
        return self.templates.TemplateResponse(request, name, context, status_code=status)

    def job_page(self, job: Job) -> Response:
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    def start(self, request: Request, title: str, back: str, work: Any, client: str, target: str) -> Response:
        """Run ``work`` as a job of this session; while one for the same ``target`` (a seat, a client's
        snapshots) runs, a second click follows that one instead of queueing another."""
        w = words(_lang(request))
        try:
            env = client_env(self.workspace, client, pick=False)
        except ProvisionError as exc:
            return self.page(request, "message.html", status=404, message=exc.message)
        running = self.jobs.running(f"{client}/{target}")
        if running is not None:
            return self.job_page(running)

        def run(say: Say) -> str:
            if seats.busy(env):
                say(w["busy"])
            return str(work(say))

        owner = str(request.session.get("sid", ""))
        return self.job_page(self.jobs.start(title, back, run, owner=owner, target=f"{client}/{target}"))


def _lang(request: Request) -> str:
    lang = request.cookies.get("lang", "ru")
    return lang if lang in LANGS else "ru"


def _size(value: int | None) -> str:
    if value is None:
        return "—"
    return f"{value / 1024**2:,.0f} MB".replace(",", "\u00a0")


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(v) for k, v in form.items()}


def _csrf_ok(request: Request, form: dict[str, str]) -> bool:
    return auth.csrf_matches(form.get("csrf"), request.session.get("csrf"))


def _seat_field(form: dict[str, str], default: str = "") -> str | int | None:
    """The form's ``seat``: "all", a seat's number (0: the working database) in ASCII digits, or None."""
    value = form.get("seat", default)
    return "all" if value == "all" else ascii_number(value)


def make_app(workspace: Workspace, password: str, https: bool = False) -> Starlette:
    """The console for ``workspace``; with ``https`` (served over TLS) its cookies are sent over TLS only."""
    console = Console(workspace, password)

    def bad_seat(request: Request) -> Response:
        return console.page(request, "message.html", status=400, message=words(_lang(request))["which_seat"])

    def trainer_only(request: Request) -> Response | None:
        if not console.is_trainer(request):
            if request.method == "GET":
                return RedirectResponse("/login", status_code=303)
            return PlainTextResponse("log in first", status_code=403)
        return None

    async def refused(request: Request) -> Response:
        return console.page(request, "message.html", status=403, message=words(_lang(request))["forbidden"])

    # -- log in and out ------------------------------------------------------------------------------
    async def login_page(request: Request) -> Response:
        return console.page(request, "login.html")

    async def login(request: Request) -> Response:
        form = await _form(request)
        address = request.client.host if request.client else "?"  # the socket's: see lockout's docstring
        w = words(_lang(request))
        if not _csrf_ok(request, form):
            return await refused(request)
        verdict = console.lockout.admit(address)  # counted from here on: parallel attempts see each other
        if verdict.refuse:
            return console.page(request, "login.html", status=429, error=w["locked_out"].format(s=verdict.seconds))
        if verdict.wait:
            await anyio.sleep(verdict.wait)
        if not auth.password_matches(form.get("password", ""), console.password):
            return console.page(request, "login.html", status=401, error=w["wrong_password"])
        console.lockout.succeeded(address, verdict)
        request.session.clear()
        sid = auth.new_csrf()
        console.sessions.add(sid)
        request.session.update(user="trainer", sid=sid, csrf=auth.new_csrf())
        return RedirectResponse("/", status_code=303)

    async def logout(request: Request) -> Response:
        form = await _form(request)
        if _csrf_ok(request, form):
            console.sessions.discard(str(request.session.get("sid", "")))
            request.session.clear()
        return RedirectResponse("/login", status_code=303)

    async def language(request: Request) -> Response:
        code = request.path_params["code"]
        back = request.headers.get("referer") or "/"
        response = RedirectResponse(back if back.startswith(str(request.base_url)) else "/", status_code=303)
        if code in LANGS:
            response.set_cookie("lang", code, max_age=365 * 86400, samesite="strict", secure=https)
        return response

    # -- the trainer's pages -------------------------------------------------------------------------
    async def clients(request: Request) -> Response:
        if (denied := trainer_only(request)) is not None:
            return denied
        rows = await run_in_threadpool(classroom.overview, workspace)
        return console.page(request, "clients.html", clients=rows)

    async def client_page(request: Request) -> Response:
        if (denied := trainer_only(request)) is not None:
            return denied
        name = request.path_params["name"]
        try:
            view = await run_in_threadpool(classroom.class_view, workspace, name)
        except ProvisionError as exc:
            return console.page(request, "message.html", status=404, message=exc.message)
        return console.page(request, "client.html", view=view)

    async def chart(request: Request) -> Response:
        if (denied := trainer_only(request)) is not None:
            return denied
        name, kind = request.path_params["name"], request.path_params["kind"]
        w = words(_lang(request))
        try:
            stats = await run_in_threadpool(console.books, name)
        except ProvisionError as exc:
            return PlainTextResponse(exc.message, status_code=404)
        svg = (
            charts.months_chart(stats["months"], w) if kind == "months" else charts.debt_chart(stats["debt_by_age"], w)
        )
        return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})

    async def import_report(request: Request) -> Response:
        if (denied := trainer_only(request)) is not None:
            return denied
        name = request.path_params["name"]
        try:
            page = await run_in_threadpool(classroom.import_report_html, workspace, name, _lang(request))
        except ProvisionError as exc:
            return console.page(request, "message.html", status=404, message=exc.message)
        return Response(page, media_type="text/html; charset=utf-8")

    # -- the trainer's actions -----------------------------------------------------------------------
    async def reset(request: Request) -> Response:
        if (denied := trainer_only(request)) is not None:
            return denied
        form = await _form(request)
        if not _csrf_ok(request, form):
            return await refused(request)
        name, target = request.path_params["name"], _seat_field(form)
        w = words(_lang(request))
        back = f"/client/{name}"
        if target is None:
            return bad_seat(request)
        if target == "all":
            revoke = form.get("revoke") == "1"

            def everything(say: Say) -> str:
                done = classroom.reset_seats(workspace, name, None, True, new_links=revoke)
                return f"{len(done.databases)}: {done.seconds:.2f} s"

            return console.start(request, w["reset_all_title"], back, everything, name, "all")
        seat = int(target)
        title = w["seat_reset_title"].format(n=seat) if seat else w["reset_db_title"]

        def one(say: Say) -> str:
            done = classroom.reset_seats(workspace, name, seat or None)
            return f"{', '.join(done.databases)}: {done.seconds:.2f} s"

        return console.start(request, title, back, one, name, f"seat{seat}")

    async def snapshot_save(request: Request) -> Response:
        if (denied := trainer_only(request)) is not None:
            return denied
        form = await _form(request)
        if not _csrf_ok(request, form):
            return await refused(request)
        name, snap = request.path_params["name"], form.get("snapshot", "").strip()
        title = words(_lang(request))["save_title"].format(name=snap)
        work = lambda say: snapshots.save_snapshot(workspace, name, snap)  # noqa: E731
        return console.start(request, title, f"/client/{name}", work, name, "snapshots")

    async def snapshot_restore(request: Request) -> Response:
        if (denied := trainer_only(request)) is not None:
            return denied
        form = await _form(request)
        if not _csrf_ok(request, form):
            return await refused(request)
        name, snap, target = request.path_params["name"], form.get("snapshot", ""), _seat_field(form, "0")
        if target is None:
            return bad_seat(request)
        seat = target if isinstance(target, int) and target else None
        title = words(_lang(request))["restore_title"].format(name=snap)

        def work(say: Say) -> str:
            done = snapshots.restore_snapshot(workspace, name, snap, seat, target == "all")
            return f"{', '.join(done.databases)}: {done.seconds:.2f} s"

        return console.start(request, title, f"/client/{name}", work, name, "snapshots")

    # -- jobs ------------------------------------------------------------------------------------------
    def _job(request: Request) -> Job | None:
        """The job, to the session that started it (a trainer sees every job)."""
        job = console.jobs.get(request.path_params["id"])
        if job is None or (job.owner != request.session.get("sid") and not console.is_trainer(request)):
            return None
        return job

    async def job_page(request: Request) -> Response:
        job = _job(request)
        if job is None:
            return console.page(request, "message.html", status=404, message="?")
        return console.page(request, "job.html", job=job)

    async def job_json(request: Request) -> Response:
        job = _job(request)
        if job is None:
            return JSONResponse({"state": "unknown"}, status_code=404)
        return JSONResponse(_job_state(job))

    async def job_events(request: Request) -> Response:
        job = _job(request)
        if job is None:
            return PlainTextResponse("", status_code=404)

        offset = ascii_number(request.query_params.get("from", "0"))
        if offset is None:
            return PlainTextResponse("from=N", status_code=400)

        async def stream() -> AsyncIterator[str]:
            sent = offset  # the lines the page already shows
            while True:
                lines, state = job.lines[sent:], job.state
                sent += len(lines)
                for line in lines:
                    yield f"event: line\ndata: {json.dumps(line, ensure_ascii=False)}\n\n"
                if state != "running":
                    yield f"event: end\ndata: {json.dumps(_job_state(job), ensure_ascii=False)}\n\n"
                    return
                await anyio.sleep(0.05)

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    # -- a trainee's seat ------------------------------------------------------------------------------
    async def seat_page(request: Request) -> Response:
        found = await run_in_threadpool(classroom.find_seat, workspace, request.path_params["token"])
        if found is None:
            return console.page(request, "message.html", status=404, message=words(_lang(request))["unknown_link"])
        seat = await run_in_threadpool(classroom.trainee_seat, workspace, *found)
        return console.page(request, "seat.html", seat=seat, client=found[0], token=request.path_params["token"])

    async def seat_reset(request: Request) -> Response:
        token = request.path_params["token"]
        form = await _form(request)
        if not _csrf_ok(request, form):
            return await refused(request)
        found = await run_in_threadpool(classroom.find_seat, workspace, token)
        if found is None:
            return console.page(request, "message.html", status=404, message=words(_lang(request))["unknown_link"])
        client, seat = found
        title = words(_lang(request))["seat_reset_title"].format(n=seat)

        def work(say: Say) -> str:
            done = classroom.reset_seats(workspace, client, seat)
            return f"{done.seconds:.2f} s"

        return console.start(request, title, f"/seat/{token}", work, client, f"seat{seat}")

    routes = [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/lang/{code}", language),
        Route("/", clients),
        Route("/client/{name}", client_page),
        Route("/client/{name}/chart/{kind:str}.svg", chart),
        Route("/client/{name}/import", import_report),
        Route("/client/{name}/reset", reset, methods=["POST"]),
        Route("/client/{name}/snapshot/save", snapshot_save, methods=["POST"]),
        Route("/client/{name}/snapshot/restore", snapshot_restore, methods=["POST"]),
        Route("/jobs/{id}.json", job_json),
        Route("/jobs/{id}", job_page),
        Route("/jobs/{id}/events", job_events),
        Route("/seat/{token}", seat_page),
        Route("/seat/{token}/reset", seat_reset, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
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
    app = Starlette(routes=routes, middleware=middleware)
    app.state.console = console  # its lock-out's limits, for the tests
    return app


# Headers a proxy would set to name another client: the console has no proxy, so nobody may set them.
FORWARDED = {b"x-forwarded-for", b"forwarded", b"x-real-ip", b"x-forwarded-host", b"x-forwarded-proto"}

# Every response: nothing but this origin's own files may run or be framed.
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),  # pages show passwords: no copy kept on the way or on disk
]


class SecurityHeaders:
    """A pure ASGI middleware (it leaves server-sent events streaming) adding :data:`SECURITY_HEADERS`, and
    dropping :data:`FORWARDED` from each request, so no route can be told another client's address."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k.lower() not in FORWARDED]}

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, with_headers)


def _job_state(job: Job) -> dict[str, Any]:
    return {"state": job.state, "result": job.result, "lines": job.lines, "seconds": round(job.seconds, 3)}
