"""Live drills: the drill, its members, orders, procedure, units and the command post's board."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field

from supply.api.models.common import LocalTime, Number, Public
from supply.api.models.requests import StatusChangePublic
from supply.core.timefmt import local_iso
from supply.drills.board import Board, DispatchBrief
from supply.drills.chain import Member
from supply.drills.models import Drill, DrillUnit, team_code
from supply.drills.orders import OrderView
from supply.drills.procedure import StepProgress
from supply.service.models import id_of


class DrillPublic(Public):
    """A live drill (always exercise): open, or closed and read-only."""

    id: int
    name: str
    scenario: str = Field(description="the scenario file's name")
    status: str
    exercise: bool
    start_at: LocalTime
    created_by: str
    created_at: LocalTime
    closed_at: LocalTime | None
    progress: float | None = Field(default=None, description="share of the planning job done (0–1)")
    error: str | None = Field(default=None, description="why planning failed or was cancelled")

    @classmethod
    def fields(cls, d: Drill, tz: ZoneInfo) -> dict[str, Any]:
        """The drill's own fields, for this class and those that extend it."""
        return {
            "id": d.id,
            "name": d.name,
            "scenario": Path(d.scenario_source).name,
            "status": d.status,
            "exercise": True,
            "start_at": local_iso(d.start_at, tz),
            "created_by": d.created_by,
            "created_at": local_iso(d.created_at, tz),
            "closed_at": local_iso(d.closed_at, tz),
            "progress": d.progress,
            "error": d.error,
        }

    @classmethod
    def of(cls, d: Drill, tz: ZoneInfo) -> DrillPublic:
        return cls.model_validate(cls.fields(d, tz))


class MemberPublic(Public):
    """A user's role in the drill: joint_command, station_command (of a station) or team_leader (of a team)."""

    user: str
    role: str
    station: str | None
    team: str | None

    @classmethod
    def of(cls, m: Member) -> MemberPublic:
        return cls(user=m.user, role=m.role, station=m.station, team=m.team)


class StepPublic(Public):
    """A procedure step: its actual minutes (from the previous step) against its target."""

    step: str
    target_minutes: Number
    actual_minutes: Number | None
    done_at: LocalTime | None
    over_target: bool

    @classmethod
    def of(cls, p: StepProgress, tz: ZoneInfo) -> StepPublic:
        return cls(
            step=p.step,
            target_minutes=p.target_minutes,
            actual_minutes=p.actual_minutes,
            done_at=local_iso(p.done_at, tz),
            over_target=p.over_target,
        )


class DrillDispatchPublic(Public):
    """A dispatch the drill's plan proposed."""

    id: int
    request_id: int
    station: str
    status: str


class DrillDetailPublic(DrillPublic):
    """A drill with its command chain and procedure; once planned, its units without a request and dispatches."""

    members: list[MemberPublic]
    procedure: list[StepPublic]
    units_without_request: list[str] = Field(default_factory=list)
    dispatches: list[DrillDispatchPublic] = Field(default_factory=list)


class OrderPublic(Public):
    """An order down the chain, its log and whether it is overdue."""

    id: int
    drill_id: int
    station: str | None
    team: str | None
    text: str
    status: str
    reason: str
    issued_by: str
    issued_at: LocalTime
    ack_by: LocalTime
    due_at: LocalTime | None
    overdue_ack: bool = Field(description="still issued after ack_by")
    late: bool = Field(description="still open after due_at")
    history: list[StatusChangePublic]

    @classmethod
    def of(cls, v: OrderView, tz: ZoneInfo) -> OrderPublic:
        o = v.order
        return cls(
            id=id_of(o),
            drill_id=o.drill_id,
            station=o.station,
            team=None if o.team is None else team_code(o.team),
            text=o.text,
            status=o.status,
            reason=o.reason,
            issued_by=o.issued_by,
            issued_at=local_iso(o.issued_at, tz) or "",
            ack_by=local_iso(o.ack_by, tz) or "",
            due_at=local_iso(o.due_at, tz),
            overdue_ack=v.overdue_ack,
            late=v.late,
            history=[StatusChangePublic.of(e, tz) for e in v.history],
        )


class PlannedTimesPublic(Public):
    arrive: LocalTime | None
    fed: LocalTime | None
    depart: LocalTime | None


class ActualTimesPublic(Public):
    arrived: LocalTime | None
    served: LocalTime | None
    departed: LocalTime | None


class DispatchBriefPublic(Public):
    id: int
    station: str
    status: str


class UnitPublic(Public):
    """A planned unit: the plan's times beside the real ones, and the dispatches serving it."""

    code: str
    request_id: int | None
    station: str | None
    planned: PlannedTimesPublic
    actual: ActualTimesPublic
    dispatches: list[DispatchBriefPublic]

    @classmethod
    def of(cls, u: DrillUnit, dispatches: list[DispatchBrief], tz: ZoneInfo) -> UnitPublic:
        return cls(
            code=u.code,
            request_id=u.request_id,
            station=u.station,
            planned=PlannedTimesPublic(
                arrive=local_iso(u.planned_arrive_at, tz),
                fed=local_iso(u.planned_fed_at, tz),
                depart=local_iso(u.planned_depart_at, tz),
            ),
            actual=ActualTimesPublic(
                arrived=local_iso(u.arrived_at, tz),
                served=local_iso(u.served_at, tz),
                departed=local_iso(u.departed_at, tz),
            ),
            dispatches=[DispatchBriefPublic(id=d.id, station=d.station, status=d.status) for d in dispatches],
        )


class BoardTeamPublic(Public):
    code: str
    station: str
    kind: str
    status: str
    since: LocalTime | None = Field(description="its last logged status change")


class StockDrawPublic(Public):
    """An item at a station during the drill: on hand (exercise book), drawn so far and the plan's draw to now."""

    on_hand: Number
    planned_draw_to_now: Number
    drawn: Number


class BoardPublic(Public):
    """The command post's live board."""

    drill: DrillPublic
    now: LocalTime
    elapsed_minutes: float
    units: list[UnitPublic]
    orders: list[OrderPublic] = Field(description="the caller's open orders")
    teams: list[BoardTeamPublic]
    stock: dict[str, dict[str, StockDrawPublic]]
    procedure: list[StepPublic]
    members: list[MemberPublic]

    @classmethod
    def of(cls, b: Board, tz: ZoneInfo) -> BoardPublic:
        return cls(
            drill=DrillPublic.of(b.drill, tz),
            now=local_iso(b.now, tz) or "",
            elapsed_minutes=b.elapsed_minutes,
            units=[UnitPublic.of(u, ds, tz) for u, ds in b.units],
            orders=[OrderPublic.of(v, tz) for v in b.orders],
            teams=[
                BoardTeamPublic(
                    code=team_code(t.team.code),
                    station=t.team.station,
                    kind=t.team.kind,
                    status=t.team.status,
                    since=local_iso(t.since, tz),
                )
                for t in b.teams
            ],
            stock={st: {item: StockDrawPublic(**v) for item, v in items.items()} for st, items in b.stock.items()},
            procedure=[StepPublic.of(p, tz) for p in b.procedure],
            members=[MemberPublic.of(m) for m in b.members],
        )


#: The action plan the drill started from (see :mod:`simulation.action_plan`): its JSON as stored.
PlanPublic = dict[str, Any]
