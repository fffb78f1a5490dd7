"""Teams (the N of "1+1+1+1+N"): who a station sends, their status log, and their assignments.

A team belongs to a station and is one of :data:`KINDS`, with a headcount, vehicles and the
capacity it brings (``{"meals_per_hour": 100}`` for a field kitchen team). Its status moves::

    ready ──► en_route ──► on_task ──► returning ──► ready
      └──────────┴────────────┴────────────┴──► stood_down ──► ready

and every change is logged with its time (:class:`~supply.models.TeamEvent`). A dispatch may
assign teams for a time window; a team's windows on live dispatches never overlap (the team row
is locked first, so two officers cannot assign it twice at once on PostgreSQL either).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from sqlmodel import Session, col, select

from .audit import record
from .errors import ConflictError, InvalidArgumentError, Problem, ScenarioError, UnknownCodeError
from .models import Dispatch, DispatchTeam, Station, Team, TeamEvent, utcnow
from .scenario import Scenario, problems_from_validation
from .schemas import Code, Text, When

KINDS = ("kitchen", "water", "fuel", "transport", "medical", "security")
Kind = Literal["kitchen", "water", "fuel", "transport", "medical", "security"]
TeamStatus = Literal["ready", "en_route", "on_task", "returning", "stood_down"]
TRANSITIONS: dict[str, frozenset[str]] = {
    "ready": frozenset({"en_route", "stood_down"}),
    "en_route": frozenset({"on_task", "returning", "stood_down"}),
    "on_task": frozenset({"returning", "stood_down"}),
    "returning": frozenset({"ready", "stood_down"}),
    "stood_down": frozenset({"ready"}),
}
#: Kinds that travel to the unit's site; the others work at their station.
MOBILE_KINDS = frozenset({"transport", "medical", "security"})
#: Dispatch statuses whose team windows still hold the team.
HOLDING = ("proposed", "planned", "dispatched")


class TeamIn(BaseModel):
    """A team, as in a scenario's ``[[teams]]`` and the API's ``POST /teams``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Code
    name: Annotated[str, StringConstraints(max_length=120, pattern=r"^[^\x00]*$")] = ""
    station: Code
    kind: Kind
    headcount: int = Field(ge=1, le=10_000)
    vehicles: int = Field(default=0, ge=0, le=1_000)
    capacity: dict[Code, Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)]] = Field(
        default_factory=dict, examples=[{"meals_per_hour": 100}]
    )


class TeamStatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: TeamStatus
    note: Text = ""
    at: When | None = Field(default=None, description="when it happened; default: now")
    dispatch_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    team: Code
    start_at: When
    end_at: When

    @model_validator(mode="after")
    def _ordered(self) -> AssignIn:
        if self.end_at <= self.start_at:
            msg = "end_at must be after start_at"
            raise ValueError(msg)
        return self


def teams_from_scenario(scenario: Scenario) -> list[TeamIn]:
    """Validate ``[[teams]]``: every fault at once, as ``teams[2].station: ...``."""
    out: list[TeamIn] = []
    problems: list[Problem] = []
    stations = {s.code for s in scenario.stations}
    seen: set[str] = set()
    for i, raw in enumerate(scenario.teams):
        try:
            team = TeamIn.model_validate(raw)
        except ValidationError as exc:
            problems += problems_from_validation(exc, scenario.source, prefix=f"teams[{i}]")
            continue
        if team.station not in stations:
            problems.append(Problem(scenario.source, f"teams[{i}].station", f"unknown station '{team.station}'"))
        if team.code in seen:
            problems.append(Problem(scenario.source, f"teams[{i}].code", f"duplicate team code '{team.code}'"))
        seen.add(team.code)
        out.append(team)
    if problems:
        raise ScenarioError(problems)
    return out


def upsert_team(session: Session, actor: str, data: TeamIn) -> Team:
    """Create a team or update its description (its status and log are kept)."""
    if session.get(Station, data.station) is None:
        raise UnknownCodeError("station", data.station, session.exec(select(Station.code)).all())
    team = session.get(Team, data.code)
    fields = data.model_dump()
    fields["name"] = data.name or data.code
    if team is None:
        team = Team(**fields)
        session.add(team)
        session.flush()
        session.add(TeamEvent(team=team.code, to_status=team.status, actor=actor, note="created"))
        record(session, actor, "team.create", f"team:{team.code}", detail=fields)
    else:
        for key, value in fields.items():
            setattr(team, key, value)
        session.add(team)
        record(session, actor, "team.update", f"team:{team.code}", detail=fields)
    session.flush()
    return team


def sync_teams(session: Session, scenario: Scenario, actor: str) -> int:
    """Load a scenario's ``[[teams]]`` into the database; returns how many."""
    teams = teams_from_scenario(scenario)
    for team in teams:
        upsert_team(session, actor, team)
    return len(teams)


def get_team(session: Session, code: str, *, for_update: bool = False) -> Team:
    q = select(Team).where(Team.code == code)
    team = session.exec(q.with_for_update() if for_update else q).first()
    if team is None:
        raise UnknownCodeError("team", code, session.exec(select(Team.code)).all())
    return team


def list_teams(session: Session, *, station: str | None = None) -> list[Team]:
    q = select(Team)
    if station is not None:
        q = q.where(Team.station == station)
    return list(session.exec(q.order_by(Team.station, Team.code)))


def set_status(
    session: Session, actor: str, code: str, status: str, *, note: str = "", at: datetime | None = None,
    dispatch_id: int | None = None,
) -> Team:  # fmt: skip
    """Move a team along its status cycle; an illegal change is a :class:`ConflictError`."""
    team = get_team(session, code, for_update=True)
    if status not in TRANSITIONS[team.status]:
        allowed = ", ".join(sorted(TRANSITIONS[team.status]))
        msg = f"team {code} is {team.status}: cannot become {status} (allowed: {allowed})"
        raise ConflictError(msg)
    exercise = False
    if dispatch_id is not None:
        dispatch = session.get(Dispatch, dispatch_id)
        if dispatch is None:
            raise UnknownCodeError("dispatch", str(dispatch_id))
        exercise = dispatch.exercise
    event = TeamEvent(
        team=code, at=at or utcnow(), from_status=team.status, to_status=status, note=note, actor=actor,
        dispatch_id=dispatch_id, exercise=exercise,
    )  # fmt: skip
    session.add(event)
    record(session, actor, f"team.{status}", f"team:{code}", reason=note, exercise=exercise,
           detail={"from": team.status, "to": status, "dispatch_id": dispatch_id})  # fmt: skip
    team.status = status
    session.add(team)
    session.flush()
    return team


def assign(session: Session, actor: str, dispatch_id: int, data: AssignIn) -> DispatchTeam:
    """Assign a team to a dispatch for a window; :class:`ConflictError` if it overlaps another live one."""
    dispatch = session.get(Dispatch, dispatch_id)
    if dispatch is None:
        raise UnknownCodeError("dispatch", str(dispatch_id))
    if dispatch.status not in HOLDING:
        msg = f"dispatch {dispatch_id} is {dispatch.status}: teams can only join a proposed, planned or dispatched one"
        raise ConflictError(msg)
    team = get_team(session, data.team, for_update=True)
    if team.status == "stood_down":
        msg = f"team {team.code} is stood down"
        raise ConflictError(msg)
    q = (
        select(DispatchTeam)
        .join(Dispatch, col(Dispatch.id) == DispatchTeam.dispatch_id)
        .where(
            DispatchTeam.team == team.code,
            col(Dispatch.status).in_(HOLDING),
            col(DispatchTeam.start_at) < data.end_at,
            col(DispatchTeam.end_at) > data.start_at,
        )
    )
    clash = session.exec(q).first()
    if clash is not None:
        msg = (
            f"team {team.code} is already on dispatch {clash.dispatch_id} from "
            f"{clash.start_at.isoformat()} to {clash.end_at.isoformat()}"
        )
        raise ConflictError(msg)
    row = DispatchTeam(
        dispatch_id=dispatch_id, team=team.code, start_at=data.start_at, end_at=data.end_at,
        exercise=dispatch.exercise, actor=actor,
    )  # fmt: skip
    session.add(row)
    record(session, actor, "dispatch.team", f"dispatch:{dispatch_id}", exercise=dispatch.exercise,
           detail={"team": team.code, "start_at": data.start_at.isoformat(), "end_at": data.end_at.isoformat()})  # fmt: skip
    session.flush()
    return row


def team_dict(session: Session, team: Team, tz: ZoneInfo, *, log: bool = True) -> dict:
    out = {
        "code": team.code,
        "name": team.name,
        "station": team.station,
        "kind": team.kind,
        "headcount": team.headcount,
        "vehicles": team.vehicles,
        "capacity": team.capacity,
        "status": team.status,
    }
    if log:
        events = session.exec(select(TeamEvent).where(TeamEvent.team == team.code).order_by(col(TeamEvent.id)))
        out["log"] = [
            {"at": e.at.astimezone(tz).isoformat(), "from": e.from_status, "to": e.to_status, "note": e.note,
             "actor": e.actor, "dispatch_id": e.dispatch_id, "exercise": e.exercise}
            for e in events
        ]  # fmt: skip
        rows = session.exec(select(DispatchTeam).where(DispatchTeam.team == team.code).order_by(col(DispatchTeam.id)))
        out["assignments"] = [assignment_dict(r, tz) for r in rows]
    return out


def assignment_dict(row: DispatchTeam, tz: ZoneInfo) -> dict:
    return {
        "id": row.id,
        "dispatch_id": row.dispatch_id,
        "team": row.team,
        "start_at": row.start_at.astimezone(tz).isoformat(),
        "end_at": row.end_at.astimezone(tz).isoformat(),
        "exercise": row.exercise,
    }


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        msg = f"unknown team kind '{kind}': expected one of {', '.join(KINDS)}"
        raise InvalidArgumentError(msg)
    return kind
