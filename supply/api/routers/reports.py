"""CSV exports for the paper log.

Each export is one book: the real operations' by default, the drills' with ``?exercise=true`` —
so a drill never appears in the paper log of real operations.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from supply.api.deps import BookQuery, CodeQuery, LinkQuery, Reader, RuntimeDep, SessionDep
from supply.api.models.common import READ, READ_ONE
from supply.api.models.stock import ExpiringPublic, SurvivePublic
from supply.service.expiring import expiring
from supply.service.exports import dispatches_csv, stock_csv
from supply.service.inputs import Status
from supply.service.survive import survive_report

router = APIRouter(tags=["reports"])
CSV = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV"}, **READ}


@router.get("/reports/stock.csv", response_class=Response, responses=CSV)
def get_stock_csv(session: SessionDep, runtime: RuntimeDep, _: Reader, exercise: BookQuery = False) -> Response:
    text = stock_csv(session, exercise=exercise, window_days=runtime.policy.consumption_window_days)
    return Response(text, media_type="text/csv; charset=utf-8")


@router.get("/reports/expiring", response_model=ExpiringPublic, responses=READ)
def get_expiring(
    session: SessionDep,
    runtime: RuntimeDep,
    _: Reader,
    days: Annotated[int, Query(ge=0, le=3650, description="the horizon: lots expiring within N days")] = 30,
    exercise: BookQuery = False,
) -> dict:
    """What will expire before it is used: per station, item and lot, the quantity at risk (``definition``)."""
    return expiring(session, days=days, exercise=exercise, window_days=runtime.policy.consumption_window_days)


@router.get("/reports/survive", response_model=SurvivePublic, responses=READ_ONE)
def get_survive(
    session: SessionDep,
    runtime: RuntimeDep,
    _: Reader,
    cut: LinkQuery = None,
    station: CodeQuery = None,
    days: Annotated[int, Query(ge=1, le=90, description="the horizon in days")] = 14,
    exercise: BookQuery = False,
) -> dict:
    """Days each station's stock lasts if resupply stops (every station, one, or those a cut link stops).

    Monte Carlo over daily demand resampled from the consumption window: median and 90% band (``definition``).
    """
    network = runtime.network if cut else None
    window = runtime.policy.consumption_window_days
    return survive_report(
        session, network=network, cut=cut, station=station, exercise=exercise, window_days=window, horizon=days
    )


@router.get("/reports/dispatches.csv", response_class=Response, responses=CSV)
def get_dispatches_csv(
    session: SessionDep,
    runtime: RuntimeDep,
    _: Reader,
    exercise: BookQuery = False,
    status: Annotated[Status | None, Query()] = None,
    station: CodeQuery = None,
) -> Response:
    text = dispatches_csv(session, runtime.tz, exercise=exercise, status=status, station=station)
    return Response(text, media_type="text/csv; charset=utf-8")
