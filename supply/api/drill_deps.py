"""Writers for drill members: any authenticated user, whose right is checked against their drill role."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from supply.api.deps import Writer, writer_for
from supply.service.auth import READERS, Role

#: Who may start a drill.
STARTERS = frozenset({Role.officer, Role.commander, Role.admin})
#: Writes by any authenticated user; the domain checks their role in the drill.
MemberWriterDep = Annotated[Writer, Depends(writer_for(READERS))]
#: Starting a drill.
StarterWriterDep = Annotated[Writer, Depends(writer_for(STARTERS))]
