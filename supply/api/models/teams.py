"""Teams, their status log and their assignments to dispatches."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from pydantic import Field

from supply.api.models.common import LocalTime, Number, Public
from supply.core.timefmt import local_iso
from supply.drills.models import DispatchTeam, Team, TeamEvent, team_code
from supply.service.models import id_of


class TeamSummaryPublic(Public):
    """A team as listed: what it is and its status now."""

    code: str
    name: str
    station: str
    kind: str
    headcount: int
    vehicles: int
    capacity: dict[str, Number] = Field(description='what it brings, e.g. {"meals_per_hour": 100}')
    status: str
    drill_id: int | None = Field(default=None, description="set for an exercise team a drill brought")

    @classmethod
    def summary(cls, t: Team) -> dict[str, object]:
        """The summary's fields, for this class and :class:`TeamPublic`."""
        return {
            "code": team_code(t.code),
            "name": t.name,
            "station": t.station,
            "kind": t.kind,
            "headcount": t.headcount,
            "vehicles": t.vehicles,
            "capacity": t.capacity,
            "status": t.status,
            "drill_id": t.drill_id,
        }

    @classmethod
    def of(cls, t: Team) -> TeamSummaryPublic:
        return cls.model_validate(cls.summary(t))


class TeamEventPublic(Public):
    """One status change of a team."""

    at: LocalTime
    from_: str | None = Field(alias="from")
    to: str
    note: str
    actor: str
    dispatch_id: int | None
    exercise: bool

    @classmethod
    def of(cls, e: TeamEvent, tz: ZoneInfo) -> TeamEventPublic:
        return cls.model_validate(
            {
                "at": local_iso(e.at, tz),
                "from": e.from_status,
                "to": e.to_status,
                "note": e.note,
                "actor": e.actor,
                "dispatch_id": e.dispatch_id,
                "exercise": e.exercise,
            }
        )


class AssignmentPublic(Public):
    """A team's window on a dispatch."""

    id: int
    dispatch_id: int
    team: str
    start_at: LocalTime
    end_at: LocalTime
    exercise: bool

    @classmethod
    def of(cls, row: DispatchTeam, tz: ZoneInfo) -> AssignmentPublic:
        return cls(
            id=id_of(row),
            dispatch_id=row.dispatch_id,
            team=team_code(row.team),
            start_at=local_iso(row.start_at, tz) or "",
            end_at=local_iso(row.end_at, tz) or "",
            exercise=row.exercise,
        )


class TeamPublic(TeamSummaryPublic):
    """A team with its status log and its dispatch assignments."""

    log: list[TeamEventPublic]
    assignments: list[AssignmentPublic]

    @classmethod
    def full(cls, t: Team, log: list[TeamEvent], assignments: list[DispatchTeam], tz: ZoneInfo) -> TeamPublic:
        return cls.model_validate(
            {
                **cls.summary(t),
                "log": [TeamEventPublic.of(e, tz) for e in log],
                "assignments": [AssignmentPublic.of(a, tz) for a in assignments],
            }
        )
