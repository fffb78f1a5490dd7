"""Stations and their stock."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlmodel import select

from supply.api.deps import BookQuery, CodePath, Reader, RuntimeDep, SessionDep
from supply.api.models.common import READ, READ_ONE
from supply.api.models.stock import StationPublic, StockLotPublic, StockRowPublic
from supply.service.expiring import stock_by_lot
from supply.service.ledger import require_station
from supply.service.models import Station
from supply.service.stock import stock

router = APIRouter(tags=["stations"])


@router.get("/stations", responses=READ)
def list_stations(session: SessionDep, _: Reader) -> list[StationPublic]:
    """Every station with its capacity and tier."""
    return [StationPublic.of(s) for s in session.exec(select(Station).order_by(Station.code))]


@router.get("/stations/{code}", responses=READ_ONE)
def get_station(code: CodePath, session: SessionDep, _: Reader) -> StationPublic:
    return StationPublic.of(require_station(session, code))


@router.get("/stations/{code}/stock", response_model=list[StockRowPublic] | list[StockLotPublic], responses=READ_ONE)
def station_stock(
    code: CodePath,
    session: SessionDep,
    runtime: RuntimeDep,
    _: Reader,
    exercise: BookQuery = False,
    by: Annotated[Literal["item", "lot"], Query(description="one row per item, or per lot holding stock")] = "item",
) -> list[dict]:
    """On hand, reserved, available and days of supply (``null`` = unbounded: nothing consumed lately).

    ``?by=lot``: every lot holding stock, first-expiring first, with its expiry date (the unlotted stock last).
    """
    if by == "lot":
        return stock_by_lot(session, code, exercise=exercise, on=None)
    return stock(session, code, exercise=exercise, window_days=runtime.policy.consumption_window_days)
