"""Live drills' tables: teams and their log, team assignments, drills, members, units, orders, steps.

Teams are real (a station's kitchen or water team, changed by officers); drills only ever write
exercise-marked rows about them. The status logs share :class:`~supply.service.models.StatusEvent`.
"""

from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import JSON, Column, UniqueConstraint, select
from sqlmodel import Field, SQLModel

from supply.service.models import (
    StatusEvent,
    UTCDateTime,
    json_field,
    maybe_ts_field,
    origin_field,
    ts_field,
    uid_field,
)

TeamStatus = Literal["ready", "en_route", "on_task", "returning", "stood_down"]

#: Between a drill's team code and its drill's id in an exercise team's key: never in a code, so an
#: exercise team's key is never a real team's code, nor another drill's team's.
DRILL_MARK = "@"


def exercise_key(code: str, drill_id: int) -> str:
    """The key of drill ``drill_id``'s exercise team ``code`` (``HUB-MED-1@6``), whatever else holds ``code``."""
    return f"{code}{DRILL_MARK}{drill_id}"


def team_code(key: str) -> str:
    """A team's code as people name it: a real team's key, or an exercise team's code within its drill."""
    return key.partition(DRILL_MARK)[0]


class Team(SQLModel, table=True):
    """A team (the N of "1+1+1+1+N") belonging to a station; its status changes are in :class:`TeamEvent`.

    ``code`` is the team's key: a real team's code, or for an exercise team its code within its
    drill joined to the drill's id (:func:`exercise_key`), so a drill's codes may repeat a real team's
    or another drill's without touching them; :func:`team_code` gives back the code people use.
    """

    code: str = Field(primary_key=True, max_length=60)
    name: str = Field(max_length=120)
    station: str = Field(foreign_key="station.code", max_length=40, index=True)
    kind: str = Field(max_length=12)
    headcount: int
    vehicles: int = 0
    capacity: dict[str, float] = json_field()
    status: str = Field(default="ready", max_length=12)
    created_at: datetime = ts_field()
    #: Set for an exercise team a drill brought (its ``[[teams]]``): not a real team, never changed by drills.
    drill_id: int | None = Field(default=None, foreign_key="drill.id", index=True)


class TeamEvent(StatusEvent, table=True):
    """One status change of a team: append-only log with times."""

    __tablename__ = "team_event"

    team: str = Field(foreign_key="team.code", max_length=60, index=True)
    dispatch_id: int | None = Field(default=None, foreign_key="dispatch.id")
    exercise: bool = False


class DispatchTeam(SQLModel, table=True):
    """A team assigned to a dispatch for a time window; windows of one team's live assignments never overlap."""

    __tablename__ = "dispatch_team"

    id: int | None = Field(default=None, primary_key=True)
    dispatch_id: int = Field(foreign_key="dispatch.id", index=True)
    team: str = Field(foreign_key="team.code", max_length=60, index=True)
    start_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    end_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    exercise: bool = False
    actor: str = Field(max_length=80)
    created_at: datetime = ts_field()


class Drill(SQLModel, table=True):
    """A live drill (exercise). Never deleted: it is closed, and its record stays."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    scenario_source: str = Field(max_length=300)
    scenario: dict[str, Any] = json_field()  # the resolved scenario (``extends`` merged), as validated
    start_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    status: str = Field(default="open", max_length=12)  # planning → open → closed, or failed
    plan: dict[str, Any] = json_field()
    created_by: str = Field(max_length=80)
    created_at: datetime = ts_field()
    closed_at: datetime | None = maybe_ts_field()
    #: The planning job: its inputs (replications, seed, procedure, name), while ``planning``.
    job: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    progress: float | None = None  # share of the planning job done, 0–1
    job_owner: str | None = Field(default=None, max_length=120)  # host:pid of the server process running the job
    error: str | None = None  # why planning failed (or was cancelled)
    review: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))  # frozen at close


class DrillMember(SQLModel, table=True):
    """A user's role in one drill: the joint command, a station command, or a team leader."""

    __tablename__ = "drill_member"
    __table_args__ = (UniqueConstraint("drill_id", "user_id", name="uq_drill_member_user"),)

    id: int | None = Field(default=None, primary_key=True)
    drill_id: int = Field(foreign_key="drill.id", index=True)
    user_id: int = Field(foreign_key="user.id")
    role: str = Field(max_length=20)
    station: str | None = Field(default=None, foreign_key="station.code", max_length=40)
    team: str | None = Field(default=None, foreign_key="team.code", max_length=60)


class DrillUnit(SQLModel, table=True):
    """A planned unit of a drill: its exercise support request, the plan's times and the real ones."""

    __tablename__ = "drill_unit"
    __table_args__ = (UniqueConstraint("drill_id", "code", name="uq_drill_unit_code"),)

    id: int | None = Field(default=None, primary_key=True)
    drill_id: int = Field(foreign_key="drill.id", index=True)
    code: str = Field(max_length=40)
    request_id: int | None = Field(default=None, foreign_key="support_request.id")
    station: str | None = Field(default=None, foreign_key="station.code", max_length=40)
    planned_arrive_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    planned_fed_at: datetime | None = maybe_ts_field()
    planned_depart_at: datetime | None = maybe_ts_field()
    arrived_at: datetime | None = maybe_ts_field()
    served_at: datetime | None = maybe_ts_field()
    departed_at: datetime | None = maybe_ts_field()


class DrillOrder(SQLModel, table=True):
    """An order down the chain (to a station or a team); its steps are in :class:`OrderEvent`."""

    __tablename__ = "drill_order"

    id: int | None = Field(default=None, primary_key=True)
    uid: str | None = uid_field()
    origin: str | None = origin_field()
    drill_id: int = Field(foreign_key="drill.id", index=True)
    station: str | None = Field(default=None, foreign_key="station.code", max_length=40)
    team: str | None = Field(default=None, foreign_key="team.code", max_length=60)
    text: str
    status: str = Field(default="issued", max_length=12)
    ack_by: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    due_at: datetime | None = maybe_ts_field()
    reason: str = ""
    issued_by: str = Field(max_length=80)
    issued_at: datetime = ts_field()


class OrderEvent(StatusEvent, table=True):
    """One step of an order down the chain: append-only log."""

    __tablename__ = "order_event"

    order_id: int = Field(foreign_key="drill_order.id", index=True)


class DrillStep(SQLModel, table=True):
    """One step of the command procedure in one drill: its target duration and when it was reached."""

    __tablename__ = "drill_step"
    __table_args__ = (UniqueConstraint("drill_id", "step", name="uq_drill_step"),)

    id: int | None = Field(default=None, primary_key=True)
    drill_id: int = Field(foreign_key="drill.id", index=True)
    seq: int
    step: str = Field(max_length=40)
    target_minutes: float
    done_at: datetime | None = maybe_ts_field()
    actor: str | None = Field(default=None, max_length=80)


def _register_synced() -> None:
    """Team status changes travel in sync bundles (real teams only: a drill's exercise teams stay local)."""
    from supply.service.models import table_of
    from supply.service.sync.tables import StatusLog, Synced, register

    team, events = table_of(Team), table_of(TeamEvent)
    real = events.c.team.in_(select(team.c.code).where(team.c.drill_id.is_(None)))
    log = StatusLog("team", team, "code", "station")
    statuses = frozenset(get_args(TeamStatus))
    choices = {"from_status": statuses, "to_status": statuses}
    register(Synced("team_event", events, 40, refs={"dispatch_id": "dispatch"}, log=log, only=real, choices=choices))


_register_synced()
