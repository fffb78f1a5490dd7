"""The API's documentation pages, offline: ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc).

FastAPI's defaults load both from a CDN, which leaves the pages blank on a closed network. Here
they load the vendored files in ``supply/api/static/docs/`` (exact versions and licences in its
README) from ``/docs/assets/``. A Content-Security-Policy allowing only the app's own origin
backs that up. ReDoc's bundle hard-codes one outside image (its "Redocly" logo, hidden when it
fails to load): it is served with that address emptied (:data:`DROPPED`), so the browser asks
nothing, the CSP has nothing to refuse and the console logs no error.
"""

from __future__ import annotations

import mimetypes
from functools import cache
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response

from supply.api.csp import DOCS, HEADER

STATIC = Path(__file__).parent / "static" / "docs"
ASSETS_URL = "/docs/assets"
_FILES = frozenset(
    p.relative_to(STATIC).as_posix() for p in STATIC.rglob("*") if p.is_file() and p.suffix in {".js", ".css", ".png"}
)
TITLE = "jungong — duty officers' service"
#: Outside addresses the vendored files name, dropped as they are served (the files stay as published).
DROPPED = {"redoc/redoc.standalone.js": (b"https://cdn.redoc.ly/redoc/logo-mini.svg",)}

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    """Swagger UI on the app's own OpenAPI document, from vendored files."""
    page = get_swagger_ui_html(
        openapi_url="/openapi.json",
        title=f"{TITLE} — API docs",
        swagger_js_url=f"{ASSETS_URL}/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/swagger-ui/favicon-32x32.png",
        # no "validatorUrl": Swagger UI would otherwise send the spec to validator.swagger.io
        swagger_ui_parameters={"validatorUrl": None},
    )
    page.headers[HEADER] = DOCS
    return page


@router.get("/redoc")
def redoc() -> HTMLResponse:
    """ReDoc on the app's own OpenAPI document, from vendored files, without Google Fonts."""
    page = get_redoc_html(
        openapi_url="/openapi.json",
        title=f"{TITLE} — API reference",
        redoc_js_url=f"{ASSETS_URL}/redoc/redoc.standalone.js",
        redoc_favicon_url=f"{ASSETS_URL}/swagger-ui/favicon-32x32.png",
        with_google_fonts=False,
    )
    page.headers[HEADER] = DOCS
    return page


@router.get(ASSETS_URL + "/{name:path}")
def asset(name: str) -> Response:
    """One vendored file (a fixed list: nothing outside the folder is reachable)."""
    if name not in _FILES:
        raise HTTPException(status_code=404, detail=f"no docs asset '{name}'")
    media = mimetypes.guess_type(name)[0] or "application/octet-stream"
    headers = {"Cache-Control": "public, max-age=86400"}
    if name in DROPPED:
        return Response(_without_outside(name), media_type=media, headers=headers)
    return FileResponse(STATIC / name, media_type=media, headers=headers)


@cache
def _without_outside(name: str) -> bytes:
    body = (STATIC / name).read_bytes()
    for url in DROPPED[name]:
        body = body.replace(url, b"")
    return body
