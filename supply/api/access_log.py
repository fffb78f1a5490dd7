"""One log line per request: method, path, status, milliseconds and the user (``jungong.access``, info).

A plain ASGI middleware (no per-request task or body buffering, unlike ``BaseHTTPMiddleware``).
The user is whoever the request authenticated as: :func:`note_user` records it in the request's
state when the API's bearer token or the console's session cookie is checked; ``-`` otherwise.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("jungong.access")
_USER_KEY = "jungong_user"


def note_user(conn: HTTPConnection, name: str) -> None:
    """Remember who the request is from, for its log line."""
    conn.scope.setdefault("state", {})[_USER_KEY] = name


class AccessLog:
    """Logs ``GET /stations 200 3.1 ms officer-1`` once each HTTP request has answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})
        start = time.perf_counter()
        status: list[Any] = [500]

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            ms = (time.perf_counter() - start) * 1000
            user = scope["state"].get(_USER_KEY, "-")
            log.info("%s %s %s %.1f ms %s", scope["method"], scope["path"], status[0], ms, user)
