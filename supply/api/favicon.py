"""``/favicon.ico``: the app's own small icon (browsers ask for it on every page; a 404 is noise in their logs)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

ICON = Path(__file__).parent / "static" / "favicon.ico"

router = APIRouter(include_in_schema=False)


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    return FileResponse(ICON, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"})
