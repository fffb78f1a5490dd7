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
        "a unit late because of distance: no station resource can fix it; serve it nearer (the nearest "
        "station that could serve it in time if nobody else were there, when there is one) or move its halt.",
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
        "time budget",
        "where the minutes of a side's last person fed (last vehicle refuelled, or the one left unserved) went, "
        "from arrival: travel, waits for a seat, the kitchen (cook), stock, a refuel bay (bay), a field kitchen "
        "(mobile), a fuel truck (truck), water (water); service: meal, fuel.",
    ),
)
