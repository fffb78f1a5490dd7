"""A node's authority is its station: the one rule for what a database may originate.

The centre (``origin = centre``) records for every station. A station's node records only about
its own station — its stock books, the dispatches from it, its teams, and the requests and audit
entries it raised (which name no station) — and only under its own ``origin``. The rule is checked
where records enter a database: on the node's own writes (:func:`require_own`, a 403 before
anything is written) and on every sync bundle, whoever carries it
(:mod:`supply.service.sync.checks`, the whole bundle refused).

A transfer from a node's station to another is an outgoing movement at the node: the stock is in
transit until the receiving station records its arrival, never written into that station's book
by the sender.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlmodel import Session

from supply.core.errors import ForbiddenError
from supply.service.models import CENTRE, connection_node


def may_originate(origin: str, station: str | None) -> bool:
    """Whether a record made at ``origin`` may be about ``station`` (``None``: a record naming no station)."""
    return origin == CENTRE or station is None or station == origin


def here(session: Session | Connection) -> str:
    """This database's node code: ``centre``, or the station whose node it is.

    Read once per database connection (:func:`~supply.service.models.connection_node`): the very value
    the rows this connection inserts take as their ``origin``, so the check and the record agree.
    """
    return connection_node(session if isinstance(session, Connection) else session.connection())


def require_own(session: Session | Connection, *stations: str) -> None:
    """:class:`ForbiddenError` when this database is a node and any of ``stations`` is not its own."""
    me = here(session)
    other = next((s for s in stations if not may_originate(me, s)), None)
    if other is not None:
        raise ForbiddenError.worded(
            "this database is the node of {node}: it records only {node}'s own stock, dispatches and teams, "
            "not {station}'s (record it at {station}'s node or at the centre)",
            node=me,
            station=other,
        )
