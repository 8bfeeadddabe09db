"""A lesson in the console: the trainer's class board (a tile per seat, kept up to date over server-sent
events), its start and stop; a trainee's tasks on the seat's page, with the check button and the name form.
Each calls :mod:`provision.training.classwork`, as `provision lesson` does."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from provision.clients.render import ClientEnv, client_env
from provision.console.context import Call
from provision.console.guard import posted, trainer
from provision.console.jobs import Say
from provision.errors import ProvisionError
from provision.training import classroom, classwork, lessons, lessonstate

EVENT_SECONDS = 2.0  # how often a board's stream looks again


def board_state(call: Call, client: str) -> dict[str, Any]:
    """The board as the page draws it: the lesson, and a tile per seat (or no lesson)."""
    workspace = call.workspace

    def fresh() -> dict[str, Any]:
        try:
            board = classwork.status(workspace, client, links=call.console.links_of(client))
        except ProvisionError as exc:  # no lesson; or one that cannot be checked: said, never a start button
            env = client_env(workspace, client, pick=False)
            return {"running": False, "error": exc.message if lessonstate.path_of(env).exists() else ""}
        titles = {t.id: t.title for t in board.lesson.tasks}
        found = board.to_dict()
        for seat, tile in zip(board.seats, found["seats"], strict=True):
            last = seat.last
            tile["last"] = {"title": titles[last.task], "when": _clock(last.when)} if last else None
        return {"running": True, **found}

    return dict(call.console.board(client, fresh))


def _clock(when: str | None) -> str:
    return when[11:16] if when else ""


@trainer
async def board_page(call: Call) -> Response:
    client = call.param("name")
    try:
        env = await run_in_threadpool(client_env, call.workspace, client, pick=False)
        found = await run_in_threadpool(classwork.available, call.workspace, client)
    except ProvisionError as exc:
        return call.message(exc.message, 404)
    state = await run_in_threadpool(board_state, call, client)
    choices = [(name, lesson) for name, lesson in found if isinstance(lesson, lessons.Lesson)]
    return call.page(
        "lesson.html", client=client, board=state, choices=choices, loopback=classroom.loopback_only(env.profile.host)
    )


@trainer
async def board_events(call: Call) -> Response:
    client = call.param("name")

    async def stream() -> AsyncIterator[str]:
        sent = ""
        while call.console.is_trainer(call.request):  # a logout ends the stream
            state = await run_in_threadpool(board_state, call, client)
            data = json.dumps(state, ensure_ascii=False)
            if data != sent:
                sent = data
                yield f"event: board\ndata: {data}\n\n"
            else:
                yield ": still\n\n"  # a comment: the connection lives, nothing changed
            await anyio.sleep(EVENT_SECONDS)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


@trainer
async def start(call: Call) -> Response:
    client, name = call.param("name"), call.form.get("lesson", "")
    console = call.console

    def work(say: Say, env: ClientEnv) -> str:
        started = classwork.start(env.workspace, env.client, name, say=say)
        console.forget_board(env.client, ended=True)
        return f"{started.lesson.title}: {started.seats} · {started.seconds:.1f} s"

    return call.start(
        call.words["lesson_start_title"].format(name=name), f"/client/{client}/lesson", work, client, "lesson"
    )


@trainer
async def stop(call: Call) -> Response:
    client = call.param("name")
    console = call.console

    def work(say: Say, env: ClientEnv) -> str:
        stopped = classwork.stop(env.workspace, env.client)
        console.forget_board(env.client, ended=True)
        return stopped.lesson

    return call.start(call.words["lesson_stop_title"], f"/client/{client}/lesson", work, client, "lesson")


# -- a trainee's side ------------------------------------------------------------------------------------
def trainee_tasks(env: ClientEnv, seat: int) -> dict[str, Any] | None:
    """The running lesson as a trainee sees it on the seat's page: the tasks with this seat's values in, the
    ticks of the last check, the first undone's hint; None without a lesson (or this seat not in it)."""
    running = lessonstate.read(env)
    if running is None or str(seat) not in running.values:
        return None
    lesson = lessons.read_lesson(Path(running.file))
    drawn = lessons.Drawn({n: lessonstate.decode(v) for n, v in running.values[str(seat)].items()})
    ticks = running.done.get(str(seat), {})
    tasks = [
        {"id": t.id, "title": t.title, "points": t.points, "html": lessons.to_html(drawn.text(t.text)),
         "done": t.id in ticks, "when": _clock(ticks.get(t.id))}
        for t in lesson.tasks
    ]  # fmt: skip
    return {
        "title": lesson.title,
        "description": lesson.description,
        "tasks": tasks,
        "name": running.names.get(str(seat), ""),
    }


async def _trainee(request: Request) -> tuple[Call, ClientEnv, int] | Response:
    """The posted form's call and the seat its link opens, or the answer to give instead."""
    form = await posted(request)
    call = Call.of(request, form)
    if form is None:
        return call.refused()
    found = await run_in_threadpool(classroom.find_seat, call.workspace, request.path_params["token"])
    if found is None:
        return call.message(call.words["unknown_link"], 404)
    return call, found[0], found[1]


async def seat_check(request: Request) -> Response:
    """A trainee's "check": this seat's tasks checked now; back to the page with the ticks and the hint."""
    got = await _trainee(request)
    if isinstance(got, Response):
        return got
    call, env, seat = got
    try:
        board = await run_in_threadpool(
            classwork.status, call.workspace, env.client, [seat], call.console.links_of(env.client)
        )
    except ProvisionError as exc:
        return call.message(exc.message, 409)
    call.console.forget_board(env.client)
    undone = [t for t in board.seats[0].tasks if not t.done] if board.seats else []
    request.session["hint"] = undone[0].hint if undone else ""
    request.session["hint_task"] = undone[0].task if undone else ""
    return RedirectResponse(f"/seat/{request.path_params['token']}", status_code=303)


async def seat_name(request: Request) -> Response:
    """A trainee gives a name, for the board and the report."""
    got = await _trainee(request)
    if isinstance(got, Response):
        return got
    call, env, seat = got
    try:
        await run_in_threadpool(classwork.set_name, call.workspace, env.client, seat, call.form.get("name", ""))
    except ProvisionError as exc:
        return call.message(exc.message, 409)
    call.console.forget_board(env.client)
    return RedirectResponse(f"/seat/{request.path_params['token']}", status_code=303)
