"""Fixtures shared by every test package: small scenarios written to real files."""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

#: The database fixtures (SQLite and PostgreSQL, a fresh copy per test), shared by every package.
pytest_plugins = ["tests.db"]

ROOT = Path(__file__).resolve().parent.parent
GUANGZHOU = ROOT / "scenarios" / "guangzhou.toml"

#: A tiny network whose every answer can be computed by hand.
#:   H --10-- J --20-- W --15(sea)-- SEA1
#:   H --5-- S-CITY   J --40-- S-REG   P --25-- S-REG   H --50-- P
TINY = """
[scenario]
name = "tiny"
illustrative = true

[[stations]]
code = "H"
name = "Hub"
tier = "hub"
lat = 23.0
lon = 113.0
seats = 100
meals_per_hour = 200
[stations.stock]
meals = 1000
water_l = 5000

[[stations]]
code = "W"
name = "Wing"
tier = "wing"
lat = 22.8
lon = 113.4

[[stations]]
code = "P"
name = "Point"
tier = "point"
lat = 23.4
lon = 113.0

[[sites]]
code = "S-CITY"
name = "City site"
kind = "district"
ring = "city"
lat = 23.01
lon = 113.01

[[sites]]
code = "S-REG"
name = "Region site"
kind = "city"
ring = "region"
lat = 23.3
lon = 113.2

[[sites]]
code = "SEA1"
name = "Sea site"
kind = "sea"
ring = "sea"
lat = 22.6
lon = 113.6

[[junctions]]
code = "J"
lat = 22.9
lon = 113.2

[[links]]
a = "H"
b = "J"
minutes = 10
name = "H-J road"

[[links]]
a = "J"
b = "W"
minutes = 20

[[links]]
a = "W"
b = "SEA1"
minutes = 15
mode = "sea"

[[links]]
a = "H"
b = "S-CITY"
minutes = 5

[[links]]
a = "J"
b = "S-REG"
minutes = 40

[[links]]
a = "P"
b = "S-REG"
minutes = 25

[[links]]
a = "H"
b = "P"
minutes = 50
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked ``slow`` first, in their order: under pytest-xdist they start at once, spread
    over the workers, instead of one of them trailing the run alone at its end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def write(tmp_path: Path, text: str, name: str = "scenario.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def tiny_path(tmp_path: Path) -> Path:
    return write(tmp_path, TINY, "tiny.toml")


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """One headless Chromium for this test process (each pytest-xdist worker has its own), started at
    its first browser test; every page opens in a fresh context, as a new profile would."""
    from tools.chromium import chromium_browser, chromium_path

    if not chromium_path():
        pytest.fail("Chromium is not installed (apt-get install chromium); browser tests need it")
    with chromium_browser() as browser:
        yield browser


@pytest.fixture
def browser_session(chromium: object) -> Callable:
    """``browser_session(origin=None, locale=…)``: a context manager giving a fresh page (a
    :class:`tools.chromium.Session`) in the shared Chromium, recording every request."""
    from tools.chromium import chromium_page

    return functools.partial(chromium_page, browser=chromium)
