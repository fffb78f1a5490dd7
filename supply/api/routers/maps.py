"""The API's maps: ``GET /maps/coverage`` with live stock and dispatches under way, and the map assets.

The composition seam between the service and :mod:`maps`: the maps layer takes plain data and
renders; here the app hands it the stored network, the ledger's balances and the routes of the
dispatches that are planned or on the road. The vendored scripts are served without
authentication (browsers fetch them without the page's bearer token); the map itself needs a
reader's role. Errors (unknown codes, bad thresholds) are :class:`~supply.core.errors.JungongError`
for the app's one problem+json handler.
"""

from __future__ import annotations

import mimetypes
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import StringConstraints
from sqlmodel import Session, col, select

from maps.assets import ASSETS_URL, STATIC_DIR, asset_files
from maps.coverage_map import coverage_map
from maps.words import Tr, same
from supply.api import csp
from supply.api.deps import RuntimeDep, SessionDep, require_role
from supply.api.models.common import READ_ONE
from supply.api.runtime import Runtime
from supply.core.coverage import coverage, parse_thresholds
from supply.core.errors import UnreachableError
from supply.core.network import Disruptions, Network
from supply.core.routing import fastest_route
from supply.core.types import CLEAN
from supply.service.auth import READERS
from supply.service.models import Station, SupportRequest
from supply.service.requests import list_dispatches
from supply.service.stock import stock

UNDER_WAY = ("planned", "dispatched")
#: A query argument: short text without control characters.
Arg = Annotated[str, StringConstraints(max_length=500), *CLEAN]
ExerciseBook = Annotated[bool, Query(description="show the exercise (drill) book and drill dispatches")]

assets = APIRouter(tags=["maps"])
router = APIRouter(tags=["maps"], dependencies=[Depends(require_role(READERS))])
_ASSET_FILES = frozenset(asset_files())
#: The page, or a problem (an unknown code is 404, a bad threshold 422).
MAP = {200: {"content": {"text/html": {"schema": {"type": "string"}}}, "description": "the map page"}, **READ_ONE}


@assets.get(ASSETS_URL + "/{name:path}", include_in_schema=False)
def asset(name: str) -> FileResponse:
    """One vendored file (a fixed list: nothing outside the static folder is reachable)."""
    if name not in _ASSET_FILES:
        raise HTTPException(status_code=404, detail=f"no map asset '{name}'")
    media = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return FileResponse(STATIC_DIR / name, media_type=media, headers={"Cache-Control": "public, max-age=86400"})


def live_stock(session: Session, window_days: int, *, exercise: bool = False) -> dict[str, dict[str, dict]]:
    """``{station: {item: {"on_hand", "days_of_supply", "unit", …}}}`` from the ledger."""
    codes = session.exec(select(Station.code).order_by(Station.code)).all()
    return {
        code: {row["item"]: row for row in stock(session, code, exercise=exercise, window_days=window_days)}
        for code in codes
    }


def dispatch_routes(session: Session, net: Network, *, exercise: bool = False) -> list[dict]:
    """One ``{"path", "label"}`` per dispatch under way (unreachable ones are left out)."""
    dispatches = [d for status in UNDER_WAY for d in list_dispatches(session, status=status, exercise=exercise)]
    requests = {
        r.id: r
        for r in session.exec(
            select(SupportRequest).where(col(SupportRequest.id).in_([d.request_id for d in dispatches]))
        )
    }
    routes = []
    for d in dispatches:
        req = requests[d.request_id]
        try:
            path = fastest_route(net, d.station, req.site).path
        except UnreachableError:
            continue
        routes.append({"path": path, "label": f"dispatch {d.id} ({d.status}): {d.station} → {req.unit} at {req.site}"})
    return routes


@router.get("/maps/coverage", response_class=HTMLResponse, summary="Coverage map (HTML)", responses=MAP)
def coverage_page(
    session: SessionDep,
    runtime: RuntimeDep,
    exercise: ExerciseBook = False,
    minutes: Annotated[Arg, Query(description="Thresholds in minutes, e.g. 30,60,120.")] = "30,60,120",
    close: Annotated[list[Arg] | None, Query(description="Close a link (name or A~B).")] = None,
    offline: Annotated[list[Arg] | None, Query(description="Take a station offline.")] = None,
    slow: Annotated[list[Arg] | None, Query(description="Slow a link: A~B=1.5.")] = None,
    tiles: Annotated[Arg | None, Query(description="Tile URL template of a reachable tile server.")] = None,
    assets: Annotated[Arg, Query(description="served (default) or inline.")] = "served",
) -> HTMLResponse:
    """The coverage map with the ledger's stock and the dispatches under way (read roles)."""
    page = coverage_html(session, runtime, exercise, minutes, close, offline, slow, tiles, assets)
    return HTMLResponse(page, headers={csp.HEADER: csp.for_map(page, tiles)})


def coverage_html(
    session: Session,
    runtime: Runtime,
    exercise: bool,
    minutes: str,
    close: list[str] | None,
    offline: list[str] | None,
    slow: list[str] | None,
    tiles: str | None,
    assets: str,
    tr: Tr = same,
) -> str:
    """The coverage map's page (``tr`` translates its words: the console passes the user's language)."""
    thresholds = parse_thresholds(minutes)
    net = runtime.network.disrupted(Disruptions.parse(close, offline, slow))
    result = coverage(net, thresholds)
    return coverage_map(
        net,
        result,
        stock=live_stock(session, runtime.policy.consumption_window_days, exercise=exercise),
        dispatches=dispatch_routes(session, runtime.network, exercise=exercise),
        tiles=tiles,
        assets=assets,
        assets_url=ASSETS_URL,
        tr=tr,
    )
