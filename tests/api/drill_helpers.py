"""A small live drill for the tests: two units at Guangzhou Railway Station and two hub teams.

Needs by the planning factors (tropical, 1 meal per stop, 11.4 L water per person per day,
150 L diesel per vehicle, dwell under a day): U1 200 meals, 2,280 L water; U2 100 meals,
1,140 L water, 300 L diesel.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

SMALL_DRILL = """
[scenario]
extends = "../guangzhou.toml"
name = "Test drill: two trains"

[drill]
hours = 12
target_minutes = 45
replications = 20
seed = 3

[[drill.units]]
code = "U1"
headcount = 200
site = "GZ-RAIL"
arrive = 120
dwell_minutes = 90

[[drill.units]]
code = "U2"
headcount = 100
vehicles = 2
site = "GZ-RAIL"
arrive = 180
dwell_minutes = 90

[[teams]]
code = "T-KITCHEN"
station = "GZ-HUB"
kind = "kitchen"
headcount = 12
vehicles = 2
capacity = { meals_per_hour = 100 }

[[teams]]
code = "T-MED"
station = "GZ-HUB"
kind = "medical"
headcount = 6
vehicles = 1
"""
NEEDS = {"U1": {"meals": 200.0, "water_l": 2280.0}, "U2": {"meals": 100.0, "water_l": 1140.0, "diesel_l": 300.0}}


def start_at(minutes_ago: float = 60) -> datetime:
    """Minute 0 of the drill, ``minutes_ago`` before now (whole seconds)."""
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).replace(microsecond=0)


def at(start: datetime, minute: float) -> str:
    return (start + timedelta(minutes=minute)).isoformat()


def drill_body(start: datetime, **extra) -> dict:
    return {"scenario_toml": SMALL_DRILL, "start_at": start.isoformat(), "replications": 20, **extra}
