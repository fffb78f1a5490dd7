"""Small drill scenarios whose answers can be computed by hand or from queueing theory."""

from __future__ import annotations

import textwrap
from pathlib import Path

from supply.core.scenario import Scenario, load_scenario

#: One station ``H`` (seats and bays set per test, no kitchen limit, untracked stock), a point
#: ``P`` 50 min away, and a site ``S`` 5 min from H by the link "short" (or 30 min via J).
NET = """
[scenario]
name = "drill test"

[[stations]]
code = "H"
tier = "hub"
lat = 23.0
lon = 113.0
seats = {seats}
refuel_bays = {bays}
meals_per_hour = {meals_per_hour}
field_kitchens = {field_kitchens}
{h_stock}

[[stations]]
code = "P"
tier = "point"
lat = 23.2
lon = 113.0
seats = {p_seats}
{p_stock}

[[sites]]
code = "S"
kind = "rail"
ring = "city"
lat = 23.01
lon = 113.01

[[junctions]]
code = "J"
lat = 22.9
lon = 113.1

[[links]]
a = "H"
b = "S"
minutes = 5
name = "short"

[[links]]
a = "H"
b = "J"
minutes = 10

[[links]]
a = "J"
b = "S"
minutes = 20

[[links]]
a = "H"
b = "P"
minutes = 50
"""


def drill_file(
    tmp_path: Path,
    drill: str,
    *,
    seats: int = 2,
    bays: int = 0,
    meals_per_hour: float = 0,
    field_kitchens: int = 0,
    p_seats: int = 0,
    h_stock: str = "",
    p_stock: str = "",
    name: str = "drill.toml",
) -> Path:
    text = NET.format(
        seats=seats,
        bays=bays,
        meals_per_hour=meals_per_hour,
        field_kitchens=field_kitchens,
        p_seats=p_seats,
        h_stock=h_stock,
        p_stock=p_stock,
    )
    path = tmp_path / name
    path.write_text(textwrap.dedent(text) + "\n" + textwrap.dedent(drill), encoding="utf-8")
    return path


def drill_scenario(tmp_path: Path, drill: str, **kw) -> Scenario:
    return load_scenario(drill_file(tmp_path, drill, **kw))


#: P holds 10 meals (reorder at 5), the hub 100; 12 people arrive at P at once and eat for 10 min,
#: so 2 wait for the hub's delivery (lead 1 h + the drive).
STOCKOUT_DRILL = """
[drill]
hours = 6
target_minutes = 30
replications = 2

[[drill.units]]
code = "U"
headcount = 12
station = "P"
arrive = 0

[drill.service]
meal_minutes = 10

[drill.restock]
lead_hours = 1

[drill.consumption]
water_l_per_person = 0
"""


def stockout_scenario(tmp_path: Path) -> Scenario:
    """The :data:`STOCKOUT_DRILL` on the two-station test network."""
    return drill_scenario(
        tmp_path,
        STOCKOUT_DRILL,
        p_seats=20,
        h_stock="[stations.stock]\nmeals = 100",
        p_stock="[stations.stock]\nmeals = 10\n[stations.reorder]\nmeals = 5",
    )
