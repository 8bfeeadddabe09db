"""A job's page, its state as JSON and its progress as server-sent events, each to the session that started
it (a trainer sees every job)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from provision.console.context import Call
from provision.console.jobs import Job
from provision.inputs import ascii_number


def _job(call: Call) -> Job | None:
    """The job, to the session that started it (a trainer sees every job)."""
    job = call.console.jobs.get(call.param("id"))
    request = call.request
    if job is None or (job.owner != request.session.get("sid") and not call.console.is_trainer(request)):
        return None
    return job


def job_state(job: Job) -> dict[str, Any]:
    return {"state": job.state, "result": job.result, "lines": job.lines, "seconds": round(job.seconds, 3)}


async def job_page(request: Request) -> Response:
    call = Call.of(request)
    job = _job(call)
    if job is None:
        return call.message("?", 404)
    return call.page("job.html", job=job)


async def job_json(request: Request) -> Response:
    job = _job(Call.of(request))
    if job is None:
        return JSONResponse({"state": "unknown"}, status_code=404)
    return JSONResponse(job_state(job))


async def job_events(request: Request) -> Response:
    job = _job(Call.of(request))
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
                yield f"event: end\ndata: {json.dumps(job_state(job), ensure_ascii=False)}\n\n"
                return
            await anyio.sleep(0.05)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})
