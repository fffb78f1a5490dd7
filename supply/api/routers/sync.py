"""Sync over the API (issue 14): a station's node pushes its bundle and pulls what it has not got.

The bundles are the files ``jungong sync export`` writes (signed, compressed; :mod:`supply.service.sync`),
carried in the body as ``application/octet-stream`` up to the ``max_sync_bytes`` setting. Roles:

- ``POST /sync/push`` — a ``node`` user (only bundles its own station made) or an admin; for either,
  every record must lie within its origin's authority (a node's: its own station, under its own
  origin, the signer's) and hold values the API would take (:mod:`supply.service.sync.checks`):
  anything else is refused whole, 403/422 naming the record, nothing applied;
- ``GET /sync/pull`` — a ``node`` user: the bundle of what its station has not acknowledged (the
  centre relays every other node's records); an admin names the node (``?node=CODE``);
- ``GET /sync/conflicts`` — every reader and node: the conflicts kept, both versions of each.

Push and pull each run in one write transaction; importing is idempotent by record id, so a push
repeated after a lost answer records nothing new (no ``Idempotency-Key`` needed).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from fastapi.responses import Response
from sqlmodel import Session

from supply.api.deps import CodeQuery, RuntimeDep, SessionDep, Writer, require_role, writer_for
from supply.api.models.common import READ, WRITE, problems
from supply.api.models.sync import BUNDLE_MEDIA_TYPE, ConflictPublic, SyncReportPublic
from supply.core.errors import ForbiddenError, InvalidArgumentError
from supply.service.auth import READERS, SYNCERS, Caller, Role
from supply.service.ledger import require_station
from supply.service.sync import SyncReport, export_bundle, import_bundle, list_conflicts

router = APIRouter(prefix="/sync", tags=["sync"])
SyncWriter = Annotated[Writer, Depends(writer_for(SYNCERS))]
ConflictReader = Annotated[Caller, Depends(require_role(READERS | {Role.node}))]
BundleBody = Annotated[
    bytes,
    Body(
        media_type=BUNDLE_MEDIA_TYPE,
        description="a bundle as `jungong sync export` writes it (signed, compressed)",
    ),
]
BUNDLE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the bundle (signed, compressed)",
        "content": {BUNDLE_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post("/push", response_model=SyncReportPublic, responses=WRITE)
def push(body: BundleBody, w: SyncWriter) -> SyncReportPublic:
    """Apply a node's bundle: ``{"applied", "skipped", "conflicts", "alerts", "from"}``. Refused whole
    (nothing applied) if unsigned, tampered, signed by an untrusted key, carrying a record outside its
    origin's authority or a value the API refuses (whoever pushes) — or, for a node user, made by
    another node."""
    if not body:
        msg = "the body is empty: send the bundle `jungong sync export` writes, as application/octet-stream"
        raise InvalidArgumentError(msg)
    only = w.user.station if w.user.role == Role.node else None

    def act(session: Session) -> SyncReport:
        report = import_bundle(session, body, only_origin=only)
        if only is not None and report.origin != only:  # rolled back: nothing of it is kept
            msg = f"node user '{w.user.name}' may push only bundles made by {only}'s node, not by '{report.origin}'"
            raise ForbiddenError(msg)
        return report

    return SyncReportPublic.of(w.transact(act), w.tz)


@router.get("/pull", response_class=Response, responses={**BUNDLE, **problems(401, 403, 404, 422, 503)})
def pull(w: SyncWriter, node: CodeQuery = None) -> Response:
    """The bundle of what the calling node has not acknowledged (an admin names the node with ``?node=``)."""
    peer = _peer(w.user, node)

    def act(session: Session) -> bytes:
        require_station(session, peer)  # 404 for a node no station is
        return export_bundle(session, for_node=peer)

    data = w.transact(act)
    disposition = {"Content-Disposition": f'attachment; filename="{peer}.bundle"'}
    return Response(data, media_type=BUNDLE_MEDIA_TYPE, headers=disposition)


@router.get("/conflicts", responses=READ)
def conflicts(session: SessionDep, runtime: RuntimeDep, _: ConflictReader) -> list[ConflictPublic]:
    """Every conflict kept: the record, the version that stands and the rejected one (who, when)."""
    return [ConflictPublic.of(c, runtime.tz) for c in list_conflicts(session)]


def _peer(user: Caller, node: str | None) -> str:
    """The node a pull is for: a node user's own station; an admin's ``?node=``."""
    if user.role == Role.node:
        if node is not None and node != user.station:
            msg = f"node user '{user.name}' syncs station {user.station} only, not {node}"
            raise ForbiddenError(msg)
        return str(user.station)
    if node is None:
        msg = "an admin pulls for a node: add ?node=CODE (the station code of that node)"
        raise InvalidArgumentError(msg)
    return node
