"""The guards every endpoint behind the console password shares, in one decorator (:func:`trainer`), and the
CSRF check of a posted form (:func:`posted`) for the endpoints outside it (the login, a trainee's link)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from provision.console import auth
from provision.console.context import Call

Endpoint = Callable[[Request], Awaitable[Response]]


async def posted(request: Request) -> dict[str, str] | None:
    """The request's form, or None when it does not carry the session's CSRF token."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    return form if auth.csrf_matches(form.get("csrf"), request.session.get("csrf")) else None


def trainer(endpoint: Callable[[Call], Awaitable[Response]]) -> Endpoint:
    """A trainer's page or action. Without the trainer's session a page sends to the login and anything
    else is refused (403); a POST whose form lacks the session's CSRF token is refused (403) before the
    endpoint sees it, and the endpoint gets the form with its :class:`Call`."""

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        call = Call.of(request)
        if not call.console.is_trainer(request):
            if request.method == "GET":
                return RedirectResponse("/login", status_code=303)
            return PlainTextResponse("log in first", status_code=403)
        if request.method == "POST":
            form = await posted(request)
            if form is None:
                return call.refused()
            call = Call.of(request, form)
        return await endpoint(call)

    return guarded
