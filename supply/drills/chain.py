"""A live drill's command chain: the drill, its members, orders down the chain, the procedure.

"1+1+1+1+N": one joint command body, one procedure, one action plan, one record, N teams.

* **Members** hold a role in one drill: ``joint_command``, ``station_command`` (of a station)
  or ``team_leader`` (of a team). The drill's creator is its first joint command.
* **Orders** go to a station or a team and move ``issued → acknowledged → in_progress → done``
  (or ``refused`` with a reason, from any open step); every step is an :class:`OrderEvent`
  with its time. An order still ``issued`` after its ``ack_by`` is *overdue*. Only the joint
  command orders stations; a station command may order its own station's teams; only the
  recipient (the station's command, the team's leader) moves an order along.
* **The procedure** is a named sequence of steps with target minutes; each step's actual
  duration runs from the previous step's time (the first from the drill's start).

A drill is never deleted: it is closed, after which its record is read-only.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, model_validator
from sqlalchemy import bindparam
from sqlmodel import Session, col, or_, select

from supply.core.errors import ConflictError, ForbiddenError, UnknownCodeError
from supply.core.types import Code, UserName
from supply.drills.models import Drill, DrillMember, DrillUnit, Team, exercise_key, team_code
from supply.service.audit import record
from supply.service.auth import Caller
from supply.service.models import Dispatch, Station, User, id_of, utcnow

DrillRole = Literal["joint_command", "station_command", "team_leader"]


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: UserName
    role: DrillRole
    station: Code | None = None
    team: Code | None = None

    @model_validator(mode="after")
    def _scope(self) -> MemberIn:
        need = {"joint_command": (False, False), "station_command": (True, False), "team_leader": (False, True)}
        st, tm = need[self.role]
        if (self.station is not None) != st or (self.team is not None) != tm:
            what = {
                "joint_command": "neither station nor team",
                "station_command": "a station (and no team)",
                "team_leader": "a team (and no station)",
            }[self.role]
            msg = f"role {self.role} takes {what}"
            raise ValueError(msg)
        return self


def get_drill(session: Session, drill_id: int, *, for_update: bool = False) -> Drill:
    q = select(Drill).where(Drill.id == drill_id)
    drill = session.exec(q.with_for_update() if for_update else q).first()
    if drill is None:
        raise UnknownCodeError("drill", str(drill_id))
    return drill


def open_drill(session: Session, drill_id: int) -> Drill:
    """The drill, locked, if it is still open (its record is read-only once closed)."""
    drill = get_drill(session, drill_id, for_update=True)
    if drill.status != "open":
        raise ConflictError.worded(
            "drill {drill} is {status}: its record is read-only", drill=drill_id, status=drill.status
        )
    return drill


_DRILL_OF = select(Drill.id, Drill.status).join(DrillUnit, col(DrillUnit.drill_id) == Drill.id)
# Built once (SQL construction costs more than running them): a drill's status by its request or dispatch.
_DRILL_OF_REQUEST = _DRILL_OF.where(DrillUnit.request_id == bindparam("c_request")).with_for_update(read=True, of=Drill)
_DRILL_OF_DISPATCH = (
    _DRILL_OF.join(Dispatch, col(Dispatch.request_id) == DrillUnit.request_id)
    .where(Dispatch.id == bindparam("c_dispatch"))
    .with_for_update(read=True, of=Drill)
)


def refuse_if_closed(session: Session, *, request_id: int | None = None, dispatch_id: int | None = None) -> None:
    """:class:`ConflictError` if the support request (or the dispatch's request) belongs to a closed drill.

    The drill row is read ``FOR SHARE`` on PostgreSQL, so a close cannot commit between this check
    and the caller's write (SQLite's write transaction already holds the database).
    """
    conn = session.connection()
    if dispatch_id is not None:
        row = conn.execute(_DRILL_OF_DISPATCH, {"c_dispatch": dispatch_id}).first()
    else:
        row = conn.execute(_DRILL_OF_REQUEST, {"c_request": request_id}).first()
    if row is not None and row[1] != "open":
        raise ConflictError.worded("drill {drill} is {status}: its record is read-only", drill=row[0], status=row[1])


def drill_of_dispatch(session: Session, dispatch_id: int) -> int | None:
    """The drill whose planned unit's request the dispatch serves (``None``: not a drill's)."""
    q = (
        select(DrillUnit.drill_id)
        .join(Dispatch, col(Dispatch.request_id) == DrillUnit.request_id)
        .where(Dispatch.id == dispatch_id)
    )
    return session.exec(q).first()


def list_drills(session: Session, *, limit: int = 100, offset: int = 0) -> list[Drill]:
    return list(session.exec(select(Drill).order_by(col(Drill.id).desc()).offset(offset).limit(limit)))


def membership(session: Session, drill_id: int, user_id: int) -> DrillMember | None:
    """The user's role in the drill, if any."""
    q = select(DrillMember).where(DrillMember.drill_id == drill_id, DrillMember.user_id == user_id)
    return session.exec(q).first()


def is_joint(session: Session, drill_id: int, user: Caller) -> bool:
    m = membership(session, drill_id, user.id)
    return user.role == "admin" or (m is not None and m.role == "joint_command")


def require_joint(session: Session, drill_id: int, user: Caller, what: str) -> None:
    if not is_joint(session, drill_id, user):
        msg = f"only the joint command of drill {drill_id} may {what}"
        raise ForbiddenError(msg)


def add_member(session: Session, actor: Caller, drill_id: int, data: MemberIn) -> DrillMember:
    """Give a user a role in the drill (joint command only); one role per user and drill."""
    open_drill(session, drill_id)
    require_joint(session, drill_id, actor, "appoint members")
    user = session.exec(select(User).where(User.name == data.user)).first()
    if user is None:
        raise UnknownCodeError("user", data.user)  # no suggestions: user names are not for every reader
    if data.station is not None and session.get(Station, data.station) is None:
        raise UnknownCodeError("station", data.station, session.exec(select(Station.code)).all())
    team = None if data.team is None else team_key_in_drill(session, drill_id, data.team)
    if membership(session, drill_id, id_of(user)) is not None:
        msg = f"user '{data.user}' already has a role in drill {drill_id}"
        raise ConflictError(msg)
    member = DrillMember(drill_id=drill_id, user_id=id_of(user), role=data.role, station=data.station, team=team)
    session.add(member)
    record(session, actor.name, "drill.member", f"drill:{drill_id}", exercise=True, detail=data.model_dump())
    session.flush()
    return member


def team_key_in_drill(session: Session, drill_id: int, code: str) -> str:
    """The key of the team a drill's chain means by ``code``: the drill's own exercise team, else the real
    team of that code (which the drill may order, but whose status it never changes)."""
    for key in (exercise_key(code, drill_id), code):
        team = session.get(Team, key)
        if team is not None and team.drill_id in (drill_id, None):
            return key
    known = select(Team.code).where(or_(col(Team.drill_id) == drill_id, col(Team.drill_id).is_(None)))
    raise UnknownCodeError("team", code, [team_code(k) for k in session.exec(known).all()])


def add_joint_command(session: Session, drill_id: int, user: Caller) -> None:
    session.add(DrillMember(drill_id=drill_id, user_id=user.id, role="joint_command"))


class Member(NamedTuple):
    """A user's role in a drill, by the user's name."""

    user: str
    role: str
    station: str | None
    team: str | None


def members(session: Session, drill_id: int) -> list[Member]:
    q = (
        select(DrillMember, User.name)
        .join(User, col(User.id) == DrillMember.user_id)
        .where(DrillMember.drill_id == drill_id)
        .order_by(col(DrillMember.id))
    )
    return [Member(name, m.role, m.station, m.team and team_code(m.team)) for m, name in session.exec(q)]


def close_drill(session: Session, actor: Caller, drill_id: int) -> Drill:
    """Close the drill (joint command): its record stays, read-only."""
    drill = open_drill(session, drill_id)
    require_joint(session, drill_id, actor, "close the drill")
    drill.status, drill.closed_at = "closed", utcnow()
    session.add(drill)
    record(session, actor.name, "drill.close", f"drill:{drill_id}", exercise=True)
    session.flush()
    return drill


def team_report_drill(session: Session, user: Caller, team: str, drill_id: int | None) -> int | None:
    """Who may report a team's status, and for which drill (the report is then exercise-marked).

    Officers and admins report any team's, for the drill they name (it must be open) or for real
    operations; a team leader only their own team's, always for the open drill they lead it in.
    """
    if drill_id is not None:
        open_drill(session, drill_id)
    if user.role in ("officer", "admin"):
        return drill_id
    q = (
        select(DrillMember.drill_id, DrillMember.team)
        .join(Drill, col(Drill.id) == DrillMember.drill_id)
        .where(DrillMember.user_id == user.id, col(DrillMember.team).is_not(None), Drill.status == "open")
    )
    if drill_id is not None:
        q = q.where(DrillMember.drill_id == drill_id)
    led = [d for d, key in session.exec(q.order_by(col(DrillMember.drill_id).desc())) if team_code(key or "") == team]
    if not led:
        msg = f"only officers or team {team}'s leader in an open drill may report its status"
        raise ForbiddenError(msg)
    return led[0]
