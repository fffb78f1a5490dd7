"""The optimised action plan (``jungong plan --optimise``): a solver's plan, proved by simulation.

The solver (:mod:`~.optimise_model`, OR-Tools CP-SAT) chooses, for every planned unit, how and
where it is served — a station, or field kitchens from a station (how many), its vehicles at the
station's bays or by its fuel trucks where it halts (how many) — and when, on service times at a
stated percentile (``quantile``, default the 80th). The plan it chose becomes the drill's
``policy = "assigned"`` with each unit's ``serve_at``, ``support``, ``field_kitchens`` and
``fuel_trucks`` set (a unit the solver leaves unserved keeps its own settings), and is simulated
like any plan: the drill's replications on the same seeds as the policy's plan (common random
numbers), so the **gain** — per replication, planned units on time under the optimised plan
minus under the policy's plan — is a paired difference; its 95% interval is Student's t over
the replications.
"""

from __future__ import annotations

import copy
import html
import math
from collections.abc import Callable

from simulation.action_plan import _table, clock, plan_html, scenario_plan
from simulation.compiled import CompiledDrill, compile_drill
from simulation.optimise_model import Chosen, Solution, build_problem, solve
from simulation.records import ReplicationRecord
from simulation.spec import drill_spec
from simulation.stats import Welford
from supply.core.errors import InvalidArgumentError, NoPlanError
from supply.core.scenario import Scenario

QUANTILE = 0.8
TIME_LIMIT = 30.0
MAX_TIME_LIMIT = 600.0  # seconds: --time-limit is bounded
QUANTILES = (0.5, 0.99)  # --quantile's range

#: What each figure of the comparison is, printed with it.
DEFINITIONS = {
    "on_time": "planned units on time: mean over replications of the planned units (trains, convoys, ships) whose "
    "people were all fed within target_minutes of arrival and vehicles refuelled by their deadline; 95% CI (t)",
    "gain": "optimised minus policy plan, per replication on the same seeds (common random numbers); "
    "mean and paired 95% t-interval",
    "objective": "the solver's weighted sum of what is lost, lexicographic: units not on time first, then minutes "
    "beyond target, then field kitchens and fuel trucks sent, then the stations nearest each unit; "
    "bound: the best it proved possible",
}


def check_options(optimise: bool, time_limit: float | None, quantile: float | None) -> None:
    """Refuse (:class:`InvalidArgumentError`) a time limit or quantile out of range, or given without
    ``--optimise`` (they would be silently ignored), all faults at once."""
    faults = []
    if not optimise:
        given = [name for name, v in (("--time-limit", time_limit), ("--quantile", quantile)) if v is not None]
        if given:
            faults.append(f"{' and '.join(given)} only apply to the solver's plan: add --optimise")
    if time_limit is not None and not 1 <= time_limit <= MAX_TIME_LIMIT:
        faults.append(f"--time-limit {time_limit:g}: give 1 to {MAX_TIME_LIMIT:g} seconds")
    if quantile is not None and not QUANTILES[0] <= quantile <= QUANTILES[1]:
        faults.append(f"--quantile {quantile:g}: give a percentile as a share from {QUANTILES[0]} to {QUANTILES[1]}")
    if faults:
        raise InvalidArgumentError("; ".join(faults))


def optimise(plan: CompiledDrill, *, quantile: float = QUANTILE, time_limit: float = TIME_LIMIT) -> Solution:
    """The solver's plan for ``plan``'s planned units; :class:`NoPlanError` when it finds none."""
    sol = solve(build_problem(plan, quantile), time_limit)
    if sol.status == "UNKNOWN":
        msg = (
            f"the optimiser found no plan within its time limit of {time_limit:g} s "
            "(status UNKNOWN): give a longer --time-limit"
        )
        raise NoPlanError(msg)
    if sol.status not in ("OPTIMAL", "FEASIBLE"):
        raise NoPlanError(f"the optimiser found no plan (status {sol.status}): the solver refused the model")
    return sol


def assignment(plan: CompiledDrill, sol: Solution) -> list[dict]:
    """What the solver chose for each planned unit, with its planned minutes (at the quantile)."""
    return [_row(plan, c) for c in sol.chosen]


def _row(plan: CompiledDrill, c: Chosen) -> dict:
    o = c.option
    if o is None:
        return {"unit": c.unit, "support": None, "station": None, "served": False, "on_time": False}
    return {
        "unit": c.unit,
        "served": True,
        "support": o.support,
        "station": plan.stations[o.station].code,
        "field_kitchens": o.kitchens,
        "fuel_trucks": o.trucks,
        "start_minute": min(c.starts) if c.starts else None,
        "fed_minute": c.done[0],
        "refuelled_minute": c.done[1],
        "on_time": c.on_time,
        "minutes_beyond": c.beyond,
    }


def assigned_scenario(scenario: Scenario, rows: list[dict]) -> Scenario:
    """``scenario`` with its drill's policy ``assigned`` and each served unit's choice written in."""
    drill = copy.deepcopy(scenario.drill or {})
    drill["policy"] = "assigned"
    chosen = {r["unit"]: r for r in rows if r["served"]}
    for u in drill.get("units", []):
        r = chosen.get(u.get("code"))
        if r is None:
            continue
        u["serve_at"] = r["station"]
        u["support"] = r["support"]
        for key in ("field_kitchens", "water_trucks"):
            u.pop(key, None)
        if r["support"] == "mobile":
            u["field_kitchens"] = r["field_kitchens"]
        if u.get("vehicles"):
            u["fuel_trucks"] = r["fuel_trucks"]
    return scenario.model_copy(update={"drill": drill})


def on_time_counts(records: list[ReplicationRecord], units: int) -> list[int]:
    """Planned units on time in each replication."""
    return [sum(g.on_time for g in r.groups[:units]) for r in records]


def comparison(policy: str, before: list[int], after: list[int], units: int) -> dict:
    """Both plans' planned units on time and the paired gain (module docstring)."""
    a, b, d = Welford(), Welford(), Welford()
    for x, y in zip(before, after, strict=True):
        a.add(x)
        b.add(y)
        d.add(y - x)
    return {
        "planned_units": units,
        "replications": len(before),
        "policy": {"name": policy, **a.as_dict(3)},
        "optimised": b.as_dict(3),
        "gain": d.as_dict(3),
        "definitions": DEFINITIONS,
    }


def optimised_plan(
    scenario: Scenario,
    *,
    replications: int | None = None,
    seed: int | None = None,
    quantile: float = QUANTILE,
    time_limit: float = TIME_LIMIT,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """The optimised action plan: :func:`~.action_plan.scenario_plan`'s JSON of the solver's plan
    plus ``optimised``, ``assignment`` and ``comparison`` (against the drill's policy, same seeds)."""
    check_options(True, time_limit, quantile)
    spec = drill_spec(scenario)
    compiled = compile_drill(scenario, spec)
    sol = optimise(compiled, quantile=quantile, time_limit=time_limit)
    rows = assignment(compiled, sol)
    before: list[ReplicationRecord] = []
    policy_plan = scenario_plan(scenario, replications=replications, seed=seed, keep=before)
    after: list[ReplicationRecord] = []
    out = scenario_plan(assigned_scenario(scenario, rows), replications=replications, seed=seed, keep=after)
    by_code = {u["code"]: u for u in policy_plan["units"]}
    specs = {u.code: u for u in spec.units}
    for r in rows:
        was, u = by_code.get(r["unit"], {}), specs[r["unit"]]
        r["policy_station"] = was.get("station")
        r["policy_support"] = u.support
        r["policy_on_time_share"] = was.get("on_time_share")
        kitchens = r["support"] == "mobile" and u.field_kitchens is not None and r["field_kitchens"] != u.field_kitchens
        r["changed"] = r["served"] and (
            r["station"] != was.get("station")
            or r["support"] != u.support
            or kitchens
            or (r["support"] == "mobile" and u.support != "mobile")
            or r["fuel_trucks"] != u.fuel_trucks
        )
    n = len(spec.units)
    out["optimised"] = {
        "status": sol.status,
        "objective": _num(sol.objective),
        "bound": _num(sol.bound),
        "seconds": round(sol.seconds, 3),
        "time_limit": time_limit,
        "quantile": quantile,
        "planned_on_time": sol.on_time,
        "minutes_beyond_target": sol.beyond,
        "resources_moved": sol.moved,
    }
    out["assignment"] = rows
    out["comparison"] = comparison(spec.policy, on_time_counts(before, n), on_time_counts(after, n), n)
    return out


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(x, 3)


def comparison_lines(plan: dict) -> list[str]:
    """The optimised plan beside the policy's, in words (the CLI prints these)."""
    o, c = plan["optimised"], plan["comparison"]
    n = c["planned_units"]

    def share(d: dict) -> str:
        lo, hi = d["ci95"]
        return f"{d['mean']:.2f} of {n} [{lo:.2f}, {hi:.2f}]"

    g = c["gain"]
    lines = [
        f"planned units on time, simulated on the same {c['replications']} replications: "
        f"optimised {share(c['optimised'])} against policy '{c['policy']['name']}' {share(c['policy'])}; "
        f"gain {g['mean']:+.2f} [{g['ci95'][0]:+.2f}, {g['ci95'][1]:+.2f}] (paired 95%)",
        f"solver: {o['status']} in {o['seconds']:.1f} s, service times at their {o['quantile']:.0%} point: "
        f"planned {o['planned_on_time']} of {n} on time, {o['minutes_beyond_target']} min beyond target, "
        f"{o['resources_moved']} field kitchens and fuel trucks sent; objective {o['objective']} (bound {o['bound']})",
    ]
    if any(r["served"] and r["changed"] for r in plan["assignment"]):
        lines.append("what the solver changed against the policy's plan:")
    for r in plan["assignment"]:
        if r["served"] and r["changed"]:
            how = (
                f"by {r['field_kitchens']} field kitchens from {r['station']}"
                if r["support"] == "mobile"
                else f"at {r['station']}"
            )
            trucks = f", vehicles by {r['fuel_trucks']} fuel trucks" if r.get("fuel_trucks") else ""
            was = r["policy_station"] or "nowhere"
            was += ", by field kitchens" if r["policy_support"] == "mobile" else ""
            lines.append(f"  {r['unit']}: served {how}{trucks} (policy: {was})")
    lines.append("definitions: " + "; ".join(f"{k}: {v}" for k, v in DEFINITIONS.items()))
    return lines


def optimised_html(plan: dict) -> str:
    """The action plan's document (:func:`~.action_plan.plan_html`) with the optimiser's section:
    the comparison with the policy's plan and what it chose for each unit."""
    lines = comparison_lines(plan)
    rows = [
        [
            r["unit"],
            "not served" if not r["served"] else ("field kitchens" if r["support"] == "mobile" else "station"),
            r["station"] or "—",
            r.get("field_kitchens") or "—",
            r.get("fuel_trucks") or "—",
            clock(r.get("start_minute")),
            clock(r.get("fed_minute")),
            "yes" if r["on_time"] else "no",
            r.get("policy_station") or "—",
        ]
        for r in plan["assignment"]
    ]
    head = ["unit", "served by", "station", "field kitchens", "fuel trucks", "starts", "fed", "on time", "policy"]
    items = "".join(f"<li>{html.escape(x)}</li>" for x in lines[:2])
    defs = "".join(f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in DEFINITIONS.items())
    section = (
        "<h2>Optimised plan (solver) against the policy's plan</h2>"
        f"<ul>{items}</ul>{_table(head, rows)}"
        f'<p class="note">Times as planned by the solver at the {plan["optimised"]["quantile"]:.0%} point of the '
        f"service times; the simulation above is of this plan.</p><ul>{defs}</ul>"
    )
    return plan_html(plan).replace("</body>", section + "</body>", 1)
