"""The FastAPI app of the duty officers' service.

``create_app(settings)`` builds a fresh app (nothing at import time) with the service's routers
and the maps (:mod:`supply.api.routers.maps`: the app is an edge and may compose ``maps``); more
routers are passed in ``routers``. ``app_from_env`` is the uvicorn factory used by ``jungong serve``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine

from supply.api import console, csp, docs, favicon, problems
from supply.api.access_log import AccessLog
from supply.api.limits import BodyLimit
from supply.api.models.common import problem_schemas
from supply.api.routers import (
    admin,
    analyses,
    dispatches,
    drills,
    films,
    maps,
    packages,
    reports,
    requests,
    stations,
    stock,
    sync,
    teams,
)
from supply.api.runtime import Runtime
from supply.core.settings import Settings, get_settings

log = logging.getLogger(__name__)

#: The service's own routers, in the order the docs list them (their tags, in this order: ``openapi_tags``).
ROUTERS: tuple[APIRouter, ...] = (
    admin.router,
    stations.router,
    stock.router,
    requests.router,
    dispatches.router,
    reports.router,
    teams.router,
    drills.router,
    packages.router,
    films.router,
    analyses.router,
    sync.router,
)
#: Tried first when a request is routed: the duty officers' own traffic. FastAPI tries every route of
#: every router in turn until one matches (a regular expression each), so a dispatch's status POST
#: behind the admin, station and stock routes paid for theirs on every request (issue 21's profile).
HOT_ROUTERS: tuple[APIRouter, ...] = (dispatches.router, requests.router, stock.router)


def create_app(
    settings: Settings | None = None, *, engine: Engine | None = None, routers: Iterable[APIRouter] = ()
) -> FastAPI:
    """A new app on ``settings``' database (or ``engine``), with the extra ``routers``."""
    app = FastAPI(
        lifespan=_lifespan,
        title="jungong — duty officers' service",
        version="1",
        # Markdown (ReDoc and Swagger UI render it): a bare <token> would be read as an HTML tag and vanish
        description="Stock ledger, support requests and dispatches for Guangzhou's military supply stations (军供站). "
        "Authenticate with the header `Authorization: Bearer <token>`; errors are RFC 9457 problem+json.\n\n"
        "# Authentication\n\n<!-- ReDoc-Inject: <security-definitions> -->",
        openapi_tags=[{"name": tag} for tag in dict.fromkeys(t for r in ROUTERS for t in r.tags)],
        docs_url=None,  # served offline by supply.api.docs instead of FastAPI's CDN pages
        redoc_url=None,
    )
    app.state.runtime = Runtime(settings or get_settings(), engine)
    problems.install(app)
    limits = app.state.runtime.settings
    sync_limit = {"/sync/": (limits.max_sync_bytes, "JUNGONG_MAX_SYNC_BYTES")}
    app.add_middleware(BodyLimit, limit=limits.max_body_bytes, wider=sync_limit)
    rest = (r for r in ROUTERS if r not in HOT_ROUTERS)
    for router in (*HOT_ROUTERS, *rest, maps.assets, maps.router, docs.router, favicon.router, *routers):
        app.include_router(router)
    console.install(app)
    app.add_middleware(csp.HtmlPolicy)
    app.add_middleware(AccessLog)  # the outermost: every answer is logged, refusals by the others too
    _with_problem_schemas(app)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Resume the drills' planning jobs a stopped server left behind (now, and every few seconds those
    of a server process killed meanwhile); stop the jobs (and this process's analyses) at shutdown."""
    runtime: Runtime = app.state.runtime
    try:
        await run_in_threadpool(runtime.jobs.recover, runtime.engine)
    except Exception as exc:  # an uninitialised or unreachable database: requests will say so
        log.warning("could not look for drills left planning: %s", exc)
    runtime.jobs.watch(runtime.engine)
    yield
    if "analyses" in vars(runtime):  # this process ran analyses: their jobs stop at their next progress step
        from supply.api.drill_jobs import process_id

        runtime.analyses.abandon(process_id())
    runtime.jobs.close()
    runtime.close()


def _with_problem_schemas(app: FastAPI) -> None:
    """Add the problem document's schema to ``/openapi.json`` (the routes refer to it: see ``problems()``)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {}).setdefault("schemas", {}).update(problem_schemas())
        return app.openapi_schema  # type: ignore[return-value]  # set by build()

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise the schema


def app_from_env() -> FastAPI:
    """Uvicorn factory: settings from the environment (``JUNGONG_DATABASE_URL``…); Python's warnings
    are logged like everything else (in the server's one format, :mod:`supply.core.logs`)."""
    logging.captureWarnings(True)
    return create_app(get_settings())
