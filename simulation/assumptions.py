"""The defaults a drill used because its file did not set them, and which late units they drive.

:func:`assumed` reads the scenario's raw ``[drill]`` table (what the planner wrote) against the
validated spec (what the model ran) and lists every key taken from a default: the target, the
meal and refuel times, the consumption factors (from the scenario's planning factors), the
restock lead times and the field kitchens' rates. :func:`mark` then says which of them drive a
late unit: a default drives a unit whose late cause that parameter feeds (meal time → seats,
kitchen, dwell; refuel time → refuel bays, dwell; consumption and lead times → stock; field
kitchen rates → field kitchens; the target → every late, not missed, unit).
"""

from __future__ import annotations

import math

from simulation.spec import DrillSpec
from supply.core.scenario import Scenario

#: key path → the late causes that parameter feeds ("*": every late unit).
_DRIVES: dict[str, tuple[str, ...]] = {
    "drill.target_minutes": ("*",),
    "drill.service.meal_minutes": ("seats", "kitchen", "dwell"),
    "drill.service.refuel_minutes": ("refuel_bays", "dwell"),
    "drill.consumption.meals_per_person": ("stock",),
    "drill.consumption.water_l_per_person": ("stock",),
    "drill.consumption.diesel_l_per_vehicle": ("stock",),
    "drill.restock.lead_hours": ("stock",),
    "drill.restock.depot_lead_hours": ("stock",),
    "drill.mobile.meals_per_hour_per_kitchen": ("field_kitchens",),
    "drill.mobile.people_per_kitchen": ("field_kitchens",),
}


def assumed(scenario: Scenario, spec: DrillSpec) -> tuple[tuple[str, str], ...]:
    """``(key path, what was assumed)`` for every default the drill used."""
    raw = scenario.drill or {}
    out: list[tuple[str, str]] = []
    if "target_minutes" not in raw:
        out.append(("drill.target_minutes", f"target not set: everyone fed within {spec.target_minutes:g} min"))
    service = raw.get("service") or {}
    for key, what in (("meal_minutes", "meal time"), ("refuel_minutes", "refuel time")):
        if key not in service:
            out.append((f"drill.service.{key}", f"{what} not set: {getattr(spec.service, key).describe()}"))
    cons = raw.get("consumption") or {}
    units = {
        "meals_per_person": ("meals per person", ""),
        "water_l_per_person": ("water per person", " L"),
        "diesel_l_per_vehicle": ("diesel per vehicle", " L"),
    }
    for key, (what, unit) in units.items():
        if key not in cons:
            value = getattr(spec.consumption, key)
            out.append((f"drill.consumption.{key}", f"{what} not set: {value:g}{unit} a stop (planning factors)"))
    restock = raw.get("restock") or {}
    for key, what in (("lead_hours", "restock from the hub"), ("depot_lead_hours", "restock of the hub")):
        if key not in restock:
            hours = getattr(spec.restock, key)
            out.append((f"drill.restock.{key}", f"{key.replace('_', ' ')} not set: {what} takes {hours:g} h"))
    if any(u.support == "mobile" for u in spec.units):
        mobile = raw.get("mobile") or {}
        rate, per = spec.mobile.meals_per_hour_per_kitchen, spec.mobile.people_per_kitchen
        if "meals_per_hour_per_kitchen" not in mobile:
            out.append(("drill.mobile.meals_per_hour_per_kitchen", f"field kitchen rate not set: {rate:g} meals/h"))
        if "people_per_kitchen" not in mobile:
            out.append(("drill.mobile.people_per_kitchen", f"people per field kitchen not set: {per:g}"))
    return tuple(out)


def mark(
    pairs: tuple[tuple[str, str], ...], late_units: list[str], units: dict[str, dict], seats: dict[str, int]
) -> list[dict]:
    """The JSON ``assumptions``: each default with the late units it drives and a note on how."""
    out = []
    for key, text in pairs:
        drives, notes = [], []
        feeds = _DRIVES.get(key, ())
        for code in late_units:
            u = units[code]
            cause = u["late_cause"]
            if cause in feeds or ("*" in feeds and cause != "dwell"):
                drives.append(code)
                have = seats.get(u["stations"][0], 0) if u["stations"] else 0
                if key == "drill.service.meal_minutes" and cause == "seats" and have:
                    notes.append(f"{math.ceil(u['headcount'] / have)} sittings for {code}")
        line = text + " assumed" + ("; " + ", ".join(notes) if notes else "")
        if drives:
            line += f" — drives late {', '.join(drives)}"
        out.append({"key": key, "assumed": text, "drives": drives, "text": line})
    return out
