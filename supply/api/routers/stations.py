"""Stations and their stock."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import select

from supply.api.deps import BookQuery, CodePath, Reader, RuntimeDep, SessionDep
from supply.service.ledger import require_station
from supply.service.models import Station
from supply.service.stock import stock

router = APIRouter(tags=["stations"])


def _station(s: Station) -> dict:
    return {"code": s.code, "name": s.name, "tier": s.tier, "lat": s.lat, "lon": s.lon, "capacity": s.capacity}


@router.get("/stations")
def list_stations(session: SessionDep, _: Reader) -> list[dict]:
    """Every station with its capacity and tier."""
    return [_station(s) for s in session.exec(select(Station).order_by(Station.code))]


@router.get("/stations/{code}")
def get_station(code: CodePath, session: SessionDep, _: Reader) -> dict:
    return _station(require_station(session, code))


@router.get("/stations/{code}/stock")
def station_stock(
    code: CodePath, session: SessionDep, runtime: RuntimeDep, _: Reader, exercise: BookQuery = False
) -> list[dict]:
    """On hand, reserved, available and days of supply (``null`` = unbounded: nothing consumed lately)."""
    return stock(session, code, exercise=exercise, window_days=runtime.policy.consumption_window_days)
