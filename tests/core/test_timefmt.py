"""Stored UTC times shown in the configured zone, with their offset."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from supply.core.timefmt import local_iso


def test_utc_shown_in_shanghai_with_its_offset() -> None:
    at = datetime(2024, 5, 1, 0, 30, tzinfo=UTC)
    assert local_iso(at, ZoneInfo("Asia/Shanghai")) == "2024-05-01T08:30:00+08:00"
    assert local_iso(at, UTC) == "2024-05-01T00:30:00+00:00"


def test_none_stays_none() -> None:
    assert local_iso(None, UTC) is None
