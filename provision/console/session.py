"""Logging in and out (behind :mod:`.lockout`), and the interface's language."""

from __future__ import annotations

import anyio
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from provision.console import auth
from provision.console.context import Call
from provision.console.guard import posted
from provision.console.words import LANGS


async def login_page(request: Request) -> Response:
    return Call.of(request).page("login.html")


async def login(request: Request) -> Response:
    form = await posted(request)
    call = Call.of(request, form)
    address = request.client.host if request.client else "?"  # the socket's: see lockout's docstring
    if form is None:
        return call.refused()
    console, w = call.console, call.words
    verdict = console.lockout.admit(address)  # counted from here on: parallel attempts see each other
    if verdict.refuse:
        return call.page("login.html", status=429, error=w["locked_out"].format(s=verdict.seconds))
    if verdict.wait:
        await anyio.sleep(verdict.wait)
    if not auth.password_matches(form.get("password", ""), console.password):
        return call.page("login.html", status=401, error=w["wrong_password"])
    console.lockout.succeeded(address, verdict)
    request.session.clear()
    sid = auth.new_csrf()
    console.sessions.add(sid)
    request.session.update(user="trainer", sid=sid, csrf=auth.new_csrf())
    return RedirectResponse("/", status_code=303)


async def logout(request: Request) -> Response:
    if await posted(request) is not None:
        Call.of(request).console.sessions.discard(str(request.session.get("sid", "")))
        request.session.clear()
    return RedirectResponse("/login", status_code=303)


async def language(request: Request) -> Response:
    code = request.path_params["code"]
    back = request.headers.get("referer") or "/"
    response = RedirectResponse(back if back.startswith(str(request.base_url)) else "/", status_code=303)
    if code in LANGS:
        https = Call.of(request).console.https
        response.set_cookie("lang", code, max_age=365 * 86400, samesite="strict", secure=https)
    return response
