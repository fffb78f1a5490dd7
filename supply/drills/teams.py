"""Teams (the N of "1+1+1+1+N"): who a station sends, their status log, and their assignments.

A team belongs to a station and is one of :data:`KINDS`, with a headcount, vehicles and the
capacity it brings (``{"meals_per_hour": 100}`` for a field kitchen team). Its status moves::

    ready ──► en_route ──► on_task ──► returning ──► ready
      └──────────┴────────────┴────────────┴──► stood_down ──► ready

and every change is logged with its time (:class:`~supply.service.models.TeamEvent`). A dispatch may
assign teams for a time window; a team's windows on live dispatches never overlap (the team row
is locked first, so two officers cannot assign it twice at once on PostgreSQL either).

A drill never creates or changes a real team (:func:`drill_teams`): its ``[[teams]]`` become
*exercise teams* of that drill alone (``drill_id`` set, keyed ``CODE@DRILL``:
:func:`~supply.drills.models.exercise_key`), addressed by their code within the drill, so a drill's
codes may repeat a real team's or another drill's without touching them, and a later drill reuses a
scenario's codes. Their events are always exercise-marked, no real dispatch may take them, and they
are frozen once their drill is closed. A real team's status changes only outside drills: a report
made for a drill (``drill_id``) moves that drill's own team, never a real one.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel import Session, col, or_, select

from supply.core.errors import ConflictError, UnknownCodeError
from supply.core.scenario import Scenario
from supply.core.scenario_teams import TeamIn, teams_from_scenario
from supply.core.transitions import check_transition
from supply.core.types import MAX_ID, Code, Text, When
from supply.drills.chain import drill_of_dispatch, open_drill, refuse_if_closed
from supply.drills.models import DispatchTeam, Team, TeamEvent, TeamStatus, exercise_key, team_code
from supply.service.audit import record
from supply.service.authority import require_own
from supply.service.models import CENTRE, Dispatch, Station, seed_uid, table_of, utcnow
from supply.service.scenario_sync import sync_scenario
from supply.service.sync.identity import head_uid, set_node
from supply.service.sync.keys import ensure_key

TRANSITIONS: dict[str, frozenset[str]] = {
    "ready": frozenset({"en_route", "stood_down"}),
    "en_route": frozenset({"on_task", "returning", "stood_down"}),
    "on_task": frozenset({"returning", "stood_down"}),
    "returning": frozenset({"ready", "stood_down"}),
    "stood_down": frozenset({"ready"}),
}
#: Dispatch statuses whose team windows still hold the team.
HOLDING = ("proposed", "planned", "dispatched")


class TeamStatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: TeamStatus
    note: Text = ""
    at: When | None = Field(default=None, description="when it happened; default: now")
    dispatch_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    drill_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="the drill this is part of")


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


def upsert_team(session: Session, actor: str, data: TeamIn, *, own: bool = True) -> Team:
    """Create a team or update its description (its status and log are kept).

    ``own``: only a team of this database's station, on a node (the scenario's teams load everywhere).
    """
    if session.get(Station, data.station) is None:
        raise UnknownCodeError("station", data.station, session.exec(select(Station.code)).all())
    if own:
        require_own(session, data.station)
    team = session.get(Team, data.code)
    fields = data.model_dump()
    fields["name"] = data.name or data.code
    if team is None:
        team = Team(**fields)
        session.add(team)
        session.flush()
        # the same uid on every database that creates the team (the centre and nodes load one scenario)
        created = TeamEvent(team=team.code, to_status=team.status, actor=actor, note="created")
        created.uid, created.origin = seed_uid("team-created", team.code), CENTRE
        session.add(created)
        record(session, actor, "team.create", f"team:{team.code}", detail=fields)
    else:
        for key, value in fields.items():
            setattr(team, key, value)
        session.add(team)
        record(session, actor, "team.update", f"team:{team.code}", detail=fields)
    session.flush()
    return team


def drill_teams(session: Session, scenario: Scenario, drill_id: int, actor: str) -> list[str]:
    """A drill's ``[[teams]]``, each made this drill's own exercise team (whatever else holds its code).

    Returns the codes of the teams created. Nothing real is written or changed, and every audit
    entry is exercise-marked.
    """
    created = []
    for data in teams_from_scenario(scenario):
        key = exercise_key(data.code, drill_id)
        if session.get(Team, key) is not None:
            continue
        if session.get(Station, data.station) is None:
            raise UnknownCodeError("station", data.station, session.exec(select(Station.code)).all())
        fields = {**data.model_dump(), "name": data.name or data.code}
        session.add(Team(**{**fields, "code": key}, drill_id=drill_id))
        session.flush()
        session.add(TeamEvent(team=key, to_status="ready", actor=actor, note=f"drill {drill_id}", exercise=True))
        detail = {**fields, "drill_id": drill_id}
        record(session, actor, "team.create", f"team:{data.code}", exercise=True, detail=detail)
        created.append(data.code)
    session.flush()
    return created


def sync_teams(session: Session, scenario: Scenario, actor: str) -> int:
    """Load a scenario's ``[[teams]]`` into the database; returns how many."""
    teams = teams_from_scenario(scenario)
    for team in teams:
        upsert_team(session, actor, team, own=False)
    return len(teams)


def get_team(session: Session, code: str, *, for_update: bool = False, drill_id: int | None = None) -> Team:
    """Drill ``drill_id``'s own exercise team ``code``; without a drill, the real team ``code`` — or, where
    no real team has that code, the exercise team of the latest drill that has one (its drill still decides
    whether it may change)."""
    if drill_id is not None:
        q = select(Team).where(Team.code == exercise_key(code, drill_id))
    else:
        named = or_(col(Team.code) == code, col(Team.code).startswith(exercise_key(code, 0)[:-1], autoescape=True))
        q = select(Team).where(named).order_by(col(Team.drill_id).is_not(None), col(Team.drill_id).desc()).limit(1)
    team = session.exec(q.with_for_update() if for_update else q).first()
    if team is None:
        same = col(Team.drill_id) == drill_id if drill_id is not None else col(Team.drill_id).is_(None)
        known = select(Team.code).where(same)
        raise UnknownCodeError("team", code, [team_code(k) for k in session.exec(known).all()])
    return team


def drill_view(session: Session, drill_id: int) -> list[Team]:
    """The teams a drill sees, by code: its own exercise teams, and the real teams none of them shadows."""
    mine = or_(col(Team.drill_id) == drill_id, col(Team.drill_id).is_(None))
    seen: dict[str, Team] = {}
    for team in session.exec(select(Team).where(mine).order_by(col(Team.drill_id).desc())):  # its own first
        seen.setdefault(team_code(team.code), team)
    return [seen[code] for code in sorted(seen)]


def list_teams(session: Session, *, station: str | None = None) -> list[Team]:
    q = select(Team)
    if station is not None:
        q = q.where(Team.station == station)
    return list(session.exec(q.order_by(Team.station, Team.code)))


def move_team(
    session: Session,
    actor: str,
    code: str,
    status: str,
    *,
    note: str = "",
    at: datetime | None = None,
    dispatch_id: int | None = None,
    drill_id: int | None = None,
) -> Team:
    """Move a team along its status cycle; an illegal change is a :class:`ConflictError`.

    With ``drill_id`` (a report made in that drill) the team is the drill's own exercise team
    ``code``, the drill open, and the event exercise-marked; a real team's status changes only
    outside drills (a :class:`ConflictError` names it). An exercise dispatch marks the event too.
    """
    if drill_id is not None:
        open_drill(session, drill_id)
        if session.get(Team, exercise_key(code, drill_id)) is None and session.get(Team, code) is not None:
            raise ConflictError.worded(
                "team {team} is a real team, not one of drill {drill}'s: its status changes only outside drills",
                team=code,
                drill=drill_id,
            )
    team = get_team(session, code, for_update=True, drill_id=drill_id)
    require_own(session, team.station)
    exercise = team.drill_id is not None
    if team.drill_id is not None:
        open_drill(session, team.drill_id)
    check_transition(TRANSITIONS, "team", code, team.status, status)
    if dispatch_id is not None:
        dispatch = session.get(Dispatch, dispatch_id)
        if dispatch is None:
            raise UnknownCodeError("dispatch", str(dispatch_id))
        if dispatch.exercise != exercise:
            msg = (
                f"dispatch {dispatch_id} is {'an exercise' if dispatch.exercise else 'a real'} one, "
                f"and team {code} {'an exercise' if exercise else 'a real'} team: report it in its own book"
            )
            raise ConflictError(msg)
    key = team.code
    event = TeamEvent(
        team=key,
        parent=head_uid(session, table_of(TeamEvent), "team", key),
        at=at or utcnow(),
        from_status=team.status,
        to_status=status,
        note=note,
        actor=actor,
        dispatch_id=dispatch_id,
        exercise=exercise,
    )
    session.add(event)
    record(
        session,
        actor,
        f"team.{status}",
        f"team:{code}",
        reason=note,
        exercise=exercise,
        detail={"from": team.status, "to": status, "dispatch_id": dispatch_id, "drill_id": team.drill_id},
    )
    team.status = status
    session.add(team)
    session.flush()
    return team


def assign(session: Session, actor: str, dispatch_id: int, data: AssignIn) -> DispatchTeam:
    """Assign a team to a dispatch for a window; :class:`ConflictError` if it overlaps another live one."""
    dispatch = session.get(Dispatch, dispatch_id)
    if dispatch is None:
        raise UnknownCodeError("dispatch", str(dispatch_id))
    if dispatch.exercise:
        refuse_if_closed(session, dispatch_id=dispatch_id)
    if dispatch.status not in HOLDING:
        msg = f"dispatch {dispatch_id} is {dispatch.status}: teams can only join a proposed, planned or dispatched one"
        raise ConflictError(msg)
    drill_id = drill_of_dispatch(session, dispatch_id) if dispatch.exercise else None
    if dispatch.exercise and drill_id is None:
        msg = f"dispatch {dispatch_id} is an exercise outside any drill: only a drill's own teams take exercise ones"
        raise ConflictError(msg)
    team = get_team(session, data.team, for_update=True, drill_id=drill_id)
    require_own(session, dispatch.station, team.station)
    if team.drill_id is not None and not dispatch.exercise:
        msg = f"team {data.team} is an exercise team of drill {team.drill_id}: it cannot take a real dispatch"
        raise ConflictError(msg)
    if team.status == "stood_down":
        msg = f"team {data.team} is stood down"
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
            f"team {data.team} is already on dispatch {clash.dispatch_id} from "
            f"{clash.start_at.isoformat()} to {clash.end_at.isoformat()}"
        )
        raise ConflictError(msg)
    row = DispatchTeam(
        dispatch_id=dispatch_id,
        team=team.code,
        start_at=data.start_at,
        end_at=data.end_at,
        exercise=dispatch.exercise,
        actor=actor,
    )
    session.add(row)
    window = {"team": data.team, "start_at": data.start_at.isoformat(), "end_at": data.end_at.isoformat()}
    record(session, actor, "dispatch.team", f"dispatch:{dispatch_id}", exercise=dispatch.exercise, detail=window)
    session.flush()
    return row


def team_log(session: Session, code: str) -> list[TeamEvent]:
    """A team's standing status changes, oldest first (one rejected by sync is listed with the conflicts)."""
    q = select(TeamEvent).where(TeamEvent.team == code, col(TeamEvent.rejected).is_(False))
    return list(session.exec(q.order_by(col(TeamEvent.id))))


def team_assignments(session: Session, code: str) -> list[DispatchTeam]:
    """A team's windows on dispatches, oldest first."""
    return list(session.exec(select(DispatchTeam).where(DispatchTeam.team == code).order_by(col(DispatchTeam.id))))


def sync_scenario_with_teams(
    session: Session, scenario: Scenario, text: str, *, actor: str = "cli", node: str | None = None
) -> dict[str, int]:
    """Load the scenario into the database (stations, sites, items, stock; then its teams) in one transaction.

    Returns the counts of what changed, ``teams`` included; see :func:`supply.service.scenario_sync.sync_scenario`.
    ``node``: make (or keep) this database the node of that station, with its signing key (see
    :mod:`supply.service.sync`); set before anything is recorded, so every record made here says so.
    """
    if node is not None:
        set_node(session, node, [st.code for st in scenario.stations])
    counts = sync_scenario(session, scenario, text, actor=actor)
    counts["teams"] = sync_teams(session, scenario, actor)
    if node is not None:
        ensure_key(session)
    return counts
