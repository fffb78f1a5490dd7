"""What one user may do in one live drill: the checks the drill's domain functions make, asked ahead.

An edge that offers controls (the console's command post board) shows only those this says
are allowed; the domain functions still check on every write (:func:`~supply.drills.board.record_unit_times`,
:func:`~supply.drills.orders.issue_order`, :func:`~supply.drills.orders.move_order`,
:func:`~supply.drills.procedure.mark_step`), through the same predicates, so the two cannot drift.

* record unit times: officers and admins, the joint command, a station command;
* order a station, mark procedure steps: the joint command (admins count as joint command);
* order a team: the joint command, or the command of the team's station;
* move an order along: its recipient only (the station's command, the team's leader).

Nothing is allowed in a drill that is not ``open`` (planning, failed or closed: read-only).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, or_, select

from supply.drills.chain import get_drill, is_joint, membership
from supply.drills.models import DrillMember, Team, team_code
from supply.service.auth import Caller


def may_record_units(user: Caller, member: DrillMember | None) -> bool:
    """Officers and admins, the joint command and station commands record units' real times."""
    commands = ("joint_command", "station_command")
    return user.role in ("officer", "admin") or (member is not None and member.role in commands)


def may_order_team(joint: bool, member: DrillMember | None, station: str) -> bool:
    """The joint command, or the command of ``station`` (the team's), may order a team."""
    return joint or (member is not None and member.role == "station_command" and member.station == station)


def answers(member: DrillMember | None, station: str | None, team: str | None, *, by_code: bool = False) -> bool:
    """Whether ``member`` is the recipient of an order to ``station`` or ``team`` (its key; with
    ``by_code``, its code as people see it)."""
    if member is None:
        return False
    if station is not None:
        return member.role == "station_command" and member.station == station
    led = member.team if member.team is None or not by_code else team_code(member.team)
    return member.role == "team_leader" and led == team


@dataclass(frozen=True)
class Rights:
    """One user's rights in one drill (see the module docstring); ``teams``: the teams they may order."""

    open: bool
    record_units: bool
    joint: bool
    teams: tuple[str, ...]
    member: DrillMember | None

    @property
    def any(self) -> bool:
        return self.open and (self.record_units or self.joint or bool(self.teams) or self.member is not None)

    def answers(self, station: str | None, team: str | None) -> bool:
        """Whether they answer an order to ``station`` or ``team`` (a team named by its code, as shown)."""
        return self.open and answers(self.member, station, team, by_code=True)


def rights(session: Session, drill_id: int, user: Caller) -> Rights:
    """What ``user`` may do in the drill now."""
    drill = get_drill(session, drill_id)
    member = membership(session, drill_id, user.id)
    joint = is_joint(session, drill_id, user)
    is_open = drill.status == "open"
    mine = or_(col(Team.drill_id) == drill_id, col(Team.drill_id).is_(None))  # its own teams, and real ones
    codes = {team_code(t.code): t.station for t in session.exec(select(Team).where(mine).order_by(Team.code))}
    teams = tuple(code for code, station in sorted(codes.items()) if is_open and may_order_team(joint, member, station))
    return Rights(is_open, is_open and may_record_units(user, member), is_open and joint, teams, member)
