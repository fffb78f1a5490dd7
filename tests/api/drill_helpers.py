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


def wait_planned(client, drill_id: int, headers: dict | None = None, timeout: float = 120) -> dict:
    """Poll ``GET /drills/{id}`` until its planning job is over (``open`` or ``failed``); the drill."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        drill = client.get(f"/drills/{drill_id}", headers=headers or {}).json()
        if drill["status"] != "planning":
            return drill
        assert time.monotonic() < deadline, f"drill {drill_id} still planning after {timeout} s: {drill}"
        time.sleep(0.05)


def post_drill(client, body: dict, headers: dict | None = None) -> dict:
    """Start a drill (202 + Location) and wait for its plan: the drill as ``GET /drills/{id}`` shows it."""
    r = client.post("/drills", json=body, headers=headers or {})
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "planning" and r.headers["Location"] == f"/drills/{r.json()['id']}"
    return wait_planned(client, r.json()["id"], headers)


def small_scenario():
    """:data:`SMALL_DRILL` as a scenario, for domain calls (``start.create_drill``)."""
    from supply.core.scenario import scenario_from_text
    from supply.core.settings import PROJECT_SCENARIOS

    return scenario_from_text(
        SMALL_DRILL, source="test", base_dir=PROJECT_SCENARIOS / "drills", confine=PROJECT_SCENARIOS
    )


def caller(session, name: str):
    """The :class:`~supply.service.auth.Caller` of the template's user ``name`` (e.g. ``commander-1``)."""
    from sqlmodel import select

    from supply.service.auth import Caller
    from supply.service.models import User, id_of

    user = session.exec(select(User).where(User.name == name)).one()
    return Caller(id_of(user), user.name, user.role)
