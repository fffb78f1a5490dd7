"""The drill's result as terminal text a planner reads top down, readable at 80 columns.

Order: the planned units first (how many on time, each late one with its late side — people,
vehicles or both — and each side's cause), then the walk-ins and the people-blind service level
(labelled as such), the bottleneck resource, placement (units late by distance), the defaults
assumed, the tables (stations, minutes beyond target by station and resource, each planned
unit's time budget per side, walk-ins) and the definitions of every figure.
"""

from __future__ import annotations

import textwrap

from rich import box
from rich.console import Console
from rich.table import Table

from simulation.budget import BUDGET_KEYS
from simulation.definitions import CAUSE_WORDS, DEFINITIONS, PLACEMENT_LEVERS, by_unit, fate, late_sides
from simulation.survive import survive_lines

#: Short headers of the time budget's parts (80 columns).
_BUDGET_HEAD = {
    "travel": "travel",
    "seat_wait": "seat",
    "kitchen_wait": "cook",
    "stock_wait": "stock",
    "meal": "meal",
    "refuel_wait": "bay",
    "refuel": "fuel",
    "mobile_wait": "mobile",
    "truck_wait": "truck",
    "water_wait": "water",
    "handover": "handover",
}


def _pct(d: dict | None) -> str:
    if d is None or d["mean"] is None:
        return "—"
    lo, hi = d["ci95"]
    return f"{d['mean']:.1%} [{lo:.1%}, {hi:.1%}]"


def _table(title: str) -> Table:
    return Table(
        title=title,
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
        title_justify="left",
        title_style="bold",
    )


def _num(x: float | None, fmt: str = "{:.0f}") -> str:
    return "—" if x is None else fmt.format(x)


def headline(res: dict) -> list[tuple[str, str | None]]:
    """The lines above the tables, each with its style (also what the README describes)."""
    planned = [c for c, u in res["units"].items() if u.get("planned")]
    late = res.get("late_units", [])
    lines: list[tuple[str, str | None]] = [
        (
            f"{res['scenario']}: {res['replications']} replications, seed {res['seed']}, {res['hours']:g} h, "
            f"target {res['target_minutes']:g} min, policy {res['policy']}",
            None,
        ),
        (
            f"Planned units on time: {len(planned) - len(late)} of {len(planned)} (on time in at least 90% of "
            f"replications); share per replication {_pct(res.get('planned_units_on_time'))}",
            "bold",
        ),
    ]
    defined = False
    for code in late:
        u = res["units"][code]
        if not u.get("feasible", True):
            lines.append((f"  {code}: CANNOT BE SERVED — {u['infeasible_reason']}", "red"))
            continue
        sides = late_sides(u)
        if not sides:  # results from before issue 19
            cause = CAUSE_WORDS.get(u.get("late_cause") or "", "?")
            lines.append((f"  {code} — {cause}: {u.get('late_reason') or ''}", "red"))
        for side, o in sides:
            text = fate(u, side, o, define=not defined and bool(o["missed_share"]))
            defined = defined or bool(o["missed_share"])
            cause = CAUSE_WORDS.get(o.get("late_cause") or "", "?")
            lines.append((f"  {code} {text} — {cause}: {o.get('late_reason') or ''}", "red"))
    walk = res.get("walk_ins_on_time")
    if walk is not None:
        lines.append((f"Walk-ins on time (share of stream arrivals): {_pct(walk)}", None))
    sl = _pct(res["service_level"])
    lines.append((f"service level (on time), every arrival alike, walk-ins included: {sl}", None))
    br = res.get("bottleneck_resource")
    what = f" ({CAUSE_WORDS.get(br['resource'], br['resource'])})" if br and br["late_unit_minutes"] else ""
    lines.append((f"bottleneck: {res['bottleneck']}{what} — {res['bottleneck_reason']}", None))
    placed = res.get("placement") or []
    if placed:
        parts = [
            f"{p['unit']} at {p['served_at']} {p['minutes']:.0f} min"
            + (f" ({p['nearest_feasible']} could serve it in time)" if p["nearest_feasible"] else "")
            for p in placed
        ]
        near = [p for p in placed if p["nearest_feasible"]]
        others = "the others" if near else "them"
        rest = "" if len(near) == len(placed) else f"; no station could serve {others} in time"
        lines.append(
            (
                f"placement (late by distance, minutes beyond target): {', '.join(parts)}{rest} — "
                f"for each: {PLACEMENT_LEVERS}",
                None,
            )
        )
    lines += [(line, None) for line in survive_lines(res)]
    assumed = res.get("assumptions") or []
    if assumed:
        lines.append(("Assumed (not set in the drill file):", None))
        lines += [(f"  • {a['text']}", "yellow" if a["drives"] else None) for a in assumed]
    return lines


def print_result(res: dict, out: Console) -> None:
    """The whole text output of ``jungong drill``."""
    width = min(out.width, 100) - 1
    for i, (line, style) in enumerate(headline(res)):
        if i == 0:  # the scenario's name may be CJK (two columns a character): rich wraps it
            out.print(line, style=style, markup=False, highlight=False)
            continue
        indent = " " * (4 if line.startswith("  ") else 2)
        text = textwrap.fill(line, width=width, subsequent_indent=indent, break_on_hyphens=False)
        out.print(text, style=style, markup=False, highlight=False)
    stations = _table("Stations (means over replications)")
    trucks = any((s.get("fuel_truck_utilisation") or {}).get("mean") for s in res["stations"].values())
    cols = ("station", "units", "on time", "fed", "wait", "seat use", "bay use", *(("truck use",) * trucks))
    for col in (*cols, "stock-outs"):
        stations.add_column(col, justify="left" if col == "station" else "right")
    for code, s in res["stations"].items():
        if s["units"]:
            stations.add_row(
                code,
                f"{s['units']:.0f}",
                _num(s["service_level"], "{:.0%}"),
                f"{s['served']:.0f}",
                _num(s["mean_wait_minutes"]["mean"], "{:.1f}"),
                _num(s["utilisation"]["mean"], "{:.1%}"),
                _num(s["refuel_bay_utilisation"]["mean"], "{:.1%}"),
                *((_num(s["fuel_truck_utilisation"]["mean"], "{:.1%}"),) * trucks),
                f"{s['stockouts']:.2f}",
            )
    out.print()
    out.print(stations)
    _print_beyond(res, out)
    _print_budgets(res, out)
    walk = {c: u for c, u in res["units"].items() if not u.get("planned", True)}
    if walk:
        table = _table("Walk-ins (streams)")
        for col in ("stream", "arrivals", "on time", "wait, min", "min to fed", "served at"):
            table.add_column(col, justify="left" if col in ("stream", "served at") else "right")
        for code, u in walk.items():
            table.add_row(
                code,
                f"{u['arrivals']:.0f}",
                _num(u["on_time_share"], "{:.0%}"),
                _num(u["mean_wait_minutes"]),
                _num(u["mean_minutes_to_fed"]),
                ",".join(u["stations"]),
            )
        out.print()
        out.print(table)
    out.print()
    out.print("Definitions", style="bold")
    for term, text in DEFINITIONS:
        out.print(textwrap.fill(f"{term}: {text}", width=width, subsequent_indent="  "), markup=False, highlight=False)


def _print_beyond(res: dict, out: Console) -> None:
    """Minutes beyond target per replication by station and resource (the bottleneck is the top station resource)."""
    rows = res.get("minutes_beyond_target") or []
    if not rows:
        return
    table = _table("Minutes beyond target, per replication, by station and resource")
    for col in ("station", "resource", "minutes", "units"):
        table.add_column(col, justify="right" if col == "minutes" else "left")
    for r in rows:
        table.add_row(r["station"], CAUSE_WORDS.get(r["resource"], r["resource"]), f"{r['minutes']:.0f}", by_unit(r))
    out.print()
    out.print(table)


def _print_budgets(res: dict, out: Console) -> None:
    """Each planned unit's time budget, one row per side (people; vehicles when it has any)."""
    planned = {c: u for c, u in res["units"].items() if u.get("planned", True)}
    rows: list[tuple[str, str, dict, dict, bool]] = []
    for code, u in planned.items():
        outcomes = u.get("outcomes") or {"people": {"time_budget": u.get("time_budget") or {}}}
        for side in ("people", "vehicles"):
            o = outcomes.get(side)
            if o:
                late = code in res.get("late_units", []) and side in (u.get("late_side") or "", "both")
                rows.append((code, side, o, u, late or (u.get("late_side") == "both" and code in res["late_units"])))
    used = [k for k in BUDGET_KEYS if any(o["time_budget"].get(k) for _, _, o, _, _ in rows)]
    table = _table(
        f"Planned units: minutes of the last person fed (ppl, target {res['target_minutes']:g}) or vehicle "
        "refuelled (veh, due by its stop or vehicle target)"
    )
    for col in ("unit", "side", "at", *(_BUDGET_HEAD[k] for k in used), "total", "beyond"):
        table.add_column(col, justify="left" if col in ("unit", "side", "at") else "right")
    for code, side, o, u, late in rows:
        tb = o["time_budget"]
        table.add_row(
            code,
            "veh" if side == "vehicles" else "ppl",
            ",".join(u["stations"]) or "—",
            *(_num(tb.get(k)) if tb.get(k) else "·" for k in used),
            _num(sum(tb.values())) if tb else "—",
            _num(o.get("minutes_beyond_target")) if o.get("minutes_beyond_target") else "·",
            style="red" if late else None,
        )
    table.caption = "beyond: minutes beyond target per replication; columns: see 'time budget' under Definitions"
    out.print()
    out.print(table)
