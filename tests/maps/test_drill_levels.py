"""Station colours on the drill map: the drill's own on-time share comes first."""

from __future__ import annotations

from maps.drill import BANDS, _timeline, level_colour, station_level


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
