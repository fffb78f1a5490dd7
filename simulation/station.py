"""A station at run time: seats and refuel bays (FIFO multi-server pools), field kitchens and
fuel trucks (``simpy.Resource`` s), stock (``simpy.Container`` per item, reordered from the hub), the kitchen's
output rate, and the intervals behind utilisation and queue length over time.
"""

from __future__ import annotations

import heapq
import math
from array import array

import numpy as np
import simpy

from simulation.budget import CAUSES
from simulation.compiled import StationPlan
from simulation.records import StationRecord
from supply.core.types import STOCK_ITEMS

#: Stock draws nobody waits behind are done without SimPy's event (False: every draw a SimPy get).
QUICK_GETS = True
#: Groups at least this large have those seated on arrival resolved array-wise (:meth:`SeatPool._at_once`).
AT_ONCE_MIN = 48


def running_sum(start: float, xs: np.ndarray) -> float:
    """``start`` plus each of ``xs`` added one after another: the digits of a loop's running total
    (``np.add.accumulate`` adds in order; ``sum`` and ``np.sum`` may not)."""
    if not len(xs):
        return start
    return float(np.add.accumulate(np.concatenate(([start], xs)))[-1])


class SeatPool:
    """``c`` identical servers (dining seats, refuel bays) taken first come, first served.

    Resolved by the Kiefer–Wolfowitz recursion instead of three SimPy events per person: the
    pool keeps each server's next free time in a heap; a person reaching the pool at ``a``
    (in time order) starts at ``max(a, earliest free time)``. For FIFO service without
    preemption this is *exactly* what a ``simpy.Resource`` with request/timeout/release would
    produce, since service times and deadlines are known when a person joins — at one heap
    operation per person. Start times are non-decreasing, which the kitchen relies on.
    """

    __slots__ = ("capacity", "free", "free_sum", "horizon", "last_split", "unfed_split", "beyond")

    def __init__(self, capacity: int, horizon: float = math.inf, staffed: list[float] | None = None) -> None:
        self.capacity = capacity
        # ``staffed``: when each server is first staffed (a station readying on notice, :class:`Ramp`)
        self.free = sorted(staffed) if staffed is not None else [0.0] * capacity
        self.free_sum = sum(self.free)
        self.horizon = horizon
        # Of the last :meth:`serve`: (start, ready, finish) of the person served last, (start,
        # ready) of the last one left unserved at the deadline (or None), and the minutes of the
        # waits that lie beyond the horizon (not observed by the drill).
        self.last_split = (0.0, 0.0, 0.0)
        self.unfed_split: tuple[float, float] | None = None
        self.beyond = 0.0

    def serve(
        self,
        arrive: float,
        deadline: float,
        durations: list[float],
        kitchen: Kitchen | None,
        busy: Intervals,
        queue: Intervals | None,
        done_at: array[float] | None,
    ) -> tuple[int, float, float, int, float]:
        """Serve people (or vehicles) who reach the pool together at ``arrive``, in order.

        Each takes the first free server, waits there for a meal from ``kitchen`` (if any),
        then holds it for its duration; at ``deadline`` whoever is unfinished leaves and frees
        the server. Returns ``(served, last finish, wait of those seated, seated, wait of those
        never seated)``; waits run from ``arrive`` to service start (seat and meal).
        This is the hot loop of the model, hence the local names.
        """
        free, replace = self.free, heapq.heapreplace
        lo_add, hi_add = busy.lo.append, busy.hi.append
        if queue is not None:
            q_lo, q_hi = queue.lo.append, queue.hi.append
        fed_add = done_at.append if done_at is not None else None
        # a plain kitchen's token bucket (Kitchen.ready_at) inlined; any other kitchen (RampKitchen) asked
        bucket = kitchen if type(kitchen) is Kitchen else None
        other = kitchen if bucket is None else None
        if bucket is not None:
            rate, buffer, tokens, k_last = bucket.rate, bucket.buffer, bucket.tokens, bucket.last
        served = seated = 0
        last = arrive
        wait_seated = wait_unseated = beyond = 0.0
        free_sum = self.free_sum  # summed in the same order as ever (the policy compares it)
        horizon = self.horizon
        last_split, unfed = (arrive, arrive, arrive), None
        if len(durations) >= AT_ONCE_MIN and arrive < deadline:  # a large group: those seated at once, array-wise
            seated, served, last, last_split, unfed, wait_seated, beyond, free_sum = self._at_once(
                arrive, deadline, durations, bucket, other, busy, done_at, free_sum
            )
            if seated:
                durations = durations[seated:]
                if bucket is not None:
                    tokens, k_last = bucket.tokens, bucket.last
        for d in durations:
            first = free[0]
            start = arrive if arrive > first else first
            if start >= deadline:  # no server before it must leave: waits in vain
                if queue is not None:
                    queue.add(arrive, deadline)
                wait_unseated += deadline - arrive
                if deadline > horizon:
                    beyond += deadline - (arrive if arrive > horizon else horizon)
                unfed = (deadline, deadline)
                continue
            if queue is not None and start > arrive:
                q_lo(arrive)
                q_hi(start)
            if bucket is not None:
                tokens += rate * (start - k_last)
                if tokens > buffer:
                    tokens = buffer
                k_last = start
                ready = start if tokens >= 1.0 else start + (1.0 - tokens) / rate
                tokens -= 1.0
            elif other is not None:
                ready = other.ready_at(start)
            else:
                ready = start
            finish = ready + d
            leave = finish if finish <= deadline else deadline
            replace(free, leave)
            free_sum += leave - first
            if leave > start:
                lo_add(start)
                hi_add(leave)
            seated += 1
            wait_seated += ready - arrive
            if ready > horizon:
                beyond += ready - (arrive if arrive > horizon else horizon)
            if finish <= deadline:
                served += 1
                if fed_add is not None:
                    fed_add(finish)
                if finish > last:
                    last = finish
                    last_split = (start, ready, finish)
            else:
                unfed = (start, ready)
        if bucket is not None:
            bucket.tokens, bucket.last = tokens, k_last
        self.free_sum = free_sum
        self.last_split, self.unfed_split, self.beyond = last_split, unfed, beyond
        return served, last, wait_seated, seated, wait_unseated

    def _at_once(
        self,
        arrive: float,
        deadline: float,
        durations: list[float],
        bucket: Kitchen | None,
        other: Kitchen | None,
        busy: Intervals,
        done_at: array[float] | None,
        free_sum: float,
    ) -> tuple[int, int, float, tuple[float, float, float], tuple[float, float] | None, float, float, float]:
        """:meth:`serve`'s loop for the first ``n`` of a group who find a server free when they arrive
        (``arrive`` < ``deadline``), with arrays: the same numbers, in the same order. They start at
        ``arrive`` on the ``n`` earliest-free servers; the kitchen's tokens fall by one a person;
        running sums are added one by one as the loop adds them. Returns ``(n, served, last,
        last_split, unfed_split, wait_seated, beyond, free_sum)`` and leaves the heap and the kitchen
        as the loop would."""
        now = np.sort(np.asarray(self.free, dtype=float))
        n = min(int(np.searchsorted(now, arrive, side="right")), len(durations))
        if n == 0:
            return 0, 0, arrive, (arrive, arrive, arrive), None, 0.0, 0.0, free_sum
        first = now[:n]
        if bucket is not None:
            tokens = bucket.tokens + bucket.rate * (arrive - bucket.last)
            if tokens > bucket.buffer:
                tokens = bucket.buffer
            toks = np.subtract.accumulate(np.concatenate(([tokens], np.ones(n - 1))))  # one by one, in order
            ready = np.where(toks >= 1.0, arrive, arrive + (1.0 - toks) / bucket.rate)
            bucket.tokens, bucket.last = float(toks[-1]) - 1.0, arrive
        elif other is not None:
            ready = np.array([other.ready_at(arrive) for _ in range(n)], dtype=float)
        else:
            ready = np.full(n, arrive)
        finish = ready + np.asarray(durations[:n], dtype=float)
        leave = np.minimum(finish, deadline)
        heap = now[n:].tolist() + leave.tolist()
        heapq.heapify(heap)
        self.free[:] = heap
        free_sum = running_sum(free_sum, leave - first)
        busy_to = leave[leave > arrive]
        busy.lo.frombytes(np.full(len(busy_to), arrive).tobytes())
        busy.hi.frombytes(busy_to.tobytes())
        wait_seated = running_sum(0.0, ready - arrive)
        beyond = 0.0
        if ready[-1] > self.horizon:  # ready times never fall within a group
            cut = arrive if arrive > self.horizon else self.horizon
            beyond = running_sum(0.0, ready[ready > self.horizon] - cut)
        ok = finish <= deadline
        fed = finish[ok]
        if done_at is not None:
            done_at.frombytes(fed.tobytes())
        last, last_split = arrive, (arrive, arrive, arrive)
        if len(fed) and fed.max() > arrive:
            j = int(np.flatnonzero(ok)[np.argmax(fed)])  # the first to finish last, as the loop keeps it
            last, last_split = float(finish[j]), (arrive, float(ready[j]), float(finish[j]))
        unfed = None
        if not ok.all():
            j = int(np.flatnonzero(~ok)[-1])
            unfed = (arrive, float(ready[j]))
        return n, len(fed), last, last_split, unfed, wait_seated, beyond, free_sum

    def followed(self, served: int, deadline: float) -> tuple[float, float, float, float] | None:
        """``(start, ready, finish, end)`` of the person whose time budget a visit keeps after the last
        :meth:`serve` (which served ``served``, leaving at ``deadline``): the last one left unserved,
        whose budget runs to the deadline (``end`` inf), else the last one served; None if nobody."""
        if self.unfed_split is not None:
            start, ready = self.unfed_split
            return start, min(ready, deadline), deadline, math.inf
        if served:
            start, ready, finish = self.last_split
            return start, ready, finish, finish
        return None

    def backlog(self, now: float) -> float:
        """Rough mean minutes until a server frees (for the assignment policy's estimate)."""
        return max(0.0, self.free_sum / self.capacity - now)


class Kitchen:
    """Kitchen output as a token bucket: ``rate`` meals a minute into a serving line holding at
    most ``buffer`` hot meals (30 min of output: a trailer holds serving temperature 30–45 min,
    Natick). A person seated at ``t`` gets the next meal at :meth:`ready_at` (calls in time
    order); FIFO is exact because the line may go into debt while people wait.
    """

    __slots__ = ("rate", "buffer", "tokens", "last")

    def __init__(self, meals_per_hour: float) -> None:
        self.rate = meals_per_hour / 60.0
        self.buffer = meals_per_hour / 2.0
        self.tokens = self.buffer
        self.last = 0.0

    def ready_at(self, t: float) -> float:
        tokens = self.tokens + self.rate * (t - self.last)
        if tokens > self.buffer:
            tokens = self.buffer
        self.last = t
        self.tokens = tokens - 1.0
        return t if tokens >= 1.0 else t + (1.0 - tokens) / self.rate


class Ramp:
    """A station readying on notice: ``standby`` (a share) of its seats, kitchen output and refuel bays
    staffed from the start, the rest coming in evenly over ``minutes`` from ``called`` (its first
    notice; inf: never called, standby throughout)."""

    __slots__ = ("standby", "called", "minutes")

    def __init__(self, standby: float, called: float, minutes: float) -> None:
        self.standby, self.called, self.minutes = standby, called, minutes

    @property
    def full(self) -> float:
        """When the station is fully staffed."""
        return self.called + self.minutes

    def share(self, t: float) -> float:
        """The share of capacity staffed at ``t``."""
        if t >= self.full:
            return 1.0
        if t <= self.called:
            return self.standby
        return self.standby + (1.0 - self.standby) * (t - self.called) / self.minutes

    def staffed(self, servers: int) -> list[float]:
        """When each of ``servers`` seats (bays) is first staffed: the first ``standby`` share from the
        start, then one by one as the share staffed reaches them."""
        out = []
        for i in range(servers):
            need = (i + 1) / servers  # the share staffed once server i is
            if need <= self.standby + 1e-12:
                out.append(0.0)
            elif not math.isfinite(self.called):
                out.append(math.inf)
            else:
                out.append(max(0.0, self.called + self.minutes * (need - self.standby) / (1.0 - self.standby)))
        return out

    def output(self, a: float, b: float) -> float:
        """∫ share(t) dt over [a, b]: minutes of full output the kitchen makes in that stretch."""
        return self._antiderivative(b) - self._antiderivative(a)

    def _antiderivative(self, t: float) -> float:
        s, c, full = self.standby, self.called, self.full
        if t <= c or not math.isfinite(c):
            return s * t
        if t <= full and self.minutes > 0:
            x = t - c
            return s * t + (1.0 - s) * x * x / (2.0 * self.minutes)
        return self._antiderivative(full) + (t - full)

    def until(self, t: float, amount: float) -> float:
        """The time by which ``amount`` minutes of full output have been made from ``t``."""
        s, c, full = self.standby, self.called, self.full
        if t < c and math.isfinite(c):  # standby output until called
            if s > 0 and s * (c - t) >= amount:
                return t + amount / s
            amount -= s * (c - t)
            t = c
        if t < full and math.isfinite(c):  # the ramp: share rises linearly from share(t)
            k = (1.0 - s) / self.minutes  # d share / dt
            s0 = self.share(t)
            if s0 * (full - t) + k * (full - t) ** 2 / 2 >= amount:
                return t + (-s0 + math.sqrt(s0 * s0 + 2 * k * amount)) / k
            amount -= self.output(t, full)
            t = full
        if not math.isfinite(c):
            return t + amount / s if s > 0 else math.inf
        return t + amount


class RampKitchen(Kitchen):
    """A :class:`Kitchen` whose output follows a station's :class:`Ramp` (its buffer fills at standby)."""

    __slots__ = ("ramp",)

    def __init__(self, meals_per_hour: float, ramp: Ramp) -> None:
        super().__init__(meals_per_hour)
        self.ramp = ramp
        self.tokens = self.buffer * ramp.share(0.0)

    def ready_at(self, t: float) -> float:
        tokens = self.tokens + self.rate * self.ramp.output(self.last, t)
        if tokens > self.buffer:
            tokens = self.buffer
        self.last = t
        self.tokens = tokens - 1.0
        return t if tokens >= 1.0 else self.ramp.until(t, (1.0 - tokens) / self.rate)


class Intervals:
    """Many ``[lo, hi)`` intervals (people queueing, seats busy); integrals of how many overlap."""

    __slots__ = ("lo", "hi")

    def __init__(self) -> None:
        # arrays of C doubles: appended as fast as lists, read by NumPy without converting each float
        self.lo = array("d")
        self.hi = array("d")

    def add(self, lo: float, hi: float) -> None:
        if hi > lo:
            self.lo.append(lo)
            self.hi.append(hi)

    def area_before(self, ts: np.ndarray) -> np.ndarray:
        """For each ``t``: ∫₀ᵗ (number of intervals covering s) ds."""
        out = np.zeros(len(ts))
        for ends, sign in ((self.lo, 1.0), (self.hi, -1.0)):
            if not ends:
                continue
            e = np.sort(np.frombuffer(ends))
            csum = np.concatenate(([0.0], np.cumsum(e)))
            k = np.searchsorted(e, ts, side="right")
            out += sign * (k * ts - csum[k])
        return out


class Station:
    """One station's run-time state. Stocks of ``None`` are untracked (unlimited)."""

    def __init__(
        self, env: simpy.Environment, plan: StationPlan, horizon: float = math.inf, called: float = math.inf
    ) -> None:
        self.env = env
        self.plan = plan
        # readying on notice (standby_share < 1): servers staffed over time, the kitchen's output ramping
        self.ramp = Ramp(plan.standby_share, called, plan.readiness_minutes) if plan.standby_share < 1 else None
        seats, bays = plan.seats, plan.refuel_bays
        seats_in = self.ramp.staffed(seats) if self.ramp is not None else None
        bays_in = self.ramp.staffed(bays) if self.ramp is not None else None
        self.seats = SeatPool(seats, horizon, seats_in) if seats else None
        self.bays = SeatPool(bays, horizon, bays_in) if bays else None
        self.kitchens = simpy.Resource(env, plan.field_kitchens) if plan.field_kitchens else None
        self.kitchen = Kitchen(plan.meals_per_hour) if plan.meals_per_hour > 0 else None
        if self.kitchen is not None and self.ramp is not None:
            self.kitchen = RampKitchen(plan.meals_per_hour, self.ramp)
        self.teams = [0.0] * plan.handover_teams  # when each handover team is back at the station
        self.trucks = simpy.Resource(env, plan.fuel_trucks) if plan.fuel_trucks else None
        self.water = simpy.Resource(env, plan.water_trucks) if plan.water_trucks else None
        self.trucks_out = Intervals()
        self.stock = {
            item: simpy.Container(env, init=qty) if qty is not None else None for item, qty in plan.stock.items()
        }
        self.pending_order = {item: False for item in plan.stock}
        self.queue = Intervals()  # people waiting for a seat
        self.busy = Intervals()  # seats occupied
        self.bay_busy = Intervals()
        self.kitchens_out = Intervals()
        self.fed_at = array("d")  # when each person was fed
        self.meal_levels: list[tuple[float, float]] = [(0.0, plan.stock["meals"] or math.nan)]
        self.waits = 0
        self.wait_sum = 0.0
        self.arrivals = 0
        self.stockouts: list[float] = []
        self.quick_gets = 0  # stock draws done without a SimPy event (each counts as one simulated event)
        self.units = 0
        self.units_on_time = 0
        self.late_wait_sum = 0.0
        self.blame_units = [0.0] * len(CAUSES)  # minutes beyond target charged here, planned units
        self.blame_walk_ins = [0.0] * len(CAUSES)  # the same for stream arrivals
        self.inbound = [0, 0]  # people and vehicles assigned here, still on their way
        self.drawn = dict.fromkeys(STOCK_ITEMS, 0.0)  # issued to units (not the hub's restock transfers)
        self.at_close: list[tuple[float, ...]] = []  # stock per item when each closure began (time to survive)

    def readying(self, t: float, wait: float) -> float:
        """The share of a wait of ``wait`` minutes from ``t`` that fell before the station was fully
        staffed (0 when it is not readying on notice)."""
        if self.ramp is None or wait <= 0:
            return 0.0
        return min(1.0, max(0.0, (self.ramp.full - t) / wait))

    def snapshot(self) -> None:
        """Note the stock of every item now (nan: untracked), for time to survive after a closure."""
        self.at_close.append(tuple(math.nan if self.stock[k] is None else self.level(k) for k in STOCK_ITEMS))

    def level(self, item: str) -> float:
        c = self.stock[item]
        return math.inf if c is None else c.level

    def take(self, item: str, amount: float) -> float:
        """Draw up to ``amount`` now; return what was drawn. A shortfall is a stock-out."""
        c = self.stock[item]
        if c is None or amount <= 0:
            return amount
        got = min(amount, c.level)
        if got > 0:
            if c.get_queue or not QUICK_GETS:  # draws wait for a restock: SimPy's queue decides who is served first
                c.get(got)  # immediate: the level suffices
            else:  # what SimPy's get would do at once, without its event (nothing waits on it)
                c._level -= got
                self.quick_gets += 1
        if got < amount:
            self.stockouts.append(self.env.now)
        if item == "meals":
            self.meal_levels.append((self.env.now, c.level))
        return got

    def log_level(self, item: str) -> None:
        c = self.stock[item]
        if item == "meals" and c is not None:
            self.meal_levels.append((self.env.now, c.level))

    def put(self, item: str, amount: float) -> None:
        c = self.stock[item]
        if c is not None and amount > 0:
            c.put(amount)  # unbounded capacity: immediate, wakes waiting gets
            if item == "meals":
                self.meal_levels.append((self.env.now, c.level))

    def needs_order(self, item: str) -> float:
        """How much to order (back up to the opening stock) if below the reorder level."""
        c, opening = self.stock[item], self.plan.stock[item]
        if c is None or opening is None or self.pending_order[item] or c.level >= self.plan.reorder[item]:
            return 0.0
        return float(opening) - c.level

    def estimate(self, people: int, vehicles: int, meal_mean: float, refuel_mean: float) -> float:
        """Rough minutes to serve a new group here from the commitments so far, counting the
        groups already on their way here (the policy's guess, not a promise)."""
        now = self.env.now
        if self.seats is None:
            return math.inf
        people += self.inbound[0]
        vehicles += self.inbound[1] if vehicles else 0
        est = self.seats.backlog(now) + people / self.plan.seats * meal_mean
        if self.kitchen is not None:
            ready = self.kitchen.tokens + self.kitchen.rate * (now - self.kitchen.last)
            est = max(est, (people - min(ready, self.kitchen.buffer)) / self.kitchen.rate)
        if vehicles:
            if self.bays is None:
                return math.inf
            est = max(est, self.bays.backlog(now) + vehicles / self.plan.refuel_bays * refuel_mean)
        return est

    def stock_series(self, width: float, nbins: int) -> tuple[float, ...]:
        """Meals in stock at the end of each time bin."""
        times = np.array([t for t, _ in self.meal_levels])
        levels = np.array([v for _, v in self.meal_levels])
        ends = (np.arange(nbins) + 1) * width
        return tuple(levels[np.searchsorted(times, ends, side="right") - 1].tolist())

    def record(self, warmup: float, end: float, bin_minutes: float, nbins: int) -> StationRecord:
        """The station's flat record: time averages over [warmup, end], series per time bin."""
        p, span = self.plan, end - warmup
        window = np.array([warmup, end])

        def average(iv: Intervals, capacity: int) -> float:
            lo, hi = iv.area_before(window)
            return float(hi - lo) / span / capacity if capacity else math.nan

        edges = np.arange(nbins + 1) * bin_minutes
        edges[-1] = end
        queue_bins = np.diff(self.queue.area_before(edges)) / np.diff(edges)
        return StationRecord(
            code=p.code,
            served=int(np.count_nonzero(np.frombuffer(self.fed_at) <= end)),
            waits=self.waits,
            wait_sum=self.wait_sum,
            utilisation=average(self.busy, p.seats),
            bay_utilisation=average(self.bay_busy, p.refuel_bays),
            kitchen_utilisation=average(self.kitchens_out, p.field_kitchens),
            mean_queue=average(self.queue, 1),
            arrivals=self.arrivals,
            stockouts=len(self.stockouts),
            stockout_minutes=tuple(self.stockouts),
            units=self.units,
            units_on_time=self.units_on_time,
            late_wait_sum=self.late_wait_sum,
            blame_units=tuple(self.blame_units),
            blame_walk_ins=tuple(self.blame_walk_ins),
            queue_series=tuple(queue_bins.tolist()),
            stock_series=self.stock_series(bin_minutes, nbins),
            fuel_truck_utilisation=average(self.trucks_out, p.fuel_trucks),
            drawn=tuple(self.drawn[k] for k in STOCK_ITEMS),
            stock_at_close=tuple(self.at_close),
        )
