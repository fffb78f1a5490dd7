"""Station colours on the drill map: the drill's own on-time share comes first."""

from __future__ import annotations

from maps.drill import BANDS, _timeline, headline, late_codes, level_colour, outcome_share, planned_at, station_level


def test_service_level_preferred_over_stockout_share():
    assert station_level({"served": 100, "stockouts": 0, "service_level": 0.5}) == 0.5
    assert station_level({"served": 90, "stockouts": 10}) == 0.9
    assert station_level({"served": 0, "stockouts": 0}) is None
    assert level_colour(0.5) == BANDS[-1][1] and level_colour(0.97) == BANDS[0][1]


def test_disruption_timeline_in_subtitle():
    results = {
        "disruptions": [
            {"from_minute": 0, "state": "no disruptions"},
            {"from_minute": 120, "state": "closed GZ-NS-BRIDGE"},
        ]
    }
    assert _timeline(results) == "from h0: no disruptions; from h2: closed GZ-NS-BRIDGE"
    assert _timeline({"disruptions": [{"from_minute": 0, "state": "no disruptions"}]}) == ""


def test_stations_judged_by_their_planned_units():
    """Planned units at a station decide its colour, whatever its arrivals' service level."""
    results = {
        "late_units": ["C-201"],
        "units": {
            "T-101": {"planned": True, "stations": ["GZ-HUB"], "on_time_share": 1.0},
            "C-201": {"planned": True, "stations": ["GZ-HUB"], "on_time_share": 0.0},
            "walk": {"planned": False, "stations": ["GZ-HUB", "PY-PT"], "on_time_share": 0.2},
        },
    }
    at = planned_at(results)
    assert set(at) == {"GZ-HUB"} and outcome_share(at["GZ-HUB"]) == 0.5
    assert headline(results)[0] == "Planned units on time: 1 of 2"
    assert headline(results)[1].startswith("late: C-201 (a unit is on time when on time in at least 90%")
    assert headline({"units": {}}) == ("", "")
    # results without late_units (older files): late is on time in under 90% of replications
    assert late_codes({"units": results["units"]}) == {"C-201"}
