"""Issue 20, "drills stay drills": exercise teams belong to one drill, addressed within it, on both databases.

``scenarios/drills/three-trains.toml`` brings HUB-KITCHEN-1, HUB-MED-1 and HUB-TRANS-1. Each drill started
from it gets its own three exercise teams, whatever real team or other drill holds those codes; a
drill's chain changes only its own teams' state, a closed drill's teams are frozen, and a real
team's status changes only outside drills.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from supply.core.errors import ConflictError
from supply.core.scenario import load_scenario
from supply.core.scenario_teams import TeamIn
from supply.core.settings import PROJECT_SCENARIOS
from supply.drills.chain import MemberIn, add_member, close_drill, open_drill, team_report_drill
from supply.drills.models import Drill, Team
from supply.drills.start import create_drill
from supply.drills.teams import AssignIn, assign, get_team, move_team, upsert_team
from supply.service.models import id_of
from tests.drills.helpers import START, user
from tests.service.helpers import dispatch

THREE_TRAINS = PROJECT_SCENARIOS / "drills" / "three-trains.toml"
CODES = {"HUB-KITCHEN-1", "HUB-MED-1", "HUB-TRANS-1"}


def _drill(session, commander) -> int:
    """A drill started from three-trains.toml and opened (its plan is not needed here)."""
    d = create_drill(session, commander, load_scenario(THREE_TRAINS), job={"replications": 1, "seed": 1})
    d.status = "open"
    session.add(d)
    session.flush()
    return id_of(d)


def test_three_trains_twice_each_drill_with_its_own_teams(session):
    commander = user(session, "zhao", "commander")
    first = _drill(session, commander)
    move_team(session, "li", "HUB-MED-1", "en_route", drill_id=first)
    close_drill(session, commander, first)
    second = _drill(session, commander)  # the same codes again: the first drill's teams are not reused
    team = move_team(session, "li", "HUB-MED-1", "en_route", drill_id=second)
    assert (team.drill_id, team.status) == (second, "en_route")
    mine = {t.code for t in session.exec(select(Team).where(Team.drill_id == second))}
    assert mine == {f"{c}@{second}" for c in CODES}
    assert get_team(session, "HUB-MED-1", drill_id=first).status == "en_route"
    # closed means frozen for its teams too
    with pytest.raises(ConflictError, match=f"drill {first} is closed"):
        move_team(session, "li", "HUB-MED-1", "returning", drill_id=first)
    assert get_team(session, "HUB-MED-1", drill_id=first).status == "en_route"


def test_a_drills_codes_repeat_a_real_teams_without_touching_it(session):
    commander = user(session, "zhao", "commander")
    real = upsert_team(session, "admin", TeamIn(code="HUB-MED-1", station="GZ-HUB", kind="medical", headcount=4))
    d = _drill(session, commander)
    move_team(session, "li", "HUB-MED-1", "stood_down", drill_id=d)
    assert get_team(session, "HUB-MED-1").status == "ready" and get_team(session, "HUB-MED-1").drill_id is None
    assert get_team(session, "HUB-MED-1", drill_id=d).status == "stood_down"
    # a real POST /teams with the code edits the real team, never the drill's — closed or not
    upsert_team(session, "admin", TeamIn(code="HUB-MED-1", station="GZ-HUB", kind="medical", headcount=9))
    close_drill(session, commander, d)
    upsert_team(session, "admin", TeamIn(code="HUB-MED-1", station="GZ-HUB", kind="medical", headcount=11))
    assert (real.headcount, get_team(session, "HUB-MED-1", drill_id=d).headcount) == (11, 6)


def test_a_drill_never_changes_a_real_teams_status(session):
    """The issue's case: a planner made leader of a real team inside a drill sets it stood_down (refused);
    a later real assignment of that team works."""
    commander = user(session, "zhao", "commander")
    upsert_team(session, "admin", TeamIn(code="GZ-REAL-1", station="GZ-HUB", kind="kitchen", headcount=8))
    d = _drill(session, commander)
    sun = user(session, "sun", "planner")
    add_member(session, commander, d, MemberIn(user="sun", role="team_leader", team="GZ-REAL-1"))
    leader = user(session, "qian", "planner")
    add_member(session, commander, d, MemberIn(user="qian", role="team_leader", team="HUB-MED-1"))
    assert team_report_drill(session, sun, "GZ-REAL-1", None) == d  # the drill they lead it in
    with pytest.raises(ConflictError, match="GZ-REAL-1 is a real team, not one of drill .*only outside drills"):
        move_team(session, "sun", "GZ-REAL-1", "stood_down", drill_id=d)
    assert get_team(session, "GZ-REAL-1").status == "ready"
    real = dispatch(session, "GZ-HUB", {"meals": 10})
    window = AssignIn(team="GZ-REAL-1", start_at=START, end_at=START.replace(hour=2))
    assert assign(session, "wang", real, window).team == "GZ-REAL-1"
    # the leader of the drill's own team reports it, for their drill
    assert team_report_drill(session, leader, "HUB-MED-1", None) == d
    assert move_team(session, "qian", "HUB-MED-1", "en_route", drill_id=d).status == "en_route"
    assert open_drill(session, d).status == "open"


def test_an_exercise_team_takes_only_its_drills_dispatches(session):
    commander = user(session, "zhao", "commander")
    d = _drill(session, commander)
    real = dispatch(session, "GZ-HUB", {"meals": 10})
    window = AssignIn(team="HUB-MED-1", start_at=START, end_at=START.replace(hour=2))
    with pytest.raises(ConflictError, match=f"HUB-MED-1 is an exercise team of drill {d}"):
        assign(session, "wang", real, window)
    outside = dispatch(session, "GZ-HUB", {"meals": 10}, exercise=True)  # an exercise dispatch of no drill
    with pytest.raises(ConflictError, match="outside any drill"):
        assign(session, "wang", outside, window)
    assert session.get(Drill, d) is not None


@pytest.mark.slow
def test_three_trains_twice_through_a_real_server(db, own_server):
    """The issue's run: ``three-trains`` started twice, the first closed; the second's HUB-MED-1 reports (not
    409 "drill … is closed"); a real ``POST /teams`` HUB-MED-1 makes a real team and edits neither drill's."""
    import httpx

    from tests.api.drill_helpers import post_drill

    with httpx.Client(base_url=own_server.live.base, timeout=60) as http:
        commander, officer = db.headers("commander"), db.headers("officer")
        body = {"scenario": "three-trains", "replications": 2, "seed": 1}
        first = post_drill(http, body, commander)
        assert first["status"] == "open", first
        assert http.post(f"/drills/{first['id']}/close", headers=commander).json()["status"] == "closed"
        second = post_drill(http, body, commander)
        assert second["status"] == "open", second
        report = {"status": "en_route", "drill_id": second["id"]}
        moved = http.post("/teams/HUB-MED-1/status", json=report, headers=officer)
        assert moved.status_code == 200, moved.text
        assert (moved.json()["code"], moved.json()["drill_id"]) == ("HUB-MED-1", second["id"])
        frozen = http.post("/teams/HUB-MED-1/status", json={**report, "drill_id": first["id"]}, headers=officer)
        assert frozen.status_code == 409 and "closed" in frozen.json()["detail"]
        real = {"code": "HUB-MED-1", "station": "GZ-HUB", "kind": "medical", "headcount": 2}
        made = http.post("/teams", json=real, headers=officer)
        assert made.status_code == 201 and made.json()["drill_id"] is None
        for drill in (first, second):
            team = http.get("/teams/HUB-MED-1", params={"drill_id": drill["id"]}, headers=officer).json()
            assert (team["drill_id"], team["headcount"]) == (drill["id"], 6)
        assert http.get("/teams/HUB-MED-1", headers=officer).json()["headcount"] == 2
