"""Showing stored times: an aware UTC datetime as an ISO 8601 string in the configured zone.

Times are stored and computed in UTC; they are shown in one zone (``JUNGONG_TZ``, Asia/Shanghai by
default). This is the one place that formatting happens: the API's response models, the CSV
exports and the after-action review all call :func:`local_iso`.
"""

from __future__ import annotations

from datetime import datetime, tzinfo


def local_iso(value: datetime | None, tz: tzinfo) -> str | None:
    """``value`` (aware) in ``tz`` as ISO 8601 with its offset, e.g. ``2024-05-01T08:00:00+08:00``; None stays None."""
    return None if value is None else value.astimezone(tz).isoformat()
