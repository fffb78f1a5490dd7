"""Builders for the drills' domain tests: teams, users and an open drill, written through the domain."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from supply.core.scenario_teams import TeamIn
from supply.drills import chain
from supply.drills.models import Drill
from supply.drills.teams import upsert_team
from supply.service.auth import Caller, add_user
from supply.service.models import id_of

START = datetime(2030, 5, 1, 0, tzinfo=UTC)


def team(session: Session, code: str, station: str = "GZE-PT") -> str:
    upsert_team(session, "admin", TeamIn(code=code, station=station, kind="kitchen", headcount=8))
    return code


def user(session: Session, name: str, role: str = "officer") -> Caller:
    """A new user, as the domain sees who calls it (as the API's authentication gives it)."""
    u = add_user(session, name, role, actor="test")[0]
    return Caller(id_of(u), u.name, u.role, u.station)


def drill(session: Session, creator: Caller) -> int:
    """An open drill whose joint command is ``creator`` (no plan: orders and members need none)."""
    d = Drill(name="test", scenario_source="test", scenario={}, start_at=START, plan={}, created_by=creator.name)
    session.add(d)
    session.flush()
    chain.add_joint_command(session, d.id, creator)
    session.flush()
    return d.id
