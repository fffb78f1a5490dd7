""" "What if, from now": a live drill's current state as a scenario the simulation can run.

The exercise stock on hand, the units still to come and the kitchen teams still available
replace the scenario's opening values, so a planner re-runs the drill from where it stands.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlmodel import Session

from supply.core.errors import InvalidArgumentError
from supply.core.scenario import Scenario
from supply.core.types import STOCK_ITEMS
from supply.drills.board import drill_units
from supply.drills.models import Drill
from supply.drills.teams import drill_view
from supply.service import ledger
from supply.service.models import Station, id_of, utcnow


def live_scenario(session: Session, drill: Drill, *, now: datetime | None = None) -> Scenario:
    """The drill's scenario from now: current exercise stock, units still to come, teams available.

    The horizon is what remains of the drill's; a unit not yet fed arrives at its planned time
    (at once if that has passed); field kitchens at a station are its kitchen teams not stood down
    (where the station has any kitchen team).
    """
    now = now or utcnow()
    data: dict[str, Any] = dict(drill.scenario)
    spec = dict(data.get("drill") or {})
    elapsed = max(0.0, (now - drill.start_at).total_seconds() / 60.0)
    hours = float(spec.get("hours", 0)) - elapsed / 60.0
    if hours <= 0:
        msg = f"drill {drill.id}: its {spec.get('hours')} h horizon is over"
        raise InvalidArgumentError(msg)
    served = {u.code for u in drill_units(session, id_of(drill)) if u.served_at is not None}
    units = []
    for u in spec.get("units", []):
        if u["code"] in served:
            continue
        minute = next(p["arrive_minute"] for p in drill.plan["units"] if p["code"] == u["code"])
        units.append({**u, "arrive": max(0.0, minute - elapsed)})
    streams = []
    for s in spec.get("streams", []):
        to = float(s.get("to_hour", spec["hours"])) - elapsed / 60.0
        if to > 0:
            streams.append({**s, "from_hour": max(0.0, float(s.get("from_hour", 0)) - elapsed / 60.0), "to_hour": to})
    events = []
    for e in spec.get("events", []):
        until = e.get("until_hour")
        if until is not None and until - elapsed / 60.0 <= 0:
            continue
        moved = {**e, "at_hour": max(0.0, e["at_hour"] - elapsed / 60.0)}
        if until is not None:
            moved["until_hour"] = until - elapsed / 60.0
        if "lose" in e and e["at_hour"] * 60 <= elapsed:
            continue  # a loss that already happened is in the ledger's stock
        events.append(moved)
    spec.update(hours=hours, units=units, streams=streams, events=events, warmup_hours=0)
    kitchens: dict[str, int] = defaultdict(int)
    teams = [t for t in drill_view(session, id_of(drill)) if t.kind == "kitchen"]
    for t in teams:
        kitchens[t.station] += t.status != "stood_down"
    has_kitchen_teams = {t.station for t in teams}
    stations = []
    for st in data["stations"]:
        stock = dict(st.get("stock") or {})
        for item in STOCK_ITEMS:
            if session.get(Station, st["code"]) is not None:
                stock[item] = max(0.0, ledger.balance(session, st["code"], item, True).available)
        st = {**st, "stock": stock}
        if st["code"] in has_kitchen_teams:
            st["field_kitchens"] = kitchens[st["code"]]
        stations.append(st)
    data.update(drill=spec, stations=stations)
    data["scenario"] = {**data["scenario"], "name": f"{data['scenario']['name']} — from live drill {drill.id}"}
    return Scenario.from_dict(data, source=f"drill:{drill.id}", base_dir=".")
