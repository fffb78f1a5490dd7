"""The Content-Security-Policy of every HTML page the app serves.

Each kind of page gets the narrowest policy it works under:

- the console (:data:`CONSOLE`): its own files only, no inline script (htmx and ``console.js``
  are files; data travels as JSON in a ``<script type="application/json">`` block);
- the API docs (:data:`DOCS`): Swagger UI and ReDoc start from one inline script each;
- maps (:func:`for_map`): folium writes the map as inline scripts, each allowed by its SHA-256
  and nothing else inline, plus the tile server named by ``tiles`` for images;
- printable documents — the action plan and the review — (:data:`DOCUMENT`): no script at all.

:class:`HtmlPolicy` backs them up: an HTML answer without a policy of its own gets
:data:`DOCUMENT`, so a page added later is safe by default. Every policy forbids framing
(``frame-ancestors 'none'``) and fetching from anywhere but the app.
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "Content-Security-Policy"
_FRAME = "frame-ancestors 'none'"
#: The console loads only its own files; htmx needs no inline script or eval.
CONSOLE = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    f"connect-src 'self'; object-src 'none'; {_FRAME}; base-uri 'self'; form-action 'self'"
)
#: Everything from the app's own origin; inline scripts and styles (both pages start from one inline
#: script; ReDoc styles by injecting <style>), blob: workers (ReDoc's search) and data: images.
DOCS = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    f"object-src 'none'; {_FRAME}; base-uri 'self'; form-action 'self'"
)
#: A self-contained document with no script: inline styles and data: images (its plots) only.
DOCUMENT = (
    f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; {_FRAME}; base-uri 'none'; form-action 'none'"
)

_INLINE_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_SRC = re.compile(r"\bsrc\s*=", re.IGNORECASE)


def for_map(html: str, tiles: str | None = None) -> str:
    """The policy of a map page: its own inline scripts (by hash), the app's files (``--assets
    served``), inline styles (Leaflet's), images from the app, ``data:`` and the ``tiles`` server."""
    hashes = sorted(
        {
            "'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode() + "'"
            for attrs, body in _INLINE_SCRIPT.findall(html)
            if not _SRC.search(attrs)
        }
    )
    images = ["'self'", "data:"]
    if tiles and (parts := urlsplit(tiles)).scheme in ("http", "https"):
        images.append(f"{parts.scheme}://{parts.netloc}")
    return (
        f"default-src 'none'; script-src 'self' {' '.join(hashes)}; style-src 'self' 'unsafe-inline'; "
        f"img-src {' '.join(images)}; font-src 'self' data:; connect-src 'self'; {_FRAME}; "
        "base-uri 'none'; form-action 'none'"
    )


class HtmlPolicy:
    """ASGI middleware: an HTML answer that carries no policy of its own gets :data:`DOCUMENT`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith("text/html") and HEADER not in headers:
                    headers[HEADER] = DOCUMENT
            await send(message)

        await self.app(scope, receive, with_policy)
