"""The web console: server-rendered pages for duty officers and the command post, under ``/console``.

Another edge beside the JSON API, on the same roles and the same domain functions: page handlers
parse a form, call one domain function and render a Jinja2 template (``templates/``); no business
rule lives here. htmx (vendored, ``static/htmx``) does the partial updates; every page works with
no outside network. Languages: :mod:`supply.api.console.i18n`; sessions and CSRF:
:mod:`supply.api.console.session`; errors as pages: :mod:`supply.api.console.errors`.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from supply.api.console import (
    approvals,
    command,
    drills,
    errors,
    home,
    lots,
    operations,
    simulations,
    stations,
    sync,
)
from supply.api.console.session import PREFIX, SameOrigin

STATIC = __path__[0] + "/static"
#: The console's routers, one per area (their paths under :data:`PREFIX`).
PARTS: tuple[APIRouter, ...] = (
    home.router,
    stations.router,
    lots.router,
    operations.router,
    approvals.router,
    drills.router,
    simulations.router,
    command.router,
    sync.router,
)


def router() -> APIRouter:
    """Every console page under ``/console``."""
    r = APIRouter(prefix=PREFIX, include_in_schema=False)
    for part in PARTS:
        r.include_router(part)
    return r


def install(app: FastAPI) -> None:
    """Add the console's pages, its static files, its error pages and its same-origin check to ``app``."""
    app.add_middleware(SameOrigin)
    app.include_router(router())
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="console-static")
    errors.install(app)
