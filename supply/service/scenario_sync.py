"""Loading a scenario into the database (``jungong db init``).

Stations, sites, items and reorder levels are upserted (names and capacities follow the
scenario); nothing is ever deleted. Opening stock is recorded once per (station, item, book) as
an ``opening`` receipt, only where that book has no movement yet, so running it again never
double-counts. The scenario's text is kept in the database so the server plans on the same map.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlmodel import Session, select

from supply.core.approvals import approval_rules
from supply.core.errors import Problem, ScenarioError
from supply.core.factors import factors_from_scenario, stock_policy
from supply.core.items import catalogue
from supply.core.scenario import Scenario, read_outline
from supply.core.scenario_teams import teams_from_scenario
from supply.service import ledger
from supply.service.audit import record
from supply.service.models import Item, Meta, Movement, ReorderLevel, Site, Station, opening_uid

log = logging.getLogger(__name__)

CAPACITY_KEYS = ("seats", "meals_per_hour", "beds", "refuel_bays", "field_kitchens", "water_trucks", "fuel_trucks")
#: Rates, not counts; every other capacity counts whole things (seats, beds, bays, kitchens, trucks).
RATE_KEYS = frozenset({"meals_per_hour"})


def whole_counts(capacity: dict[str, float]) -> dict[str, float]:
    """A station's capacities with its counts as whole numbers (``1500``, never ``1500.0``), rates as they are."""
    return {k: int(v) if k not in RATE_KEYS and float(v).is_integer() else v for k, v in capacity.items()}


BOOKS = (False, True)


def sync_scenario(session: Session, scenario: Scenario, text: str, *, actor: str = "cli") -> dict[str, int]:
    """Upsert the scenario's records and load opening stock; returns counts of what changed.

    Teams belong to live drills: :func:`supply.drills.teams.sync_scenario_with_teams` adds them.
    """
    items = catalogue(scenario)
    factors_from_scenario(scenario)  # validate the owned sections before touching anything
    teams_from_scenario(scenario)
    stock_policy(scenario)
    codes = {i.code for i in items}
    approval_rules(scenario, codes)
    problems = [
        Problem(scenario.source, f"stations[{n}].{table}.{code}", f"unknown item '{code}'")
        for n, st in enumerate(scenario.stations)
        for table, values in (("stock", st.stock), ("reorder", st.reorder))
        for code in values
        if code not in codes
    ]
    if problems:
        raise ScenarioError(problems)
    for spec in items:
        session.merge(Item(code=spec.code, name=spec.name, unit=spec.unit, lot_tracked=spec.lots))
    for st in scenario.stations:
        capacity = whole_counts({k: getattr(st, k) for k in CAPACITY_KEYS})
        session.merge(
            Station(code=st.code, name=st.name or st.code, tier=st.tier, lat=st.lat, lon=st.lon, capacity=capacity)
        )
    for site in scenario.sites:
        session.merge(
            Site(
                code=site.code, name=site.name or site.code, kind=site.kind, ring=site.ring, lat=site.lat, lon=site.lon
            )
        )
    for st in scenario.stations:
        for item, level in st.reorder.items():
            session.merge(ReorderLevel(station=st.code, item=item, level=level))
    session.merge(Meta(key="scenario_toml", value=text))
    session.merge(Meta(key="scenario_source", value=scenario.source))
    session.merge(Meta(key="scenario_base_dir", value=str(scenario.base_dir)))
    session.flush()
    ledger.ensure_lock_rows(session, [(s.code, i.code, b) for s in scenario.stations for i in items for b in BOOKS])
    opened = 0
    for st in scenario.stations:
        for item, qty in st.stock.items():
            for book in BOOKS:
                if qty > 0 and not _has_movements(session, st.code, item, book):
                    ledger.receive(
                        session,
                        actor,
                        st.code,
                        item,
                        qty,
                        "opening stock from the scenario",
                        exercise=book,
                        kind=ledger.OPENING,
                        seed=opening_uid(text, st.code, item, book),
                    )
                    opened += 1
    record(
        session,
        actor,
        "db.init",
        f"scenario:{Path(scenario.source).name}",
        detail={"stations": len(scenario.stations), "sites": len(scenario.sites), "opening_movements": opened},
    )
    return {
        "stations": len(scenario.stations),
        "sites": len(scenario.sites),
        "items": len(items),
        "opening_movements": opened,
    }


def _has_movements(session: Session, station: str, item: str, exercise: bool) -> bool:
    q = select(Movement.id).where(Movement.station == station, Movement.item == item, Movement.exercise == exercise)
    return session.exec(q.limit(1)).first() is not None


def stored_scenario(session: Session) -> Scenario | None:
    """The scenario the database was initialised from (``None`` before ``db init``)."""
    import tomllib

    text = session.get(Meta, "scenario_toml")
    if text is None:
        return None
    source = session.get(Meta, "scenario_source")
    base = session.get(Meta, "scenario_base_dir")
    data = tomllib.loads(text.value)
    sc = Scenario.from_dict(data, source=source.value if source else "<database>", base_dir=base.value if base else ".")
    try:  # the outline file is read again from the scenario's folder (the database keeps its name only)
        outline = read_outline(data, Path(sc.base_dir) / Path(sc.source).name, None)
    except ScenarioError as exc:
        log.warning("the scenario's outline is not drawn: %s", exc)
        outline = None
    return sc.model_copy(update={"outline_geojson": outline}) if outline else sc
