"""The action plan (行动方案) of a drill, from its simulation: plain JSON and a printable HTML page.

:func:`action_plan` runs the drill's replications keeping each record, and reads off:

* **who serves whom** — each unit's station is the one the simulation sent it to most often
  (its share of replications is given), with the travel time from the unit's site, and when it
  must be notified (``notify_minute``: arrival − its notice); a unit handed its meals where it
  halts (``support = "handover"``) has no travel but a ``handover`` entry: the teams, when the
  station starts cooking, the meals' drive and the loading time;
* **when teams and vehicles leave** — a team that goes out (transport, medical, security, and the
  kitchen and water teams for a unit on mobile support) leaves its station ``travel`` minutes before the
  unit arrives at its site; a team that works at the station must be ready when the unit
  reaches the station;
* **expected stock draw per station and hour** — each unit draws ``headcount × meals/water per
  person`` and ``vehicles × diesel per vehicle`` in the hour it reaches its station; streams draw
  ``rate × headcount`` per hour while they run;
* **risks** — the bottleneck station and resource (:meth:`~.stats.DrillStats.bottleneck`), the
  units whose on-time share is under :data:`LATE_SHARE` with their late cause, and the units that
  cannot be served at all before they must leave (``feasible: false`` with ``infeasible_reason``,
  :mod:`~.feasibility`): the document and the text list those first, never as a plain assignment.
  Such a unit is **never scheduled**: no station (``station`` is ``null``, ``scheduled`` false,
  ``nearest_station`` the one its reason is about), no times at a station, no team leaving or
  standing ready for it, no stock drawn for it — a live drill started from the plan proposes no
  dispatch for it;
* **the 95% bands** the after-action review measures reality against: the 2.5th–97.5th
  percentiles *across replications* of the on-time share of the scheduled units, of each unit's
  minutes to fed and of each station's meals drawn (a band for one drill's outcome, not a
  confidence interval of the mean); and, under ``bands``, of the stock issued to units per
  station and item (meals, water, diesel — counted whether the station's stock is tracked or
  not, never the hub's restock transfers; unlike ``meals_drawn``, which counts the people fed,
  a unit that took its meals but moved on unfed still drew them) and in total, and of the one
  procedure step the simulation can time: **serving**, from the first scheduled unit's arrival to the last one fed
  (a replication where some unit is never fed has no serving time and is left out; the band
  says how many were complete).
"""

from __future__ import annotations

import html
import math
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

import numpy as np

from simulation.compiled import CompiledDrill, compile_drill
from simulation.model import run_replication
from simulation.records import ReplicationRecord
from simulation.spec import ConsumptionSpec, DrillSpec, drill_spec
from simulation.stats import DrillStats
from supply.core.scenario import Scenario
from supply.core.scenario_teams import MOBILE_KINDS, teams_from_scenario
from supply.core.types import STOCK_ITEMS

#: A unit on time in fewer replications than this is flagged as likely late.
LATE_SHARE = 0.9


def _band(values: list[float]) -> dict:
    xs = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    if xs.size == 0:
        return {"mean": None, "band95": [None, None]}
    lo, hi = np.percentile(xs, [2.5, 97.5])
    return {"mean": round(float(xs.mean()), 3), "band95": [round(float(lo), 3), round(float(hi), 3)]}


def action_plan(
    scenario: Scenario,
    teams: list[dict],
    *,
    replications: int | None = None,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    keep: list[ReplicationRecord] | None = None,
) -> dict:
    """The action plan of ``scenario``'s drill; ``teams`` are plain dicts (code, station, kind, vehicles…).

    ``progress(done, total)`` is called after each replication (it may raise to stop the run);
    ``keep``, when given, receives every replication's record (the optimiser pairs two plans on them).
    """
    spec = drill_spec(scenario)
    plan = compile_drill(scenario, spec)
    n = spec.replications if replications is None else replications
    seed = spec.seed if seed is None else seed
    stats = DrillStats(plan, seed)
    records = []
    for index, ss in enumerate(np.random.SeedSequence(seed).spawn(n)):
        rec = run_replication(plan, ss, index)
        stats.add(rec)
        records.append(rec)
        if progress is not None:
            progress(index + 1, n)
    if keep is not None:
        keep.extend(records)
    result = stats.as_dict()
    units = _units(spec, plan, records)
    for u in units:
        s = result["units"][u["code"]]
        u.update(feasible=s["feasible"], infeasible_reason=s["infeasible_reason"], late_cause=s["late_cause"])
        u.update(scheduled=bool(s["feasible"]), nearest_station=stats.feasibility[u["code"]].station or u["station"])
        if not u["scheduled"]:  # never scheduled: no station, no times there, no team, no stock (module docstring)
            u.update(station=None, station_share=0.0, travel_minutes=None, at_station_minute=None, fed_minute=None)
    nunits = len(spec.units)
    per_rep_share = [
        sum(g.on_time for g in r.groups[:nunits]) / max(1, sum(g.arrivals for g in r.groups[:nunits])) for r in records
    ]
    per_person = plan.consumption.meals_per_person
    meals_drawn = {
        st.code: _band([float(r.stations[k].served * per_person) for r in records])
        for k, st in enumerate(plan.stations)
    }
    bands = _bands(spec, plan, records)
    stockouts = {c: s["stockouts"] for c, s in result["stations"].items() if s["stockouts"]}
    return {
        "scenario": plan.name,
        "replications": n,
        "seed": seed,
        "hours": spec.hours,
        "target_minutes": spec.target_minutes,
        "units": units,
        "departures": _departures(teams, units),
        "stock_draw": _stock_draw(spec, plan.consumption, stats, units),
        "service_level": _band(per_rep_share),
        "meals_drawn": {c: b for c, b in meals_drawn.items() if b["mean"]},
        "bands": bands,
        "risks": {
            "bottleneck": result["bottleneck"],
            "bottleneck_reason": result["bottleneck_reason"],
            "bottleneck_resource": result["bottleneck_resource"],
            "late_units": [u["code"] for u in units if u["likely_late"]],
            "infeasible_units": [u["code"] for u in units if not u["feasible"]],
            "stockouts": stockouts,
        },
    }


#: What the serving step's band measures (the review measures reality the same way).
SERVING_MEASURE = "first unit arrival to last unit fed"


def _bands(spec: DrillSpec, plan: CompiledDrill, records: list[ReplicationRecord]) -> dict:
    """95% bands of the stock drawn (per station and item, and in total) and of the serving step."""
    drawn = {
        st.code: {item: _band([float(r.stations[k].drawn[j]) for r in records]) for j, item in enumerate(STOCK_ITEMS)}
        for k, st in enumerate(plan.stations)
    }
    total = {
        item: _band([float(sum(s.drawn[j] for s in r.stations)) for r in records]) for j, item in enumerate(STOCK_ITEMS)
    }
    spans = []
    first = min((u.arrive for u in spec.units), default=math.nan)
    for r in records:
        groups = r.groups[: len(spec.units)]
        if not groups or not all(g.served for g in groups):
            spans.append(math.nan)
            continue
        spans.append(max(u.arrive + g.minutes_to_fed_sum for u, g in zip(spec.units, groups, strict=True)) - first)
    complete = sum(not math.isnan(x) for x in spans)
    serving = {**_band(spans), "measure": SERVING_MEASURE, "replications_complete": complete}
    return {"stock_drawn": drawn, "stock_drawn_total": total, "steps": {"serving": serving}}


def _units(spec: DrillSpec, plan: CompiledDrill, records: list[ReplicationRecord]) -> list[dict]:
    """Each scheduled unit: its most frequent station, travel, expected times and minutes-to-fed band."""
    codes = [s.code for s in plan.stations]
    n = len(records)
    units = []
    for i, u in enumerate(spec.units):
        seen = Counter(r.groups[i].stations[0] for r in records if r.groups[i].stations)
        station, count = seen.most_common(1)[0] if seen else (None, 0)
        fed = [r.groups[i].minutes_to_fed_sum if r.groups[i].served else math.nan for r in records]
        on_time = sum(r.groups[i].on_time for r in records) / n
        travel = math.nan
        if station is not None:
            to = float(plan.epoch_at(u.arrive).to_station[plan.places.index(u.place), codes.index(station)])
            travel = to if math.isfinite(to) else math.nan
        band = _band(fed)
        handover = _handover(spec, plan, i, station)
        if handover is not None:  # the troops stay at their halt: the meals travel, not they
            travel = math.nan
        units.append(
            {
                "code": u.code,
                "place": u.place,
                "station": station,
                "station_share": round(count / n, 3),
                "arrive_minute": u.arrive,
                "headcount": u.headcount,
                "vehicles": u.vehicles,
                "dwell_minutes": u.dwell_minutes,
                "support": u.support,
                "travel_minutes": None if math.isnan(travel) else round(travel, 1),
                "at_station_minute": None if math.isnan(travel) else round(u.arrive + travel, 1),
                "fed_minute": None if band["mean"] is None else round(u.arrive + band["mean"], 1),
                "depart_minute": None if u.dwell_minutes is None else u.arrive + u.dwell_minutes,
                "minutes_to_fed": band,
                "on_time_share": round(on_time, 4),
                "likely_late": on_time < LATE_SHARE,
                "notice_hours": spec.notice_minutes(u) / 60,
                "notify_minute": u.arrive - spec.notice_minutes(u),
            }
            | ({"handover": handover} if handover is not None else {})
        )
    return units


def _handover(spec: DrillSpec, plan: CompiledDrill, i: int, station: str | None) -> dict | None:
    """A handover unit's meals: the station's teams, when cooking starts, the drive and the loading time."""
    u = spec.units[i]
    if u.support != "handover" or station is None:
        return None
    k = [s.code for s in plan.stations].index(station)
    st = plan.stations[k]
    drive = float(plan.epoch_at(u.arrive).from_station[k, plan.places.index(u.place)])
    rate = st.handover_teams * st.handover_meals_per_minute
    return {
        "teams": st.handover_teams,
        "meals_per_minute": st.handover_meals_per_minute,
        "cook_from_minute": max(0.0, u.arrive - st.handover_prep_minutes),
        "drive_minutes": round(drive, 1) if math.isfinite(drive) else None,
        "loading_minutes": round(u.headcount / rate, 1) if rate else None,
    }


def _stock_draw(spec: DrillSpec, cons: ConsumptionSpec, stats: DrillStats, units: list[dict]) -> dict:
    """Expected draw per station and hour: units in the hour they reach the station, streams while they run."""
    draw: dict[str, dict[int, dict[str, float]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(float)))

    def add(station: str, hour: int, people: float, vehicles: float) -> None:
        row = draw[station][hour]
        row["meals"] += people * cons.meals_per_person
        row["water_l"] += people * cons.water_l_per_person
        row["diesel_l"] += vehicles * cons.diesel_l_per_vehicle

    for u in units:
        if u["station"] is not None and u.get("handover") and u.get("scheduled", True):  # cooked at the station
            add(u["station"], int(u["handover"]["cook_from_minute"] // 60), u["headcount"], 0)
        if u["station"] is not None and u["at_station_minute"] is not None:
            add(u["station"], int(u["at_station_minute"] // 60), u["headcount"], u["vehicles"])
    for j, s in enumerate(spec.streams):
        station = s.station or next(iter(stats.groups[spec.stream_code(j)].stations), None)
        if station is None:
            continue
        end = spec.hours if s.to_hour is None else s.to_hour
        for h in range(int(s.from_hour), math.ceil(end)):
            groups = s.rate_per_hour * (min(end, h + 1) - max(s.from_hour, h))
            add(station, h, groups * s.headcount, groups * s.vehicles)
    return {
        st: [{"hour": h, **{k: round(v, 1) for k, v in items.items()}} for h, items in sorted(hours.items())]
        for st, hours in sorted(draw.items())
    }


def _departures(teams: list[dict], units: list[dict]) -> list[dict]:
    """When each team leaves (teams that go out) or must be ready (teams that work at the station)."""
    out = []
    for t in sorted(teams, key=lambda t: (t["station"], t["code"])):
        for u in units:
            if u["station"] != t["station"]:
                continue
            base = {
                "team": t["code"],
                "kind": t["kind"],
                "station": t["station"],
                "unit": u["code"],
                "vehicles": t.get("vehicles", 0),
            }
            # mobile support: the field kitchens and the water trucks go to the unit's site (simulation.spec.UnitSpec)
            goes_out = t["kind"] in MOBILE_KINDS or (t["kind"] in ("kitchen", "water") and u["support"] == "mobile")
            ho = u.get("handover")
            if ho and not goes_out:  # cooks the packed meals
                out.append({**base, "action": "ready", "minute": ho["cook_from_minute"], "to": t["station"]})
            elif ho and ho["drive_minutes"] is not None:  # goes with the meals to the halt
                minute = round(u["arrive_minute"] - ho["drive_minutes"], 1)
                out.append({**base, "action": "leave", "minute": minute, "to": u["place"]})
            elif goes_out and u["travel_minutes"] is not None:
                minute = round(u["arrive_minute"] - u["travel_minutes"], 1)
                out.append({**base, "action": "leave", "minute": minute, "to": u["place"]})
            elif not goes_out and u["at_station_minute"] is not None:
                out.append({**base, "action": "ready", "minute": u["at_station_minute"], "to": t["station"]})
    out.sort(key=lambda d: (d["minute"], d["team"]))
    return out


def scenario_plan(
    scenario: Scenario,
    *,
    replications: int | None = None,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    keep: list[ReplicationRecord] | None = None,
) -> dict:
    """:func:`action_plan` with the scenario's own ``[[teams]]``."""
    teams = [t.model_dump() for t in teams_from_scenario(scenario)]
    return action_plan(scenario, teams, replications=replications, seed=seed, progress=progress, keep=keep)


def clock(minute: float | None, start: datetime | None = None) -> str:
    """``D1 06:30`` from minutes since the drill's start, or a wall-clock time from ``start``."""
    if minute is None or (isinstance(minute, float) and math.isnan(minute)):
        return "—"
    if start is not None:
        return (start + timedelta(minutes=minute)).strftime("%Y-%m-%d %H:%M")
    day, rest = divmod(int(round(minute)), 1440)
    return f"D{day + 1} {rest // 60:02d}:{rest % 60:02d}"


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1000px}
h1{font-size:1.5em}h2{font-size:1.15em;border-bottom:1px solid #999;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0;width:100%}td,th{border:1px solid #bbb;padding:2px 6px;text-align:left}
th{background:#eee}.late{color:#b00;font-weight:bold}.note{color:#555;font-size:.9em}
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}table{page-break-inside:auto}
tr{page-break-inside:avoid}}
"""


def _table(head: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join(
        f'<tr class="{(classes or [""] * len(rows))[i]}">'
        + "".join(f"<td>{html.escape(str(c))}</td>" for c in r)
        + "</tr>"
        for i, r in enumerate(rows)
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def infeasible_first(units: list[dict]) -> list[dict]:
    """Units that cannot be served before they must leave first, then the rest in plan order."""
    return sorted(units, key=lambda u: u.get("feasible", True))


def _handovers(plan: dict, start: datetime | None) -> str:
    """The meals handed to units where they halt: who cooks, when, the teams and the loading time."""
    rows = [
        [
            u["code"],
            u["station"],
            clock(h["cook_from_minute"], start),
            "—" if h["drive_minutes"] is None else f"{h['drive_minutes']:.0f}",
            f"{h['teams']} × {h['meals_per_minute']:g}/min",
            "—" if h["loading_minutes"] is None else f"{h['loading_minutes']:.1f}",
            "—" if u["dwell_minutes"] is None else f"{u['dwell_minutes']:g}",
        ]
        for u in plan["units"]
        if (h := u.get("handover")) and u["station"] is not None
    ]
    if not rows:
        return ""
    head = ["unit", "cooked at", "cooking from", "drive, min", "teams", "loading, min", "stop, min"]
    return "<h2>Meals handed over where the unit halts</h2>" + _table(head, rows)


def plan_html(plan: dict, start: datetime | None = None) -> str:
    """The action plan as one printable, self-contained HTML page (no scripts, no fetched assets)."""
    e = html.escape
    r = plan["risks"]
    sl = plan["service_level"]
    ordered = infeasible_first(plan["units"])
    units = _table(
        [
            "unit",
            "place",
            "arrives",
            "served at",
            "notify by",
            "share",
            "travel, min",
            "at station",
            "expected fed",
            "departs",
            "on time",
        ],
        [
            [
                u["code"],
                u["place"],
                clock(u["arrive_minute"], start),
                (u["station"] or "nowhere")
                if u.get("feasible", True)
                else f"CANNOT BE SERVED (not scheduled, no stock drawn): {u['infeasible_reason']}",
                clock(u.get("notify_minute"), start) + f" ({u.get('notice_hours', 0):g} h)",
                f"{u['station_share']:.0%}",
                "—" if u["travel_minutes"] is None else f"{u['travel_minutes']:.0f}",
                clock(u["at_station_minute"], start),
                clock(u["fed_minute"], start),
                clock(u["depart_minute"], start),
                f"{u['on_time_share']:.0%}",
            ]
            for u in ordered
        ],
        ["late" if u["likely_late"] else "" for u in ordered],
    )
    deps = (
        _table(
            ["time", "team", "kind", "station", "action", "for unit", "to", "vehicles"],
            [
                [
                    clock(d["minute"], start),
                    d["team"],
                    d["kind"],
                    d["station"],
                    d["action"],
                    d["unit"],
                    d["to"],
                    d["vehicles"],
                ]
                for d in plan["departures"]
            ],
        )
        if plan["departures"]
        else '<p class="note">No teams in the scenario ([[teams]]).</p>'
    )
    draws = "".join(
        f"<h3>{e(st)}</h3>"
        + _table(
            ["hour from", "meals", "water, L", "diesel, L"],
            [
                [
                    clock(h["hour"] * 60, start),
                    f"{h.get('meals', 0):.0f}",
                    f"{h.get('water_l', 0):.0f}",
                    f"{h.get('diesel_l', 0):.0f}",
                ]
                for h in hours
            ],
        )
        for st, hours in plan["stock_draw"].items()
    )
    causes = {u["code"]: u.get("late_cause") for u in plan["units"]}
    late = ", ".join(f"<b>{e(c)}</b>" + (f" ({e(causes[c])})" if causes.get(c) else "") for c in r["late_units"])
    cannot = "".join(
        f"<li class='late'>{e(u['code'])} cannot be served before it must leave: {e(u['infeasible_reason'])} "
        "— not scheduled: no team, no dispatch and no stock for it</li>"
        for u in ordered
        if not u.get("feasible", True)
    )
    band = sl["band95"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Action plan — {e(plan["scenario"])}</title>
<style>{_CSS}</style></head><body>
<h1>Action plan (行动方案): {e(plan["scenario"])}</h1>
<p class="note">From {plan["replications"]} simulated replications (seed {plan["seed"]}), horizon
{plan["hours"]:g} h, target: everyone fed within {plan["target_minutes"]:g} minutes of arrival.
EXERCISE — not a record of real operations.</p>
<h2>Risks</h2>
<ul>{cannot}<li>Bottleneck: <b>{e(str(r["bottleneck"]))}</b> — {e(r["bottleneck_reason"])}</li>
<li>Units likely to be late (on time in under {LATE_SHARE:.0%} of replications): {late or "none"}</li>
<li>On-time share of the scheduled units: {sl["mean"] if sl["mean"] is None else f"{sl['mean']:.0%}"}
(95% band {band[0] if band[0] is None else f"{band[0]:.0%}"}–{band[1] if band[1] is None else f"{band[1]:.0%}"})</li>
<li>Stock-outs per replication: {e(", ".join(f"{k}: {v}" for k, v in r["stockouts"].items()) or "none")}</li></ul>
<h2>Who serves whom</h2>{units}
<p class="note">Notify by: when the unit's notice reaches its stations (arrival − notice_hours; default the
restock lead); a station readying on notice has its standby share staffed until then.</p>{_handovers(plan, start)}
<h2>Teams and vehicles: when to leave or be ready</h2>{deps}
<h2>Expected stock draw per station and hour</h2>{draws}
</body></html>
"""
