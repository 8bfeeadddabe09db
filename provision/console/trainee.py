"""A trainee's page, opened by the seat's link (its token is the only key): the seat's connection as the
trainee's computer reaches it, a button that resets it (to the lesson's start while one runs), and the running
lesson's tasks (:mod:`.lesson`)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from provision.clients.render import ClientEnv
from provision.console import lesson
from provision.console.context import Call
from provision.console.guard import posted
from provision.console.jobs import Say
from provision.errors import ProvisionError
from provision.training import classroom


async def seat_page(request: Request) -> Response:
    call, token = Call.of(request), request.path_params["token"]
    found = await run_in_threadpool(classroom.find_seat, call.workspace, token)
    if found is None:
        return call.message(call.words["unknown_link"], 404)
    env, number = found
    seat = await run_in_threadpool(classroom.trainee_seat, env, number, request.url.hostname)
    try:
        tasks = await run_in_threadpool(lesson.trainee_tasks, env, number)
    except ProvisionError as exc:  # the lesson cannot be shown (its file gone): said, the seat still usable
        tasks, problem = None, exc.message
    else:
        problem = ""
    hint, hint_task = request.session.pop("hint", ""), request.session.pop("hint_task", "")
    return call.page(
        "seat.html", seat=seat, client=env.client, token=token, lesson=tasks, hint=hint, hint_task=hint_task,
        problem=problem,
        loopback=classroom.loopback_only(env.profile.host),
    )  # fmt: skip


async def seat_reset(request: Request) -> Response:
    token = request.path_params["token"]
    form = await posted(request)
    call = Call.of(request, form)
    if form is None:
        return call.refused()
    workspace = call.workspace
    found = await run_in_threadpool(classroom.find_seat, workspace, token)
    if found is None:
        return call.message(call.words["unknown_link"], 404)
    found_env, seat = found
    title = call.words["seat_reset_title"].format(n=seat)

    def work(say: Say, env: ClientEnv) -> str:
        done = classroom.reset_seats(workspace, env.client, seat, profile=env.profile)
        return f"{done.seconds:.2f} s"

    return call.start(title, f"/seat/{token}", work, found_env.client, f"seat{seat}", env=found_env)
