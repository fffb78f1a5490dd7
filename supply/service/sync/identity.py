"""Who this database is in the sync star: the centre, or a station's node (Meta ``node``)."""

from __future__ import annotations

from sqlalchemy import Table, bindparam, select
from sqlmodel import Session

from supply.core.errors import InvalidArgumentError
from supply.service.models import CENTRE, NODE_INFO_KEY, Meta


def node_code(session: Session) -> str:
    """``centre``, or the station code of a node (set by ``jungong db init --node STATION``)."""
    row = session.get(Meta, "node")
    return row.value if row is not None else CENTRE


def set_node(session: Session, station: str, known_stations: list[str]) -> None:
    """Make this database the node of ``station`` (before anything is recorded: origins follow it).

    A database that is already another node, or the centre with a scenario loaded, cannot change.
    """
    if station == CENTRE:
        msg = f"--node '{CENTRE}': the centre is a database initialised without --node"
        raise InvalidArgumentError(msg)
    if station not in known_stations:
        msg = f"--node '{station}': not a station of the scenario (known: {', '.join(sorted(known_stations))})"
        raise InvalidArgumentError(msg)
    current = session.get(Meta, "node")
    if current is not None and current.value != station:
        msg = f"--node '{station}': this database is already the node of '{current.value}'"
        raise InvalidArgumentError(msg)
    if current is None and session.get(Meta, "scenario_toml") is not None:
        msg = f"--node '{station}': this database is already initialised as the centre; make the node in a new one"
        raise InvalidArgumentError(msg)
    session.merge(Meta(key="node", value=station))
    session.flush()
    session.connection().info[NODE_INFO_KEY] = station  # rows this connection inserts from now on


def head_uid(session: Session, events: Table, record_column: str, record: object) -> str | None:
    """The uid of a record's head status event (its latest standing one): what a new change is made on."""
    q = (
        select(events.c.uid)
        .where(events.c[record_column] == bindparam("h_record"), events.c.rejected.is_(False))
        .order_by(events.c.id.desc())
        .limit(1)
    )
    return session.connection().execute(q, {"h_record": record}).scalar_one_or_none()
