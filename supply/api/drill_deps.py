"""Writers for drill members: any authenticated user, whose right is checked against their drill role."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..auth import Role
from ..models import User
from .deps import IdempotencyKey, Reader, RuntimeDep, SessionDep, Writer, require_role


def get_member_writer(
    runtime: RuntimeDep, user: Reader, request: Request, read: SessionDep, key: IdempotencyKey = None
) -> Writer:
    return Writer(runtime, user, request, key, read)


MemberWriterDep = Annotated[Writer, Depends(get_member_writer)]
Starter = Annotated[User, Depends(require_role(frozenset({Role.officer, Role.commander, Role.admin})))]


def get_starter_writer(
    runtime: RuntimeDep, user: Starter, request: Request, read: SessionDep, key: IdempotencyKey = None
) -> Writer:
    return Writer(runtime, user, request, key, read)


StarterWriterDep = Annotated[Writer, Depends(get_starter_writer)]
