"""The records of a scenario file, as pydantic models: stations, sites, junctions, links and ``[scenario]``.

Each model checks its own record (a station's tier, a link's positive minutes, a code's
characters); the checks across records (duplicate codes, links to unknown codes, connectivity)
are in :mod:`supply.core.scenario_checks`. The whole document, :class:`~supply.core.scenario.Scenario`,
and its loaders are in :mod:`supply.core.scenario`, which re-exports these names.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from supply.core.types import CLEAN, CODE_RE, Name, Strict, Text

Tier = Literal["hub", "wing", "point"]
SiteKind = Literal["rail", "port", "airport", "road", "district", "city", "sea"]
Ring = Literal["city", "region", "sea"]
Mode = Literal["road", "sea"]
TIERS: tuple[str, ...] = ("hub", "wing", "point")
RINGS: tuple[str, ...] = ("city", "region", "sea")


class Place(Strict):
    """What stations, sites and junctions share: a code, a name and a position."""

    code: str
    name: Name = ""
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)

    @field_validator("code")
    @classmethod
    def _code_chars(cls, v: str) -> str:
        if not CODE_RE.match(v):
            msg = f"code '{v}' may contain only letters, digits, '-' and '_'"
            raise ValueError(msg)
        return v


class Station(Place):
    """A supply station (军供站) or support point, with optional capacities and stock."""

    tier: Tier
    seats: int = Field(default=0, ge=0)
    meals_per_hour: float = Field(default=0, ge=0)
    beds: int = Field(default=0, ge=0)
    refuel_bays: int = Field(default=0, ge=0)
    field_kitchens: int = Field(default=0, ge=0)
    water_trucks: int = Field(default=0, ge=0)
    fuel_trucks: int = Field(default=0, ge=0)
    stock: dict[str, float] = Field(default_factory=dict)
    reorder: dict[str, float] = Field(default_factory=dict)

    @field_validator("stock", "reorder")
    @classmethod
    def _non_negative(cls, v: dict[str, float]) -> dict[str, float]:
        for item, qty in v.items():
            if qty < 0:
                msg = f"{item} must be ≥ 0, got {qty}"
                raise ValueError(msg)
        return v


class Site(Place):
    """A place where units arrive or that must be covered."""

    kind: SiteKind
    ring: Ring


class Junction(Place):
    """A plain road node."""


#: The scenario's sections of places, in the order their codes are numbered and checked.
PLACE_MODELS: dict[str, type[Place]] = {"stations": Station, "sites": Site, "junctions": Junction}


class Link(Strict):
    """A road or sea link. Undirected unless ``one_way``.

    Travel time, in order of precedence: ``minutes``; else ``km`` (or great-circle distance ×
    the scenario's detour factor for the mode) at ``kmh`` (or the speed of ``road_class``).
    """

    a: str
    b: str
    name: Name | None = None
    mode: Mode = "road"
    one_way: bool = False
    minutes: float | None = Field(default=None, gt=0)
    km: float | None = Field(default=None, gt=0)
    kmh: float | None = Field(default=None, gt=0)
    road_class: str | None = None

    @property
    def ref(self) -> str:
        return self.name or f"{self.a}~{self.b}"


def default_road_class(link: Link) -> str:
    """The speed class of a link that names none: a sea lane at sea, else an arterial road."""
    return "sea_lane" if link.mode == "sea" else "arterial"


#: Network distance over straight-line distance, per mode (the default ``scenario.detour``).
_DETOUR: dict[Mode, float] = {"road": 1.35, "sea": 1.15}


class ScenarioMeta(Strict):
    name: Name
    illustrative: bool = False
    description: Annotated[str, StringConstraints(max_length=5000), *CLEAN] = ""
    detour: dict[Mode, float] = Field(default_factory=lambda: dict(_DETOUR))
    speeds_kmh: dict[str, float] = Field(
        default_factory=lambda: {
            "expressway": 80.0,
            "arterial": 40.0,
            "urban": 25.0,
            "rural": 50.0,
            "sea_lane": 28.0,
        }
    )
    graphml: Text | None = Field(default=None, description="OSM road network (osmnx GraphML)")
    connector_kmh: float = Field(default=20.0, gt=0, description="speed from a place to its road")
    snap_limit_m: float = Field(
        default=500.0, gt=0, description="with graphml: a place farther than this from the road network is an error"
    )
    extends: Text | None = Field(default=None, description="base scenario file whose network this one inherits")
    outline: Text | None = Field(
        default=None,
        description="a GeoJSON outline file in this scenario's folder, drawn as the maps' base (not inherited)",
    )
