"""The definitions printed with every drill result (terminal text and HTML report), in one place.

Each figure a planner reads carries its definition; both outputs print these same sentences, so
the words never drift apart. The JSON keys they define are documented in docs/drill-results.md.
"""

from __future__ import annotations

#: (term, definition), in the order they are printed.
DEFINITIONS: tuple[tuple[str, str], ...] = (
    (
        "on time",
        "people: every person fed within the target (target_minutes from arrival); vehicles: every vehicle "
        "refuelled by its deadline — before its unit must start back (its stop), or within "
        "vehicle_target_minutes of arrival where the drill sets one. A planned unit is on time when both are, "
        "and counts as on time when that holds in at least 90% of replications.",
    ),
    ("late", "all served before moving on, but after the target (or the vehicles' target)."),
    (
        "missed",
        "the unit moved on with people unfed or vehicles unrefuelled (the share of replications in which it did; "
        "'people missed' and 'vehicles missed' are how many, per replication).",
    ),
    (
        "minutes beyond target",
        "per late side, the minutes past its target; per missed side, every minute its last unserved person or "
        "vehicle waited or travelled (there and back); charged to the resource waited for (distance, for "
        "travel), summed over units, per replication. The same figure wherever printed: the table 'Minutes "
        "beyond target' lists it by station and resource, the unit tables by unit and side.",
    ),
    (
        "placement",
        "a unit late because of distance: no station resource can fix it. 'Nearest station that could serve it "
        "in time' is one whose sittings, kitchen and bays would fit the target and the stop if nobody else "
        "were there.",
    ),
    (
        "wait (station)",
        "the mean full wait, from reaching the station to a seat and a meal, of the people seated there after "
        "the warm-up, per replication, then averaged over replications.",
    ),
    (
        "wait (unit, walk-ins)",
        "person-minutes waited (for a seat and a meal, or a field kitchen) up to the horizon, divided by the "
        "unit's people, pooled over replications.",
    ),
    (
        "stations",
        "units: arrivals assigned there, per replication; on time: their share on time (every arrival alike); "
        "fed: people fed, per replication; seat, bay and truck use: time-average share of seats, refuel bays and "
        "fuel trucks busy after the warm-up; stock-outs: draws on stock that came up short, per replication.",
    ),
    (
        "time budget",
        "where the minutes of a side's last person fed (last vehicle refuelled, or the one left unserved) went, "
        "from arrival: travel, waits for a seat, the kitchen (cook), stock, a refuel bay (bay), a field kitchen "
        "(mobile), a fuel truck (truck), water (water); service: meal, fuel; handover: meals handed where the unit "
        "halts, from its arrival to its last meal (the meals on their way, then the teams loading).",
    ),
)

#: Meals handed to a unit where it halts, and a station's readiness on notice (printed after :data:`DEFINITIONS`).
HANDOVER_NOTICE: tuple[tuple[str, str], ...] = (
    (
        "handover",
        'support = "handover": packed meals cooked at a station from handover_prep_minutes before the unit '
        "arrives (its kitchen output and stock) and loaded where the unit halts by the station's handover_teams, "
        "each handover_meals_per_minute; on time when everyone has a meal before the stop ends (dwell_minutes); "
        "late cause 'handover': too few teams, or the meals not there in time.",
    ),
    (
        "notice",
        "a station with standby_share below 1 has that share of its seats, kitchen output and refuel bays staffed "
        "before it is called; the rest come in evenly over readiness_hours from the first notice (arrival − "
        "notice_hours) of a unit it may serve; of the minutes charged to seats, kitchen and bays, the share of "
        "the unit's waits there that fell before the station was fully staffed is charged to 'notice'.",
    ),
)

DEFINITIONS += HANDOVER_NOTICE

#: What a planner can do about a unit late by distance (the model has each lever).
PLACEMENT_LEVERS = (
    'serve it nearer (serve_at), send field kitchens to its halt (support = "mobile") and fuel trucks to its '
    "vehicles (fuel_trucks), or move the halt"
)

#: A late cause in a planner's words.
CAUSE_WORDS = {
    "travel": "distance (placement)",
    "seats": "seats",
    "kitchen": "kitchen",
    "stock": "stock",
    "refuel_bays": "refuel bays",
    "field_kitchens": "field kitchens",
    "dwell": "stop too short",
    "fuel_trucks": "fuel trucks",
    "water_trucks": "water trucks",
    "handover": "handover (teams or meals not ready)",
    "notice": "notice (station not yet ready)",
}


def late_sides(u: dict) -> list[tuple[str, dict]]:
    """The late unit's sides to explain, the late side first (both when both are late)."""
    out = u.get("outcomes") or {}
    side = u.get("late_side") or "people"
    names = ["people", "vehicles"] if side == "both" else [side]
    if side == "both" and u.get("late_cause") == (out.get("vehicles") or {}).get("late_cause"):
        names.reverse()  # the side whose cause stands for the unit first
    return [(n, out[n]) for n in names if out.get(n)]


def fate(u: dict, side: str, o: dict, define: bool) -> str:
    """ "missed 100% (moved on with 38 vehicles unserved …)" or "on time 0%" for one side."""
    if not o["missed_share"]:
        return f"{side} on time {o['on_time_share']:.0%}"
    count = u.get(f"{side}_missed", 0) if side in ("people", "vehicles") else 0
    text = f"{side} missed {o['missed_share']:.0%}"
    if define:
        return text + f" (moved on with {count:.0f} {side} unserved, mean per replication)"
    return text + f" ({count:.0f} unserved)"


def by_unit(row: dict) -> str:
    """ "C-201 90, C-202 53": each unit's part of a row of ``minutes_beyond_target``."""
    parts = row.get("by_unit") or {}
    return ", ".join(f"{c} {parts[c]:.0f}" if c in parts else c for c in row["units"])
