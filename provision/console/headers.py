"""The headers of every answer, and the ones no request may bring."""

from __future__ import annotations

from typing import Any

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
