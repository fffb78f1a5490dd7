"""The defaults a drill used because its file did not set them, and which late units they drive.

:func:`assumed` reads the scenario's raw ``[drill]`` table (what the planner wrote) against the
validated spec (what the model ran) and lists every key taken from a default: the target, the
meal and refuel times, the consumption factors (from the scenario's planning factors), the
restock lead times, the field kitchens' rates, and — where a drill uses them — the stations'
handover teams and readiness and each unit's notice. :func:`mark` then says which of them drive a
late unit: a default drives a unit whose late cause that parameter feeds (meal time → seats,
kitchen, dwell; refuel time → refuel bays, dwell; consumption and lead times → stock; field
kitchen rates → field kitchens; truck loads and rates → fuel or water trucks; the vehicles' deadline
→ late vehicles; the target → every late, not missed, unit).
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
    "drill.trucks.fuel_litres": ("fuel_trucks",),
    "drill.trucks.pump_litres_per_minute": ("fuel_trucks",),
    "drill.trucks.connect_minutes": ("fuel_trucks",),
    "drill.trucks.refill_minutes": ("fuel_trucks", "water_trucks"),
    "drill.trucks.water_litres": ("water_trucks",),
    "drill.units.vehicle_target_minutes": ("refuel_bays", "fuel_trucks", "travel"),
    "drill.units.field_kitchens": ("field_kitchens",),
    "drill.units.notice_hours": ("notice",),
    "drill.stations.readiness_hours": ("notice",),
    "drill.stations.standby_share": ("notice",),
    "drill.stations.handover_teams": ("handover",),
    "drill.stations.handover_meals_per_minute": ("handover",),
    "drill.stations.handover_prep_minutes": ("handover",),
}
#: Keys stated once per unit (the line names the unit: it drives only that unit).
_PER_UNIT = ("drill.units.field_kitchens", "drill.units.notice_hours")
#: Where each ``[drill.stations.CODE]`` default comes from (docs/planning-factors.md, "Kitchens, serving, stations").
_STATION_DEFAULTS = {
    "handover_teams": ("handover teams", "{:g} a station (assumption: a team at every second door of an 8-car train)"),
    "handover_meals_per_minute": (
        "handover rate",
        "{:g} meals a minute a team (~1,000 meals on a 16-car train in < 3 min, a team a car: People's Daily)",
    ),
    "handover_prep_minutes": ("handover preparation", "cooking and packing start {:g} min before arrival (assumption)"),
    "readiness_hours": ("readiness", "{:g} h to be fully ready: the traditional 6 h supply notice (PLA Daily)"),
    "standby_share": ("standby share", "{:.0%} staffed before notice (assumption: staffed from the drill's start)"),
}
#: Where each truck default comes from (docs/planning-factors.md, "Fuel and water trucks").
_TRUCK_DEFAULTS = {
    "fuel_litres": ("fuel truck load", "{:g} L (2,500-gal tanker, M978 HEMTT)"),
    "pump_litres_per_minute": ("fuel truck pump rate", "{:g} L/min a nozzle (assumption)"),
    "connect_minutes": ("time to move to a vehicle and hose up", "{:g} min (assumption)"),
    "refill_minutes": ("truck refill at its station", "{:g} min (assumption)"),
    "water_litres": ("water truck load", "{:g} L (2,000-gal water tank rack, ATP 4-44)"),
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
        for u in spec.units:
            if u.support == "mobile" and u.field_kitchens is None:
                out.append(
                    (
                        "drill.units.field_kitchens",
                        f"field_kitchens not set for {u.code}: one per {per:g} people, as many as its station has",
                    )
                )
    out += _truck_defaults(scenario, spec)
    out += _station_defaults(scenario, spec)
    if any(u.vehicles and u.vehicle_target_minutes is None for u in spec.units):
        what = "vehicles must be refuelled before their unit starts back (its stop)"
        out.append(("drill.units.vehicle_target_minutes", f"vehicle target not set: {what}"))
    return tuple(out)


def _station_defaults(scenario: Scenario, spec: DrillSpec) -> list[tuple[str, str]]:
    """The ``[drill.stations.CODE]`` defaults used: the handover ones of the stations that may hand a
    unit its meals, the readiness ones (and each unit's notice) when a station rehearses readiness
    (sets ``readiness_hours`` or ``standby_share``; elsewhere notice changes nothing)."""
    raw = (scenario.drill or {}).get("stations") or {}
    handover = any(u.support == "handover" for u in spec.units)
    keys = [k for k in _STATION_DEFAULTS if k.startswith("handover")] if handover else []
    codes = [s.code for s in scenario.stations]
    # readiness matters only where a station rehearses it (standby_share 1: notice changes nothing)
    readying = [c for c in codes if {"readiness_hours", "standby_share"} & set(raw.get(c) or {})]
    keys += ["readiness_hours", "standby_share"] if readying else []
    out = []
    named = {u.serve_at or u.station for u in spec.units if u.support == "handover"}
    for key in keys:
        may = codes if None in named else [c for c in codes if c in named]
        unset = [c for c in (may if key.startswith("handover") else readying) if key not in (raw.get(c) or {})]
        if unset:
            what, fmt = _STATION_DEFAULTS[key]
            value = fmt.format(getattr(spec.station(unset[0]), key))
            out.append((f"drill.stations.{key}", f"{what} not set at {_stations(unset, codes)}: {value}"))
    calm = [c for c in codes if c not in readying]
    if readying and calm:
        what = "fully staffed from the drill's start (standby_share 1: readiness not rehearsed)"
        out.append(("drill.stations", f"readiness not set at {_stations(calm, codes)}: {what}"))
    if readying:
        lead = spec.restock.lead_hours
        for u in spec.units:
            if u.notice_hours is None:
                text = f"notice not set for {u.code}: the restock lead, {lead:g} h (the traditional supply notice)"
                out.append(("drill.units.notice_hours", text))
    return out


def _stations(unset: list[str], codes: list[str]) -> str:
    """``GZ-HUB, N-WING`` — or, for more than three, ``9 stations (all but GZS-PT)``."""
    if len(unset) <= 3:
        return ", ".join(unset)
    rest = [c for c in codes if c not in unset]
    return f"{len(unset)} stations" + (f" (all but {', '.join(rest)})" if rest else " (all)")


def _truck_defaults(scenario: Scenario, spec: DrillSpec) -> list[tuple[str, str]]:
    """The ``[drill.trucks]`` defaults used: fuel ones when a unit takes fuel trucks, the water one
    when a mobile unit is supported from a station with water trucks."""
    raw = (scenario.drill or {}).get("trucks") or {}
    fuel = any(u.fuel_trucks for u in spec.units)
    water = any(u.support == "mobile" for u in spec.units) and any(s.water_trucks for s in scenario.stations)
    keys = [k for k in _TRUCK_DEFAULTS if (k == "water_litres" and water) or (k != "water_litres" and fuel)]
    out = []
    for key in keys:
        if key not in raw:
            what, fmt = _TRUCK_DEFAULTS[key]
            out.append((f"drill.trucks.{key}", f"{what} not set: {fmt.format(getattr(spec.trucks, key))}"))
    return out


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
            if key == "drill.units.vehicle_target_minutes":  # the vehicles' deadline: late vehicles only
                cause = cause if u.get("late_side") in ("vehicles", "both") else None
            if key in _PER_UNIT and f" {code}:" not in text:  # one line per unit
                continue
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
