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
from maps.layers import add_catchments, add_disruptions, add_links, add_rings, add_routes, add_sites, add_stations
from maps.page import finish_map, new_map
from supply.core.coverage import CoverageResult
from supply.core.network import Network
from supply.core.scenario import Station

CAPACITIES = (
    ("seats", "seats"),
    ("meals_per_hour", "meals / hour"),
    ("beds", "beds"),
    ("refuel_bays", "refuel bays"),
    ("field_kitchens", "field kitchens"),
    ("water_trucks", "water trucks"),
    ("fuel_trucks", "fuel trucks"),
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
) -> str:
    """The coverage map as one HTML page (``assets``: ``inline`` self-contained, or ``served`` from ``assets_url``)."""
    thresholds = coverage_result.thresholds
    m = new_map(network, tiles=tiles, assets=assets, assets_url=assets_url)
    names = {s.code: s.name for s in network.scenario.stations}
    add_catchments(m, catchments(network, thresholds), thresholds, names)
    add_rings(m, network)
    add_links(m, network)
    add_disruptions(m, network)
    add_sites(m, network, coverage_result)
    if dispatches:
        add_routes(m, network, dispatches)
    add_stations(m, network, lambda code: station_popup(network, code, coverage_result, stock))
    uncovered = coverage_result.uncovered(thresholds[-1])
    subtitle = (
        f"coverage within {'/'.join(map(str, thresholds))} min · {network.disruptions.describe()} · "
        f"{len(uncovered)} of {len(coverage_result.sites)} sites beyond {thresholds[-1]} min"
    )
    return finish_map(
        m,
        title=title or network.scenario.scenario.name,
        subtitle=subtitle,
        legend=legend(network, thresholds, routes=bool(dispatches)),
        assets=assets,
        tiles=tiles,
    )


def legend(network: Network, thresholds: Sequence[int], *, routes: bool = False) -> list:
    """The legend's sections, from the same style tables the layers use."""
    sections: list = [("Stations 军供站", [(sym.station_svg(t), s["label"]) for t, s in sym.TIER_STYLE.items()])]
    if network.offline:
        sections[0][1].append((sym.station_svg("point", offline=True), "offline"))
    sections.append(
        (
            "Coverage on the network",
            [(sym.swatch(sym.threshold_colour(i)), f"≤ {t} min") for i, t in enumerate(thresholds)],
        )
    )
    sites = [(sym.swatch(sym.threshold_colour(i), "dot"), f"≤ {t} min") for i, t in enumerate(thresholds)]
    sites.append(
        (sym.swatch(sym.UNCOVERED, "dot", stroke="#212121", width="2.5"), f"uncovered (> {thresholds[-1]} min)")
    )
    sections.append(("Sites: minutes to nearest station", sites))
    rings = [
        (sym.swatch(s["colour"], "line" if r == "city" else "dash"), s["label"]) for r, s in sym.RING_STYLE.items()
    ]
    rings.append((sym.swatch(sym.SEA_LANE["color"], "dash"), "sea lane 海上航线"))
    sections.append(("Rings", rings))
    other = []
    if network.disruptions.close:
        other.append((sym.swatch(sym.CLOSED["color"], "dash"), "closed link"))
    if network.disruptions.slow:
        other.append((sym.swatch(sym.SLOWED["color"], "dash"), "slowed link"))
    if routes:
        other.append((sym.swatch(sym.ROUTE["color"], "line"), "dispatch route"))
    if other:
        sections.append(("Disruptions & routes", other))
    return sections


def station_popup(
    network: Network, code: str, result: CoverageResult | None, stock: Mapping[str, Mapping[str, Any]] | None
) -> str:
    """A station's popup: name, tier, capacities, stock (with days of supply where known), coverage provided."""
    st = network.scenario.station(code)
    parts = [f"<div class='jg-popup'><h4>{escape(st.name or st.code)}</h4>"]
    parts.append(f"<div>{escape(st.code)} · {escape(sym.TIER_STYLE[st.tier]['label'])}</div>")
    if code in network.offline:
        parts.append("<div class='jg-warn'>OFFLINE — provides no coverage</div>")
    caps = [(label, getattr(st, key)) for key, label in CAPACITIES if getattr(st, key)]
    if caps:
        parts.append("<b>Capacities</b>" + _table([(lb, f"{v:,.0f}") for lb, v in caps]))
    parts.append(stock_section(st, stock))
    if result is not None and code not in network.offline:
        rows = []
        for t in result.thresholds:
            served = [s.code for s in result.sites if s.station == code and s.minutes is not None and s.minutes <= t]
            shown = ", ".join(served[:8]) + (" …" if len(served) > 8 else "")
            rows.append((f"≤ {t} min", f"{len(served)} site(s) {shown}"))
        parts.append("<b>Coverage it provides</b> (nearest station)" + _table(rows))
    return "".join(parts) + "</div>"


def stock_section(st: Station, stock: Mapping[str, Mapping[str, Any]] | None) -> str:
    """Stock rows: live stock if given, else the scenario's opening stock."""
    if stock is None:
        items: Mapping[str, Any] = st.stock
        label = "Opening stock (scenario)"
    else:
        items = stock.get(st.code, {})
        label = "Stock on hand (live)"
    if not items:
        return f"<b>{label}</b><div>none recorded</div>"
    rows = []
    for item, value in items.items():
        if isinstance(value, Mapping):
            qty = value.get("on_hand", value.get("quantity"))
            unit = value.get("unit") or ""
            cell = f"{qty:,.0f} {escape(str(unit))}".strip() if isinstance(qty, int | float) else "—"
            if "days_of_supply" in value:
                dos = value["days_of_supply"]
                cell += " · " + ("unbounded (no consumption)" if dos is None else f"{dos:.1f} days of supply")
        else:
            cell = f"{value:,.0f}"
        rows.append((escape(str(item)), cell))
    return f"<b>{label}</b>" + _table(rows)


def _table(rows: Sequence[tuple[str, str]]) -> str:
    return "<table>" + "".join(f"<tr><td>{a}</td><td>{b}</td></tr>" for a, b in rows) + "</table>"
