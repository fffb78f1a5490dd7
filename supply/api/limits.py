"""Request bodies above the ``max_body_bytes`` setting are refused with 413, before any parsing.

A plain ASGI middleware: a declared ``Content-Length`` over the limit is answered at once; a
body streamed without one is counted as it arrives and cut off at the limit. Paths under a
prefix given in ``wider`` have their own limit (sync bundles under ``/sync/``: the
``max_sync_bytes`` setting), named in the refusal.
"""

from __future__ import annotations

import json
from typing import Any

MEDIA_TYPE = "application/problem+json"


class BodyTooLarge(Exception):
    """A streamed body went past the limit."""


class BodyLimit:
    """ASGI middleware: 413 ``application/problem+json`` for bodies over ``limit`` bytes."""

    def __init__(self, app: Any, limit: int, *, wider: dict[str, tuple[int, str]] | None = None) -> None:
        self.app, self.limit, self.wider = app, limit, wider or {}

    def _limit(self, path: str) -> tuple[int, str]:
        """The limit of ``path`` and the setting that sets it."""
        for prefix, limit in self.wider.items():
            if path.startswith(prefix):
                return limit
        return self.limit, "JUNGONG_MAX_BODY_BYTES"

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = self._limit(scope.get("path", ""))
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await self._refuse(scope, send, limit, setting)
            return
        seen = 0
        started = False

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
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
                await self._refuse(scope, send, limit, setting)

    async def _refuse(self, scope: dict, send: Any, limit: int, setting: str) -> None:
        body = json.dumps(
            {
                "type": "about:blank",
                "title": "Content too large",
                "status": 413,
                "instance": scope.get("path", ""),
                "detail": f"the request body is larger than {limit:,} bytes (setting {setting})",
            }
        ).encode()
        headers = [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
