"""folium layers built from plain data: stations, sites, catchment areas, rings, links, routes.

Each function takes the map (or a group) and plain records and adds one layer group; none
computes coverage itself. Panes fix the stacking order whatever the layer control toggles:
base (250) < areas (350) < links (380) < sites (overlay pane, 400) < disruptions (410) < stations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from html import escape
from typing import Any

import folium
import shapely
from shapely.geometry import MultiPoint, mapping

from maps.basemap import base_kind, city_outline
from maps.catchment import Catchment
from maps.symbols import (
    CLOSED,
    RING_STYLE,
    ROAD,
    ROUTE,
    SEA_LANE,
    SLOWED,
    TIER_STYLE,
    UNCOVERED,
    station_svg,
    threshold_colour,
)
from supply.core.coverage import CoverageResult, minutes_text
from supply.core.network import Network
from supply.core.scenario import Station

PANES = {"jg-base": 250, "jg-areas": 350, "jg-links": 380, "jg-disruptions": 410}


def add_panes(m: folium.Map) -> None:
    for name, z in PANES.items():
        folium.map.CustomPane(name, z_index=z, pointer_events=True).add_to(m)
    folium.map.CustomPane("jg-labels", z_index=390, pointer_events=False).add_to(m)


def latlon(network: Network, code: str) -> tuple[float, float]:
    lat, lon = network.coordinates
    i = network.index.position[code]
    return float(lat[i]), float(lon[i])


def add_stations(
    m: folium.Map,
    network: Network,
    popup_for: Callable[[str], str],
    *,
    fill_for: Callable[[str], str | None] = lambda _c: None,
    ring_for: Callable[[str], str | None] = lambda _c: None,
) -> None:
    """One layer group per tier; each station an SVG symbol with a tooltip and a popup."""
    for tier, style in TIER_STYLE.items():
        group = folium.FeatureGroup(name=f"{_swatch_html(tier)} {style['label']}")
        for st in (s for s in network.scenario.stations if s.tier == tier):
            offline = st.code in network.offline
            size = style["size"]
            folium.Marker(
                [st.lat, st.lon],
                icon=folium.DivIcon(
                    html=station_svg(tier, fill_for(st.code), offline=offline, ring=ring_for(st.code)),
                    icon_size=(size, size),
                    icon_anchor=(size // 2, size // 2),
                    class_name=f"jg-station jg-tier-{tier}" + (" jg-offline" if offline else ""),
                ),
                tooltip=f"{st.code} {st.name}" + (" — OFFLINE" if offline else ""),
                popup=folium.Popup(popup_for(st.code), max_width=360),
            ).add_to(group)
            add_station_label(group, st, network.scenario.stations, size)
        group.add_to(m)


#: Within this many degrees, two stations' labels would collide on the same side.
_NEAR_LAT, _NEAR_LON = 0.05, 0.1


def label_side(st: Station, stations: Sequence[Station]) -> str:
    """``"right"`` of the symbol, unless a neighbour sits just east of it (then ``"left"``): crowds stay legible."""
    for other in stations:
        if other.code != st.code and abs(other.lat - st.lat) < _NEAR_LAT and 0 <= other.lon - st.lon < _NEAR_LON:
            return "left"
    return "right"


def add_station_label(group: folium.FeatureGroup, st: Station, stations: Sequence[Station], size: int) -> None:
    """The station's code and short name, always shown beside its symbol (not only in the popup)."""
    side = label_side(st, stations)
    short = escape(st.name.split(" (")[0])
    width = 12 + 7 * max(len(st.code), len(short))
    gap = size // 2 + 3
    anchor = (-gap, 8) if side == "right" else (width + gap, 8)
    folium.Marker(
        [st.lat, st.lon],
        icon=folium.DivIcon(
            html=f"<b>{escape(st.code)}</b><br><span>{short}</span>",
            class_name=f"jg-station-label jg-label-{side}",
            icon_size=(width, 30),
            icon_anchor=anchor,
        ),
        interactive=False,
        pane="jg-labels",
    ).add_to(group)


def _swatch_html(tier: str) -> str:
    return (
        station_svg(tier)
        .replace(f'width="{TIER_STYLE[tier]["size"]}"', 'width="14"', 1)
        .replace(f'height="{TIER_STYLE[tier]["size"]}"', 'height="14"', 1)
    )


def add_sites(m: folium.Map, network: Network, result: CoverageResult) -> None:
    """Sites coloured by minutes to the nearest station; uncovered ones big, red and in their own layer."""
    thresholds = result.thresholds
    names = {s.code: s.name for s in network.scenario.sites}
    covered: list[dict[str, Any]] = []
    uncovered: list[dict[str, Any]] = []
    for s in result.sites:
        lat, lon = latlon(network, s.code)
        band = next((i for i, t in enumerate(thresholds) if s.minutes is not None and s.minutes <= t), None)
        props = {
            "code": s.code,
            "name": names.get(s.code, ""),
            "ring": s.ring,
            "station": s.station or "none",
            "minutes": "unreachable" if s.minutes is None else f"{minutes_text(s.minutes, thresholds)} min",
            "colour": UNCOVERED if band is None else threshold_colour(band),
        }
        feature = {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": [lon, lat]}}
        (covered if band is not None else uncovered).append(feature)
    fields = ["code", "name", "ring", "station", "minutes"]
    aliases = ["site", "name", "ring", "nearest station", "travel time"]
    small = len(result.sites) <= 300  # thousands of sites: smaller dots, or they hide the map
    for features, label, radius, weight in (
        (covered, f"Sites by minutes to nearest station ({len(covered)})", 6 if small else 3.5, 1.0),
        (uncovered, f"Uncovered sites > {thresholds[-1]} min ({len(uncovered)})", 9 if small else 6, 2.5),
    ):
        group = folium.FeatureGroup(name=label)
        if features:
            css = "jg-site" + (" jg-uncovered" if features is uncovered else "")
            folium.GeoJson(
                {"type": "FeatureCollection", "features": features},
                marker=folium.CircleMarker(
                    className=css, fill=True, fill_opacity=0.95, color="#212121", radius=radius, weight=weight
                ),
                style_function=lambda f: {"fillColor": f["properties"]["colour"]},
                tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases),
            ).add_to(group)
        group.add_to(m)


def add_catchments(m: folium.Map, areas: Sequence[Catchment], thresholds: Sequence[int], names: Mapping) -> None:
    """One layer per threshold, widest first so the tighter areas sit on top."""
    for i, t in reversed(list(enumerate(thresholds))):
        colour = threshold_colour(i)
        mine = [a for a in areas if a.threshold == t]
        group = folium.FeatureGroup(name=f"Coverage ≤ {t} min")
        features = []
        taken = None
        for a in mine:  # overlaps go to the first station, so the fill has one tint
            geom = a.geometry if taken is None else a.geometry.difference(taken)
            taken = a.geometry if taken is None else taken.union(a.geometry)
            if geom.is_empty:
                continue
            props = {"station": a.station, "name": names.get(a.station, ""), "label": f"≤ {t} min", "km2": a.area_km2}
            features.append({"type": "Feature", "properties": props, "geometry": _rounded(geom)})
        if features:
            folium.GeoJson(
                {"type": "FeatureCollection", "features": features},
                style_function=lambda _f, c=colour: {"fillColor": c, "color": c, "weight": 0.6, "fillOpacity": 0.28},
                tooltip=folium.GeoJsonTooltip(
                    fields=["label", "station", "name", "km2"], aliases=["within", "from", "", "km² (station)"]
                ),
                pane="jg-areas",
                class_name=f"jg-area jg-area-{t}",
            ).add_to(group)
        group.add_to(m)


def _rounded(geom: shapely.Geometry) -> dict:
    return mapping(shapely.set_precision(geom, 1e-4))


def add_rings(m: folium.Map, network: Network) -> None:
    """The rings as areas (city: Guangzhou's outline where the shipped base map covers the scenario, else
    the hull of its city sites; region, sea: hulls of their sites) and the sea lanes; only rings with places."""
    pts = {ring: [(s.lon, s.lat) for s in network.scenario.sites if s.ring == ring] for ring in RING_STYLE}
    pts["sea"] += sea_points(network)
    shapes = {}
    if base_kind(network) == "shipped":
        shapes["city"] = city_outline()
    elif pts["city"]:
        shapes["city"] = MultiPoint(pts["city"]).convex_hull.buffer(0.03)
    if pts["region"]:
        shapes["region"] = MultiPoint(pts["region"] + pts["city"]).convex_hull.buffer(0.05)
    if pts["sea"]:
        shapes["sea"] = MultiPoint(pts["sea"]).convex_hull.buffer(0.04)
    for ring, geom in shapes.items():
        style = RING_STYLE[ring]
        group = folium.FeatureGroup(name=style["label"])
        folium.GeoJson(
            {"type": "Feature", "properties": {"ring": style["label"]}, "geometry": _rounded(geom)},
            style_function=lambda _f, c=style["colour"], r=ring: {
                "color": c,
                "weight": 3 if r == "city" else 2,
                "dashArray": None if r == "city" else "10 6",
                "fill": r == "sea",
                "fillColor": c,
                "fillOpacity": 0.08,
            },
            pane="jg-links",
            class_name=f"jg-ring jg-ring-{ring}",
            tooltip=style["label"],
        ).add_to(group)
        if ring == "sea":
            _add_links(group, network, lambda mode: mode == "sea", SEA_LANE, "jg-sea-lane")
        group.add_to(m)


def sea_points(network: Network) -> list[tuple[float, float]]:
    """(lon, lat) of every place on a sea link: none means the scenario has no sea to draw or explain."""
    return [latlon(network, n)[::-1] for n in sorted(network.nodes_on("sea"))]


def drawn_rings(network: Network) -> list[str]:
    """The rings :func:`add_rings` draws for ``network`` (for the legend)."""
    rings = [r for r in RING_STYLE if any(s.ring == r for s in network.scenario.sites)]
    if base_kind(network) == "shipped" and "city" not in rings:
        rings.insert(0, "city")
    if sea_points(network) and "sea" not in rings:
        rings.append("sea")
    return rings


def add_links(m: folium.Map, network: Network) -> None:
    """The scenario's road links (OSM street edges are not drawn: too many, and the areas show them)."""
    group = folium.FeatureGroup(name="Roads 道路")
    _add_links(group, network, lambda mode: mode == "road", ROAD, "jg-road")
    group.add_to(m)


def _add_links(
    group: folium.FeatureGroup, network: Network, keep: Callable[[str], bool], style: dict, css: str
) -> None:
    """The matching links as one GeoJSON layer (thousands of separate polylines would be slow to build)."""
    features = [
        {
            "type": "Feature",
            "properties": {"link": f"{link.ref} ({link.mode})"},
            "geometry": {"type": "LineString", "coordinates": [latlon(network, c)[::-1] for c in (link.a, link.b)]},
        }
        for link in network.scenario.links
        if keep(link.mode)
    ]
    if features:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            style_function=lambda _f: style,
            tooltip=folium.GeoJsonTooltip(fields=["link"], labels=False),
            pane="jg-links",
            class_name=css,
        ).add_to(group)


def add_disruptions(m: folium.Map, network: Network) -> None:
    """Closed links, slowed links and offline stations, each named in its tooltip."""
    d = network.disruptions
    if not d:
        return
    group = folium.FeatureGroup(name="Disruptions 中断")
    for ref in d.close:
        _disruption_lines(group, network, _closed(network, ref), f"CLOSED: {ref}", CLOSED, "jg-closed")
    for ref, factor in d.slow:
        ends = {_pair(a, b) for a, b in network.link_edges(ref)}
        _disruption_lines(group, network, ends, f"slowed ×{factor:g}: {ref}", SLOWED, "jg-slowed")
    for code in d.offline:
        folium.CircleMarker(
            latlon(network, code),
            radius=18,
            color="#d50000",
            weight=3,
            fill=False,
            dash_array="4 4",
            tooltip=f"{code} OFFLINE",
            pane="jg-disruptions",
            class_name="jg-offline-ring",
        ).add_to(group)
    group.add_to(m)


def _disruption_lines(
    group: folium.FeatureGroup, network: Network, ends: Iterable[tuple[str, str]], label: str, style: dict, css: str
) -> None:
    for a, b in ends:
        folium.PolyLine(
            [latlon(network, a), latlon(network, b)], tooltip=label, pane="jg-disruptions", class_name=css, **style
        ).add_to(group)


def _pair(a: str, b: str) -> tuple[str, str]:
    """A link's two ends in a fixed order, so each undirected link is drawn once."""
    return (a, b) if a <= b else (b, a)


def _closed(network: Network, ref: str) -> Iterable[tuple[str, str]]:
    """The ends of a closed link, found in the scenario (the graph no longer has its edges)."""
    ends = {_pair(lk.a, lk.b) for lk in network.scenario.links if ref in (lk.ref, lk.name)}
    if not ends and "~" in ref:
        a, b = ref.split("~", 1)
        ends = {_pair(a, b)}
    return [e for e in ends if all(c in network.index.position for c in e)]


def add_routes(m: folium.Map, network: Network, dispatches: Sequence) -> None:
    """Dispatches under way, each a list of codes (or a dict with ``path`` and an optional ``label``)."""
    group = folium.FeatureGroup(name=f"Dispatch routes 派送 ({len(dispatches)})")
    for i, item in enumerate(dispatches):
        path = list(item["path"] if isinstance(item, Mapping) else item)
        label = item.get("label") if isinstance(item, Mapping) else None
        label = label or f"dispatch {i + 1}: " + " → ".join(path)
        for code in path:
            network.scenario.place(code)  # UnknownCodeError names a bad code
        points = [latlon(network, c) for c in path]
        folium.PolyLine(points, tooltip=escape(label), class_name="jg-route", **ROUTE).add_to(group)
        folium.CircleMarker(
            points[-1], radius=5, color=ROUTE["color"], fill=True, fill_opacity=1, tooltip=escape(label)
        ).add_to(group)
    group.add_to(m)
