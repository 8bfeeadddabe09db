"""The trainer's pages: the clients, a client's class (its seats, snapshots, last import), its books as two
charts and its last import's report. Each reads through :mod:`provision.training.classroom`."""

from __future__ import annotations

import psycopg
from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, Response

from provision.clients.render import client_env
from provision.console import charts
from provision.console.context import Call, Console
from provision.console.guard import trainer
from provision.errors import ProvisionError
from provision.training import classroom


@trainer
async def clients(call: Call) -> Response:
    rows = await run_in_threadpool(classroom.overview, call.workspace)
    return call.page("clients.html", clients=rows)


@trainer
async def client_page(call: Call) -> Response:
    try:
        view = await run_in_threadpool(class_view, call.console, call.param("name"))
    except ProvisionError as exc:
        return call.message(exc.message, 404)
    return call.page("client.html", view=view)


@trainer
async def chart(call: Call) -> Response:
    name, kind, w = call.param("name"), call.param("kind"), call.words
    try:
        stats = await run_in_threadpool(call.console.books, name)
    except ProvisionError as exc:
        return PlainTextResponse(exc.message, status_code=404)
    svg = charts.months_chart(stats["months"], w) if kind == "months" else charts.debt_chart(stats["debt_by_age"], w)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@trainer
async def import_report(call: Call) -> Response:
    try:
        page = await run_in_threadpool(classroom.import_report_html, call.workspace, call.param("name"), call.lang)
    except ProvisionError as exc:
        return call.message(exc.message, 404)
    return Response(page, media_type="text/html; charset=utf-8")


def class_view(console: Console, client: str) -> classroom.ClassView:
    """The client's page, its profile read once and passed to each step; its databases' sizes kept a while
    (a walk of every seat's files: most of the page's time in a class of a hundred)."""

    def sizes(conn: psycopg.Connection, databases: list[str]) -> dict[str, int]:
        found: dict[str, int] = console.kept(
            ("sizes", client, *databases), lambda: classroom.database_sizes(conn, databases)
        )
        return found

    return classroom.class_view(client_env(console.workspace, client, pick=False), sizes)
