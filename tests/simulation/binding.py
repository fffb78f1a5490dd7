"""Hand-built drills where one resource binds by construction (issue 10's four cases).

Station ``H`` (hub) with site ``S`` 5 minutes away; every case but the far one arrives at the
station's own door, so travel is 0 and the arithmetic is the resource's alone.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from supply.core.scenario import Scenario, load_scenario
from tests.simulation.drill_helpers import drill_file

#: 1,200 troops at 100 seats, fixed 20-minute meals: 12 sittings, the last soldier waits 220
#: minutes for a seat and is fed at 240.
SEATS = """
[drill]
hours = 8
target_minutes = 45
replications = 4
seed = 1

[[drill.units]]
code = "BIG"
headcount = 1200
station = "H"
arrive = 0

[drill.service]
meal_minutes = 20
"""

#: 30 vehicles at 1 refuel bay, fixed 10-minute refuels, a 90-minute stop: 9 refuelled, 21 not.
BAYS = """
[drill]
hours = 4
target_minutes = 45
replications = 4
seed = 1

[[drill.units]]
code = "CONVOY"
headcount = 10
vehicles = 30
station = "H"
arrive = 0
dwell_minutes = 90

[drill.service]
meal_minutes = 20
refuel_minutes = 10
"""

#: 600 troops at a kitchen of 200 meals an hour (30 minutes = 100 meals ready when they come):
#: the last meal is cooked at 150 minutes, the last soldier fed at 170.
KITCHEN = """
[drill]
hours = 6
target_minutes = 45
replications = 4
seed = 1

[[drill.units]]
code = "COOK"
headcount = 600
station = "H"
arrive = 0

[drill.service]
meal_minutes = 20
"""

#: A unit whose only station with seats is 90 minutes away, with a 120-minute stop: it cannot go
#: and return. The support point ``N`` 10 minutes from its site has no dining seats.
FAR = """
[scenario]
name = "far station"

[[stations]]
code = "F"
tier = "hub"
lat = 23.0
lon = 113.0
seats = 500
refuel_bays = 4

[[stations]]
code = "N"
tier = "point"
lat = 23.45
lon = 113.45

[[sites]]
code = "X"
kind = "rail"
ring = "city"
lat = 23.5
lon = 113.5

[[links]]
a = "F"
b = "X"
minutes = 90

[[links]]
a = "N"
b = "X"
minutes = 10

[drill]
hours = 6
target_minutes = 45
replications = 4
seed = 1

[[drill.units]]
code = "AWAY"
headcount = 300
site = "X"
arrive = 30
dwell_minutes = 120

[drill.service]
meal_minutes = 20
"""


def seats_case(tmp_path: Path) -> Path:
    return drill_file(tmp_path, SEATS, seats=100, name="seats.toml")


def bays_case(tmp_path: Path) -> Path:
    return drill_file(tmp_path, BAYS, seats=100, bays=1, name="bays.toml")


def kitchen_case(tmp_path: Path) -> Path:
    return drill_file(tmp_path, KITCHEN, seats=1000, meals_per_hour=200, name="kitchen.toml")


def far_case(tmp_path: Path) -> Path:
    path = tmp_path / "far.toml"
    path.write_text(textwrap.dedent(FAR), encoding="utf-8")
    return path


def load(path: Path) -> Scenario:
    return load_scenario(path)
