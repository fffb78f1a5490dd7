"""The checks across a scenario's records, each fault a :class:`~supply.core.errors.Problem`.

A record's own faults are its model's (:mod:`supply.core.scenario_models`); these are the ones
no single record can see: duplicate codes and link names, links to unknown codes or to
themselves, duplicate links, unknown road classes, detour factors and speeds out of range, and
places not connected to the network. :func:`partial_cross_problems` runs them on whatever
records did validate when others did not, so one pass reports every fault in a file.
:func:`control_problems` walks every table of the raw document, the sections other layers own
(``[stock]``, ``[[items]]``, ``[drill]``, ``[[teams]]``) included: no key or text holds a control character.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from supply.core.errors import Problem
from supply.core.scenario_models import (
    PLACE_MODELS,
    Junction,
    Link,
    Place,
    ScenarioMeta,
    Site,
    Station,
    default_road_class,
)
from supply.core.types import control_char
from supply.core.validation import key_path


def partial_cross_problems(data: dict[str, Any], source: str) -> list[Problem]:
    """The cross-reference checks on the records that validate, when others did not.

    A code is known if any record carries it (valid or not), so a station with a bad tier is
    not reported again as an unknown link end; only the faults the record checks cannot see are.
    """
    places: list[tuple[str, int, str]] = []
    known: set[str] = set()
    for section, model in PLACE_MODELS.items():
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


def control_problems(data: Any, source: str, loc: tuple[int | str, ...] = ()) -> list[Problem]:
    """Every key and text value of the raw document holding a control character (tab and newline
    are text), wherever it sits: the model checks cover only the sections this layer owns."""
    out: list[Problem] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str) and (bad := control_char(key)) is not None:
                msg = f"key {key!r}: control character {bad} is not allowed"
                out.append(Problem(source, key_path(loc), msg))
                continue
            out += control_problems(value, source, (*loc, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += control_problems(value, source, (*loc, i))
    elif isinstance(data, str) and (bad := control_char(data)) is not None:
        out.append(Problem(source, key_path(loc), f"control character {bad} is not allowed"))
    return out


def _records(data: dict[str, Any], section: str) -> list[dict[str, Any]]:
    rows = data.get(section)
    return [r if isinstance(r, dict) else {} for r in rows] if isinstance(rows, list) else []


def semantic_problems(
    source: str,
    meta: ScenarioMeta,
    stations: list[Station],
    sites: list[Site],
    junctions: list[Junction],
    links: list[Link],
) -> list[Problem]:
    """Cross-record checks of a validated scenario: duplicates, dangling links, speeds, connectivity."""
    sections: dict[str, Sequence[Place]] = {"stations": stations, "sites": sites, "junctions": junctions}
    places = [(section, i, p.code) for section in PLACE_MODELS for i, p in enumerate(sections[section])]
    problems = _cross_problems(source, places, list(enumerate(links)), meta, None)
    if problems:
        return problems
    if meta.graphml is None:
        problems.extend(_connectivity_problems(source, stations, sites, junctions, links))
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
            cls_ = link.road_class or default_road_class(link)
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


def _connectivity_problems(
    src: str, stations: list[Station], sites: list[Site], junctions: list[Junction], links: list[Link]
) -> list[Problem]:
    """Every station and site linked to the network, and every site to some station (without GraphML)."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(p.code for p in (*stations, *sites, *junctions))
    g.add_edges_from((link.a, link.b) for link in links)
    station_codes = {s.code for s in stations}
    problems = []
    sections: tuple[tuple[str, Sequence[Place]], ...] = (("stations", stations), ("sites", sites))
    for section, places in sections:
        for i, place in enumerate(places):
            if g.degree(place.code) == 0:
                problems.append(
                    Problem(
                        src,
                        f"{section}[{i}]",
                        f"{section[:-1]} '{place.code}' is not connected to the network (no link)",
                    )
                )
            elif section == "sites" and not station_codes & nx.node_connected_component(g, place.code):
                problems.append(Problem(src, f"{section}[{i}]", f"site '{place.code}' is not connected to any station"))
    return problems
