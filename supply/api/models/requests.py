"""Support requests, the options to serve them, and dispatches."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from pydantic import Field

from supply.api.models.common import LocalTime, Number, Public
from supply.core.timefmt import local_iso
from supply.service.dispatches import DispatchRecord, StatusChange
from supply.service.models import SupportRequest, id_of


class RequestPublic(Public):
    """A support request: the unit, where and when it arrives, its needs and what is still to send."""

    id: int
    unit: str
    headcount: int
    special_diets: dict[str, int]
    vehicles: int
    mode: str
    site: str
    arrive_at: LocalTime
    dwell_minutes: int
    priority: str
    received_at: LocalTime
    notice_minutes: float = Field(description="minutes between the notice and the arrival")
    needs: dict[str, Number]
    needs_computed: bool = Field(description="needs computed from the planning factors, not given")
    remaining: dict[str, Number] = Field(description="needs less what live dispatches carry")
    exercise: bool
    note: str
    created_by: str
    approval: str | None = Field(
        default=None, description="null: none needed; pending, approved or rejected (no dispatch until approved)"
    )
    approval_role: str | None = Field(default=None, description="the role that decides")
    approval_why: str = Field(default="", description="the thresholds the needs exceed")
    decided_by: str | None = None
    decided_at: LocalTime | None = None
    decision_reason: str = ""

    @classmethod
    def of(cls, req: SupportRequest, remaining: dict[str, float], tz: ZoneInfo) -> RequestPublic:
        notice = round((req.arrive_at - req.received_at).total_seconds() / 60.0, 1)
        return cls(
            id=id_of(req),
            unit=req.unit,
            headcount=req.headcount,
            special_diets=req.special_diets,
            vehicles=req.vehicles,
            mode=req.mode,
            site=req.site,
            arrive_at=local_iso(req.arrive_at, tz) or "",
            dwell_minutes=req.dwell_minutes,
            priority=req.priority,
            received_at=local_iso(req.received_at, tz) or "",
            notice_minutes=notice,
            needs=req.needs,
            needs_computed=req.needs_computed,
            remaining=remaining,
            exercise=req.exercise,
            note=req.note,
            created_by=req.created_by,
            approval=req.approval,
            approval_role=req.approval_role,
            approval_why=req.approval_why,
            decided_by=req.decided_by,
            decided_at=local_iso(req.decided_at, tz),
            decision_reason=req.decision_reason,
        )


class OptionPublic(Public):
    """A station that could serve the request: its ETA and what it can cover of the remaining needs."""

    station: str
    name: str
    tier: str
    eta_minutes: float | None = Field(description="null when unreachable")
    reachable: bool
    in_time: bool = Field(description="it would arrive before the unit does, leaving now")
    covers: dict[str, Number]
    shortfall: dict[str, Number]
    covers_all: bool


class StatusChangePublic(Public):
    """One step of a status log."""

    at: LocalTime
    from_: str | None = Field(alias="from", description="null for the first entry")
    to: str
    note: str
    actor: str

    @classmethod
    def of(cls, ev: StatusChange, tz: ZoneInfo) -> StatusChangePublic:
        at = local_iso(ev.at, tz)
        return cls.model_validate(
            {"at": at, "from": ev.from_status, "to": ev.to_status, "note": ev.note, "actor": ev.actor}
        )


class DispatchLinePublic(Public):
    item: str
    quantity: Number


class DispatchPublic(Public):
    """A dispatch: one station serving (part of) one request, its lines and its status history."""

    id: int
    request_id: int
    station: str
    status: str
    exercise: bool
    created_by: str
    created_at: LocalTime
    lines: list[DispatchLinePublic]
    history: list[StatusChangePublic]

    @classmethod
    def of(cls, d: DispatchRecord, tz: ZoneInfo) -> DispatchPublic:
        return cls(
            id=d.id,
            request_id=d.request_id,
            station=d.station,
            status=d.status,
            exercise=d.exercise,
            created_by=d.created_by,
            created_at=local_iso(d.created_at, tz) or "",
            lines=[DispatchLinePublic(item=item, quantity=qty) for item, qty in d.lines],
            history=[StatusChangePublic.of(ev, tz) for ev in d.history],
        )
