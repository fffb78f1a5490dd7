"""Small scenarios for the optimiser (:mod:`simulation.optimise`), answers worked out by hand."""

from __future__ import annotations

import textwrap
from pathlib import Path

from supply.core.scenario import Scenario, load_scenario

#: Issue 23's two trains: U1's site S1 is 10 min from A and 20 from B, U2's site S2 10 from A and
#: 40 from B; both stations seat 100, meals take 20 min (fixed), target 45, no kitchen limit.
#: ``earliest`` sends U1 to A (fed at 30) and U2 waits there (fed at 50, late) — one of two on
#: time; U1 to B (fed at 40) and U2 to A (30) puts both on time with nothing added.
TWO_TRAINS = """
[scenario]
name = "two trains"

[[stations]]
code = "A"
tier = "hub"
lat = 23.0
lon = 113.0
seats = 100
field_kitchens = {a_kitchens}

[[stations]]
code = "B"
tier = "point"
lat = 23.1
lon = 113.0
seats = {b_seats}

[[sites]]
code = "S1"
kind = "rail"
ring = "city"
lat = 23.05
lon = 113.0

[[sites]]
code = "S2"
kind = "rail"
ring = "city"
lat = 22.95
lon = 113.0

[[links]]
a = "A"
b = "S1"
minutes = 10

[[links]]
a = "B"
b = "S1"
minutes = 20

[[links]]
a = "A"
b = "S2"
minutes = 10

[[links]]
a = "B"
b = "S2"
minutes = 40

[drill]
hours = 4
target_minutes = 45
replications = {replications}
seed = 3

[[drill.units]]
code = "U1"
headcount = 100
site = "S1"
arrive = 0

[[drill.units]]
code = "U2"
headcount = 100
site = "S2"
arrive = {u2_arrive}
{u2_more}

[drill.service]
meal_minutes = 20

[drill.consumption]
water_l_per_person = 0
{more}
"""


def two_trains(
    tmp_path: Path,
    *,
    b_seats: int = 100,
    a_kitchens: int = 0,
    replications: int = 5,
    u2_arrive: float = 0,
    u2_more: str = "",
    more: str = "",
) -> Scenario:
    """:data:`TWO_TRAINS`; ``b_seats = 0`` closes B (a station with no dining seats), ``a_kitchens``
    gives A field kitchens; ``u2_arrive`` and ``u2_more`` (TOML keys) change U2, ``more`` (TOML
    tables) adds to the drill."""
    text = TWO_TRAINS.format(
        b_seats=b_seats,
        a_kitchens=a_kitchens,
        replications=replications,
        u2_arrive=u2_arrive,
        u2_more=u2_more,
        more=more,
    )
    path = tmp_path / "two-trains.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_scenario(path)
