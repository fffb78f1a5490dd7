"""The API's maps: ``GET /maps/coverage`` with live stock and dispatches under way, and the assets.

This is the composition seam between the service and :mod:`maps`: the maps layer takes plain
data, and here the app hands it the stored network, the ledger's balances and the routes of the
dispatches that are planned or on the road.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session, col, select

from maps.api import assets_router, coverage_router

from ..auth import READERS
from ..balances import stock
from ..dispatching import list_dispatches
from ..errors import UnreachableError
from ..models import Station, SupportRequest
from ..network import Network
from ..routing import fastest_route
from .deps import RuntimeDep, SessionDep, require_role

UNDER_WAY = ("planned", "dispatched")
ExerciseBook = Annotated[bool, Query(description="show the exercise (drill) book and drill dispatches")]


def network(runtime: RuntimeDep) -> Network:
    return runtime.network


def live_stock(session: SessionDep, runtime: RuntimeDep, exercise: ExerciseBook = False) -> dict:
    """``{station: {item: {"on_hand", "days_of_supply", "unit"}}}`` from the ledger."""
    window = runtime.policy.consumption_window_days
    codes = session.exec(select(Station.code).order_by(Station.code)).all()
    return {
        code: {row["item"]: row for row in stock(session, code, exercise=exercise, window_days=window)}
        for code in codes
    }


def under_way(session: SessionDep, runtime: RuntimeDep, exercise: ExerciseBook = False) -> list[dict]:
    """Routes of the dispatches planned or on the road, from their station to the request's site."""
    return dispatch_routes(session, runtime.network, exercise=exercise)


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


def routers() -> list[APIRouter]:
    """The maps routers: public assets, and the coverage map for every role (commander or above)."""
    return [
        assets_router(),
        coverage_router(
            network, get_stock=live_stock, get_dispatches=under_way, dependencies=[Depends(require_role(READERS))]
        ),
    ]
