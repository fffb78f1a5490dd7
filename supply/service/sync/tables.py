"""The tables a bundle carries, in the order an import applies them, and how their rows point at others.

A row travels without its local integer id; every column that points at another synced record
(``movement.dispatch_id``, ``movement.reversal_of``, ``dispatch.request_id``, an event's record)
travels as that record's uid and is mapped back to a local id on import. A dispatch's lines travel
inside it. Live drills' tables live in :mod:`supply.drills`: it registers its status log here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import get_args

from sqlalchemy import Table

from supply.service.inputs import Status
from supply.service.models import AuditEntry, Dispatch, DispatchEvent, Movement, SupportRequest, table_of


@dataclass(frozen=True)
class StatusLog:
    """A status log whose events form a tree by ``parent``: the record it belongs to and who owns it."""

    record_column: str  # the event's column naming its record
    record_table: Table  # the record's table
    record_key: str  # the record's column that ``record_column`` holds (its id, or its code)
    owner_column: str  # the record's column naming the station that owns it


@dataclass(frozen=True)
class Synced:
    name: str
    table: Table
    order: int
    refs: dict[str, str] = field(default_factory=dict)  # column -> the synced table whose uid it carries
    log: StatusLog | None = None
    #: A SQL condition (on ``table``) for the rows that travel, when not all do.
    only: object | None = None
    #: Columns holding one of a fixed set of values (statuses): a bundle may carry no other.
    choices: dict[str, frozenset[str]] = field(default_factory=dict)


_REGISTRY: dict[str, Synced] = {}


def register(spec: Synced) -> None:
    _REGISTRY[spec.name] = spec


def synced() -> list[Synced]:
    """Every synced table, in import order."""
    return sorted(_REGISTRY.values(), key=lambda s: s.order)


_DISPATCH = table_of(Dispatch)
_STATUSES = frozenset(get_args(Status))
register(Synced("support_request", table_of(SupportRequest), 10))
register(Synced("dispatch", _DISPATCH, 20, refs={"request_id": "support_request"}, choices={"status": _STATUSES}))
register(
    Synced(
        "dispatch_event",
        table_of(DispatchEvent),
        30,
        refs={"dispatch_id": "dispatch"},
        log=StatusLog("dispatch_id", _DISPATCH, "id", "station"),
        choices={"from_status": _STATUSES, "to_status": _STATUSES},
    )
)
register(Synced("movement", table_of(Movement), 50, refs={"dispatch_id": "dispatch", "reversal_of": "movement"}))
register(Synced("audit_entry", table_of(AuditEntry), 90))
