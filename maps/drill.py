"""The drill map: planned units on time first, each station coloured by its planned units' outcome.

Takes the plain dict of the drill's ``--json`` contract (never simulation objects)::

    {"replications": 200, "seed": 7, "service_level": {"mean": 0.93, "ci95": [0.91, 0.95]},
     "planned_units_on_time": {"mean": 0.25, "ci95": [...]}, "late_units": ["C-201", ...],
     "stations": {"GZ-HUB": {"mean_wait_minutes": {"mean": 4.2, "ci95": [3.9, 4.5]},
                             "utilisation": {"mean": 0.71, "ci95": [...]}, "served": 5400, "stockouts": 12}},
     "units": {"C-201": {"planned": true, "stations": ["GZ-HUB"], "on_time_share": 0.0, ...}},
     "bottleneck": "GZ-HUB"}

The headline is the drill's own: planned units on time ("2 of 8" — a planned unit is on time
when it is not among ``late_units``, i.e. on time in at least 90% of replications), the late ones
named; then the walk-ins' on-time share and the service level, every arrival alike (walk-ins
included, blind to headcount), each labelled as such — the order of ``jungong drill``'s text.
A station with planned units (those whose ``stations`` name it) is coloured by
the share of them on time, and its popup lists its late units — the late side (people, vehicles
or both) and each side's on-time share (``outcomes``), the cause and, where distance is the cause,
its ``placement`` minutes and the nearest station able to serve it in time; a station with
none is coloured by its ``service_level`` (the share of the arrivals it served that were fed on
time) when the results give one, else ``served / (served + stockouts)``; numbers may also come as
``{"mean": x, "ci95": [lo, hi]}``. A station without demand in the drill is drawn grey.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from maps.assets import ASSETS_URL
from maps.coverage_map import station_popup
from maps.layers import add_disruptions, add_links, add_rings, add_stations
from maps.page import finish_map, new_map
from maps.symbols import OFFLINE, TIER_STYLE, station_svg
from supply.core.errors import InvalidArgumentError
from supply.core.network import Network, build_network
from supply.core.scenario import Scenario

#: A planned unit on time in fewer replications than this is late (``simulation.stats.LATE_SHARE``).
LATE_SHARE = 0.9
#: Service-level bands: (lowest level, colour, label).
BANDS = ((0.95, "#1a9850", "≥ 95 %"), (0.80, "#fdae61", "80–95 %"), (0.0, "#d7191c", "< 80 %"))
BOTTLENECK = "#d50000"


def drill_map(
    scenario_or_network: Scenario | Network,
    drill_results: Mapping[str, Any],
    path: str | Path,
    *,
    title: str | None = None,
    tiles: str | None = None,
    assets: str = "inline",
) -> Path:
    """Write the drill map to ``path`` and return it."""
    out = Path(path)
    out.write_text(drill_map_html(scenario_or_network, drill_results, title=title, tiles=tiles, assets=assets), "utf-8")
    return out


def drill_map_html(
    scenario_or_network: Scenario | Network,
    drill_results: Mapping[str, Any],
    *,
    title: str | None = None,
    tiles: str | None = None,
    assets: str = "inline",
    assets_url: str = ASSETS_URL,
) -> str:
    """The drill map as HTML (see the module docstring for ``drill_results``)."""
    net = scenario_or_network if isinstance(scenario_or_network, Network) else build_network(scenario_or_network)
    stations = _stations(drill_results, net)
    bottleneck = drill_results.get("bottleneck")
    if bottleneck is not None:
        net.scenario.station(str(bottleneck))
    planned = planned_at(drill_results)
    placement = {
        str(p.get("unit")): p for p in drill_results.get("placement") or [] if isinstance(p, Mapping) and p.get("unit")
    }
    levels = {code: station_level(rec) for code, rec in stations.items()}
    levels.update({code: outcome_share(units) for code, units in planned.items()})
    m = new_map(net, tiles=tiles, assets=assets, assets_url=assets_url)
    add_rings(m, net)
    add_links(m, net)
    add_disruptions(m, net)
    add_stations(
        m,
        net,
        lambda code: _popup(
            net, code, stations.get(code), code == bottleneck, _why(drill_results), planned.get(code, []), placement
        ),
        fill_for=lambda code: level_colour(levels.get(code)),
        ring_for=lambda code: BOTTLENECK if code == bottleneck else None,
    )
    overall = drill_results.get("service_level", {})
    lead, detail = headline(drill_results)
    walk = _mean(drill_results.get("walk_ins_on_time"))
    subtitle = (
        detail
        + (f"walk-ins on time (share of stream arrivals) {_pct(walk)} · " if walk is not None else "")
        + f"service level, every arrival alike (walk-ins included, blind to headcount) {_pct(_mean(overall))} "
        f"(95% CI {_ci(overall)}) · "
        f"{drill_results.get('replications', '?')} replications, seed {drill_results.get('seed', '?')}"
        + (f" · bottleneck {bottleneck}" if bottleneck else "")
        + f" · {_timeline(drill_results) or net.disruptions.describe()}"
    )
    legend = [
        ("Stations by tier", [(station_svg(t), s["label"]) for t, s in TIER_STYLE.items()]),
        (
            "Planned units on time, by station",
            [("", "(a station with none: its arrivals)")]
            + [(station_svg("point", c), lb) for _, c, lb in BANDS]
            + [(station_svg("point", OFFLINE), "no demand"), (station_svg("point", ring=BOTTLENECK), "bottleneck")],
        ),
    ]
    return finish_map(
        m,
        title=(title or f"Drill — {net.scenario.scenario.name}") + (f" · {lead}" if lead else ""),
        subtitle=subtitle,
        legend=legend,
        assets=assets,
        tiles=tiles,
    )


def late_codes(results: Mapping[str, Any]) -> set[str]:
    """The late planned units: ``late_units``, else (older results) those on time in under 90% of replications."""
    late = results.get("late_units")
    if isinstance(late, list):
        return {str(c) for c in late}
    units = results.get("units") or {}
    return {c for c, u in units.items() if u.get("planned") and (_mean(u.get("on_time_share")) or 0.0) < LATE_SHARE}


def planned_at(results: Mapping[str, Any]) -> dict[str, list[tuple[str, Mapping[str, Any], bool]]]:
    """Per station, its planned units as ``(code, unit, on_time)``, in the drill's order."""
    late = late_codes(results)
    out: dict[str, list[tuple[str, Mapping[str, Any], bool]]] = {}
    for code, unit in (results.get("units") or {}).items():
        if isinstance(unit, Mapping) and unit.get("planned"):
            for station in unit.get("stations") or []:
                out.setdefault(str(station), []).append((code, unit, code not in late))
    return out


def outcome_share(units: list[tuple[str, Mapping[str, Any], bool]]) -> float | None:
    """The share of a station's planned units on time (``None`` without any)."""
    return sum(ok for _, _, ok in units) / len(units) if units else None


def headline(results: Mapping[str, Any]) -> tuple[str, str]:
    """``("Planned units on time: 2 of 8", "late: C-201, … (…) · ")`` — both empty without planned units."""
    units = results.get("units") or {}
    planned = [c for c, u in units.items() if isinstance(u, Mapping) and u.get("planned")]
    if not planned:
        return "", ""
    late = [c for c in results.get("late_units") or sorted(late_codes(results)) if c in planned]
    share = _mean(results.get("planned_units_on_time"))
    detail = (
        (f"late: {', '.join(late)} " if late else "")
        + f"(a unit is on time when on time in at least {LATE_SHARE:.0%} of replications"
        + (f"; share per replication {_pct(share)}" if share is not None else "")
        + ") · "
    )
    return f"Planned units on time: {len(planned) - len(late)} of {len(planned)}", detail


def station_level(record: Mapping[str, Any] | None) -> float | None:
    """The station's on-time share, else ``served / (served + stockouts)``; ``None``: no demand."""
    if not record:
        return None
    if record.get("service_level") is not None:
        return _mean(record["service_level"])
    served, stockouts = _mean(record.get("served")) or 0.0, _mean(record.get("stockouts")) or 0.0
    total = served + stockouts
    return served / total if total > 0 else None


def level_colour(level: float | None) -> str:
    if level is None:
        return OFFLINE
    return next(c for lo, c, _ in BANDS if level >= lo)


def _stations(results: Mapping[str, Any], net: Network) -> Mapping[str, Mapping[str, Any]]:
    stations = results.get("stations") if isinstance(results, Mapping) else None
    if not isinstance(stations, Mapping):
        raise InvalidArgumentError("drill results: missing 'stations' (expected the drill --json output)")
    for code, rec in stations.items():
        net.scenario.station(str(code))  # results from another scenario name unknown stations
        if not isinstance(rec, Mapping):
            msg = f"drill results: stations.{code} should be a table, got {type(rec).__name__}"
            raise InvalidArgumentError(msg)
    return stations


def _timeline(results: Mapping[str, Any]) -> str:
    """The drill's disruption timeline, e.g. ``from h2: closed GZ-NS-BRIDGE; from h14: no disruptions``."""
    steps = results.get("disruptions")
    if not isinstance(steps, list) or len(steps) < 2:
        return ""
    parts = []
    for step in steps:
        if isinstance(step, Mapping) and "state" in step:
            hours = float(step.get("from_minute", 0)) / 60
            parts.append(f"from h{hours:g}: {step['state']}")
    return "; ".join(parts)


def _mean(value: Any) -> float | None:
    if isinstance(value, Mapping):
        value = value.get("mean")
    return float(value) if isinstance(value, int | float) else None


def _ci(value: Any, fmt: str = ".1%") -> str:
    ci = value.get("ci95") if isinstance(value, Mapping) else None
    if isinstance(ci, list | tuple) and len(ci) == 2 and all(isinstance(v, int | float) for v in ci):
        return f"{ci[0]:{fmt}}–{ci[1]:{fmt}}"
    return "n/a"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _why(results: Mapping[str, Any]) -> str:
    """The bottleneck's resource and reason, in words (results from before issue 10 have none)."""
    br = results.get("bottleneck_resource") or {}
    what = str(br.get("resource", "")).replace("_", " ")
    reason = str(results.get("bottleneck_reason", ""))
    return html.escape(f"{what}: {reason}" if what else reason)


#: A unit's late side in words (``late_side`` of the drill JSON).
LATE_SIDES = {"people": "people late", "vehicles": "vehicles late", "both": "people and vehicles late"}


def late_text(unit: Mapping[str, Any], placement: Mapping[str, Any] | None = None) -> str:
    """After a late unit's code: which side is late, each side's on-time share, the cause and its reason, and
    — when distance is the cause — the minutes it costs and the nearest station that could serve it in time."""
    outcomes = unit.get("outcomes") or {}
    shares = [f"{side} {_pct(_mean(o.get('on_time_share')))}" for side, o in outcomes.items() if isinstance(o, Mapping)]
    on = ", ".join(shares) if shares else _pct(_mean(unit.get("on_time_share")))
    text = f" {LATE_SIDES.get(str(unit.get('late_side')), 'late')} (on time in {on} of replications)"
    cause = str(unit.get("late_cause") or "").replace("_", " ")
    reason = unit.get("infeasible_reason") or unit.get("late_reason") or ""
    text += (f" — {cause}" if cause else "") + (f": {reason}" if reason else "")
    if placement:
        nearest = placement.get("nearest_feasible") or "none"
        text += (
            f"; placement: {_num(_mean(placement.get('minutes')))} min beyond target per replication from distance, "
            f"nearest station able to serve it in time: {nearest}"
        )
    return text


def _popup(
    net: Network,
    code: str,
    record: Mapping[str, Any] | None,
    is_bottleneck: bool,
    why: str = "",
    planned: list[tuple[str, Mapping[str, Any], bool]] | None = None,
    placement: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    base = station_popup(net, code, None, None)
    rows = []
    if planned:
        on_time = sum(ok for _, _, ok in planned)
        rows.append(f"<b>Planned units here: {on_time} of {len(planned)} on time</b><ul class='jg-late'>")
        for unit, u, ok in planned:
            if not ok:
                text = late_text(u, placement.get(unit) if placement else None)
                rows.append(f"<li><span class='jg-warn'>{html.escape(unit)}</span>{html.escape(text)}</li>")
        rows.append("</ul>")
    if is_bottleneck:
        rows.append(f"<div class='jg-warn'>BOTTLENECK of the drill</div><div class='jg-why'>{why}</div>")
    if record:
        wait, util = record.get("mean_wait_minutes"), record.get("utilisation")
        rows.append("<b>In the drill</b><table>")
        rows.append(f"<tr><td>service level (every arrival)</td><td>{_pct(station_level(record))}</td></tr>")
        if _mean(wait) is not None:
            rows.append(f"<tr><td>mean wait</td><td>{_num(_mean(wait))} min (95% CI {_ci(wait, '.1f')})</td></tr>")
        if _mean(util) is not None:
            rows.append(f"<tr><td>utilisation</td><td>{_pct(_mean(util))} (95% CI {_ci(util)})</td></tr>")
        served, stockouts = _num(_mean(record.get("served"))), _num(_mean(record.get("stockouts")))
        rows.append(f"<tr><td>served</td><td>{served}</td></tr><tr><td>stockouts</td><td>{stockouts}</td></tr></table>")
    else:
        rows.append("<div>no demand in the drill</div>")
    return base.removesuffix("</div>") + "".join(rows) + "</div>"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f}".removesuffix(".0")
