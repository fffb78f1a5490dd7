"""Writers for drill members: any authenticated user, whose right is checked against their drill role."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from supply.api.deps import IdempotencyKey, Reader, RuntimeDep, Writer, require_role
from supply.service.auth import Caller, Role


async def get_member_writer(runtime: RuntimeDep, user: Reader, request: Request, key: IdempotencyKey = None) -> Writer:
    return Writer(runtime, user, request, key)


MemberWriterDep = Annotated[Writer, Depends(get_member_writer)]
Starter = Annotated[Caller, Depends(require_role(frozenset({Role.officer, Role.commander, Role.admin})))]


async def get_starter_writer(
    runtime: RuntimeDep, user: Starter, request: Request, key: IdempotencyKey = None
) -> Writer:
    return Writer(runtime, user, request, key)


StarterWriterDep = Annotated[Writer, Depends(get_starter_writer)]
