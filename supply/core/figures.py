"""Figures as people read them: numbers with thousands separated, stations and items by their display
names, times on the local clock.

One place for these, so the review's flags, its HTML record and the CLI write a figure the same way.
``names`` is the review's ``{"stations": {code: name}, "items": {code: {"name", "unit"}}}``.
"""

from __future__ import annotations

from datetime import datetime


def number(x: float) -> str:
    """Thousands separated; whole numbers without decimals, else one decimal (``3,420``, ``12.5``)."""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


def station_label(code: str, names: dict) -> str:
    """``GZ-HUB Guangzhou main city station`` (the code alone when the name is the code or unknown)."""
    name = (names.get("stations") or {}).get(code)
    return code if not name or name == code else f"{code} {name}"


def item_label(code: str, names: dict) -> tuple[str, str]:
    """An item's display name and unit (``("drinking water (饮用水)", "L")``); its code and no unit when unknown."""
    item = (names.get("items") or {}).get(code)
    return (str(item["name"]), str(item["unit"])) if item else (code, "")


def clock_time(iso: str | None) -> str:
    """A local ISO time (``2030-05-01T10:02:00+08:00``) as ``2030-05-01 10:02``; a dash for none."""
    return "—" if not iso else datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M")


def utc_offset(iso: str | None) -> str:
    """The zone of a local ISO time, as ``UTC+08:00`` (empty for none)."""
    if not iso:
        return ""
    offset = datetime.fromisoformat(iso).strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}" if offset else ""
