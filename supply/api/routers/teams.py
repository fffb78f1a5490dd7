"""Teams: create or update, status log, assignment to dispatches."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlmodel import Session

from supply.api.deps import CodePath, CodeQuery, IdPath, Reader, RuntimeDep, SessionDep, WriterDep
from supply.api.drill_deps import MemberWriterDep
from supply.api.models.common import READ, READ_ONE, WRITE
from supply.api.models.teams import AssignmentPublic, TeamPublic, TeamSummaryPublic
from supply.core.types import MAX_ID
from supply.drills.chain import team_report_drill
from supply.drills.models import Team
from supply.drills.teams import (
    AssignIn,
    TeamIn,
    TeamStatusIn,
    assign,
    get_team,
    list_teams,
    move_team,
    team_assignments,
    team_log,
    upsert_team,
)

router = APIRouter(tags=["teams"])
DrillQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="a drill's id: its own exercise team")]


def _team(session: Session, team: Team, tz: ZoneInfo) -> TeamPublic:
    """The team with its log and assignments, read in ``session``."""
    return TeamPublic.full(team, team_log(session, team.code), team_assignments(session, team.code), tz)


@router.post("/teams", status_code=201, response_model=TeamPublic, responses=WRITE)
def post_team(body: TeamIn, w: WriterDep) -> Response:
    """Create a team (or update its description: station, kind, headcount, vehicles, capacity)."""
    return w.run(body, lambda s: (201, _team(s, upsert_team(s, w.actor, body), w.tz)))


@router.get("/teams", responses=READ)
def get_teams(session: SessionDep, _: Reader, station: CodeQuery = None) -> list[TeamSummaryPublic]:
    return [TeamSummaryPublic.of(t) for t in list_teams(session, station=station)]


@router.get("/teams/{code}", responses=READ_ONE)
def get_one_team(
    code: CodePath, session: SessionDep, runtime: RuntimeDep, _: Reader, drill_id: DrillQuery = None
) -> TeamPublic:
    """A team with its status log (times) and its dispatch assignments (``?drill_id=``: that drill's own team)."""
    return _team(session, get_team(session, code, drill_id=drill_id), runtime.tz)


@router.post("/teams/{code}/status", response_model=TeamPublic, responses=WRITE)
def post_team_status(code: CodePath, body: TeamStatusIn, w: MemberWriterDep) -> Response:
    """ready → en_route → on_task → returning → ready, or stood_down; officers or the team's leader (409 otherwise)."""

    def run(s: Session) -> tuple[int, TeamPublic]:
        drill = team_report_drill(s, w.user, code, body.drill_id)
        team = move_team(
            s,
            w.actor,
            code,
            body.status,
            note=body.note,
            at=body.at,
            dispatch_id=body.dispatch_id,
            drill_id=drill,
        )
        return 200, _team(s, team, w.tz)

    return w.run(body, run)


@router.post("/dispatches/{dispatch_id}/teams", status_code=201, response_model=AssignmentPublic, responses=WRITE)
def post_dispatch_team(dispatch_id: IdPath, body: AssignIn, w: WriterDep) -> Response:
    """Assign a team to a dispatch for a window; a team's windows on live dispatches never overlap (409)."""
    return w.run(body, lambda s: (201, AssignmentPublic.of(assign(s, w.actor, dispatch_id, body), w.tz)))
