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

from datetime import datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from sqlmodel import Session, col, select

from .audit import record
from .errors import ConflictError, ForbiddenError, InvalidArgumentError, UnknownCodeError
from .models import Drill, DrillMember, DrillOrder, DrillStep, OrderEvent, Station, Team, User, utcnow
from .schemas import Code, Text, When

DrillRole = Literal["joint_command", "station_command", "team_leader"]
OrderStatus = Literal["acknowledged", "in_progress", "done", "refused"]
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    "issued": frozenset({"acknowledged", "refused"}),
    "acknowledged": frozenset({"in_progress", "refused"}),
    "in_progress": frozenset({"done", "refused"}),
    "done": frozenset(),
    "refused": frozenset(),
}
OPEN_ORDERS = ("issued", "acknowledged", "in_progress")
#: notice received → plan approved → teams alerted → dispatched → serving → reported (target minutes).
DEFAULT_PROCEDURE: tuple[tuple[str, float], ...] = (
    ("notice_received", 5), ("plan_approved", 60), ("teams_alerted", 30),
    ("dispatched", 60), ("serving", 120), ("reported", 60),
)  # fmt: skip


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    step: Code
    target_minutes: float = Field(ge=0, le=100_000, allow_inf_nan=False)


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=r"^[^\x00]*$")]
    role: DrillRole
    station: Code | None = None
    team: Code | None = None

    @model_validator(mode="after")
    def _scope(self) -> MemberIn:
        need = {"joint_command": (False, False), "station_command": (True, False), "team_leader": (False, True)}
        st, tm = need[self.role]
        if (self.station is not None) != st or (self.team is not None) != tm:
            what = {"joint_command": "neither station nor team", "station_command": "a station (and no team)",
                    "team_leader": "a team (and no station)"}[self.role]  # fmt: skip
            msg = f"role {self.role} takes {what}"
            raise ValueError(msg)
        return self


class OrderIn(BaseModel):
    """An order to a station or a team: "prepare 1,200 hot meals at GZ-RAIL by 06:30"."""

    model_config = ConfigDict(extra="forbid")

    station: Code | None = None
    team: Code | None = None
    text: Annotated[str, StringConstraints(min_length=1, max_length=1000, pattern=r"^[^\x00]*\S[^\x00]*$")]
    ack_within_minutes: float = Field(default=15, ge=0, le=10_080, allow_inf_nan=False)
    due_at: When | None = None

    @model_validator(mode="after")
    def _one_recipient(self) -> OrderIn:
        if (self.station is None) == (self.team is None):
            msg = "give exactly one of 'station' or 'team'"
            raise ValueError(msg)
        return self


class OrderStatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: OrderStatus
    reason: Text = ""

    @model_validator(mode="after")
    def _reason(self) -> OrderStatusIn:
        if self.status == "refused" and not self.reason.strip():
            msg = "a refusal needs a reason"
            raise ValueError(msg)
        return self


class StepDoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: When | None = Field(default=None, description="when the step was reached; default: now")


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
        msg = f"drill {drill_id} is closed: its record is read-only"
        raise ConflictError(msg)
    return drill


def list_drills(session: Session, *, limit: int = 100, offset: int = 0) -> list[Drill]:
    return list(session.exec(select(Drill).order_by(col(Drill.id).desc()).offset(offset).limit(limit)))


def membership(session: Session, drill_id: int, user: User) -> DrillMember | None:
    q = select(DrillMember).where(DrillMember.drill_id == drill_id, DrillMember.user_id == user.id)
    return session.exec(q).first()


def is_joint(session: Session, drill_id: int, user: User) -> bool:
    m = membership(session, drill_id, user)
    return user.role == "admin" or (m is not None and m.role == "joint_command")


def require_joint(session: Session, drill_id: int, user: User, what: str) -> None:
    if not is_joint(session, drill_id, user):
        msg = f"only the joint command of drill {drill_id} may {what}"
        raise ForbiddenError(msg)


def add_member(session: Session, actor: User, drill_id: int, data: MemberIn) -> DrillMember:
    """Give a user a role in the drill (joint command only); one role per user and drill."""
    open_drill(session, drill_id)
    require_joint(session, drill_id, actor, "appoint members")
    user = session.exec(select(User).where(User.name == data.user)).first()
    if user is None:
        raise UnknownCodeError("user", data.user, session.exec(select(User.name)).all())
    if data.station is not None and session.get(Station, data.station) is None:
        raise UnknownCodeError("station", data.station, session.exec(select(Station.code)).all())
    if data.team is not None and session.get(Team, data.team) is None:
        raise UnknownCodeError("team", data.team, session.exec(select(Team.code)).all())
    if membership(session, drill_id, user) is not None:
        msg = f"user '{data.user}' already has a role in drill {drill_id}"
        raise ConflictError(msg)
    member = DrillMember(drill_id=drill_id, user_id=user.id, role=data.role, station=data.station, team=data.team)
    session.add(member)
    record(session, actor.name, "drill.member", f"drill:{drill_id}", exercise=True, detail=data.model_dump())
    session.flush()
    return member


def add_joint_command(session: Session, drill_id: int, user: User) -> None:
    session.add(DrillMember(drill_id=drill_id, user_id=user.id, role="joint_command"))


def members(session: Session, drill_id: int) -> list[dict]:
    q = (
        select(DrillMember, User.name)
        .join(User, col(User.id) == DrillMember.user_id)
        .where(DrillMember.drill_id == drill_id)
        .order_by(col(DrillMember.id))
    )
    return [{"user": name, "role": m.role, "station": m.station, "team": m.team} for m, name in session.exec(q)]


def _team_station(session: Session, team: str) -> str:
    row = session.get(Team, team)
    if row is None:
        raise UnknownCodeError("team", team, session.exec(select(Team.code)).all())
    return row.station


def issue_order(
    session: Session, actor: User, drill_id: int, data: OrderIn, *, now: datetime | None = None
) -> DrillOrder:
    """Issue an order down the chain (see the module docstring for who may order whom)."""
    open_drill(session, drill_id)
    now = now or utcnow()
    joint = is_joint(session, drill_id, actor)
    if data.station is not None:
        if session.get(Station, data.station) is None:
            raise UnknownCodeError("station", data.station, session.exec(select(Station.code)).all())
        if not joint:
            msg = "only the joint command issues orders to stations"
            raise ForbiddenError(msg)
    else:
        station = _team_station(session, data.team or "")
        m = membership(session, drill_id, actor)
        if not joint and not (m is not None and m.role == "station_command" and m.station == station):
            msg = f"only the joint command or {station}'s station command may order team {data.team}"
            raise ForbiddenError(msg)
    order = DrillOrder(
        drill_id=drill_id, station=data.station, team=data.team, text=data.text,
        ack_by=now + timedelta(minutes=data.ack_within_minutes), due_at=data.due_at, issued_by=actor.name,
        issued_at=now,
    )  # fmt: skip
    session.add(order)
    session.flush()
    session.add(OrderEvent(order_id=order.id, at=now, to_status="issued", actor=actor.name))
    record(session, actor.name, "order.issue", f"order:{order.id}", exercise=True,
           detail={"drill_id": drill_id, "station": data.station, "team": data.team, "text": data.text})  # fmt: skip
    session.flush()
    return order


def get_order(session: Session, drill_id: int, order_id: int, *, for_update: bool = False) -> DrillOrder:
    q = select(DrillOrder).where(DrillOrder.id == order_id, DrillOrder.drill_id == drill_id)
    order = session.exec(q.with_for_update() if for_update else q).first()
    if order is None:
        raise UnknownCodeError("order", str(order_id))
    return order


def is_recipient(session: Session, order: DrillOrder, member: DrillMember | None) -> bool:
    if member is None:
        return False
    if order.station is not None:
        return member.role == "station_command" and member.station == order.station
    return member.role == "team_leader" and member.team == order.team


def move_order(session: Session, actor: User, drill_id: int, order_id: int, data: OrderStatusIn) -> DrillOrder:
    """The recipient acknowledges, starts, finishes or refuses an order."""
    open_drill(session, drill_id)
    order = get_order(session, drill_id, order_id, for_update=True)
    if not is_recipient(session, order, membership(session, drill_id, actor)):
        to = f"station {order.station}'s command" if order.station else f"team {order.team}'s leader"
        msg = f"only {to} may answer order {order_id}"
        raise ForbiddenError(msg)
    if data.status not in ORDER_TRANSITIONS[order.status]:
        allowed = ", ".join(sorted(ORDER_TRANSITIONS[order.status])) or "none (final)"
        msg = f"order {order_id} is {order.status}: cannot become {data.status} (allowed: {allowed})"
        raise ConflictError(msg)
    session.add(OrderEvent(order_id=order_id, from_status=order.status, to_status=data.status, note=data.reason,
                           actor=actor.name))  # fmt: skip
    record(session, actor.name, f"order.{data.status}", f"order:{order_id}", reason=data.reason, exercise=True,
           detail={"drill_id": drill_id, "from": order.status})  # fmt: skip
    order.status = data.status
    if data.status == "refused":
        order.reason = data.reason
    session.add(order)
    session.flush()
    return order


def visible_orders(session: Session, drill_id: int, user: User, *, open_only: bool = False) -> list[DrillOrder]:
    """The orders ``user`` may see: all for the joint command and staff outside the drill; a station
    command its station's and its teams'; a team leader only their team's."""
    q = select(DrillOrder).where(DrillOrder.drill_id == drill_id)
    if open_only:
        q = q.where(col(DrillOrder.status).in_(OPEN_ORDERS))
    m = membership(session, drill_id, user)
    if m is not None and m.role == "station_command" and user.role != "admin":
        teams = select(Team.code).where(Team.station == m.station)
        q = q.where((DrillOrder.station == m.station) | col(DrillOrder.team).in_(teams))
    elif m is not None and m.role == "team_leader" and user.role != "admin":
        q = q.where(DrillOrder.team == m.team)
    return list(session.exec(q.order_by(col(DrillOrder.id))))


def order_dicts(session: Session, orders: list[DrillOrder], tz: ZoneInfo, *, now: datetime | None = None) -> list[dict]:
    now = now or utcnow()
    ids = [o.id for o in orders]
    events: dict[int, list[OrderEvent]] = {i: [] for i in ids if i is not None}
    for ev in session.exec(select(OrderEvent).where(col(OrderEvent.order_id).in_(ids)).order_by(col(OrderEvent.id))):
        events[ev.order_id].append(ev)
    return [
        {
            "id": o.id, "drill_id": o.drill_id, "station": o.station, "team": o.team, "text": o.text,
            "status": o.status, "reason": o.reason, "issued_by": o.issued_by,
            "issued_at": o.issued_at.astimezone(tz).isoformat(), "ack_by": o.ack_by.astimezone(tz).isoformat(),
            "due_at": None if o.due_at is None else o.due_at.astimezone(tz).isoformat(),
            "overdue_ack": o.status == "issued" and now > o.ack_by,
            "late": o.status in OPEN_ORDERS and o.due_at is not None and now > o.due_at,
            "history": [{"at": e.at.astimezone(tz).isoformat(), "from": e.from_status, "to": e.to_status,
                         "note": e.note, "actor": e.actor} for e in events[o.id or 0]],
        }
        for o in orders
    ]  # fmt: skip


def add_steps(session: Session, drill_id: int, steps: list[StepIn] | None) -> None:
    pairs = [(s.step, s.target_minutes) for s in steps] if steps else list(DEFAULT_PROCEDURE)
    names = [p[0] for p in pairs]
    if len(set(names)) != len(names):
        msg = "procedure: step names must be unique"
        raise InvalidArgumentError(msg)
    for seq, (step, target) in enumerate(pairs):
        session.add(DrillStep(drill_id=drill_id, seq=seq, step=step, target_minutes=target))


def mark_step(session: Session, actor: User, drill_id: int, step: str, at: datetime | None = None) -> DrillStep:
    """Record that the procedure reached ``step`` (joint command; once per step)."""
    open_drill(session, drill_id)
    require_joint(session, drill_id, actor, "mark procedure steps")
    row = session.exec(select(DrillStep).where(DrillStep.drill_id == drill_id, DrillStep.step == step)).first()
    if row is None:
        known = session.exec(select(DrillStep.step).where(DrillStep.drill_id == drill_id)).all()
        raise UnknownCodeError("procedure step", step, known)
    if row.done_at is not None:
        msg = f"step {step} was already reached at {row.done_at.isoformat()}"
        raise ConflictError(msg)
    row.done_at, row.actor = at or utcnow(), actor.name
    session.add(row)
    record(session, actor.name, "drill.step", f"drill:{drill_id}", exercise=True,
           detail={"step": step, "at": row.done_at.isoformat()})  # fmt: skip
    session.flush()
    return row


def procedure(session: Session, drill: Drill, tz: ZoneInfo) -> list[dict]:
    """Each step's actual minutes (from the previous step's time, the first from the drill's start) vs target."""
    rows = session.exec(select(DrillStep).where(DrillStep.drill_id == drill.id).order_by(col(DrillStep.seq)))
    out, previous = [], drill.start_at
    for r in rows:
        actual = None
        if r.done_at is not None and previous is not None:
            actual = round((r.done_at - previous).total_seconds() / 60.0, 2)
        out.append({
            "step": r.step, "target_minutes": r.target_minutes, "actual_minutes": actual,
            "done_at": None if r.done_at is None else r.done_at.astimezone(tz).isoformat(),
            "over_target": actual is not None and actual > r.target_minutes,
        })  # fmt: skip
        previous = r.done_at if r.done_at is not None else None
    return out


def close_drill(session: Session, actor: User, drill_id: int) -> Drill:
    """Close the drill (joint command): its record stays, read-only."""
    drill = open_drill(session, drill_id)
    require_joint(session, drill_id, actor, "close the drill")
    drill.status, drill.closed_at = "closed", utcnow()
    session.add(drill)
    record(session, actor.name, "drill.close", f"drill:{drill_id}", exercise=True)
    session.flush()
    return drill


def team_report_drill(session: Session, user: User, team: str, drill_id: int | None) -> int | None:
    """Who may report a team's status, and for which drill (the report is then exercise-marked).

    Officers and admins report any team's, for the drill they name (it must be open) or for real
    operations; a team leader only their own team's, always for the open drill they lead it in.
    """
    if drill_id is not None:
        open_drill(session, drill_id)
    if user.role in ("officer", "admin"):
        return drill_id
    q = (
        select(DrillMember.drill_id)
        .join(Drill, col(Drill.id) == DrillMember.drill_id)
        .where(DrillMember.user_id == user.id, DrillMember.team == team, Drill.status == "open")
    )
    if drill_id is not None:
        q = q.where(DrillMember.drill_id == drill_id)
    led = session.exec(q.order_by(col(DrillMember.drill_id).desc())).first()
    if led is None:
        msg = f"only officers or team {team}'s leader in an open drill may report its status"
        raise ForbiddenError(msg)
    return led
