"""Teams: create or update, status log, assignment to dispatches."""

from __future__ import annotations

from fastapi import APIRouter

from supply.api.deps import CodePath, CodeQuery, IdPath, Reader, RuntimeDep, SessionDep, WriterDep
from supply.api.drill_deps import MemberWriterDep
from supply.drills.chain import team_report_drill
from supply.drills.teams import (
    AssignIn,
    TeamIn,
    TeamStatusIn,
    assign,
    assignment_dict,
    get_team,
    list_teams,
    move_team,
    team_dict,
    upsert_team,
)

router = APIRouter(tags=["teams"])


@router.post("/teams", status_code=201)
def post_team(body: TeamIn, w: WriterDep):
    """Create a team (or update its description: station, kind, headcount, vehicles, capacity)."""
    return w.run(body, lambda s: (201, team_dict(s, upsert_team(s, w.actor, body), w.tz)))


@router.get("/teams")
def get_teams(session: SessionDep, runtime: RuntimeDep, _: Reader, station: CodeQuery = None) -> list[dict]:
    return [team_dict(session, t, runtime.tz, log=False) for t in list_teams(session, station=station)]


@router.get("/teams/{code}")
def get_one_team(code: CodePath, session: SessionDep, runtime: RuntimeDep, _: Reader) -> dict:
    """A team with its status log (times) and its dispatch assignments."""
    return team_dict(session, get_team(session, code), runtime.tz)


@router.post("/teams/{code}/status", responses={409: {"description": "illegal status change"}})
def post_team_status(code: CodePath, body: TeamStatusIn, w: MemberWriterDep):
    """ready → en_route → on_task → returning → ready, or stood_down; officers or the team's leader."""

    def run(s):
        drill = team_report_drill(s, w.user, code, body.drill_id)
        team = move_team(
            s,
            w.actor,
            code,
            body.status,
            note=body.note,
            at=body.at,
            dispatch_id=body.dispatch_id,
            exercise=drill is not None,
        )
        return 200, team_dict(s, team, w.tz)

    return w.run(body, run)


@router.post("/dispatches/{dispatch_id}/teams", status_code=201, responses={409: {"description": "overlap"}})
def post_dispatch_team(dispatch_id: IdPath, body: AssignIn, w: WriterDep):
    """Assign a team to a dispatch for a window; a team's windows on live dispatches never overlap."""
    return w.run(body, lambda s: (201, assignment_dict(assign(s, w.actor, dispatch_id, body), w.tz)))
