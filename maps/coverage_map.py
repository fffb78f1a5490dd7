"""The commanders' coverage map: the network, its travel-time coverage, rings, gaps and disruptions.

Takes plain data — a :class:`~supply.core.network.Network` (disruptions already applied), its
:class:`~supply.core.coverage.CoverageResult`, optionally live stock and dispatches — and returns HTML.

``stock`` maps station code → item → either a quantity on hand or a dict
``{"on_hand": 1200, "days_of_supply": 3.5, "unit": "meals"}`` (``days_of_supply: None`` means
unbounded: nothing is being consumed). Without it the popups show the scenario's opening stock.
``dispatches`` is a list of routes, each a list of codes or ``{"path": [...], "label": "..."}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from maps import symbols as sym
from maps.assets import ASSETS_URL
from maps.catchment import catchments
from maps.layers import (
    add_catchments,
    add_disruptions,
    add_links,
    add_rings,
    add_routes,
    add_sites,
    add_stations,
    drawn_rings,
    sea_points,
)
from maps.page import finish_map, new_map
from maps.words import Tr, item_label, same, tr_mark
from supply.core.coverage import CoverageResult
from supply.core.items import ItemSpec, catalogue
from supply.core.network import Network
from supply.core.scenario import Station

CAPACITIES = (
    ("seats", tr_mark("seats")),
    ("meals_per_hour", tr_mark("meals / hour")),
    ("beds", tr_mark("beds")),
    ("refuel_bays", tr_mark("refuel bays")),
    ("field_kitchens", tr_mark("field kitchens")),
    ("water_trucks", tr_mark("water trucks")),
    ("fuel_trucks", tr_mark("fuel trucks")),
)


def coverage_map(
    network: Network,
    coverage_result: CoverageResult,
    *,
    stock: Mapping[str, Mapping[str, Any]] | None = None,
    dispatches: Sequence[Sequence[str] | Mapping[str, Any]] | None = None,
    title: str | None = None,
    tiles: str | None = None,
    assets: str = "inline",
    assets_url: str = ASSETS_URL,
    tr: Tr = same,
) -> str:
    """The coverage map as one HTML page (``assets``: ``inline`` self-contained, or ``served`` from ``assets_url``;
    ``tr`` translates its words, :mod:`maps.words`)."""
    thresholds = coverage_result.thresholds
    m = new_map(network, tiles=tiles, assets=assets, assets_url=assets_url, tr=tr)
    names = {s.code: s.name for s in network.scenario.stations}
    add_catchments(m, catchments(network, thresholds), thresholds, names)
    add_rings(m, network)
    add_links(m, network)
    add_disruptions(m, network)
    add_sites(m, network, coverage_result)
    if dispatches:
        add_routes(m, network, dispatches)
    add_stations(m, network, lambda code: station_popup(network, code, coverage_result, stock, tr=tr))
    uncovered = coverage_result.uncovered(thresholds[-1])
    subtitle = tr("coverage within {minutes} min · {disruptions} · {n} of {total} sites beyond {last} min").format(
        minutes="/".join(map(str, thresholds)),
        disruptions=network.disruptions.describe(),
        n=len(uncovered),
        total=len(coverage_result.sites),
        last=thresholds[-1],
    )
    return finish_map(
        m,
        title=title or network.scenario.scenario.name,
        subtitle=subtitle,
        legend=legend(network, thresholds, routes=bool(dispatches), tr=tr),
        assets=assets,
        tiles=tiles,
    )


def legend(network: Network, thresholds: Sequence[int], *, routes: bool = False, tr: Tr = same) -> list:
    """The legend's sections, from the same style tables the layers use."""
    stations = [(sym.station_svg(t), s["label"]) for t, s in sym.TIER_STYLE.items()]
    sections: list = [(tr("Stations 军供站"), stations)]
    if network.offline:
        stations.append((sym.station_svg("point", offline=True), tr("offline")))
    within = tr("≤ {minutes} min")
    sections.append(
        (
            tr("Coverage on the network"),
            [(sym.swatch(sym.threshold_colour(i)), within.format(minutes=t)) for i, t in enumerate(thresholds)],
        )
    )
    sites = [(sym.swatch(sym.threshold_colour(i), "dot"), within.format(minutes=t)) for i, t in enumerate(thresholds)]
    sites.append(
        (
            sym.swatch(sym.UNCOVERED, "dot", stroke="#212121", width="2.5"),
            tr("uncovered (> {minutes} min)").format(minutes=thresholds[-1]),
        )
    )
    sections.append((tr("Sites: minutes to nearest station"), sites))
    rings = [
        (sym.swatch(sym.RING_STYLE[r]["colour"], "line" if r == "city" else "dash"), sym.RING_STYLE[r]["label"])
        for r in drawn_rings(network)
    ]
    if sea_points(network):
        rings.append((sym.swatch(sym.SEA_LANE["color"], "dash"), tr("sea lane 海上航线")))
    if rings:
        sections.append((tr("Rings"), rings))
    other = []
    if network.disruptions.close:
        other.append((sym.swatch(sym.CLOSED["color"], "dash"), tr("closed link")))
    if network.disruptions.slow:
        other.append((sym.swatch(sym.SLOWED["color"], "dash"), tr("slowed link")))
    if routes:
        other.append((sym.swatch(sym.ROUTE["color"], "line"), tr("dispatch route")))
    if other:
        sections.append((tr("Disruptions & routes"), other))
    return sections


def station_popup(
    network: Network,
    code: str,
    result: CoverageResult | None,
    stock: Mapping[str, Mapping[str, Any]] | None,
    *,
    tr: Tr = same,
) -> str:
    """A station's popup: name, tier, capacities, stock (with days of supply where known), coverage provided."""
    st = network.scenario.station(code)
    parts = [f"<div class='jg-popup'><h4>{escape(st.name or st.code)}</h4>"]
    parts.append(f"<div>{escape(st.code)} · {escape(sym.TIER_STYLE[st.tier]['label'])}</div>")
    if code in network.offline:
        warn = tr("OFFLINE — provides no coverage")
        parts.append(f"<div class='jg-warn'>{escape(warn)}</div>")
    caps = [(escape(tr(label)), f"{v:,.0f}") for key, label in CAPACITIES if (v := getattr(st, key))]
    if caps:
        parts.append(_heading(tr("Capacities")) + _table(caps))
    parts.append(stock_section(st, stock, catalogue(network.scenario), tr=tr))
    if result is not None and code not in network.offline:
        rows = []
        for t in result.thresholds:
            served = [s.code for s in result.sites if s.station == code and s.minutes is not None and s.minutes <= t]
            shown = ", ".join(served[:8]) + (" …" if len(served) > 8 else "")
            rows.append(
                (tr("≤ {minutes} min").format(minutes=t), tr("{n} site(s)").format(n=len(served)) + f" {shown}")
            )
        parts.append(_heading(tr("Coverage it provides (nearest station)")) + _table(rows))
    return "".join(parts) + "</div>"


def stock_section(
    st: Station, stock: Mapping[str, Mapping[str, Any]] | None, items: Sequence[ItemSpec] = (), *, tr: Tr = same
) -> str:
    """Stock rows, each item by its name with its unit (``Hot meals (份) | 1,200``): live stock if given,
    else the scenario's opening stock."""
    specs = {spec.code: spec for spec in items}
    if stock is None:
        rows_in: Mapping[str, Any] = st.stock
        label = tr("Opening stock (scenario)")
    else:
        rows_in = stock.get(st.code, {})
        label = tr("Stock on hand (live)")
    if not rows_in:
        none = tr("none recorded")
        return _heading(label) + f"<div>{escape(none)}</div>"
    rows = []
    for item, value in rows_in.items():
        if isinstance(value, Mapping):
            qty = value.get("on_hand", value.get("quantity"))
            cell = f"{qty:,.0f}" if isinstance(qty, int | float) else "—"
            if "days_of_supply" in value:
                dos = value["days_of_supply"]
                days = tr("{days} days of supply").format(days=f"{dos:.1f}") if dos is not None else None
                cell += " · " + (days or tr("unbounded (no consumption)"))
        else:
            cell = f"{value:,.0f}"
        rows.append((escape(item_label(specs.get(str(item)), str(item), tr)), escape(cell)))
    return _heading(label) + _table(rows)


def _heading(text: str) -> str:
    return f"<b>{escape(text)}</b>"


def _table(rows: Sequence[tuple[str, str]]) -> str:
    return "<table>" + "".join(f"<tr><td>{a}</td><td>{b}</td></tr>" for a, b in rows) + "</table>"
