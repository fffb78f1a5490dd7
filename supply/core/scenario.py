"""The scenario file: one TOML document describing a supply network (and, later, its drill).

``load_scenario(path)`` is the one validated entry point. Every fault in a file is reported
at once, each naming the file, the key path (``stations[3].tier``) and what is wrong, as a
:class:`~supply.core.errors.ScenarioError` — the cross-reference checks (links to unknown codes,
duplicates) run on whatever records did validate, so one pass shows every fault. The text is
read through :mod:`supply.core.toml_input` (bounded size and nesting, finite numbers).

``scenario_from_text(..., confine=folder)`` (the API) keeps ``extends`` and ``graphml`` inside
``folder``; its messages name files only relative to it, never a path outside.

Sections owned by other layers (``drill``, ``teams``…) are kept here as raw tables and
validated by their owners with :func:`problems_from_validation` so the format stays one.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, ValidationError, field_validator

from supply.core.errors import Problem, ScenarioError
from supply.core.geo import haversine_km
from supply.core.toml_input import parse_toml
from supply.core.types import CLEAN, CODE_RE, Name, Strict, Text, control_char
from supply.core.validation import problems_from_validation

Tier = Literal["hub", "wing", "point"]
SiteKind = Literal["rail", "port", "airport", "road", "district", "city", "sea"]
Ring = Literal["city", "region", "sea"]
Mode = Literal["road", "sea"]
TIERS: tuple[str, ...] = ("hub", "wing", "point")
RINGS: tuple[str, ...] = ("city", "region", "sea")


class _Place(Strict):
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


class Station(_Place):
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


class Site(_Place):
    """A place where units arrive or that must be covered."""

    kind: SiteKind
    ring: Ring


class Junction(_Place):
    """A plain road node."""


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
    drill: dict[str, Any] | None = None
    teams: list[dict[str, Any]] = Field(default_factory=list)
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
        kmh = link.kmh or self.scenario.speeds_kmh[link.road_class or _default_class(link)]
        return km / kmh * 60.0, km

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "<scenario>", base_dir: str | Path = ".") -> Scenario:
        """Validate a parsed TOML document; raise :class:`ScenarioError` with every problem."""
        try:
            # the outline's GeoJSON comes from its file (read_outline), never from the TOML itself
            sc = cls.model_validate({**data, "source": source, "base_dir": str(base_dir), "outline_geojson": None})
        except ValidationError as exc:
            problems = problems_from_validation(exc, source)
            raise ScenarioError([*problems, *_partial_cross_problems(data, source)]) from None
        problems = _semantic_problems(sc)
        if problems:
            raise ScenarioError(problems)
        return sc


def _default_class(link: Link) -> str:
    return "sea_lane" if link.mode == "sea" else "arterial"


_PLACE_MODELS: dict[str, type[_Place]] = {"stations": Station, "sites": Site, "junctions": Junction}


def _partial_cross_problems(data: dict[str, Any], source: str) -> list[Problem]:
    """The cross-reference checks on the records that validate, when others did not.

    A code is known if any record carries it (valid or not), so a station with a bad tier is
    not reported again as an unknown link end; only the faults the record checks cannot see are.
    """
    places: list[tuple[str, int, str]] = []
    known: set[str] = set()
    for section, model in _PLACE_MODELS.items():
        for i, raw in enumerate(_records(data, section)):
            if isinstance(raw.get("code"), str):
                known.add(raw["code"])
            try:
                places.append((section, i, model.model_validate(raw).code))
            except ValidationError:
                continue
    links = []
    for i, raw in enumerate(_records(data, "links")):
        try:
            links.append((i, Link.model_validate(raw)))
        except ValidationError:
            continue
    try:
        meta: ScenarioMeta | None = ScenarioMeta.model_validate(data.get("scenario"))
    except ValidationError:
        meta = None
    return _cross_problems(source, places, links, meta, known)


def _records(data: dict[str, Any], section: str) -> list[dict[str, Any]]:
    rows = data.get(section)
    return [r if isinstance(r, dict) else {} for r in rows] if isinstance(rows, list) else []


def _semantic_problems(sc: Scenario) -> list[Problem]:
    """Cross-record checks: duplicates, dangling links, speeds, connectivity."""
    places = [(section, i, p.code) for section in _PLACE_MODELS for i, p in enumerate(getattr(sc, section))]
    problems = _cross_problems(sc.source, places, list(enumerate(sc.links)), sc.scenario, None)
    if problems:
        return problems
    if sc.scenario.graphml is None:
        problems.extend(_connectivity_problems(sc))
    return problems


def _cross_problems(
    src: str,
    places: list[tuple[str, int, str]],
    links: list[tuple[int, Link]],
    meta: ScenarioMeta | None,
    known: set[str] | None,
) -> list[Problem]:
    """Duplicate codes and link names, dangling or duplicate links, unknown road classes, bad factors.

    ``known`` widens the codes a link may name (records that failed their own checks).
    """
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for section, i, code in places:
        where = f"{section}[{i}].code"
        if code in seen:
            problems.append(Problem(src, where, f"duplicate code '{code}' (first at {seen[code]})"))
        else:
            seen[code] = where
    names: dict[str, int] = {}
    pairs: dict[frozenset[str], int] = {}
    for i, link in links:
        for end in ("a", "b"):
            code = getattr(link, end)
            if code not in seen and code not in (known or ()):
                problems.append(Problem(src, f"links[{i}].{end}", f"link to unknown code '{code}'"))
        if link.a == link.b:
            problems.append(Problem(src, f"links[{i}]", f"link from '{link.a}' to itself"))
        if link.name is not None:
            if link.name in names:
                problems.append(
                    Problem(
                        src,
                        f"links[{i}].name",
                        f"duplicate link name '{link.name}' (first at links[{names[link.name]}])",
                    )
                )
            names.setdefault(link.name, i)
        pair = frozenset((link.a, link.b))
        if pair in pairs and link.a != link.b:
            problems.append(
                Problem(
                    src,
                    f"links[{i}]",
                    f"duplicate link between '{link.a}' and '{link.b}' (first at links[{pairs[pair]}])",
                )
            )
        pairs.setdefault(pair, i)
        if meta is not None and link.minutes is None and link.kmh is None:
            cls_ = link.road_class or _default_class(link)
            if cls_ not in meta.speeds_kmh:
                classes = ", ".join(sorted(meta.speeds_kmh))
                problems.append(
                    Problem(src, f"links[{i}].road_class", f"unknown road_class '{cls_}': expected one of {classes}")
                )
    if meta is not None:
        for mode, factor in meta.detour.items():
            if factor < 1:
                problems.append(Problem(src, f"scenario.detour.{mode}", f"detour factor {factor} < 1"))
        for cls_, kmh in meta.speeds_kmh.items():
            if kmh <= 0:
                problems.append(Problem(src, f"scenario.speeds_kmh.{cls_}", f"speed {kmh} must be > 0"))
    return problems


def _connectivity_problems(sc: Scenario) -> list[Problem]:
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(p.code for p in sc.places())
    g.add_edges_from((link.a, link.b) for link in sc.links)
    station_codes = {s.code for s in sc.stations}
    problems = []
    for section in ("stations", "sites"):
        for i, place in enumerate(getattr(sc, section)):
            if g.degree(place.code) == 0:
                problems.append(
                    Problem(
                        sc.source,
                        f"{section}[{i}]",
                        f"{section[:-1]} '{place.code}' is not connected to the network (no link)",
                    )
                )
            elif section == "sites" and not station_codes & nx.node_connected_component(g, place.code):
                problems.append(
                    Problem(sc.source, f"{section}[{i}]", f"site '{place.code}' is not connected to any station")
                )
    return problems


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Read and validate a scenario file; ``None`` means the built-in Guangzhou scenario."""
    if path is None:
        from supply.core.settings import get_settings

        path = get_settings().default_scenario
    path = Path(path)
    data = _with_base(_read_toml(path, path, ""), path, (path.resolve(),), None)
    outline = read_outline(data, path, None)
    sc = Scenario.from_dict(_with_graphml(data, path, None), source=str(path), base_dir=path.parent)
    return sc.model_copy(update={"outline_geojson": outline}) if outline else sc


def scenario_from_text(text: str, *, source: str, base_dir: Path, confine: Path | None = None) -> Scenario:
    """Validate a scenario given as TOML text (an API body); ``extends`` is relative to ``base_dir``.

    With ``confine``, ``extends`` and ``graphml`` must name files inside that folder.
    """
    where = base_dir / Path(source).name
    data = parse_toml(text, source)
    data = _with_base(data, where, (where,), confine, shown=source)
    outline = read_outline(data, where, confine, shown=source)
    sc = Scenario.from_dict(_with_graphml(data, where, confine, shown=source), source=source, base_dir=base_dir)
    return sc.model_copy(update={"outline_geojson": outline}) if outline else sc


#: The longest chain of ``extends`` followed.
MAX_EXTENDS = 8


def _read_toml(path: Path, source: Path, key: str, shown: str | None = None) -> dict[str, Any]:
    """Parse a TOML file; faults are reported against ``source`` (or ``shown``) at ``key`` (the referring key)."""
    label = shown or str(source)
    what = "file" if path == source else f"base scenario {path.name if shown else path}"
    try:
        if path.stat().st_size > 4 * 5_000_000:  # the character limit's worst case in UTF-8
            raise ScenarioError([Problem(label, key, f"{what} is too large")])
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Problem(label, key, f"{what} not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = type(exc).__name__ if shown else str(exc)
        raise ScenarioError([Problem(label, key, f"cannot read {what}: {reason}")]) from None
    return parse_toml(text, label, key, what)


def _inside(path: Path, confine: Path | None) -> bool:
    return confine is None or path.is_relative_to(confine.resolve())


def _path_value(value: Any, label: str, key: str) -> str | None:
    """A file name given at ``key``: ``None`` if absent; a :class:`ScenarioError` if not plain text."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ScenarioError([Problem(label, key, "must be a file name (text)")])
    if (bad := control_char(value)) is not None:
        raise ScenarioError([Problem(label, key, f"control character {bad} is not allowed in a file name")])
    return value


def _with_base(
    data: dict[str, Any], path: Path, chain: tuple[Path, ...], confine: Path | None, shown: str | None = None
) -> dict[str, Any]:
    """Resolve ``[scenario] extends = "base.toml"`` (relative to ``path``'s folder).

    The file inherits every top-level section it does not define itself (stations, sites,
    junctions, links, stock…) and the base's ``[scenario]`` keys it does not override; a
    section it defines replaces the base's whole. Bases may extend further bases (at most
    :data:`MAX_EXTENDS` deep), within ``confine`` when given.
    """
    label = shown or str(path)
    meta = data.get("scenario")
    base_name = _path_value(meta.get("extends"), label, "scenario.extends") if isinstance(meta, dict) else None
    if base_name is None:
        return data
    base_path = (path.parent / base_name).resolve()
    if not _inside(base_path, confine):
        msg = "scenario.extends may only name a file in the scenarios folder"
        raise ScenarioError([Problem(label, "scenario.extends", msg)])
    if base_path in chain:
        names = (p.name if shown else str(p) for p in (*chain, base_path))
        raise ScenarioError([Problem(label, "scenario.extends", f"extends cycle: {' → '.join(names)}")])
    if len(chain) > MAX_EXTENDS:
        raise ScenarioError([Problem(label, "scenario.extends", f"more than {MAX_EXTENDS} bases in a row")])
    base = _read_toml(base_path, path, "scenario.extends", shown)
    base = _with_base(base, base_path, (*chain, base_path), confine, shown)
    base_meta = dict(base.get("scenario", {}))
    if base_meta.get("graphml"):
        base_meta["graphml"] = str(base_path.parent / base_meta["graphml"])
    base_meta.pop("extends", None)
    base_meta.pop("outline", None)  # a file of the base's folder: each scenario names its own
    merged = {**base, **data}
    merged["scenario"] = {**base_meta, **(meta if isinstance(meta, dict) else {})}
    return merged


def _with_graphml(data: dict[str, Any], path: Path, confine: Path | None, shown: str | None = None) -> dict[str, Any]:
    """Check ``[scenario] graphml`` names a file (inside ``confine`` when given) without revealing other paths."""
    meta = data.get("scenario")
    name = _path_value(meta.get("graphml"), shown or str(path), "scenario.graphml") if isinstance(meta, dict) else None
    if name is not None and not _inside((path.parent / name).resolve(), confine):
        msg = "scenario.graphml may only name a file in the scenarios folder"
        raise ScenarioError([Problem(shown or str(path), "scenario.graphml", msg)])
    return data


#: The largest outline file read (bytes), and the GeoJSON types it may hold.
MAX_OUTLINE_BYTES = 20_000_000
_GEOJSON_TYPES = frozenset(
    {"FeatureCollection", "Feature", "Polygon", "MultiPolygon", "LineString", "MultiLineString", "GeometryCollection"}
)


def read_outline(
    data: dict[str, Any], path: Path, confine: Path | None, shown: str | None = None
) -> dict[str, Any] | None:
    """The GeoJSON named by ``[scenario] outline``, or ``None``: a file in the scenario's own folder
    (and inside ``confine`` when given) holding a FeatureCollection, a Feature or a geometry."""
    label = shown or str(path)
    meta = data.get("scenario")
    name = _path_value(meta.get("outline"), label, "scenario.outline") if isinstance(meta, dict) else None
    if name is None:
        return None
    folder = path.parent.resolve()
    target = (folder / name).resolve()
    if not target.is_relative_to(folder) or not _inside(target, confine):
        msg = f"scenario.outline may only name a file in the scenario's folder ({name!r} is outside it)"
        raise ScenarioError([Problem(label, "scenario.outline", msg)])
    try:
        if target.stat().st_size > MAX_OUTLINE_BYTES:
            raise ScenarioError(
                [Problem(label, "scenario.outline", f"{name} is larger than {MAX_OUTLINE_BYTES:,} bytes")]
            )
        geo = json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        msg = f"outline file {name} not found beside the scenario"
        raise ScenarioError([Problem(label, "scenario.outline", msg)]) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        msg = f"{name} is not readable GeoJSON ({type(exc).__name__}): write it as a FeatureCollection of polygons"
        raise ScenarioError([Problem(label, "scenario.outline", msg)]) from None
    if not isinstance(geo, dict) or geo.get("type") not in _GEOJSON_TYPES:
        kinds = ", ".join(sorted(_GEOJSON_TYPES))
        msg = f"{name} is not a GeoJSON outline: its top-level 'type' must be one of {kinds}"
        raise ScenarioError([Problem(label, "scenario.outline", msg)])
    return geo


def tier_counts(sc: Scenario) -> Counter[str]:
    """How many stations of each tier."""
    return Counter(s.tier for s in sc.stations)
