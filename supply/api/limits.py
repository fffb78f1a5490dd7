"""Request bodies above the ``max_body_bytes`` setting are refused with 413, before any parsing.

A plain ASGI middleware: a declared ``Content-Length`` over the limit is answered at once; a
body streamed without one is counted as it arrives and cut off at the limit.
"""

from __future__ import annotations

import json
from typing import Any

MEDIA_TYPE = "application/problem+json"


class BodyTooLarge(Exception):
    """A streamed body went past the limit."""


class BodyLimit:
    """ASGI middleware: 413 ``application/problem+json`` for bodies over ``limit`` bytes."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await self._refuse(scope, send)
            return
        seen = 0
        started = False

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise BodyTooLarge
            return message

        async def tracked(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, send)

    async def _refuse(self, scope: dict, send: Any) -> None:
        body = json.dumps(
            {
                "type": "about:blank",
                "title": "Content too large",
                "status": 413,
                "instance": scope.get("path", ""),
                "detail": f"the request body is larger than {self.limit:,} bytes (setting JUNGONG_MAX_BODY_BYTES)",
            }
        ).encode()
        headers = [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
