"""Commanders' maps: plain results (network, coverage, stock, dispatches, drill results) → offline folium pages.

``maps`` imports the supply core only; it takes the drill's results as the plain dict of its
``--json`` contract and never imports ``simulation``.
"""

from __future__ import annotations

from maps.assets import ASSETS_URL, STATIC_DIR
from maps.coverage_map import coverage_map
from maps.drill import drill_map, drill_map_html

__all__ = ["ASSETS_URL", "STATIC_DIR", "coverage_map", "drill_map", "drill_map_html"]
