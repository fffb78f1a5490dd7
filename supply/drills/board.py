"""What really happened in a live drill, and the command post's board of it.

Officers record each unit's real arrival, serving and departure; the board puts the plan beside
them with the drill's dispatches, orders, procedure and the exercise stock drawn.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel import Session, col, select

from supply.core.errors import ForbiddenError, InvalidArgumentError, UnknownCodeError
from supply.core.types import STOCK_ITEMS, When
from supply.drills import chain, orders, procedure
from supply.drills.models import Drill, DrillUnit, Team, TeamEvent
from supply.drills.rights import may_record_units
from supply.drills.teams import drill_view
from supply.service import ledger
from supply.service.audit import record
from supply.service.auth import Caller
from supply.service.models import Dispatch, Movement, id_of, utcnow


class UnitTimesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    arrived_at: When | None = None
    served_at: When | None = Field(default=None, description="the last of the unit fed")
    departed_at: When | None = None

    @model_validator(mode="after")
    def _some(self) -> UnitTimesIn:
        if self.arrived_at is None and self.served_at is None and self.departed_at is None:
            msg = "give at least one of arrived_at, served_at, departed_at"
            raise ValueError(msg)
        return self


def drill_units(session: Session, drill_id: int) -> list[DrillUnit]:
    return list(session.exec(select(DrillUnit).where(DrillUnit.drill_id == drill_id).order_by(col(DrillUnit.id))))


def record_unit_times(session: Session, actor: Caller, drill_id: int, code: str, data: UnitTimesIn) -> DrillUnit:
    """Record when a unit really arrived, was fed and left (officers, the joint or a station command)."""
    chain.open_drill(session, drill_id)
    if not may_record_units(actor, chain.membership(session, drill_id, actor.id)):
        raise ForbiddenError.worded(
            "only officers and the drill's commands record unit times (drill {drill})", drill=drill_id
        )
    unit = session.exec(select(DrillUnit).where(DrillUnit.drill_id == drill_id, DrillUnit.code == code)).first()
    if unit is None:
        known = session.exec(select(DrillUnit.code).where(DrillUnit.drill_id == drill_id)).all()
        raise UnknownCodeError("unit", code, known)
    for key in ("arrived_at", "served_at", "departed_at"):
        value = getattr(data, key)
        if value is not None:
            setattr(unit, key, value)
    if unit.arrived_at and unit.served_at and unit.served_at < unit.arrived_at:
        raise InvalidArgumentError.worded("unit {unit}: served_at is before arrived_at", unit=code)
    session.add(unit)
    record(
        session,
        actor.name,
        "drill.unit",
        f"drill:{drill_id}",
        exercise=True,
        detail={"unit": code, **data.model_dump(mode="json", exclude_none=True)},
    )
    session.flush()
    return unit


def drill_dispatches(session: Session, drill_id: int) -> list[Dispatch]:
    ids = select(DrillUnit.request_id).where(DrillUnit.drill_id == drill_id)
    return list(session.exec(select(Dispatch).where(col(Dispatch.request_id).in_(ids)).order_by(col(Dispatch.id))))


def stock_drawn(session: Session, drill_id: int) -> dict[str, dict[str, float]]:
    """What the drill's delivered dispatches issued, per station and item (exercise book)."""
    ids = [d.id for d in drill_dispatches(session, drill_id)]
    out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    q = select(Movement).where(col(Movement.dispatch_id).in_(ids), Movement.kind == ledger.DELIVERY)
    for m in session.exec(q):
        out[m.station][m.item] += m.quantity
    return {st: dict(items) for st, items in sorted(out.items())}


class DispatchBrief(NamedTuple):
    """A dispatch in one line: which, from where, how far along."""

    id: int
    station: str
    status: str


@dataclass(frozen=True)
class TeamBrief:
    """A team on the board: its status and since when (its last logged change)."""

    team: Team
    since: datetime | None


@dataclass(frozen=True)
class Board:
    """The command post's live board at ``now``, every time in UTC (the edge shows them in its zone).

    ``stock[station][item]`` holds ``on_hand``, ``planned_draw_to_now`` and ``drawn``.
    """

    drill: Drill
    now: datetime
    elapsed_minutes: float
    units: list[tuple[DrillUnit, list[DispatchBrief]]]
    orders: list[orders.OrderView]
    teams: list[TeamBrief]
    stock: dict[str, dict[str, dict[str, float]]]
    procedure: list[procedure.StepProgress]
    members: list[chain.Member]


def board(session: Session, drill: Drill, user: Caller, *, now: datetime | None = None) -> Board:
    """The command post's live board: units planned vs actual, open orders, teams, stock vs plan."""
    now = now or utcnow()
    elapsed = (now - drill.start_at).total_seconds() / 60.0
    by_request: dict[int, list[DispatchBrief]] = defaultdict(list)
    for d in drill_dispatches(session, id_of(drill)):
        by_request[d.request_id].append(DispatchBrief(id_of(d), d.station, d.status))
    units = [(u, by_request.get(u.request_id or 0, [])) for u in drill_units(session, id_of(drill))]
    stations = sorted(
        {u["station"] for u in drill.plan.get("units", []) if u["station"]} | set(drill.plan.get("stock_draw", {}))
    )
    teams = [t for t in drill_view(session, id_of(drill)) if t.station in stations]
    last: dict[str, datetime] = {}
    q = select(TeamEvent.team, TeamEvent.at).where(col(TeamEvent.team).in_([t.code for t in teams]))
    for code, at in session.exec(q):
        last[code] = max(last.get(code, at), at)
    drawn = stock_drawn(session, id_of(drill))
    stock = {}
    for st in stations:
        planned: defaultdict[str, float] = defaultdict(float)
        for h in drill.plan.get("stock_draw", {}).get(st, []):
            if h["hour"] * 60 <= elapsed:
                for item in STOCK_ITEMS:
                    planned[item] += h.get(item, 0.0)
        stock[st] = {
            item: {
                "on_hand": round(ledger.balance(session, st, item, True).on_hand, 3),
                "planned_draw_to_now": round(planned[item], 1),
                "drawn": round(drawn.get(st, {}).get(item, 0.0), 3),
            }
            for item in STOCK_ITEMS
        }
    open_orders = orders.visible_orders(session, id_of(drill), user, open_only=True)
    return Board(
        drill=drill,
        now=now,
        elapsed_minutes=round(elapsed, 1),
        units=units,
        orders=orders.order_views(session, open_orders, now=now),
        teams=[TeamBrief(t, last.get(t.code)) for t in teams],
        stock=stock,
        procedure=procedure.procedure(session, drill),
        members=chain.members(session, id_of(drill)),
    )
