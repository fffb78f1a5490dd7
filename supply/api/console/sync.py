"""The console's sync page: every conflict a sync kept, both versions side by side (issue 14).

The same domain function and the same answer shape as ``GET /sync/conflicts``
(:func:`supply.service.sync.list_conflicts`, :class:`~supply.api.models.sync.ConflictPublic`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from supply.api.console.render import render
from supply.api.console.session import User
from supply.api.deps import RuntimeDep, SessionDep
from supply.api.models.sync import ConflictPublic
from supply.service.sync import list_conflicts, node_code

router = APIRouter()


@router.get("/sync/conflicts")
def conflicts_page(request: Request, session: SessionDep, runtime: RuntimeDep, user: User):
    """Changes made apart on someone else's record: the owner's version stands, the other is kept as rejected."""
    rows = [ConflictPublic.of(c, runtime.tz).model_dump(mode="json") for c in list_conflicts(session)]
    return render(request, "conflicts.html", rows=rows, here=node_code(session))
