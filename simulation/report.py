"""A self-contained HTML report of a drill: tables and matplotlib plots inlined as base64 PNG.

It opens with no network: no scripts, fonts or styles are fetched. Takes the plain results
dict (:meth:`~.stats.DrillStats.as_dict`), so it can be rebuilt from saved JSON. It reads top
down as a planner asks: which planned units fail, on which side (people, vehicles) and why (a
stacked time-budget bar per unit and side against the target), the bottleneck resource,
placement, the defaults assumed, what to change (with ``--improve``), the minutes beyond
target by station and resource, the planned units side by side, then the stations, walk-ins,
the plots over time and the definitions of every figure (:mod:`~.definitions`, as the text
prints them). A plot with nothing to show is replaced by a sentence saying so.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import matplotlib

from simulation.budget import BUDGET_KEYS
from simulation.compare import text as compare_text
from simulation.definitions import CAUSE_WORDS, DEFINITIONS, PLACEMENT_LEVERS, by_unit, fate, late_sides
from simulation.survive import survive_lines

matplotlib.use("Agg")  # no display; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}.bad{color:#b00}
img{max-width:100%;border:1px solid #eee;margin:.5em 0}.note{color:#555}.big{font-size:1.15em}
"""


def _png(fig: plt.Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return f'<img alt="plot" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def _busy_stations(res: dict) -> list[str]:
    return [c for c, s in res["stations"].items() if s["units"]]


def _empty(sentence: str) -> str:
    return f'<p class="note">{html.escape(sentence)}</p>'


def _series_plot(res: dict, key: str, ylabel: str, title: str, empty: str) -> str:
    series = res["series"]
    hours = series["bin_minutes"] / 60
    lines = {}
    for code in _busy_stations(res):
        ys = [float("nan") if y is None else y for y in series[key].get(code, [])]
        if ys and any(y == y and y > 0 for y in ys):
            lines[code] = ys
    if not lines:
        return _empty(empty)
    fig, ax = plt.subplots(figsize=(10, 3.6))
    for code, ys in lines.items():
        ax.step([(i + 1) * hours for i in range(len(ys))], ys, where="pre", label=code)
    ax.set_xlabel("hour of the drill")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if ax.lines:
        ax.legend(fontsize=8, ncol=4)
    return _png(fig)


def _histogram(res: dict) -> str:
    hist = res["minutes_to_fed_histogram"]
    n = max(res["replications"], 1)
    w, counts = hist["bin_minutes"], [c / n for c in hist["counts"]]
    if not any(counts):
        return _empty("Nobody was fed in any replication: no distribution of minutes to fed to show.")
    fig, ax = plt.subplots(figsize=(10, 3.2))
    ax.bar([i * w for i in range(len(counts))], counts, width=w, align="edge", color="#4477aa")
    used = [i for i, c in enumerate(counts) if c]
    ax.set_xlim(0, max(res["target_minutes"], (used[-1] + 2) * w if used else w) * 1.05)
    ax.axvline(res["target_minutes"], color="#b00", linestyle="--", label=f"target {res['target_minutes']:g} min")
    ax.set_xlabel("minutes from arrival to fed (last bin: longer)")
    ax.set_ylabel("arrivals per replication")
    ax.set_title("Distribution of minutes to fed")
    ax.legend()
    return _png(fig)


def _service_by_station(res: dict) -> str:
    codes = [c for c in _busy_stations(res) if res["stations"][c]["service_level"] is not None]
    if not codes:
        return _empty("No station served any arrival: no service level by station to show.")
    fig, ax = plt.subplots(figsize=(10, 3.2))
    bars = ax.bar(codes, [res["stations"][c]["service_level"] for c in codes], color="#228833")
    ax.bar_label(bars, labels=[f"{res['stations'][c]['service_level']:.0%}" for c in codes], padding=2)
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("share served on time")
    ax.set_title("Service level by station")
    return _png(fig)


_COLOURS = {
    "travel": "#999999",
    "seat_wait": "#cc3311",
    "kitchen_wait": "#ee7733",
    "stock_wait": "#aa3377",
    "meal": "#4477aa",
    "refuel_wait": "#ccbb44",
    "refuel": "#66ccee",
    "mobile_wait": "#228833",
    "truck_wait": "#997700",
    "water_wait": "#77aadd",
    "handover": "#332288",
}


def _side_rows(res: dict) -> list[tuple[str, str, dict, dict]]:
    """(unit, side, side outcome, unit) for every planned unit: people, then vehicles when it has any."""
    rows = []
    for code, u in res["units"].items():
        if not u.get("planned"):
            continue
        outcomes = u.get("outcomes") or {"people": {"time_budget": u.get("time_budget") or {}, "late_cause": None}}
        rows += [(code, side, o, u) for side in ("people", "vehicles") if (o := outcomes.get(side))]
    return rows


def _budget_plot(res: dict) -> str:
    """One stacked bar per planned unit and side: where its last person's (vehicle's) minutes went, vs the target."""
    rows = [r for r in _side_rows(res) if r[2].get("time_budget")]
    if not rows:
        return _empty("The drill has no planned units: no time budgets to show.")
    units = {f"{c} {'vehicles' if side == 'vehicles' else 'people'}": o for c, side, o, _ in rows}
    due = {  # the vehicles' own deadline: their target, else the stop
        f"{c} vehicles": u.get("vehicle_target_minutes") or u.get("dwell_minutes")
        for c, side, _, u in rows
        if side == "vehicles"
    }
    codes = list(units)
    fig, ax = plt.subplots(figsize=(10, 0.5 * len(codes) + 1.6))
    left = [0.0] * len(codes)
    for key in BUDGET_KEYS:
        widths = [units[c]["time_budget"].get(key, 0.0) for c in codes]
        if any(widths):
            ax.barh(codes, widths, left=left, color=_COLOURS[key], label=key.replace("_", " "))
            left = [a + b for a, b in zip(left, widths, strict=True)]
    for i, total in enumerate(left):
        cause = units[codes[i]].get("late_cause")
        ax.text(
            total + 2,
            i,
            f"{total:.0f} min" + (f" — {CAUSE_WORDS.get(cause, cause)}" if cause else ""),
            va="center",
            fontsize=8,
        )
    target = res["target_minutes"]
    ax.axvline(target, color="#b00", linestyle="--", label=f"people's target {target:g} min")
    marks = [(codes.index(c), m) for c, m in due.items() if m]
    if marks:
        ax.scatter(
            [m for _, m in marks],
            [i for i, _ in marks],
            marker="|",
            s=400,
            color="#000",
            zorder=3,
            label="vehicles' deadline (stop or vehicle target)",
        )
    ax.invert_yaxis()
    ax.set_xlim(0, max([*left, res["target_minutes"], *(m for _, m in marks)]) * 1.35)
    ax.set_xlabel("minutes from arrival of the side's last person fed (vehicle refuelled, or one left unserved)")
    ax.set_title("Where each planned unit's time went, people and vehicles (mean over replications)")
    ax.legend(fontsize=8, ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False)
    return _png(fig)


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _ci(d: dict, fmt: str = "{:.2f}") -> str:
    if d["mean"] is None:
        return "—"
    lo, hi = d["ci95"]
    return f"{fmt.format(d['mean'])} [{fmt.format(lo)}, {fmt.format(hi)}]"


def _late_items(res: dict) -> list[str]:
    """One list item per late side of each late unit; "missed" defined in words where first shown."""
    e = html.escape
    items, defined = [], False
    for code in res.get("late_units", []):
        u = res["units"][code]
        if not u.get("feasible", True):
            items.append(f"<li class='bad'><b>{e(code)}</b> cannot be served: {e(u['infeasible_reason'])}</li>")
            continue
        for side, o in late_sides(u) or [("people", {**u, "late_cause": u.get("late_cause")})]:
            text = fate(u, side, o, define=not defined and bool(o["missed_share"]))
            defined = defined or bool(o["missed_share"])
            cause = CAUSE_WORDS.get(o.get("late_cause") or "", "?")
            items.append(f"<li><b>{e(code)}</b> {e(text)} — <b>{e(cause)}</b>: {e(o.get('late_reason') or '')}</li>")
    return items


def _placement(res: dict) -> str:
    e = html.escape
    placed = res.get("placement") or []
    if not placed:
        return ""
    rows = [
        [
            e(p["unit"]),
            e(str(p["served_at"])),
            f"{p['minutes']:.0f}",
            e(p["nearest_feasible"] or "none"),
        ]
        for p in placed
    ]
    levers = f"<p>For each: {e(PLACEMENT_LEVERS)}.</p>"
    return (
        "<h2>Placement: late by distance</h2>"
        + levers
        + _table(
            ["unit", "served at", "minutes beyond target by distance", "nearest station that could serve it in time"],
            rows,
        )
    )


def _headline(res: dict) -> list[str]:
    """Planned units first, each late one with its sides' causes; then walk-ins, the service level, the bottleneck."""
    e = html.escape
    planned = [c for c, u in res["units"].items() if u.get("planned")]
    late = res.get("late_units", [])
    items = _late_items(res)
    walk = res.get("walk_ins_on_time")
    br = res.get("bottleneck_resource") or {}
    out = [
        f"<p class='big'><b>Planned units on time: {len(planned) - len(late)} of {len(planned)}</b> (on time in at "
        f"least 90% of replications); share per replication {_pct(res.get('planned_units_on_time'))}.</p>",
        f"<ul>{''.join(items)}</ul>" if items else "",
        "<p>"
        + (f"Walk-ins on time (share of stream arrivals): {_pct(walk)}. " if walk else "")
        + f"Service level, every arrival alike, walk-ins included: {_pct(res['service_level'])}.</p>",
        f"<p><b>Bottleneck:</b> {e(str(res['bottleneck']))}"
        + (f" — {e(CAUSE_WORDS.get(br['resource'], br['resource']))}" if br and br["late_unit_minutes"] else "")
        + f": {e(res['bottleneck_reason'])}.</p>",
    ]
    assumed = res.get("assumptions") or []
    if assumed:
        out.append("<h2>Assumed (not set in the drill file)</h2><ul>")
        out += [f"<li{' class=bad' if a['drives'] else ''}>{e(a['text'])}</li>" for a in assumed]
        out.append("</ul>")
    return out


def _beyond(res: dict) -> str:
    """The minutes beyond target by station and resource (the bottleneck's figure is its top station resource)."""
    e = html.escape
    rows = [
        [
            e(r["station"]),
            e(CAUSE_WORDS.get(r["resource"], r["resource"])),
            f"{r['minutes']:.0f}",
            e(by_unit(r)),
        ]
        for r in res.get("minutes_beyond_target") or []
    ]
    if not rows:
        return ""
    return "<h2>Minutes beyond target, per replication, by station and resource</h2>" + _table(
        ["station", "resource", "minutes", "units"], rows
    )


def _sides_table(res: dict) -> str:
    """Each planned unit's people and vehicles: outcome, cause, minutes beyond target and time budget."""
    e = html.escape
    rows = _side_rows(res)
    used = [k for k in BUDGET_KEYS if any(o["time_budget"].get(k) for _, _, o, _ in rows)]
    body = []
    for code, side, o, _ in rows:
        tb = o["time_budget"]
        share = o.get("on_time_share")
        body.append(
            [
                e(code),
                side,
                "—" if share is None else f"{share:.0%}",
                f"{o['missed_share']:.0%}" if o.get("missed_share") is not None else "—",
                e(CAUSE_WORDS.get(o.get("late_cause") or "", "")),
                f"{o['minutes_beyond_target']:.0f}" if o.get("minutes_beyond_target") else "·",
                *(f"{tb[k]:.0f}" if tb.get(k) else "·" for k in used),
                f"{sum(tb.values()):.0f}",
            ]
        )
    heads = ["unit", "side", "on time", "missed", "late cause", "minutes beyond target", *used, "total"]
    return "<h2>Planned units, people and vehicles</h2>" + _table([h.replace("_", " ") for h in heads], body)


def _survive(res: dict) -> str:
    """Time to survive after each closure the drill's events make (nothing when none closes a link)."""
    lines = survive_lines(res)
    if not lines:
        return ""
    items = "".join(f"<li>{html.escape(line.strip())}</li>" for line in lines)
    return f"<h2>Time to survive after a closure</h2><ul class='survive'>{items}</ul>"


def _pct(d: dict | None) -> str:
    return "—" if d is None else _ci(d, "{:.1%}")


def improvement_html(imp: dict) -> str:
    """The ``jungong improve`` answer: its steps with their cost and effect, whether the goal is
    reached, each unit still late with why no step helps, and the costs assumed."""
    e = html.escape
    base = imp["baseline"]["planned_units_on_time"]
    items = "".join(
        f"<li>{e(step['action'])} (cost {step.get('cost', 0):g}): planned units on time "
        f"{_pct(step['planned_units_on_time'])}, gain {_ci(step['gain'], '{:+.1%}')} (paired, 95%)</li>"
        for step in imp["steps"]
    )
    verdict = "reaches" if imp["reached"] else "does not reach"
    late = "".join(f"<li>{e(u['unit'])}: {e(u['reason'])}</li>" for u in imp.get("unreachable", []))
    costs = ", ".join(f"{e(k)} {v['cost']:g}{'*' if v['assumed'] else ''}" for k, v in imp.get("costs", {}).items())
    return (
        f"<h2>What to change, costed step by step</h2><p>Goal: {imp['goal']:.0%} of planned units on time per "
        f"replication (now {_pct(base)}). Same random numbers for every candidate.</p>"
        f"<ol>{items}</ol><p>This {verdict} the goal (total cost {imp.get('total_cost', 0):g})."
        f"{' ' + e(imp.get('note', '')) if imp.get('note') else ''}</p>"
        + (f"<p>Still late, and why no step helps:</p><ul>{late}</ul>" if late else "")
        + (f"<p>Cost points per item, [improve.costs] (* default): {costs}.</p>" if costs else "")
    )


def render(res: dict, comparison: dict | None = None, improvement: dict | None = None) -> str:
    """The report as one HTML string."""
    e = html.escape
    station_rows = [
        [
            e(c),
            _ci(s["mean_wait_minutes"]),
            _ci(s["utilisation"], "{:.1%}"),
            f"{s['served']:.0f}",
            f"{s['stockouts']:.2f}",
            "—" if s["service_level"] is None else f"{s['service_level']:.0%}",
        ]
        for c, s in res["stations"].items()
        if s["units"]
    ]
    unit_rows = [
        [
            e(c),
            f"{u['arrivals']:g}",
            "—" if u["on_time_share"] is None else f"{u['on_time_share']:.0%}",
            e(u.get("late_side") or ""),
            e(CAUSE_WORDS.get(u.get("late_cause") or "", "")),
            "—" if u["mean_wait_minutes"] is None else f"{u['mean_wait_minutes']:.0f}",
            "—" if u["mean_minutes_to_fed"] is None else f"{u['mean_minutes_to_fed']:.0f}",
            f"{u['missed_share']:.0%}" if u["missed_share"] is not None else "—",
            f"{u['people_missed']:.0f}",
            f"{u['vehicles_missed']:.0f}",
            e(", ".join(u["stations"])),
        ]
        for c, u in res["units"].items()
    ]
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Drill report: {e(res['scenario'])}"
        f"</title><style>{_CSS}</style></head><body>",
        f"<h1>Drill rehearsal: {e(res['scenario'])}</h1>",
        f"<p>{res['replications']} replications, seed {res['seed']}, {res['hours']:g} hours, target "
        f"{res['target_minutes']:g} min, policy <b>{e(res['policy'])}</b>.</p>",
        *_headline(res),
        _placement(res),
        _budget_plot(res),
        improvement_html(improvement) if improvement else "",
        _beyond(res),
        _sides_table(res),
        "<h2>Disruptions</h2><ul>"
        + "".join(f"<li>from minute {d['from_minute']:g}: {e(d['state'])}</li>" for d in res["disruptions"])
        + "</ul>",
        _survive(res),
        "<h2>Stations</h2>",
        _table(
            ["station", "mean wait, min [95% CI]", "seat use [95% CI]", "people fed", "stock-outs", "on time"],
            station_rows,
        ),
        "<h2>Units</h2>",
        _table(
            [
                "unit",
                "arrivals",
                "on time",
                "late side",
                "late cause",
                "wait, min",
                "min to fed",
                "missed",
                "people missed",
                "vehicles missed",
                "served at",
            ],
            unit_rows,
        ),
        "<h2>Plots</h2>",
        _series_plot(
            res,
            "queue",
            "people waiting",
            "Queue length over time (mean over replications)",
            "Nobody queued for a seat at any station: no queue to plot.",
        ),
        _series_plot(
            res,
            "stock_meals",
            "meals in stock",
            "Meal stock over time (mean over replications)",
            "No station tracks its meal stock (untracked stock is unlimited): no stock to plot.",
        ),
        _histogram(res),
        _service_by_station(res),
    ]
    if comparison:
        rows = []
        for r in comparison["rows"]:
            shown = compare_text(r)
            cells = [shown["a"], shown["b"], shown["difference"], shown["p"], shown["note"]]
            rows.append([e(r.get("name", r["metric"])), *(e(c) for c in cells)])
            rows[-1].insert(5, "<b>yes</b>" if r["significant"] else "no")
        parts += [
            f"<h2>Compared with {e(comparison['b'])}</h2>",
            "<p>Shares in %, differences in percentage points (pp); p: Welch's t-test over replications; "
            "a dash where a plan has no value, the note says why.</p>",
            _table(
                ["metric", e(comparison["a"]), e(comparison["b"]), "B − A", "p (Welch)", "significant", "note"], rows
            ),
        ]
    parts.append(
        "<h2>Definitions</h2><dl>"
        + "".join(f"<dt><b>{e(term)}</b></dt><dd>{e(text)}</dd>" for term, text in DEFINITIONS)
        + "</dl>"
    )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(res: dict, path: str | Path, comparison: dict | None = None, improvement: dict | None = None) -> Path:
    """Write the report; returns the path."""
    out = Path(path)
    out.write_text(render(res, comparison, improvement), encoding="utf-8")
    return out
