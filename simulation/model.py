"""One replication of a drill in SimPy.

Every arrival (a scheduled unit, or a group from a Poisson stream) is assigned a station by the
drill's policy at the moment it arrives, on the travel times of the disruption epoch then in
force: ``earliest`` (default) picks the smallest travel + estimated service time from the
commitments at that moment, ``nearest`` the smallest travel time, ``assigned`` the unit's
``serve_at`` station. Troops then travel to the station, or (``support = "mobile"``) field
kitchens (a ``simpy.Resource``) drive to the site and hand out meals at their rate.

At a station each person draws a meal (and water) from stock — waiting for a restock if it is
out — queues first come first served for a seat, gets the next meal the kitchen has ready
(:class:`~.station.Kitchen`), eats for a ``meal_minutes`` draw and leaves; each vehicle draws
diesel and queues for a refuel bay. A person's *wait* is from reaching the station to having a
seat and a meal. Seats and bays are :class:`~.station.SeatPool` s (exact FIFO multi-server
queues); with one person per arrival, exponential meals and no kitchen limit a station is M/M/c.

A unit with ``dwell_minutes`` must start back at ``arrive + dwell - travel back``: whoever is
unfed then leaves unserved (a seat is freed at once) and the unit is *missed*.

**Two sides.** Each arrival is also judged side by side (:class:`~.records.SideRecord`): its
people against ``target_minutes`` from arrival, its vehicles against their own deadline (the
moment it must start back, or ``vehicle_target_minutes`` from arrival where the drill sets one).

**Fuel trucks.** A unit with ``fuel_trucks = N`` has its vehicles refuelled where it halts: up to
N of its station's trucks (a ``simpy.Resource``) drive out, each refuels its share of the
vehicles one after another (``connect_minutes`` + litres ÷ pump rate each), driving back to
refill when its tank runs dry, and returns. The diesel is drawn from the station's stock. A
station without trucks refuels the unit at its bays. **Water trucks** carry a mobile-support
unit's water with its field kitchens: when the trucks sent cannot carry it all, the kitchens wait
for the second trip (modelled only at stations that have water trucks, a resource shared by the units).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Generator
from functools import partial
from typing import Any

import numpy as np
import simpy
from simpy.resources.container import ContainerGet

from simulation import budget, handover
from simulation.compiled import Arrival, CompiledDrill, Epoch
from simulation.records import GroupRecord, ReplicationRecord, SideRecord
from simulation.station import Station

_BUDGET_KEYS = len(budget.BUDGET_KEYS)
HIST_WIDTH = 5.0
HIST_BINS = 144  # 12 hours in 5-minute bins; the last bin is open-ended


class _Side:
    """Running totals of one side (people or vehicles) of a group's arrivals."""

    __slots__ = ("counts", "budgets", "budget_n", "blame")

    def __init__(self) -> None:
        self.counts = {"on_time": 0, "late": 0, "missed": 0, "unfinished": 0}
        self.budgets: list[budget.Budget] = []  # summed at the end (budget_sum)
        self.budget_n = 0
        self.blame = [0.0] * len(budget.CAUSES)

    @property
    def budget_sum(self) -> tuple[float, ...]:
        """The budgets summed key by key, in the order they came (a running sum: the same digits
        as adding each to a running total as it came)."""
        if not self.budgets:
            return tuple(budget.zero())
        return tuple(np.add.accumulate(np.array(self.budgets), axis=0)[-1].tolist())

    def record(self) -> SideRecord:
        c = self.counts
        budget_sum, blame = self.budget_sum, tuple(self.blame)
        return SideRecord(c["on_time"], c["late"], c["missed"], c["unfinished"], budget_sum, self.budget_n, blame)


class _Group:
    """Running totals of one group's arrivals."""

    __slots__ = (
        "code",
        "counts",
        "people",
        "people_missed",
        "vehicles_missed",
        "fed_sum",
        "wait_sum",
        "stations",
        "blame",
        "sides",
    )

    def __init__(self, code: str) -> None:
        self.code = code
        self.counts = {"on_time": 0, "late": 0, "missed": 0, "unfinished": 0}
        self.people = self.people_missed = self.vehicles_missed = 0
        self.fed_sum = self.wait_sum = 0.0
        self.stations: dict[str, None] = {}
        self.blame = [0.0] * len(budget.CAUSES)  # both sides
        self.sides = (_Side(), _Side())


#: A recorder told what happened to planned units (kind, minute, facts): :mod:`simulation.trace`.
Trace = Callable[[str, float, dict[str, Any]], None]
#: What to do with ``k`` people or vehicles of a visit once their stock is drawn.
_Then = Callable[["_Visit", int], None]


class _Visit:
    """One arrival being served at one station."""

    __slots__ = (
        "arrival",
        "station",
        "t0",
        "t1",
        "deadline",
        "fed",
        "refuelled",
        "resolved",
        "done_at",
        "last",
        "fed_last",
        "waiting",
        "wait_sum",
        "vehicle_wait",
        "closed",
        "reached",
        "people_resolved",
        "wait_beyond",
        "person",
        "person_end",
        "vehicle",
        "vehicle_end",
        "vdeadline",
        "vend",
        "veh_last",
        "trucks",
        "nveh",
    )

    def __init__(self, arrival: Arrival, station: Station, t0: float, deadline: float) -> None:
        self.arrival, self.station, self.t0, self.deadline = arrival, station, t0, deadline
        # the vehicles' own deadline: vehicle_target_minutes from arrival, else the stop
        self.vdeadline = t0 + arrival.vehicle_target if arrival.vehicle_target is not None else deadline
        self.vend = deadline  # when the last vehicle can be refuelled (with fuel trucks: when the unit leaves its halt)
        self.veh_last = t0  # latest refuel finished
        self.trucks = 0  # fuel trucks sent (0: vehicles refuel at the station's bays)
        self.nveh = 0 if arrival.mobile else arrival.vehicles  # vehicles this visit serves
        self.t1 = t0
        self.fed = self.refuelled = 0
        self.resolved = 0  # people and vehicles whose fate is known
        self.done_at: float | None = None
        self.last = t0  # latest finish among those served (meals and refuels)
        self.fed_last = t0  # latest meal finished
        self.waiting: list[ContainerGet] = []  # stock gets blocked by a stock-out
        self.wait_sum = 0.0  # person-minutes waiting (seat and meal, or a field kitchen)
        self.vehicle_wait = 0.0  # vehicle-minutes waiting for a bay
        self.closed = False
        self.reached = False  # troops at the station (on-site support)
        self.people_resolved = 0  # people past the stock draw (the rest wait for a restock)
        self.wait_beyond = 0.0  # of wait_sum, the minutes past the horizon (unfinished visits drop them)
        # Time budgets (budget.BUDGET_KEYS) of the last person fed and last vehicle refuelled so
        # far, and when they finished (inf: left unserved at the deadline).
        self.person: budget.Budget | None = None
        self.person_end = -math.inf
        self.vehicle: budget.Budget | None = None
        self.vehicle_end = -math.inf

    def track(self, vehicle: bool, end: float, parts: dict[int, float], travel: float | None = None) -> None:
        """Keep ``parts`` (budget index → minutes) as the last person's (vehicle's) budget if it
        finished at ``end`` after the one kept so far; an unserved one (``inf``) always wins.
        ``travel``: minutes on the road (default: the troops' drive to the station)."""
        if end < (self.vehicle_end if vehicle else self.person_end):
            return
        b = budget.zero()
        b[budget.TRAVEL] = self.t1 - self.t0 if travel is None else travel
        for k, m in parts.items():
            b[k] = m if m > 0.0 else 0.0  # max(0.0, m), nan and -0.0 alike
        if vehicle:
            self.vehicle, self.vehicle_end = b, end
        else:
            self.person, self.person_end = b, end


class _Env(simpy.Environment):
    """SimPy's environment whose clock the model may move (``_now``) to a moment no event is due
    before (:meth:`Model._walk_ins`), and whose place in the queue of events an event may take
    before it is known to be needed (:meth:`reserve`, :meth:`call_later`)."""

    def reserve(self) -> int:
        """Take the next event id, as scheduling an event now would: events scheduled later, at the
        same moment, go after the one :meth:`call_later` may schedule with it."""
        return next(self._eid)

    def call_later(self, eid: int, delay: float, callback: Callable[[simpy.Event], None]) -> None:
        """Call ``callback`` in ``delay`` minutes, ordered among events due then by the id ``eid``
        reserved earlier: what ``timeout(delay).callbacks.append(callback)`` would have done at the
        moment of :meth:`reserve` (the clock has not moved since)."""
        ev = simpy.Event(self)
        ev._ok, ev._value = True, None  # a timeout's: processed as succeeded
        ev.callbacks.append(callback)
        heapq.heappush(self._queue, (self._now + delay, simpy.core.NORMAL, eid, ev))


class Model:
    """The drill's SimPy model for one replication. ``run()`` returns its record."""

    def __init__(
        self, plan: CompiledDrill, rng: np.random.Generator, index: int = 0, trace: Trace | None = None
    ) -> None:
        self.plan, self.rng, self.index = plan, rng, index
        self.trace = trace  # a film's recorder (simulation.trace); None: nothing recorded
        self.env = _Env()
        self.walk_ins = 0  # stream arrivals (taken without SimPy events: see _walk_ins)
        self.stations = [
            Station(self.env, s, plan.horizon, plan.called_at(i) if s.standby_share < 1 else math.inf)
            for i, s in enumerate(plan.stations)
        ]
        self.groups = [_Group(code) for code in plan.groups]
        self.hist = [0] * HIST_BINS
        self.fed_minutes: list[float] = []
        self.open: list[_Visit] = []
        self.meal_mean = plan.meal.expected
        self.refuel_mean = plan.refuel.expected
        self.resolved_events = 0  # seat/bay taken, meal or refuel done, seat freed: 3 per person served
        # Meal and refuel draws, in the order the model asks for them. A kind drawn ahead in chunks
        # when it is the only kind that draws random numbers (the same numbers either way).
        refuels = plan.refuel.dist != "fixed" and any(a.vehicles and not a.mobile for a in plan.arrivals)
        meals = plan.meal.dist != "fixed"
        self.draw_meals = plan.meal.sampler(rng, buffered=not refuels)
        self.draw_refuels = plan.refuel.sampler(rng, buffered=not meals)
        self.table_rows: dict[tuple[int, int], tuple[list[float], list[float]]] = {}
        self.one_epoch = plan.epochs[0] if len(plan.epochs) == 1 else None  # no disruption: no epoch to look up
        # Arrivals with people only, served on site, and stations with seats not readying on notice:
        # such an arrival at such a station, there on arrival, is resolved by _plain.
        # (Planned units are left to the general path when a film is recorded: it traces their steps.)
        self.plain = {
            id(a)
            for a in plan.arrivals
            if not (a.vehicles or a.mobile or a.fuel_trucks or a.handover)
            and a.headcount > 0
            and (trace is None or a.rate_per_min > 0)
        }
        self.plain_at = {s for s, st in enumerate(self.stations) if st.seats is not None and st.ramp is None}

    def run(self) -> ReplicationRecord:
        env, plan = self.env, self.plan
        streams, times = [], []
        for i, a in enumerate(plan.arrivals):
            if a.handover:  # its meals are cooked before it arrives
                self._schedule_handover(a)
                continue
            if a.rate_per_min > 0:
                n = self.rng.poisson(a.rate_per_min * (a.until - a.arrive))
                times.append(np.sort(self.rng.uniform(a.arrive, a.until, n)))  # Poisson: uniform given the count
                streams.append(np.full(n, i))
            else:
                env.timeout(a.arrive).callbacks.append(partial(self._arrive, a))
        for t, s, item, qty in plan.losses:
            env.timeout(t).callbacks.append(partial(self._lose, s, item, qty))
        for c in plan.closures:
            env.timeout(c.minute).callbacks.append(self._snapshot)
        if streams:
            self._walk_ins(np.concatenate(times), np.concatenate(streams))
        env.run(until=plan.horizon)
        return self._record()

    def _walk_ins(self, times: np.ndarray, which: np.ndarray) -> None:
        """The streams' arrivals (``times``, of ``plan.arrivals[which]``), in time order, each at its
        moment: SimPy runs the events due before it, the clock jumps to it and the model takes it
        (no event object, no heap entry). As when each was a SimPy timeout scheduled first: an
        arrival goes before any other event due at the same moment, two streams' in stream order."""
        env, arrivals, horizon = self.env, self.plan.arrivals, self.plan.horizon
        order = np.argsort(times, kind="stable")
        self.walk_ins = len(order)
        queue, step, arrive = env._queue, env.step, self._arrive  # (the heap: what env.peek reads)
        for t, i in zip(times[order].tolist(), which[order].tolist(), strict=True):
            if t >= horizon:  # as env.run(until=horizon): nothing at or after the horizon
                break
            while queue and queue[0][0] < t:
                step()
            env._now = t  # the clock jumps (see _Env)
            arrive(arrivals[i], None)

    def _trace(self, kind: str, v: _Visit | None = None, **facts: Any) -> None:
        """Tell the film's recorder what happened now (a visit's unit and station added); no-op without
        one, and for walk-ins (stream arrivals: not in the film). Draws no random number."""
        if self.trace is None or (v is not None and v.arrival.rate_per_min > 0):
            return
        if v is not None:
            a = v.arrival
            facts.update(unit=self.plan.groups[a.group], station=v.station.plan.code, people=a.headcount)
            facts.update(vehicles=a.vehicles, place=self.plan.places[a.place])
        self.trace(kind, self.env.now, facts)

    def _snapshot(self, _ev: simpy.Event) -> None:
        """A closure begins: note every station's stock (draws no random number, changes no state)."""
        for st in self.stations:
            st.snapshot()

    def _lose(self, s: int, item: str, qty: float, _ev: simpy.Event) -> None:
        st = self.stations[s]
        st.take(item, qty)
        self._reorder(st, item)

    # --- assignment ----------------------------------------------------------------------
    def _choose(self, a: Arrival, t: float) -> tuple[int, float, float]:
        """(station, minutes there, minutes back) for an arrival at ``t``; station -1: none.

        For mobile support "there" is the field kitchens' drive to the site; troops stay put.
        """
        ep = self.one_epoch or self.plan.epoch_at(t)
        if a.at_station >= 0 and a.at_station not in ep.offline and not a.mobile:
            return a.at_station, 0.0, 0.0
        to, back = self._tables(ep, a.place)
        best, best_score = -1, math.inf
        for s, st in enumerate(self.stations):
            if s in ep.offline or not math.isfinite(to[s]):
                continue
            if a.mobile:
                if st.kitchens is None:
                    continue
                score = back[s] + (len(st.kitchens.queue) + st.kitchens.count) / st.plan.field_kitchens * 60.0
                if (self.plan.policy == "assigned" or a.force) and s == a.serve_at:
                    score = -math.inf  # field kitchens from the unit's ``serve_at`` station
            else:
                vehicles = 0 if a.fuel_trucks and st.trucks is not None else a.vehicles
                est = st.estimate(a.headcount, vehicles, self.meal_mean, self.refuel_mean)
                if not math.isfinite(est):
                    continue
                score = to[s] if self.plan.policy == "nearest" else to[s] + est
                if a.dwell is not None:  # expected overrun of the dwell weighs heavily
                    score += 10.0 * max(0.0, to[s] + est + back[s] - a.dwell)
                if (self.plan.policy == "assigned" or a.force) and s == a.serve_at:
                    score = -math.inf
            if score < best_score:
                best, best_score = s, score
        if best < 0:
            return -1, 0.0, 0.0
        there, back_m = float(to[best]), float(back[best])
        return (best, back_m, 0.0) if a.mobile else (best, there, back_m)

    def _tables(self, ep: Epoch, place: int) -> tuple[list[float], list[float]]:
        """Minutes from ``place`` to each station and back in epoch ``ep`` (lists: cheaper to index)."""
        key = (id(ep), place)
        rows = self.table_rows.get(key)
        if rows is None:
            rows = self.table_rows[key] = (ep.to_station[place].tolist(), ep.from_station[:, place].tolist())
        return rows

    def _arrive(self, a: Arrival, _ev: simpy.Event | None) -> None:
        t = self.env.now
        s, there, back = self._choose(a, t)
        group = self.groups[a.group]
        if s < 0:  # nowhere can serve it
            self._nowhere(a)
            return
        st = self.stations[s]
        deadline = t + a.dwell - back if a.dwell is not None else math.inf
        if there == 0.0 and id(a) in self.plain and s in self.plain_at and self._plain(a, st, group, t, deadline):
            return
        v = _Visit(a, st, t, deadline)
        self.open.append(v)
        st.units += 1
        group.stations.setdefault(st.plan.code, None)
        if a.fuel_trucks and st.trucks is not None:  # vehicles refuelled where the unit halts, until it leaves
            v.trucks = min(a.fuel_trucks, st.plan.fuel_trucks)
            v.nveh = a.vehicles
            v.vend = t + a.dwell if a.dwell is not None else math.inf
            if a.vehicle_target is None:
                v.vdeadline = v.vend
        # the deadline's event: its place in SimPy's queue taken now, the event itself scheduled at the
        # end only if it can still do anything (a visit served in full on arrival is done already)
        due = self.env.reserve() if math.isfinite(max(deadline, v.vend)) else -1
        if v.vend > deadline:  # the people still leave at their deadline: stop their waits for a restock
            self.env.timeout(max(0.0, deadline - t)).callbacks.append(partial(self._stop_waiting, v))
        if self.trace is not None:
            self._trace("assigned", v, there=there, back=back, mobile=a.mobile, seats=st.plan.seats)
        if v.trucks:
            self._send_trucks(v, there if a.mobile else back)
        if a.mobile:
            self._mobile(v, there)
        elif there > 0:
            st.inbound[0] += a.headcount
            st.inbound[1] += a.vehicles
            self.env.timeout(there).callbacks.append(partial(self._at_station, v))
        else:
            self._at_station(v, None)
        if due >= 0 and not v.closed and v.done_at is None:
            self.env.call_later(due, max(0.0, deadline, v.vend) - t, partial(self._deadline, v))

    def _plain(self, a: Arrival, st: Station, group: _Group, t: float, deadline: float) -> bool:
        """What _arrive, _at_station, _supply, _seat_people and _settle do, in one step, for a plain
        arrival at a plain station (``plain``, ``plain_at``) when the station's meals cover it now:
        there on arrival, its people draw their water and meals and go through the seat pool at once
        (the same figures, in the same order; the test ``test_drill_core`` holds the two paths to the
        same records). False, with nothing done, when the meals fall short: the general path waits
        for the restock."""
        plan, k = self.plan, a.headcount
        c = plan.consumption
        per, meals = c.meals_per_person, st.stock["meals"]
        tracked = per > 0 and meals is not None
        short = (  # someone already waits for a restock, or the draw would not cover all (as _supply counts)
            meals is not None
            and per > 0
            and (meals.get_queue or min(k, int(min(k * per, meals.level) / per + 1e-9)) < k)
        )
        if short:
            return False
        v = _Visit(a, st, t, deadline)
        self.open.append(v)
        st.units += 1
        group.stations.setdefault(st.plan.code, None)
        due = self.env.reserve() if deadline != math.inf else -1  # the deadline's place (see _arrive)
        v.reached = True
        warm = t >= plan.warmup
        if warm:
            st.arrivals += k
        drawn = st.drawn
        if st.stock["water_l"] is None:  # untracked: nothing to draw or reorder
            drawn["water_l"] += k * c.water_l_per_person
        else:
            drawn["water_l"] += st.take("water_l", k * c.water_l_per_person)
            self._reorder(st, "water_l")
        if tracked:
            drawn["meals"] += min(k, int(st.take("meals", k * per) / per + 1e-9)) * per
            self._reorder(st, "meals")
        else:
            drawn["meals"] += max(per, 0.0) * k
        v.people_resolved = k
        pool = st.seats
        if pool is None:  # never: plain stations have seats
            return True
        fed, last, wait, seated, wait_unseated = pool.serve(
            t, deadline, self.draw_meals(k), st.kitchen, st.busy, st.queue, st.fed_at
        )
        followed = pool.followed(fed, deadline)
        if followed is not None:
            start, ready, finish, end = followed
            b = [0.0] * _BUDGET_KEYS
            b[budget.SEAT_WAIT] = start - t if start > t else 0.0
            b[budget.KITCHEN_WAIT] = ready - start if ready > start else 0.0
            b[budget.MEAL] = finish - ready if finish > ready else 0.0
            v.person, v.person_end = b, end
        v.wait_beyond = pool.beyond
        self.resolved_events += 3 * seated
        v.wait_sum += wait + wait_unseated
        if warm:
            st.waits += seated
            st.wait_sum += wait
        v.fed = fed
        v.resolved = k
        if fed:
            v.fed_last = v.last = max(t, last)
        if fed == k:
            v.done_at = v.last
            if v.last <= plan.horizon:  # else it stays open: unfinished at the horizon
                minutes = v.fed_last - t
                self._close(v, "on_time" if minutes <= plan.target else "late", minutes)
        elif due >= 0:  # some are left unfed at the deadline: the visit is missed then
            self.env.call_later(due, max(0.0, deadline) - t, partial(self._deadline, v))
        return True

    def _nowhere(self, a: Arrival) -> None:
        """No station can serve the arrival: it is missed whole."""
        group = self.groups[a.group]
        group.counts["missed"] += 1
        group.sides[0].counts["missed"] += 1
        if a.vehicles and not a.mobile:
            group.sides[1].counts["missed"] += 1
        group.people += a.headcount
        group.people_missed += a.headcount
        group.vehicles_missed += a.vehicles

    # --- on-site service -----------------------------------------------------------------
    def _at_station(self, v: _Visit, ev: simpy.Event | None) -> None:
        st, a, now = v.station, v.arrival, self.env.now
        if ev is not None:  # arrived after a drive
            st.inbound[0] -= a.headcount
            st.inbound[1] -= a.vehicles
        if v.closed:
            return
        v.t1 = now
        v.reached = True
        if self.trace is not None:
            self._trace("arrives", v)
        if now >= self.plan.warmup:
            st.arrivals += a.headcount
        c = self.plan.consumption
        st.drawn["water_l"] += st.take("water_l", a.headcount * c.water_l_per_person)
        self._reorder(st, "water_l")
        self._supply(v, "meals", a.headcount, c.meals_per_person, self._seat_people)
        if a.vehicles and not v.trucks:
            self._supply(v, "diesel_l", a.vehicles, c.diesel_l_per_vehicle, self._bay_vehicles)

    def _supply(self, v: _Visit, item: str, n: int, per: float, then: _Then) -> None:
        """Draw stock for ``n`` people/vehicles; those covered go on now, the rest after a restock."""
        if n == 0:
            return
        st = v.station
        stock = st.stock[item]
        if per <= 0 or stock is None:
            st.drawn[item] += max(per, 0.0) * n
            then(v, n)
            return
        got = st.take(item, n * per)
        ready = min(n, int(got / per + 1e-9))
        st.drawn[item] += ready * per
        if ready < n:
            st.put(item, got - ready * per)  # return the part-serving remainder
            ev = stock.get((n - ready) * per)  # blocks until a restock
            v.waiting.append(ev)
            ev.callbacks.append(partial(self._restocked, v, item, n - ready, then))
        self._reorder(st, item)
        if ready:
            then(v, ready)

    def _restocked(self, v: _Visit, item: str, k: int, then: _Then, ev: ContainerGet) -> None:
        v.station.log_level(item)
        v.station.drawn[item] += ev.amount  # the restock the visit waited for was issued to it
        if not v.closed:
            then(v, k)

    def _seat_people(self, v: _Visit, k: int) -> None:
        """Resolve ``k`` people through the seat pool and the kitchen (see SeatPool.serve)."""
        st, now = v.station, self.env.now
        v.people_resolved += k
        stock_wait = now - v.t1
        if st.seats is None:
            v.track(False, math.inf, {budget.STOCK_WAIT: stock_wait, budget.SEAT_WAIT: self._end(v) - now})
        else:
            meals = self.draw_meals(k)
            pool = st.seats
            fed, last, wait, seated, wait_unseated = pool.serve(
                now, v.deadline, meals, st.kitchen, st.busy, st.queue, st.fed_at
            )
            followed = pool.followed(fed, v.deadline)
            if followed is not None:
                start, ready, finish, end = followed
                parts = {
                    budget.STOCK_WAIT: stock_wait,
                    budget.SEAT_WAIT: start - now,
                    budget.KITCHEN_WAIT: ready - start,
                    budget.MEAL: finish - ready,
                }
                v.track(False, end, parts)
            v.wait_beyond += pool.beyond
            self.resolved_events += 3 * seated
            v.wait_sum += wait + wait_unseated
            if v.t1 >= self.plan.warmup:
                st.waits += seated
                st.wait_sum += wait
            # people held up by a stock-out joined later: their wait runs from reaching the station
            extra = now - v.t1
            if extra > 0:
                v.wait_sum += extra * k
                if v.t1 >= self.plan.warmup:
                    st.wait_sum += extra * seated
            v.fed += fed
            if self.trace is not None:
                self._trace("seated", v, k=k, seated=seated, fed=fed, last=last, wait=wait)
            if fed:
                v.fed_last = max(v.fed_last, last)
                v.last = max(v.last, last)
        v.resolved += k  # without seats nobody can be fed here
        self._settle(v)

    def _bay_vehicles(self, v: _Visit, k: int) -> None:
        st, now = v.station, self.env.now
        stock_wait = now - v.t1
        if st.bays is None:
            v.track(True, math.inf, {budget.STOCK_WAIT: stock_wait, budget.REFUEL_WAIT: self._end(v) - now})
        else:
            times = self.draw_refuels(k)
            pool = st.bays
            done, last, wait, seated, wait_unseated = pool.serve(now, v.deadline, times, None, st.bay_busy, None, None)
            if pool.unfed_split is not None:
                start, ready = pool.unfed_split
                v.track(
                    True,
                    math.inf,
                    {budget.STOCK_WAIT: stock_wait, budget.REFUEL_WAIT: start - now, budget.REFUEL: v.deadline - start},
                )
            elif done:
                start, _, finish = pool.last_split
                v.track(
                    True,
                    finish,
                    {budget.STOCK_WAIT: stock_wait, budget.REFUEL_WAIT: start - now, budget.REFUEL: finish - start},
                )
            self.resolved_events += 3 * seated
            v.vehicle_wait += wait + wait_unseated + (self.env.now - v.t1) * k
            v.refuelled += done
            self._trace("refuelled", v, done=done, last=last)
            if done:
                v.last = max(v.last, last)
                v.veh_last = max(v.veh_last, last)
        v.resolved += k
        self._settle(v)

    def _settle(self, v: _Visit) -> None:
        """Once everyone's fate is known and all are served, close the visit when the last is done."""
        a = v.arrival
        if v.done_at is not None or v.resolved < a.headcount + v.nveh:
            return
        if v.fed == a.headcount and v.refuelled == v.nveh:
            # Everyone fed and every vehicle refuelled before moving on: the outcome is known now
            # (on time if fed within the target and refuelled by the vehicles' deadline).
            v.done_at = v.last
            if v.last <= self.plan.horizon:  # else it stays open: unfinished at the horizon
                minutes = v.fed_last - v.t0
                on_time = minutes <= self.plan.target and (not v.nveh or v.veh_last <= v.vdeadline)
                self._close(v, "on_time" if on_time else "late", minutes)

    # --- mobile support ------------------------------------------------------------------
    def _mobile(self, v: _Visit, travel: float) -> None:
        """Field kitchens go to the site; each hands out its share at the kitchen's rate."""
        st, a = v.station, v.arrival
        wanted = a.field_kitchens or math.ceil(a.headcount / self.plan.mobile.people_per_kitchen)
        need = min(st.plan.field_kitchens, wanted)
        per = self.plan.consumption.meals_per_person
        took = st.take("meals", a.headcount * per) if per > 0 else 0.0
        st.drawn["meals"] += took
        meals = a.headcount if per <= 0 else min(a.headcount, int(took / per + 1e-9))
        self._reorder(st, "meals")
        water = self._send_water(v, travel)
        for j in range(need):
            share = a.headcount // need + (1 if j < a.headcount % need else 0)
            k = min(share, meals)
            meals -= k
            self.env.process(self._kitchen(v, share, k, travel, water))

    def _send_water(self, v: _Visit, travel: float) -> simpy.Event | None:
        """Send the unit's water trucks (a station's ``simpy.Resource``, shared with other units); the
        event fires when all of its water is on site. ``None``: water not modelled (no water trucks).

        Only at stations with water trucks; the unit's water is drawn from the station's stock."""
        st, a, tk = v.station, v.arrival, self.plan.trucks
        litres = a.headcount * self.plan.consumption.water_l_per_person
        if st.water is None or litres <= 0:
            return None
        st.drawn["water_l"] += st.take("water_l", litres)
        self._reorder(st, "water_l")
        sent = min(st.plan.water_trucks, a.water_trucks or math.ceil(litres / tk.water_litres))
        done, left = self.env.event(), [sent]
        for _ in range(sent):
            self.env.process(self._water_truck(v, litres / sent, travel, done, left))
        return done

    def _water_truck(
        self, v: _Visit, litres: float, travel: float, done: simpy.Event, left: list[int]
    ) -> Generator[simpy.Event, Any, None]:
        """One water truck: carry ``litres`` to the site in as many trips as its tank needs
        (there; then back, ``refill_minutes``, there again), and come back."""
        st, tk = v.station, self.plan.trucks
        if st.water is None:  # never: water trucks are sent only from a station that has some
            return
        with st.water.request() as req:
            yield req
            trips = math.ceil(litres / tk.water_litres - 1e-9)
            yield self.env.timeout(travel + (trips - 1) * (2 * travel + tk.refill_minutes))
            left[0] -= 1
            if not left[0]:
                done.succeed()
            yield self.env.timeout(travel)

    def _kitchen(
        self, v: _Visit, share: int, people: int, travel: float, water: simpy.Event | None
    ) -> Generator[simpy.Event, Any, None]:
        """One field kitchen: drive out, wait for the water, hand out ``people`` meals (of ``share``), drive back."""
        st, env = v.station, self.env
        if st.kitchens is None:  # never: _mobile sends kitchens only from a station that has some
            return
        rate = self.plan.mobile.meals_per_hour_per_kitchen / 60.0
        with st.kitchens.request() as req:
            yield req
            out = env.now
            yield env.timeout(travel)
            there = env.now
            if water is not None and not water.processed:
                yield water
            start = env.now
            n = 0 if v.closed else people
            if math.isfinite(v.deadline):  # only those handed a meal before the unit moves on
                n = min(n, max(0, int((v.deadline - start) * rate + 1e-9)))
            v.wait_sum += n * (start - v.t0) + n * (n - 1) / 2 / rate
            parts = {
                budget.MOBILE_WAIT: min(there, v.deadline) - v.t0,
                budget.WATER_WAIT: min(start, v.deadline) - min(there, v.deadline),
            }
            if v.closed:
                pass
            elif n < people:
                v.track(False, math.inf, {**parts, budget.KITCHEN_WAIT: v.deadline - start})
            elif n:
                v.track(False, start + n / rate, {**parts, budget.KITCHEN_WAIT: n / rate})
            yield env.timeout(n / rate)
            if not v.closed:
                st.fed_at.extend([env.now] * n)
                v.fed += n
                v.fed_last = max(v.fed_last, env.now)
                v.last = max(v.last, env.now)
                v.resolved += share
                self._settle(v)
            yield env.timeout(travel)  # back to the station
            st.kitchens_out.add(out, env.now)
            self._trace("kitchen", v, out=out, there=there, travel=travel)

    # --- handover (simulation.handover) -----------------------------------------------------
    def _schedule_handover(self, a: Arrival) -> None:
        """Choose the station that hands ``a`` its meals as early as any station would start them."""
        lead = handover.prep_lead(self.plan.stations, a)
        self.env.timeout(max(0.0, a.arrive - lead)).callbacks.append(partial(self._handover, a))

    def _choose_handover(self, a: Arrival, t: float) -> int:
        """The station with handover teams that hands ``a`` its meals (-1: none): its own door, or its
        ``serve_at`` under ``policy = "assigned"`` (or a change ``improve`` tries); else the nearest
        (``nearest``) or the one whose teams would finish loading first (``earliest``)."""
        ep, policy = self.plan.epoch_at(t), self.plan.policy
        back = ep.from_station[:, a.place]
        best, best_score = -1, math.inf
        for s, st in enumerate(self.stations):
            if s in ep.offline or not math.isfinite(back[s]) or not st.teams:
                continue
            if s == a.at_station or ((policy == "assigned" or a.force) and s == a.serve_at):
                return s
            start = max(a.arrive, t + back[s], min(st.teams) + back[s])
            score = back[s] if policy == "nearest" else start + handover.loading_minutes(st.plan, a.headcount)
            if score < best_score:
                best, best_score = s, score
        return best

    def _handover(self, a: Arrival, _ev: simpy.Event) -> None:
        now = self.env.now
        s = self._choose_handover(a, now)
        if s < 0:
            self._nowhere(a)
            return
        st = self.stations[s]
        v = _Visit(a, st, a.arrive, a.arrive + a.dwell if a.dwell is not None else math.inf)
        self.open.append(v)
        st.units += 1
        self.groups[a.group].stations.setdefault(st.plan.code, None)
        start = max(now, a.arrive - st.plan.handover_prep_minutes)
        self.env.timeout(start - now).callbacks.append(partial(self._cook_handover, v, s))
        self.env.timeout(a.arrive - now).callbacks.append(partial(self._handover_arrives, v))

    def _handover_arrives(self, v: _Visit, _ev: simpy.Event) -> None:
        """The unit halts (for the film: it stays at its site, as on mobile support)."""
        self._trace("assigned", v, there=0.0, back=0.0, mobile=True, seats=0, handover=True)

    def _cook_handover(self, v: _Visit, s: int, _ev: simpy.Event) -> None:
        """Draw the unit's meals (stock, then the kitchen's output), send them with the teams, and
        work out what the teams hand out before the stop ends (:func:`handover.loading`)."""
        st, a, now = v.station, v.arrival, self.env.now
        if a.arrive >= self.plan.warmup:
            st.arrivals += a.headcount
        c = self.plan.consumption
        st.drawn["water_l"] += st.take("water_l", a.headcount * c.water_l_per_person)
        self._reorder(st, "water_l")
        per, meals = c.meals_per_person, a.headcount
        if per > 0 and st.stock["meals"] is not None:
            took = st.take("meals", a.headcount * per)
            meals = min(a.headcount, int(took / per + 1e-9))
            st.put("meals", took - meals * per)
        st.drawn["meals"] += meals * max(per, 0.0)
        self._reorder(st, "meals")
        ready = now
        if st.kitchen is not None:
            for _ in range(meals):
                ready = st.kitchen.ready_at(now)
        drive = float(self.plan.epoch_at(now).from_station[s, a.place])
        starts = [max(a.arrive, max(ready, free) + drive) for free in st.teams]
        out = handover.loading(a.arrive, starts, st.plan.handover_meals_per_minute, meals, v.deadline)
        st.teams = [max(free, out.last + drive) for free in st.teams]
        self._trace("handover", v, arrive=a.arrive, drive=drive, start=min(starts, default=now), last=out.last)
        end = self._end(v)
        if meals < a.headcount:
            v.track(False, math.inf, {budget.STOCK_WAIT: end - a.arrive}, travel=0.0)
        elif out.handed < meals:
            v.track(False, math.inf, {budget.HANDOVER: end - a.arrive}, travel=0.0)
        else:
            v.track(False, out.last, {budget.HANDOVER: out.last - a.arrive}, travel=0.0)
        v.wait_sum += out.wait_sum + (a.headcount - out.handed) * max(0.0, end - a.arrive)
        when = out.last if out.handed == a.headcount else end
        self.env.timeout(max(0.0, when - now)).callbacks.append(partial(self._handed, v, out.handed, out.last))

    def _handed(self, v: _Visit, fed: int, last: float, _ev: simpy.Event) -> None:
        """The last meal is handed, or the stop has ended: the unit's outcome."""
        a = v.arrival
        v.station.fed_at.extend([last] * fed)
        v.fed, v.fed_last, v.last = fed, last, last
        v.resolved = v.people_resolved = a.headcount
        v.reached = True  # the unit never travels: the meals came to it
        if fed < a.headcount:
            self._close(v, "missed", None)
        else:
            due = v.deadline if math.isfinite(v.deadline) else v.t0 + self.plan.target
            self._close(v, "on_time" if last <= due else "late", last - v.t0)

    # --- fuel trucks ---------------------------------------------------------------------
    def _send_trucks(self, v: _Visit, drive: float) -> None:
        """Draw the convoy's diesel and send ``v.trucks`` trucks, each with its share of the vehicles."""
        st, a = v.station, v.arrival
        per = self.plan.consumption.diesel_l_per_vehicle
        have = a.vehicles
        if per > 0 and st.stock["diesel_l"] is not None:
            took = st.take("diesel_l", a.vehicles * per)
            have = min(a.vehicles, int(took / per + 1e-9))
            st.put("diesel_l", took - have * per)
            self._reorder(st, "diesel_l")
        st.drawn["diesel_l"] += have * max(per, 0.0)
        n = v.trucks
        for j in range(n):
            share = a.vehicles // n + (1 if j < a.vehicles % n else 0)
            k = min(share, have)
            have -= k
            if share:
                self.env.process(self._truck(v, share, k, drive))

    def _truck(self, v: _Visit, share: int, k: int, drive: float) -> Generator[simpy.Event, Any, None]:
        """One fuel truck: drive to the halt, refuel ``k`` of its ``share`` vehicles in turn (back to
        refill when dry) while the unit is there, and drive back."""
        st, env, tk = v.station, self.env, self.plan.trucks
        if st.trucks is None:  # never: trucks are sent only from a station that has some
            return
        per = self.plan.consumption.diesel_l_per_vehicle
        with st.trucks.request() as req:
            yield req
            out = env.now
            t, load, served = out + drive, tk.fuel_litres, 0
            start = finish = t
            for _ in range(0 if v.closed else k):
                if per > load:  # dry: back to the station to refill, and out again
                    t, load = t + 2 * drive + tk.refill_minutes, tk.fuel_litres
                begin, end = t, t + tk.connect_minutes + per / tk.pump_litres_per_minute
                if end > v.vend:
                    break
                start, finish, t, load, served = begin, end, end, load - per, served + 1
                v.vehicle_wait += begin - v.t0
            stop = min(v.vend, self.plan.horizon)
            if served:
                v.track(True, finish, {budget.TRUCK_WAIT: start - v.t0, budget.REFUEL: finish - start}, travel=0.0)
            if served < share and not v.closed:
                why = budget.TRUCK_WAIT if served < k else budget.STOCK_WAIT
                v.track(True, math.inf, {why: stop - v.t0}, travel=0.0)
                v.vehicle_wait += (share - served) * max(0.0, stop - v.t0)
            # the vehicles' fates are known now (as a seat pool's are): settle at once, as _settle does
            if not v.closed:
                v.refuelled += served
                if served:
                    v.veh_last = max(v.veh_last, finish)
                    v.last = max(v.last, finish)
                v.resolved += share
                self._settle(v)
            if served:
                yield env.timeout(finish + drive - env.now)  # refuelling, then back to the station
                st.trucks_out.add(out, env.now)
                self._trace("fuel_truck", v, out=out, travel=drive)

    # --- outcomes ------------------------------------------------------------------------
    def _deadline(self, v: _Visit, _ev: simpy.Event) -> None:
        if v.closed or v.done_at is not None:
            return
        self._stop_waiting(v, None)
        self._close(v, "missed", None)

    def _stop_waiting(self, v: _Visit, _ev: simpy.Event | None) -> None:
        """Cancel the visit's stock gets still blocked by a stock-out (its people are leaving)."""
        for ev in v.waiting:
            if not ev.triggered:
                ev.cancel()

    def _end(self, v: _Visit) -> float:
        """When whoever is still unserved stops waiting: the unit's deadline, else the horizon."""
        return min(v.deadline, self.plan.horizon)

    def _close(self, v: _Visit, outcome: str, minutes: float | None) -> None:
        v.closed = True
        if self.trace is not None:
            self._trace(
                "leaves", v, outcome=outcome, done_at=v.done_at, fed=v.fed, refuelled=v.refuelled, fed_last=v.fed_last
            )
        a, st = v.arrival, v.station
        g = self.groups[a.group]
        if outcome == "missed":
            # people held up by a stock-out waited from reaching the station until the unit left
            blocked = a.headcount - v.people_resolved if v.reached else 0
            v.wait_sum += blocked * max(0.0, min(self.env.now, v.deadline) - v.t1)
        self._budget(v, g, outcome)
        g.counts[outcome] += 1
        g.people += a.headcount
        g.wait_sum += v.wait_sum
        if outcome in ("late", "missed"):
            st.late_wait_sum += v.wait_sum + v.vehicle_wait
        if outcome == "missed":
            g.people_missed += a.headcount - v.fed
            g.vehicles_missed += a.vehicles - v.refuelled
        if outcome == "on_time":
            st.units_on_time += 1
        if minutes is not None:
            g.fed_sum += minutes
            self.hist[min(int(minutes // HIST_WIDTH), HIST_BINS - 1)] += 1
            if a.rate_per_min == 0:
                self.fed_minutes.append(minutes)

    def _sides(self, v: _Visit) -> list[tuple[bool, int, int, float, float]]:
        """(vehicle?, how many, how many served, last served at, due) of each side the visit has."""
        due = v.deadline if v.arrival.handover and math.isfinite(v.deadline) else v.t0 + self.plan.target
        out = [(False, v.arrival.headcount, v.fed, v.fed_last, due)]
        if v.nveh:
            out.append((True, v.nveh, v.refuelled, v.veh_last, v.vdeadline))
        return out

    def _budget(self, v: _Visit, g: _Group, outcome: str) -> None:
        """Judge each side, add its time budget and the minutes beyond target it charges to each cause."""
        a, now = v.arrival, self.env.now
        back = a.dwell - (v.deadline - v.t0) if a.dwell is not None else 0.0
        st = v.station
        at = st.blame_units if a.rate_per_min == 0 else st.blame_walk_ins
        for vehicle, n, done, last, due in self._sides(v):
            side = g.sides[vehicle]
            trucks = vehicle and v.trucks > 0
            if done < n:
                if (v.vehicle_end if vehicle else v.person_end) != math.inf:
                    end = min(now, v.vend if vehicle else v.deadline)
                    v.track(vehicle, math.inf, self._unserved(v, vehicle, end), travel=0.0 if trucks else None)
                result = "missed"
            else:
                result = "on_time" if last <= due else "late"
            side.counts[result] += 1
            b = v.vehicle if vehicle else v.person
            if b is None:
                continue
            side.budgets.append(b)
            side.budget_n += 1
            if result == "on_time":
                continue
            charged = budget.blame(
                b,
                missed=result == "missed",
                target=due - v.t0,
                back=0.0 if trucks else back,
                mobile=a.mobile,
                unstaffed=0.0 if a.mobile or a.handover or not v.reached else st.readying(v.t1, budget.waited(b)),
            )
            for i, m in enumerate(charged):
                if m:  # (adding a zero changes nothing: every charge is ≥ 0)
                    side.blame[i] += m
                    g.blame[i] += m
                    at[i] += m

    def _unserved(self, v: _Visit, vehicle: bool, end: float) -> dict[int, float]:
        """Budget parts of a person (vehicle) still unserved at ``end`` with no seat (bay, truck) decided yet."""
        if vehicle and v.trucks:
            return {budget.TRUCK_WAIT: end - v.t0}
        if v.arrival.mobile:
            return {budget.MOBILE_WAIT: end - v.t0}
        if not v.reached:
            v.t1 = end  # still on the road: all of it was travel
            return {}
        return {budget.STOCK_WAIT: end - v.t1}

    # --- restock -------------------------------------------------------------------------
    def _reorder(self, st: Station, item: str) -> None:
        qty = st.needs_order(item)
        if qty <= 0:
            return
        rs, hub = self.plan.restock, self.stations[self.plan.hub]
        if st is hub:
            delay = rs.depot_lead_hours * 60
        else:
            travel = self.plan.epoch_at(self.env.now).hub_to[self.stations.index(st)]
            qty = min(qty, hub.level(item))
            if qty <= 0 or not math.isfinite(travel):
                return  # nothing to send, or no road: the next draw tries again
            hub.take(item, qty)
            self._reorder(hub, item)
            delay = rs.lead_hours * 60 + float(travel)
            self._trace("restock", None, station=st.plan.code, hub=hub.plan.code, item=item, qty=qty, delay=delay)
        st.pending_order[item] = True
        self.env.timeout(delay).callbacks.append(partial(self._delivered, st, item, qty))

    def _delivered(self, st: Station, item: str, qty: float, _ev: simpy.Event) -> None:
        st.pending_order[item] = False
        st.put(item, qty)
        self._reorder(st, item)

    # --- the record ----------------------------------------------------------------------
    def _record(self) -> ReplicationRecord:
        plan, end = self.plan, self.plan.horizon
        for v in self.open:
            if not v.closed:
                v.closed = True
                a = v.arrival
                g = self.groups[a.group]
                g.counts["unfinished"] += 1
                g.people += a.headcount
                for vehicle, n, done, last, due in self._sides(v):
                    judged = "unfinished" if done < n else "on_time" if last <= due else "late"
                    g.sides[vehicle].counts[judged] += 1
                # their waits up to the horizon count as every other person's do
                blocked = a.headcount - v.people_resolved if v.reached and not a.mobile else 0
                g.wait_sum += v.wait_sum - v.wait_beyond + blocked * (end - v.t1)
        stations = tuple(st.record(plan.warmup, end, plan.bin_minutes, plan.nbins) for st in self.stations)
        groups = tuple(
            GroupRecord(
                g.code,
                sum(g.counts.values()),
                g.counts["on_time"],
                g.counts["late"],
                g.counts["missed"],
                g.counts["unfinished"],
                g.people,
                g.people_missed,
                g.vehicles_missed,
                g.counts["on_time"] + g.counts["late"],
                g.fed_sum,
                g.wait_sum,
                tuple(g.stations),
                g.sides[0].budget_sum,
                g.sides[0].budget_n,
                tuple(g.blame),
                (g.sides[0].record(), g.sides[1].record()),
            )
            for g in self.groups
        )
        arrivals = sum(g.arrivals for g in groups)
        on_time = sum(g.on_time for g in groups)
        # SimPy's own counter of events scheduled so far, less the closures' stock snapshots (not simulated events)
        # (the stream arrivals count as the SimPy timeouts they were before _walk_ins)
        scheduled = next(self.env._eid) - len(plan.closures) + self.walk_ins
        return ReplicationRecord(
            index=self.index,
            service_level=on_time / arrivals if arrivals else math.nan,
            arrivals=arrivals,
            on_time=on_time,
            groups=groups,
            stations=stations,
            fed_minutes=tuple(self.fed_minutes),
            fed_histogram=tuple(self.hist),
            events=scheduled + self.resolved_events + sum(st.quick_gets for st in self.stations),
            scheduled_events=scheduled,
        )


def run_replication(plan: CompiledDrill, seed: np.random.SeedSequence, index: int = 0) -> ReplicationRecord:
    """One replication with its own generator (from ``SeedSequence(seed).spawn(n)[index]``)."""
    return Model(plan, np.random.default_rng(seed), index).run()
