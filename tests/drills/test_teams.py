"""Team rules, called directly (no HTTP): the status cycle and assignment windows.

    ready ──► en_route ──► on_task ──► returning ──► ready
      └──────────┴────────────┴────────────┴──► stood_down ──► ready

A team's windows on live (proposed, planned, dispatched) dispatches never overlap; windows that
only touch (one ends when the next starts) do not overlap.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from supply.core.errors import ConflictError, UnknownCodeError
from supply.drills.models import DispatchTeam, TeamEvent
from supply.drills.teams import TRANSITIONS, AssignIn, assign, get_team, move_team
from tests.drills.helpers import START, team
from tests.service.helpers import dispatch, move

H = timedelta(hours=1)


def window(code: str, start_h: float, end_h: float) -> AssignIn:
    return AssignIn(team=code, start_at=START + start_h * H, end_at=START + end_h * H)


def test_a_full_cycle_is_logged_in_order(session):
    code = team(session, "GZE-K1")
    for status in ("en_route", "on_task", "returning", "ready", "stood_down", "ready"):
        assert move_team(session, "li", code, status, note=status).status == status
    events = session.exec(select(TeamEvent).where(TeamEvent.team == code).order_by(TeamEvent.id)).all()
    assert [(e.from_status, e.to_status) for e in events] == [
        (None, "ready"),
        ("ready", "en_route"),
        ("en_route", "on_task"),
        ("on_task", "returning"),
        ("returning", "ready"),
        ("ready", "stood_down"),
        ("stood_down", "ready"),
    ]
    assert not any(e.exercise for e in events)


ILLEGAL = [(s, t) for s in TRANSITIONS for t in TRANSITIONS if t not in TRANSITIONS[s]]
PATHS = {
    "ready": [],
    "en_route": ["en_route"],
    "on_task": ["en_route", "on_task"],
    "returning": ["en_route", "returning"],
    "stood_down": ["stood_down"],
}


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_illegal_changes_name_the_allowed_ones(session, current, target):
    code = team(session, "GZE-K1")
    for status in PATHS[current]:
        move_team(session, "li", code, status)
    allowed = ", ".join(sorted(TRANSITIONS[current]))
    with pytest.raises(ConflictError) as err:
        move_team(session, "li", code, target)
    assert str(err.value) == f"team {code} is {current}: cannot become {target} (allowed: {allowed})"
    assert get_team(session, code).status == current


def test_a_real_team_reports_only_real_work(session):
    """Issue 20: a real team's status changes only outside drills — never for an exercise dispatch."""
    code = team(session, "GZE-K1")
    d = dispatch(session, "GZE-PT", {"meals": 10}, exercise=True)
    with pytest.raises(ConflictError, match=f"dispatch {d} is an exercise one, and team GZE-K1 a real team"):
        move_team(session, "li", code, "en_route", dispatch_id=d)
    move_team(session, "li", code, "en_route")
    marks = session.exec(select(TeamEvent.exercise).where(TeamEvent.team == code).order_by(TeamEvent.id)).all()
    assert marks == [False, False]
    with pytest.raises(UnknownCodeError, match="unknown dispatch '999999'"):
        move_team(session, "li", code, "on_task", dispatch_id=999_999)
    with pytest.raises(UnknownCodeError, match="unknown team 'GZE-K9'"):
        move_team(session, "li", "GZE-K9", "en_route")


def test_windows_never_overlap_on_live_dispatches(session):
    code = team(session, "GZE-K1")
    d1, d2, d3 = (dispatch(session, "GZE-PT", {"meals": 10}) for _ in range(3))
    assign(session, "wang", d1, window(code, 1, 3))
    with pytest.raises(ConflictError, match=f"team GZE-K1 is already on dispatch {d1} from "):
        assign(session, "wang", d2, window(code, 2, 4))  # 02:00–04:00 overlaps 01:00–03:00
    with pytest.raises(ConflictError, match=f"already on dispatch {d1}"):
        assign(session, "wang", d2, window(code, 1.5, 2.5))  # inside it
    assign(session, "wang", d2, window(code, 3, 5))  # touches at 03:00: no overlap
    assign(session, "wang", d3, window(code, 0, 1))
    rows = session.exec(select(DispatchTeam).where(DispatchTeam.team == code).order_by(DispatchTeam.id)).all()
    assert [(r.dispatch_id, r.start_at.hour, r.end_at.hour) for r in rows] == [(d1, 1, 3), (d2, 3, 5), (d3, 0, 1)]


def test_a_finished_dispatch_frees_the_team_and_takes_no_new_teams(session):
    code = team(session, "GZE-K1")
    d1, d2 = dispatch(session, "GZE-PT", {"meals": 10}), dispatch(session, "GZE-PT", {"meals": 10})
    assign(session, "wang", d1, window(code, 1, 3))
    move(session, d1, "cancelled")
    assign(session, "wang", d2, window(code, 1, 3))  # the cancelled dispatch no longer holds the team
    with pytest.raises(ConflictError, match=f"dispatch {d1} is cancelled: teams can only join"):
        assign(session, "wang", d1, window(code, 5, 6))


def test_a_stood_down_team_cannot_be_assigned(session):
    code = team(session, "GZE-K1")
    move_team(session, "li", code, "stood_down")
    with pytest.raises(ConflictError, match="team GZE-K1 is stood down"):
        assign(session, "wang", dispatch(session, "GZE-PT", {"meals": 10}), window(code, 1, 2))


def test_a_window_must_end_after_it_starts():
    with pytest.raises(ValueError, match="end_at must be after start_at"):
        window("GZE-K1", 2, 2)
