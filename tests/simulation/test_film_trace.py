"""The simulated film's script comes from the model's own records of one replication.

The recorder changes nothing (the traced replication's record equals the untraced one's), the
replication chosen is the median or the worst by planned units on time, and every event of the
script is what the model did: a unit's "fed" is its last person's meal, a move ends where the
unit arrives, along the route of the network as disrupted when it set off.
"""

from __future__ import annotations

import pytest

from simulation.compiled import compile_drill
from simulation.film import film_timeline, parse_replication, run_records
from simulation.model import run_replication
from simulation.spec import drill_spec
from simulation.trace import choose, planned_on_time, replication_seed, traced_replication
from supply.core.errors import InvalidArgumentError
from supply.core.scenario import load_scenario

REPS = 6


@pytest.fixture(scope="module")
def drill():
    sc = load_scenario(None)
    spec = drill_spec(sc)
    return sc, spec, compile_drill(sc, spec)


def test_the_trace_changes_nothing(drill):
    _, spec, plan = drill
    for index in (0, 4):
        untraced = run_replication(plan, replication_seed(spec.seed, REPS, index), index)
        traced, recorder = traced_replication(plan, spec.seed, REPS, index)
        assert traced.groups == untraced.groups and traced.stations == untraced.stations
        assert recorder.steps and recorder.stock


def test_median_and_worst_by_planned_units_on_time(drill):
    _, spec, plan = drill
    records = run_records(plan, replications=REPS, seed=spec.seed)
    n = len(spec.units)
    counts = sorted(planned_on_time(r, n) for r in records)
    assert planned_on_time(choose(records, n, "median"), n) == counts[(REPS - 1) // 2]
    assert planned_on_time(choose(records, n, "worst"), n) == counts[0]
    assert [r.index for r in run_records(plan, replications=REPS, seed=spec.seed, workers=2)] == list(range(REPS))


def test_replication_argument():
    assert parse_replication("median") == "median" and parse_replication("worst") == "worst"
    assert parse_replication("3") == 3
    for bad in ("0", "-1", "best", "1.5"):
        with pytest.raises(InvalidArgumentError, match="--replication"):
            parse_replication(bad)
    with pytest.raises(InvalidArgumentError, match="replications 1 to 4"):
        film_timeline(load_scenario(None), replication=5, replications=4)


def test_the_script_is_the_models_record(drill):
    sc, spec, plan = drill
    tl = film_timeline(sc, replication=2, replications=REPS)
    record, _ = traced_replication(plan, spec.seed, REPS, 1)
    assert tl.about["index"] == 2 and tl.about["on_time"] == planned_on_time(record, len(spec.units))
    groups = {g.code: g for g in record.groups}
    units = {u.code: u for u in spec.units}
    fed = {e.subject: e for e in tl.events if e.kind == "fed"}
    assert fed
    for code, e in fed.items():
        g = groups[code]
        if not g.served:  # moved on with some unfed: the model keeps no minutes to fed
            continue
        # minutes to fed, as the model recorded it, is the fed event's minute less the unit's arrival
        assert e.minute - units[code].arrive == pytest.approx(g.minutes_to_fed_sum, abs=1e-6)
        assert e.station in g.stations or units[code].support == "mobile"
    left = {e.subject for e in tl.events if e.kind in ("leaves", "missed")}
    assert left == {g.code for g in record.groups[: len(spec.units)] if g.arrivals - g.unfinished}
    places = {p.code: (p.lat, p.lon) for p in tl.places}
    for m in tl.moves:
        assert m.path[0] == pytest.approx(places[m.origin]) and m.path[-1] == pytest.approx(places[m.destination])
    arrivals = {(e.subject, e.station): e.minute for e in tl.events if e.kind == "arrives"}
    for m in tl.moves:
        if m.kind == "unit" and (m.subject, m.destination) in arrivals:
            assert m.end == pytest.approx(arrivals[m.subject, m.destination])


def test_no_unit_crosses_a_closed_bridge(drill):
    sc, _, _ = drill
    tl = film_timeline(sc, replication=1, replications=REPS)
    bridge = next(d for d in tl.disruptions if d.kind == "close")
    assert bridge.ref == "GZ-NS-BRIDGE" and (bridge.start, bridge.end) == (30 * 60, 42 * 60) and bridge.segments
    closed = {frozenset(s) for s in bridge.segments}
    during = [m for m in tl.moves if bridge.active(m.start)]
    assert during, "some trip starts while the bridge is closed"
    for m in during:
        assert not {frozenset(pair) for pair in zip(m.path, m.path[1:], strict=False)} & closed, m


def test_a_unit_handed_its_meals_stays_at_its_halt(tmp_path):
    """Handover (issue 23): the train stays at S from minute 60; H's teams drive its meals out and back."""
    from maps.film.state import Script
    from tests.simulation.drill_helpers import drill_scenario
    from tests.simulation.test_drill_handover_notice import TRAIN

    sc = drill_scenario(tmp_path, TRAIN.format(unit='support = "handover"', h="handover_teams = 4"), seats=100)
    tl = film_timeline(sc, replications=3)
    said = [(e.kind, e.station) for e in tl.events if e.subject == "T" and e.kind not in ("departs", "on_site")]
    assert said[0] == ("arrives", "S") and ("fed", "S") in said and said[-1] == ("leaves", "S")
    assert [k for k, _ in said].count("arrives") == 1
    arrive = next(e.minute for e in tl.events if e.kind == "arrives")
    assert arrive == 60
    teams = [m for m in tl.moves if m.kind == "handover"]
    assert [(m.origin, m.destination) for m in teams] == [("H", "S"), ("S", "H")] and teams[0].end <= arrive + 1e-9
    assert [(u.subject, u.station) for u in Script(tl).at(61).at_station] == [("T", "S")]
