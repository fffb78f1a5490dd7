"""Order rules down a drill's chain, called directly (no HTTP).

Who may issue: the joint command orders stations and teams; a station command only its own
station's teams. Who may move: only the recipient (the station's command, the team's leader).
An order still ``issued`` after ``ack_by`` (issued at + ack_within_minutes) is overdue.

    chain of drill D:  joint (zhao) ── station_command GZE-PT (qian) ── team_leader GZE-K1 (sun)
                                    └─ station_command GZS-PT (zhou)      GZS-K1 has no leader
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from supply.core.errors import ConflictError, ForbiddenError, UnknownCodeError
from supply.drills.chain import MemberIn, add_member, close_drill, team_report_drill
from supply.drills.orders import ORDER_TRANSITIONS, OrderIn, OrderStatusIn, issue_order, move_order, order_views
from tests.drills.helpers import START, drill, team, user

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def chain(session):
    joint = user(session, "zhao", "commander")
    d = drill(session, joint)
    team(session, "GZE-K1", "GZE-PT")
    team(session, "GZS-K1", "GZS-PT")
    people = {"joint": joint}
    for name, role, key, scope in [
        ("qian", "station_command", "station", "GZE-PT"),
        ("sun", "team_leader", "team", "GZE-K1"),
        ("zhou", "station_command", "station", "GZS-PT"),
    ]:
        people[name] = user(session, name, "planner")  # not an officer: only the chain gives them rights
        add_member(session, joint, d, MemberIn(user=name, role=role, **{key: scope}))
    people["outsider"] = user(session, "wu", "planner")
    return d, people


def order(session, d, actor, **to):
    return issue_order(session, actor, d, OrderIn(text="prepare 1,200 hot meals by 06:30", **to), now=START)


def test_who_may_issue(session, chain):
    d, p = chain
    assert order(session, d, p["joint"], station="GZE-PT").status == "issued"
    assert order(session, d, p["joint"], team="GZS-K1").team == "GZS-K1"
    assert order(session, d, p["qian"], team="GZE-K1").issued_by == "qian"  # its own station's team
    with pytest.raises(ForbiddenError, match="only the joint command issues orders to stations"):
        order(session, d, p["qian"], station="GZE-PT")
    not_own = "only the joint command or GZS-PT's station command may order team GZS-K1"
    with pytest.raises(ForbiddenError, match=not_own):
        order(session, d, p["qian"], team="GZS-K1")
    for name in ("sun", "outsider"):
        with pytest.raises(ForbiddenError):
            order(session, d, p[name], team="GZE-K1")
    with pytest.raises(UnknownCodeError, match="unknown team 'GZE-K2'"):
        order(session, d, p["joint"], team="GZE-K2")
    with pytest.raises(UnknownCodeError, match="unknown station 'GZE-P'"):
        order(session, d, p["joint"], station="GZE-P")


def test_only_the_recipient_moves_an_order(session, chain):
    d, p = chain
    to_station = order(session, d, p["joint"], station="GZE-PT")
    to_team = order(session, d, p["joint"], team="GZE-K1")
    ack = OrderStatusIn(status="acknowledged")
    for name in ("joint", "sun", "zhou", "outsider"):
        with pytest.raises(ForbiddenError, match=f"only station GZE-PT's command may answer order {to_station.id}"):
            move_order(session, p[name], d, to_station.id, ack)
    for name in ("joint", "qian", "outsider"):
        with pytest.raises(ForbiddenError, match=f"only team GZE-K1's leader may answer order {to_team.id}"):
            move_order(session, p[name], d, to_team.id, ack)
    assert move_order(session, p["qian"], d, to_station.id, ack).status == "acknowledged"
    assert move_order(session, p["sun"], d, to_team.id, ack).status == "acknowledged"


def test_the_steps_and_a_refusal(session, chain):
    d, p = chain
    o = order(session, d, p["joint"], station="GZE-PT")
    for status in ("acknowledged", "in_progress", "done"):
        assert move_order(session, p["qian"], d, o.id, OrderStatusIn(status=status)).status == status
    final = f"order {o.id} is done: cannot become refused \\(allowed: none \\(final\\)\\)"
    with pytest.raises(ConflictError, match=final):
        move_order(session, p["qian"], d, o.id, OrderStatusIn(status="refused", reason="late"))
    r = order(session, d, p["joint"], station="GZE-PT")
    move_order(session, p["qian"], d, r.id, OrderStatusIn(status="acknowledged"))
    refused = move_order(session, p["qian"], d, r.id, OrderStatusIn(status="refused", reason="no diesel"))
    assert (refused.status, refused.reason) == ("refused", "no diesel")
    with pytest.raises(ValueError, match="a refusal needs a reason"):
        OrderStatusIn(status="refused", reason="  ")
    (view,) = order_views(session, [refused], now=START)
    assert [(h.from_status, h.to_status) for h in view.history] == [
        (None, "issued"),
        ("issued", "acknowledged"),
        ("acknowledged", "refused"),
    ]


@pytest.mark.parametrize(
    ("current", "target"),
    [("issued", "in_progress"), ("issued", "done"), ("acknowledged", "done"), ("acknowledged", "acknowledged")],
)
def test_skipping_a_step_is_refused(session, chain, current, target):
    d, p = chain
    o = order(session, d, p["joint"], station="GZE-PT")
    if current == "acknowledged":
        move_order(session, p["qian"], d, o.id, OrderStatusIn(status="acknowledged"))
    allowed = ", ".join(sorted(ORDER_TRANSITIONS[current]))
    with pytest.raises(ConflictError) as err:
        move_order(session, p["qian"], d, o.id, OrderStatusIn(status=target))
    assert str(err.value) == f"order {o.id} is {current}: cannot become {target} (allowed: {allowed})"


def test_overdue_acknowledgement(session, chain):
    """Issued at 00:00 with 15 minutes to acknowledge: overdue from just after 00:15, never once acknowledged."""
    d, p = chain
    o = issue_order(session, p["joint"], d, OrderIn(station="GZE-PT", text="x", ack_within_minutes=15), now=START)
    assert o.ack_by == START + timedelta(minutes=15)

    def overdue(minutes: float) -> bool:
        return order_views(session, [o], now=START + timedelta(minutes=minutes))[0].overdue_ack

    assert (overdue(0), overdue(15), overdue(15.01), overdue(600)) == (False, False, True, True)
    move_order(session, p["qian"], d, o.id, OrderStatusIn(status="acknowledged"))
    assert overdue(600) is False


def test_a_closed_drill_is_read_only(session, chain):
    d, p = chain
    o = order(session, d, p["joint"], station="GZE-PT")
    with pytest.raises(ForbiddenError, match=f"only the joint command of drill {d} may close the drill"):
        close_drill(session, p["qian"], d)
    close_drill(session, p["joint"], d)
    with pytest.raises(ConflictError, match=f"drill {d} is closed: its record is read-only"):
        order(session, d, p["joint"], station="GZE-PT")
    with pytest.raises(ConflictError, match="is closed"):
        move_order(session, p["qian"], d, o.id, OrderStatusIn(status="acknowledged"))


def test_who_may_report_a_teams_status(session, chain):
    """Officers report any team's status, for real or for an open drill; a leader only their team's, for their drill."""
    d, p = chain
    officer = user(session, "zheng", "officer")
    assert team_report_drill(session, officer, "GZS-K1", None) is None  # real operations
    assert team_report_drill(session, officer, "GZS-K1", d) == d
    assert team_report_drill(session, p["sun"], "GZE-K1", None) == d  # the drill they lead it in
    for name, team_code in [("sun", "GZS-K1"), ("qian", "GZE-K1"), ("outsider", "GZE-K1")]:
        with pytest.raises(ForbiddenError, match=f"only officers or team {team_code}'s leader"):
            team_report_drill(session, p[name], team_code, None)
    close_drill(session, p["joint"], d)
    with pytest.raises(ForbiddenError):
        team_report_drill(session, p["sun"], "GZE-K1", None)  # the drill is over: no longer its leader
    with pytest.raises(ConflictError, match="is closed"):
        team_report_drill(session, officer, "GZE-K1", d)
