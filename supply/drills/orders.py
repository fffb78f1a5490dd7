"""Orders down a live drill's chain: to a station or a team, issued → acknowledged → in_progress → done.

An order may be refused with a reason from any open step; every step is an
:class:`~supply.drills.models.OrderEvent` with its time. An order still issued after its
ack_by is *overdue*. Only the joint command orders stations; a station command may order its
own station's teams; only the recipient (the station's command, the team's leader) moves an order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import or_
from sqlmodel import Session, col, select

from supply.core.errors import ForbiddenError, UnknownCodeError
from supply.core.transitions import check_transition
from supply.core.types import Code, OrderText, Text, When
from supply.drills.chain import is_joint, membership, open_drill, team_key_in_drill
from supply.drills.models import DrillOrder, OrderEvent, Team, team_code
from supply.drills.rights import answers, may_order_team
from supply.service.audit import record
from supply.service.auth import Caller
from supply.service.dispatches import StatusChange
from supply.service.models import Station, id_of, utcnow

OrderStatus = Literal["acknowledged", "in_progress", "done", "refused"]


ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    "issued": frozenset({"acknowledged", "refused"}),
    "acknowledged": frozenset({"in_progress", "refused"}),
    "in_progress": frozenset({"done", "refused"}),
    "done": frozenset(),
    "refused": frozenset(),
}


OPEN_ORDERS = ("issued", "acknowledged", "in_progress")


class OrderIn(BaseModel):
    """An order to a station or a team: "prepare 1,200 hot meals at GZ-RAIL by 06:30"."""

    model_config = ConfigDict(extra="forbid")

    station: Code | None = None
    team: Code | None = None
    text: OrderText
    ack_within_minutes: float = Field(default=15, ge=0, le=10_080, allow_inf_nan=False)
    due_at: When | None = None

    @model_validator(mode="after")
    def _one_recipient(self) -> OrderIn:
        if (self.station is None) == (self.team is None):
            msg = "give exactly one of 'station' or 'team'"
            raise ValueError(msg)
        return self


class OrderStatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: OrderStatus
    reason: Text = ""

    @model_validator(mode="after")
    def _reason(self) -> OrderStatusIn:
        if self.status == "refused" and not self.reason.strip():
            msg = "a refusal needs a reason"
            raise ValueError(msg)
        return self


def _team_station(session: Session, key: str) -> str:
    row = session.get(Team, key)
    assert row is not None  # a key team_key_in_drill found
    return row.station


def issue_order(
    session: Session, actor: Caller, drill_id: int, data: OrderIn, *, now: datetime | None = None
) -> DrillOrder:
    """Issue an order down the chain (see the module docstring for who may order whom)."""
    open_drill(session, drill_id)
    now = now or utcnow()
    joint = is_joint(session, drill_id, actor)
    team = None
    if data.station is not None:
        if session.get(Station, data.station) is None:
            raise UnknownCodeError("station", data.station, session.exec(select(Station.code)).all())
        if not joint:
            raise ForbiddenError.worded("only the joint command issues orders to stations")
    else:
        team = team_key_in_drill(session, drill_id, data.team or "")
        station = _team_station(session, team)
        if not may_order_team(joint, membership(session, drill_id, actor.id), station):
            raise ForbiddenError.worded(
                "only the joint command or {station}'s station command may order team {team}",
                station=station,
                team=data.team,
            )
    order = DrillOrder(
        drill_id=drill_id,
        station=data.station,
        team=team,
        text=data.text,
        ack_by=now + timedelta(minutes=data.ack_within_minutes),
        due_at=data.due_at,
        issued_by=actor.name,
        issued_at=now,
    )
    session.add(order)
    session.flush()
    session.add(OrderEvent(order_id=id_of(order), at=now, to_status="issued", actor=actor.name))
    record(
        session,
        actor.name,
        "order.issue",
        f"order:{order.id}",
        exercise=True,
        detail={"drill_id": drill_id, "station": data.station, "team": data.team, "text": data.text},
    )
    session.flush()
    return order


def get_order(session: Session, drill_id: int, order_id: int, *, for_update: bool = False) -> DrillOrder:
    q = select(DrillOrder).where(DrillOrder.id == order_id, DrillOrder.drill_id == drill_id)
    order = session.exec(q.with_for_update() if for_update else q).first()
    if order is None:
        raise UnknownCodeError("order", str(order_id))
    return order


def move_order(session: Session, actor: Caller, drill_id: int, order_id: int, data: OrderStatusIn) -> DrillOrder:
    """The recipient acknowledges, starts, finishes or refuses an order."""
    open_drill(session, drill_id)
    order = get_order(session, drill_id, order_id, for_update=True)
    if not answers(membership(session, drill_id, actor.id), order.station, order.team):
        if order.station:
            raise ForbiddenError.worded(
                "only station {station}'s command may answer order {order}", station=order.station, order=order_id
            )
        raise ForbiddenError.worded(
            "only team {team}'s leader may answer order {order}", team=team_code(order.team or ""), order=order_id
        )
    check_transition(ORDER_TRANSITIONS, "order", order_id, order.status, data.status)
    session.add(
        OrderEvent(
            order_id=order_id, from_status=order.status, to_status=data.status, note=data.reason, actor=actor.name
        )
    )
    record(
        session,
        actor.name,
        f"order.{data.status}",
        f"order:{order_id}",
        reason=data.reason,
        exercise=True,
        detail={"drill_id": drill_id, "from": order.status},
    )
    order.status = data.status
    if data.status == "refused":
        order.reason = data.reason
    session.add(order)
    session.flush()
    return order


def visible_orders(session: Session, drill_id: int, user: Caller, *, open_only: bool = False) -> list[DrillOrder]:
    """The orders ``user`` may see: all for the joint command and staff outside the drill; a station
    command its station's and its teams'; a team leader only their team's."""
    q = select(DrillOrder).where(DrillOrder.drill_id == drill_id)
    if open_only:
        q = q.where(col(DrillOrder.status).in_(OPEN_ORDERS))
    m = membership(session, drill_id, user.id)
    if m is not None and m.role == "station_command" and user.role != "admin":
        teams = select(Team.code).where(Team.station == m.station)
        q = q.where(or_(col(DrillOrder.station) == m.station, col(DrillOrder.team).in_(teams)))
    elif m is not None and m.role == "team_leader" and user.role != "admin":
        q = q.where(DrillOrder.team == m.team)
    return list(session.exec(q.order_by(col(DrillOrder.id))))


@dataclass(frozen=True)
class OrderView:
    """An order with its log, and whether it is overdue at ``now``.

    ``overdue_ack``: still issued after its ``ack_by``; ``late``: still open after its ``due_at``.
    """

    order: DrillOrder
    history: list[StatusChange]
    overdue_ack: bool
    late: bool


def order_views(session: Session, orders: list[DrillOrder], *, now: datetime | None = None) -> list[OrderView]:
    """The orders with their logs (one query) and their overdue flags at ``now``."""
    now = now or utcnow()
    ids = [o.id for o in orders]
    events: dict[int, list[StatusChange]] = {i: [] for i in ids if i is not None}
    for ev in session.exec(select(OrderEvent).where(col(OrderEvent.order_id).in_(ids)).order_by(col(OrderEvent.id))):
        events[ev.order_id].append(StatusChange.of(ev))
    return [
        OrderView(
            o,
            events[o.id or 0],
            overdue_ack=o.status == "issued" and now > o.ack_by,
            late=o.status in OPEN_ORDERS and o.due_at is not None and now > o.due_at,
        )
        for o in orders
    ]
