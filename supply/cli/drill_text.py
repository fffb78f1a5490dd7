"""The drill's result as terminal text a planner reads top down, readable at 80 columns.

Order: the planned units first (how many on time, each late one with its cause), then the
walk-ins and the people-blind service level (labelled as such), the bottleneck resource, the
defaults assumed, and three narrow tables (stations, planned units' time budgets, walk-ins).
"""

from __future__ import annotations

import textwrap

from rich import box
from rich.console import Console
from rich.table import Table

from simulation.budget import BUDGET_KEYS

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
}
CAUSE_WORDS = {
    "travel": "travel",
    "seats": "seats",
    "kitchen": "kitchen",
    "stock": "stock",
    "refuel_bays": "refuel bays",
    "field_kitchens": "field kitchens",
    "dwell": "stop too short",
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
    units = {c: u for c, u in res["units"].items() if u.get("planned", True) and "stream" not in c}
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
    for code in late:
        u = units.get(code, res["units"][code])
        if not u.get("feasible", True):
            lines.append((f"  {code}: CANNOT BE SERVED — {u['infeasible_reason']}", "red"))
            continue
        fate = f"missed {u['missed_share']:.0%}" if u["missed_share"] else f"on time {u['on_time_share']:.0%}"
        cause = CAUSE_WORDS.get(u.get("late_cause") or "", "?")
        lines.append((f"  {code} ({fate}) — {cause}: {u.get('late_reason') or ''}", "red"))
    walk = res.get("walk_ins_on_time")
    if walk is not None:
        lines.append((f"Walk-ins on time (share of stream arrivals): {_pct(walk)}", None))
    sl = _pct(res["service_level"])
    lines.append((f"service level (on time), every arrival alike, walk-ins included: {sl}", None))
    br = res.get("bottleneck_resource")
    what = f" ({CAUSE_WORDS.get(br['resource'], br['resource'])})" if br else ""
    lines.append((f"bottleneck: {res['bottleneck']}{what} — {res['bottleneck_reason']}", None))
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
    for col in ("station", "units", "on time", "fed", "wait", "seat use", "bay use", "stock-outs"):
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
                f"{s['stockouts']:.2f}",
            )
    out.print()
    out.print(stations)
    planned = {c: u for c, u in res["units"].items() if u.get("planned", True)}
    budget = _table(f"Planned units: minutes of the last person or vehicle (target {res['target_minutes']:g})")
    for col in ("unit", "at", *(_BUDGET_HEAD[k] for k in BUDGET_KEYS), "total"):
        budget.add_column(col, justify="left" if col in ("unit", "at") else "right")
    for code, u in planned.items():
        tb = u.get("time_budget") or {}
        budget.add_row(
            code,
            ",".join(u["stations"]) or "—",
            *(_num(tb.get(k)) if tb.get(k) else "·" for k in BUDGET_KEYS),
            _num(sum(tb.values())) if tb else "—",
            style="red" if code in res.get("late_units", []) else None,
        )
    budget.caption = "waits: seat, cook, stock, bay, mobile (kitchen on its way); service: meal, fuel"
    out.print(budget)
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
