"""Each request's id, its one log line, and the one log of an unexpected error.

A plain ASGI middleware (no per-request task or body buffering, unlike ``BaseHTTPMiddleware``),
the app's outermost. For each HTTP request it:

- gives the request an id (:data:`supply.core.logs.REQUEST_ID`, on every line logged while it is
  served, and in the ``X-Request-ID`` header of its answer);
- answers an error no handler took — the app's own handler for ``Exception`` (a 500 problem, or
  the console's error page) logs it once, with its traceback and that id — and does not pass it
  on: uvicorn would log the same traceback a second time, without the id;
- logs ``GET /stations 200 3.1 ms officer-1`` (``jungong.access``, info) once it has answered.
  The user is whoever the request authenticated as: :func:`note_user` records it when the API's
  bearer token or the console's session is checked; ``-`` otherwise. The path is logged as
  decoded, its control characters escaped by the log format (:mod:`supply.core.logs`).
"""

from __future__ import annotations

import inspect
import logging
import time
import uuid
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from supply.api.problems import problem_response
from supply.core.logs import REQUEST_ID

log = logging.getLogger("jungong.access")
_USER_KEY = "jungong_user"


def note_user(conn: HTTPConnection, name: str) -> None:
    """Remember who the request is from, for its log line."""
    conn.scope.setdefault("state", {})[_USER_KEY] = name


class AccessLog:
    """The request's id, its error answered and logged once, its line in the request log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = uuid.uuid4().hex[:16]
        token = REQUEST_ID.set(rid)
        scope.setdefault("state", {})
        start = time.perf_counter()
        status: list[Any] = [None]

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", rid.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except Exception as exc:  # no handler took it: answer it here, logged once
            if status[0] is None:
                await (await _answer(scope, exc))(scope, receive, send_and_note)
            else:  # the answer had begun: all that is left is to log it
                logging.getLogger("supply.api.problems").error("error while answering", exc_info=exc)
        finally:
            if log.isEnabledFor(logging.INFO):
                ms = (time.perf_counter() - start) * 1000
                user = scope["state"].get(_USER_KEY, "-")
                log.info("%s %s %s %.1f ms %s", scope["method"], scope["path"], status[0] or 500, ms, user)
            REQUEST_ID.reset(token)


async def _answer(scope: Scope, exc: Exception) -> Any:
    """The app's answer to an unexpected error: its handler for ``Exception`` (which logs it)."""
    handler = scope["app"].exception_handlers.get(Exception, problem_response)
    if inspect.iscoroutinefunction(handler):
        return await handler(Request(scope), exc)
    return await run_in_threadpool(handler, Request(scope), exc)
