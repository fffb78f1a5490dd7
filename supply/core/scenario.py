"""The scenario file: one TOML document describing a supply network (and, later, its drill).

``load_scenario(path)`` is the one validated entry point. Every fault in a file is reported
at once, each naming the file, the key path (``stations[3].tier``) and what is wrong, as a
:class:`~supply.core.errors.ScenarioError` — the cross-reference checks (links to unknown codes,
duplicates) run on whatever records did validate, so one pass shows every fault.

``scenario_from_text(..., confine=folder)`` (the API) keeps ``extends`` and ``graphml`` inside
``folder``; its messages name files only relative to it, never a path outside.

Sections owned by other layers (``drill``, ``improve``, ``teams``…) are kept here as raw tables and
validated by their owners with :func:`problems_from_validation` so the format stays one.

This module holds the whole document (:class:`Scenario`) and its loaders, and is the one to
import from: it re-exports the rest, which lives by concern in

- :mod:`supply.core.scenario_models`: the records (stations, sites, junctions, links, ``[scenario]``);
- :mod:`supply.core.scenario_checks`: the checks across records (duplicates, dangling links, connectivity);
- :mod:`supply.core.scenario_files`: reading the files, ``extends``, ``graphml`` and ``outline``, confinement.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, ValidationError

from supply.core.errors import Problem, ScenarioError
from supply.core.geo import haversine_km
from supply.core.scenario_checks import control_problems, partial_cross_problems, semantic_problems
from supply.core.scenario_files import (
    MAX_EXTENDS,
    MAX_OUTLINE_BYTES,
    read_outline,
    read_toml,
    with_base,
    with_graphml,
)
from supply.core.scenario_models import (
    RINGS,
    TIERS,
    Junction,
    Link,
    Mode,
    Ring,
    ScenarioMeta,
    Site,
    SiteKind,
    Station,
    Tier,
    default_road_class,
)
from supply.core.toml_input import parse_toml
from supply.core.types import Strict
from supply.core.validation import problems_from_validation

__all__ = [
    "MAX_EXTENDS",
    "MAX_OUTLINE_BYTES",
    "RINGS",
    "TIERS",
    "Junction",
    "Link",
    "Mode",
    "Ring",
    "Scenario",
    "ScenarioMeta",
    "Site",
    "SiteKind",
    "Station",
    "Tier",
    "load_scenario",
    "problems_from_validation",
    "read_outline",
    "scenario_from_text",
    "tier_counts",
]


class Scenario(Strict):
    """A validated scenario. Build it with :func:`load_scenario` or :meth:`from_dict`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)  # merged with Strict's

    scenario: ScenarioMeta
    stations: list[Station] = Field(min_length=1)
    sites: list[Site] = Field(default_factory=list)
    junctions: list[Junction] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    # Sections validated by other layers; kept raw here.
    stock: dict[str, Any] = Field(default_factory=dict)
    factors: dict[str, Any] = Field(default_factory=dict)
    items: list[dict[str, Any]] = Field(default_factory=list)
    approvals: list[dict[str, Any]] = Field(default_factory=list)
    drill: dict[str, Any] | None = None
    improve: dict[str, Any] | None = None  # ``[improve.costs]``: validated by simulation.improve_costs
    teams: list[dict[str, Any]] = Field(default_factory=list)
    command: dict[str, Any] | None = None  # ``[command]``: validated by supply.core.scenario_command
    source: str = Field(default="<scenario>", exclude=True)
    #: The GeoJSON of ``[scenario] outline``, read and checked when the file was loaded.
    outline_geojson: dict[str, Any] | None = Field(default=None, exclude=True)
    base_dir: str = Field(default=".", exclude=True)

    # --- lookups -------------------------------------------------------------------------
    def station(self, code: str) -> Station:
        from supply.core.errors import UnknownCodeError

        for s in self.stations:
            if s.code == code:
                return s
        raise UnknownCodeError("station", code, [s.code for s in self.stations])

    def place(self, code: str) -> Station | Site | Junction:
        from supply.core.errors import UnknownCodeError

        for p in self.places():
            if p.code == code:
                return p
        raise UnknownCodeError("station or site", code, [p.code for p in self.places()])

    def places(self) -> list[Station | Site | Junction]:
        return [*self.stations, *self.sites, *self.junctions]

    def link_minutes_km(self, link: Link) -> tuple[float, float]:
        """(minutes, km) of a link per the rules in :class:`Link`."""
        a, b = self.place(link.a), self.place(link.b)
        km = link.km or haversine_km(a.lat, a.lon, b.lat, b.lon) * self.scenario.detour.get(link.mode, 1.0)
        if link.minutes is not None:
            return link.minutes, km
        kmh = link.kmh or self.scenario.speeds_kmh[link.road_class or default_road_class(link)]
        return km / kmh * 60.0, km

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "<scenario>", base_dir: str | Path = ".") -> Scenario:
        """Validate a parsed TOML document; raise :class:`ScenarioError` with every problem."""
        controls = control_problems(data, source)
        try:
            # the outline's GeoJSON comes from its file (read_outline), never from the TOML itself
            sc = cls.model_validate({**data, "source": source, "base_dir": str(base_dir), "outline_geojson": None})
        except ValidationError as exc:
            problems = problems_from_validation(exc, source)
            raise ScenarioError(_unique([*problems, *controls, *partial_cross_problems(data, source)])) from None
        if controls:
            raise ScenarioError(controls)
        problems = semantic_problems(sc.source, sc.scenario, sc.stations, sc.sites, sc.junctions, sc.links)
        if problems:
            raise ScenarioError(problems)
        return sc


def _unique(problems: list[Problem]) -> list[Problem]:
    """Each fault once (a text field's own check and the control-character walk may both see it)."""
    return list(dict.fromkeys(problems))


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Read and validate a scenario file; ``None`` means the built-in Guangzhou scenario."""
    if path is None:
        from supply.core.settings import get_settings

        path = get_settings().default_scenario
    path = Path(path)
    data = with_base(read_toml(path, path, ""), path, (path.resolve(),), None)
    outline = read_outline(data, path, None)
    sc = Scenario.from_dict(with_graphml(data, path, None), source=str(path), base_dir=path.parent)
    return sc.model_copy(update={"outline_geojson": outline}) if outline else sc


def scenario_from_text(text: str, *, source: str, base_dir: Path, confine: Path | None = None) -> Scenario:
    """Validate a scenario given as TOML text (an API body); ``extends`` is relative to ``base_dir``.

    With ``confine``, ``extends`` and ``graphml`` must name files inside that folder.
    """
    where = base_dir / Path(source).name
    data = parse_toml(text, source)
    data = with_base(data, where, (where,), confine, shown=source)
    outline = read_outline(data, where, confine, shown=source)
    sc = Scenario.from_dict(with_graphml(data, where, confine, shown=source), source=source, base_dir=base_dir)
    return sc.model_copy(update={"outline_geojson": outline}) if outline else sc


def tier_counts(sc: Scenario) -> Counter[str]:
    """How many stations of each tier."""
    return Counter(s.tier for s in sc.stations)
