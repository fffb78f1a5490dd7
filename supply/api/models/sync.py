"""Sync answers: the report of an applied bundle and the conflicts kept (issue 14)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field

from supply.api.models.common import LocalTime, Public
from supply.api.models.stock import SyncAlertPublic
from supply.core.timefmt import local_iso

#: The media type of a sync bundle in a request or answer body.
BUNDLE_MEDIA_TYPE = "application/octet-stream"


class ChangePublic(Public):
    """One version of a record: a status change, who made it where, and when."""

    uid: str = Field(description="the change's global id")
    origin: str = Field(description="where it was made: 'centre' or a station's node")
    actor: str
    at: LocalTime = Field(description="in the display zone")
    from_status: str | None
    to_status: str
    note: str

    @classmethod
    def of(cls, view: dict[str, Any], tz: ZoneInfo) -> ChangePublic:
        moment = datetime.fromisoformat(view["at"])
        at = local_iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC), tz)
        return cls.model_validate({**view, "at": at})


class ConflictPublic(Public):
    """A change to someone else's record made while apart: the owner's version stands, the other is kept."""

    table: str = Field(description="the record's table: dispatch, team, drill_order…")
    record: str = Field(description="the record's local id (or code)")
    record_uid: str | None = Field(description="the record's global id")
    owner: str | None = Field(description="the station whose node owns the record (null: the centre)")
    standing: ChangePublic | None = Field(description="the version that stands")
    rejected: ChangePublic = Field(description="the version kept as a rejected change (never dropped)")
    later_rejected: int = Field(description="changes made on top of the rejected one, rejected with it")

    @classmethod
    def of(cls, view: Any, tz: ZoneInfo) -> ConflictPublic:
        d = view.as_dict()
        standing = ChangePublic.of(d["standing"], tz) if d["standing"] else None
        return cls.model_validate({**d, "standing": standing, "rejected": ChangePublic.of(d["rejected"], tz)})


class SyncReportPublic(Public):
    """What importing a bundle did."""

    applied: int = Field(description="records of the bundle this database did not have, now applied")
    skipped: int = Field(description="records it already had (a bundle imported twice changes nothing more)")
    conflicts: list[ConflictPublic] = Field(description="conflicts the bundle raised, both versions of each")
    alerts: list[SyncAlertPublic] = Field(description="reconciliation alerts: books left below zero available")
    sender: str = Field(alias="from", description="the node that made the bundle")

    @classmethod
    def of(cls, report: Any, tz: ZoneInfo) -> SyncReportPublic:
        d = report.as_dict()
        found = [ConflictPublic.of(c, tz) for c in report.conflicts]
        return cls.model_validate({**d, "conflicts": found})
