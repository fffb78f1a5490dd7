"""Support requests, the options to serve them, and reading dispatches.

A dispatch is one station serving (part of) one request. Planning reserves the stock, delivery
issues it, cancelling releases it — each through :mod:`supply.service.ledger`, in the caller's
transaction; those writes are in :mod:`supply.service.dispatches`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import numpy as np
from sqlmodel import Session, col, select

from supply.core.approvals import ApprovalRule
from supply.core.errors import ConflictError, UnknownCodeError
from supply.core.factors import Factors, compute_needs
from supply.core.network import Network
from supply.core.routing import travel_minutes
from supply.service import ledger
from supply.service.approvals import assess
from supply.service.audit import record
from supply.service.dispatches import DispatchRecord
from supply.service.inputs import DispatchIn, LineIn, RequestIn
from supply.service.models import Dispatch, DispatchEvent, DispatchLine, Site, Station, SupportRequest, utcnow

#: Statuses whose lines still count against a request's needs.
LIVE = ("proposed", "planned", "dispatched", "delivered", "closed")


def create_request(
    session: Session, actor: str, data: RequestIn, factors: Factors, rules: list[ApprovalRule] | None = None
) -> SupportRequest:
    """Record a support request; needs are the given ones or computed from the planning factors.

    ``rules``: the scenario's approval thresholds; a request tripping one waits for approval.
    """
    if session.get(Site, data.site) is None:
        raise UnknownCodeError("site", data.site, session.exec(select(Site.code)).all())
    if data.needs is not None:
        for code in data.needs:
            ledger.require_item(
                session, code, f"needs.{code}", quantity=data.needs[code], quantity_field=f"needs.{code}"
            )
        needs, computed = dict(data.needs), False
    else:
        needs = compute_needs(
            factors, headcount=data.headcount, vehicles=data.vehicles, dwell_minutes=data.dwell_minutes
        )
        computed = True
    req = SupportRequest(
        unit=data.unit,
        headcount=data.headcount,
        special_diets=dict(data.special_diets),
        vehicles=data.vehicles,
        mode=data.mode,
        site=data.site,
        arrive_at=data.arrive_at,
        dwell_minutes=data.dwell_minutes,
        priority=data.priority,
        received_at=data.received_at or utcnow(),
        needs=needs,
        needs_computed=computed,
        exercise=data.exercise,
        note=data.note,
        created_by=actor,
    )
    assess(req, rules or [])
    session.add(req)
    session.flush()
    record(
        session,
        actor,
        "request.create",
        f"request:{req.id}",
        reason=data.note,
        exercise=data.exercise,
        detail={"unit": data.unit, "site": data.site, "needs": needs, "approval": req.approval},
    )
    return req


def get_request(session: Session, request_id: int) -> SupportRequest:
    req = session.get(SupportRequest, request_id)
    if req is None:
        raise UnknownCodeError("request", str(request_id))
    return req


def list_requests(
    session: Session, *, exercise: bool | None = None, site: str | None = None, limit: int = 100, offset: int = 0
) -> list[SupportRequest]:
    q = select(SupportRequest)
    if exercise is not None:
        q = q.where(SupportRequest.exercise == exercise)
    if site is not None:
        q = q.where(SupportRequest.site == site)
    return list(session.exec(q.order_by(col(SupportRequest.id).desc()).offset(offset).limit(limit)))


def remaining_needs(session: Session, req: SupportRequest) -> dict[str, float]:
    """The request's needs less what live dispatches already carry (never below zero)."""
    q = (
        select(DispatchLine.item, DispatchLine.quantity)
        .join(Dispatch, col(Dispatch.id) == DispatchLine.dispatch_id)
        .where(Dispatch.request_id == req.id, col(Dispatch.status).in_(LIVE))
    )
    sent: dict[str, float] = defaultdict(float)
    for item, qty in session.exec(q):
        sent[item] += qty
    return {item: max(qty - sent[item], 0.0) for item, qty in req.needs.items()}


def options(session: Session, network: Network, req: SupportRequest, *, now: datetime | None = None) -> list[dict]:
    """Stations ranked by ETA to the request's site, with what each can cover of the remaining needs."""
    now = now or utcnow()
    need = remaining_needs(session, req)
    codes = [c for c in network.station_codes() if session.get(Station, c) is not None]
    if not network.has_node(req.site):
        raise UnknownCodeError("site", req.site)
    minutes = travel_minutes(network, codes, [req.site])[:, 0] if codes else np.empty(0)
    out = []
    for code, eta in zip(codes, minutes, strict=True):
        reachable = bool(eta < float("inf"))
        covers, shortfall = {}, {}
        for item, qty in need.items():
            have = max(ledger.balance(session, code, item, req.exercise).available, 0.0)
            covers[item] = min(have, qty)
            shortfall[item] = max(qty - have, 0.0)
        station = network.scenario.station(code)
        out.append(
            {
                "station": code,
                "name": station.name,
                "tier": station.tier,
                "eta_minutes": round(float(eta), 1) if reachable else None,
                "reachable": reachable,
                "in_time": reachable and now + timedelta(minutes=float(eta)) <= req.arrive_at,
                "covers": covers,
                "shortfall": shortfall,
                "covers_all": not any(shortfall.values()),
            }
        )
    out.sort(key=lambda o: (not o["reachable"], o["eta_minutes"] or 0.0, o["station"]))
    return out


def dispatch_from_option(session: Session, network: Network, req: SupportRequest, station: str) -> DispatchIn:
    """The dispatch that carries what ``station``'s option covers of the request's remaining needs.

    "Plan from this option" in one step: the lines are the option's ``covers`` (never more than is
    available, never more than is still needed). :class:`ConflictError` when it covers nothing.
    """
    option = next((o for o in options(session, network, req) if o["station"] == station), None)
    if option is None:
        raise UnknownCodeError("station", station, [o["station"] for o in options(session, network, req)])
    lines = [LineIn(item=item, quantity=qty) for item, qty in sorted(option["covers"].items()) if qty > 0]
    if not lines:
        msg = f"{station} has nothing available that request {req.id} still needs"
        raise ConflictError(msg)
    return DispatchIn(request_id=req.id, station=station, lines=lines)


def get_dispatch(session: Session, dispatch_id: int, *, for_update: bool = False) -> Dispatch:
    q = select(Dispatch).where(Dispatch.id == dispatch_id)
    dispatch = session.exec(q.with_for_update() if for_update else q).first()
    if dispatch is None:
        raise UnknownCodeError("dispatch", str(dispatch_id))
    return dispatch


def list_dispatches(
    session: Session,
    *,
    status: str | None = None,
    station: str | None = None,
    exercise: bool | None = None,
    request_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Dispatch]:
    q = select(Dispatch)
    for column, value in (
        (Dispatch.status, status),
        (Dispatch.station, station),
        (Dispatch.exercise, exercise),
        (Dispatch.request_id, request_id),
    ):
        if value is not None:
            q = q.where(column == value)
    return list(session.exec(q.order_by(col(Dispatch.id).desc()).offset(offset).limit(limit)))


def _lines(session: Session, ids: list[int | None]) -> dict[int | None, list[DispatchLine]]:
    out: dict[int | None, list[DispatchLine]] = defaultdict(list)
    for ln in session.exec(
        select(DispatchLine).where(col(DispatchLine.dispatch_id).in_(ids)).order_by(col(DispatchLine.id))
    ):
        out[ln.dispatch_id].append(ln)
    return out


def dispatch_records(session: Session, dispatches: list[Dispatch]) -> list[DispatchRecord]:
    """Dispatches with their lines and status history (the standing changes: a rejected one is a sync conflict)."""
    ids = [d.id for d in dispatches]
    lines = _lines(session, ids)
    events: dict[int | None, list[DispatchEvent]] = defaultdict(list)
    standing = col(DispatchEvent.rejected).is_(False)
    for ev in session.exec(
        select(DispatchEvent).where(col(DispatchEvent.dispatch_id).in_(ids), standing).order_by(col(DispatchEvent.id))
    ):
        events[ev.dispatch_id].append(ev)
    return [DispatchRecord.of(d, [(ln.item, ln.quantity) for ln in lines[d.id]], events[d.id]) for d in dispatches]
