"""What the app needs at run time (engine, stored scenario, network, factors), built lazily once."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool

from supply.api.analysis_jobs import AnalysisJobs
from supply.api.drill_jobs import DrillJobs
from supply.api.package_jobs import PackageJobs
from supply.core.analyses import AnalysisStore
from supply.core.approvals import ApprovalRule, approval_rules
from supply.core.errors import NotInitialisedError
from supply.core.factors import Factors, StockPolicy, factors_from_scenario, stock_policy
from supply.core.items import ItemSpec, catalogue
from supply.core.network import Network
from supply.core.network_cache import cache_key, cached_network
from supply.core.scenario import Scenario
from supply.core.settings import Settings
from supply.service import idempotency
from supply.service.db import fact_reader, is_local_server, is_sqlite, loop_engine, make_engine, read_session, reader
from supply.service.known_codes import Codes
from supply.service.models import utcnow
from supply.service.scenario_sync import stored_scenario

log = logging.getLogger(__name__)


class Runtime:
    """Per-app state (no module globals): tests build one per app."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self._engine = engine
        self._purged_at: datetime | None = None
        self._purge_lock = threading.Lock()
        self._network_key: tuple[tuple, str] | None = None

    def purge_due(self) -> bool:
        """Whether :meth:`purge_idempotency` would purge now (a look at the clock; it claims nothing)."""
        last = self._purged_at
        return last is None or utcnow() - last >= idempotency.PURGE_EVERY

    def purge_idempotency(self) -> None:
        """Purge expired idempotency records, at most every ``PURGE_EVERY`` per process.

        Runs after the request's own transaction committed, in batches of short transactions
        (:func:`supply.service.idempotency.purge`), so other writers wait for one batch at most.
        """
        now = utcnow()
        with self._purge_lock:
            if self._purged_at is not None and now - self._purged_at < idempotency.PURGE_EVERY:
                return
            self._purged_at = now
        before = now - timedelta(hours=self.settings.idempotency_hours)
        try:
            n = idempotency.purge(self.engine, before)
        except Exception as exc:  # a purge that fails is retried at the next interval; never the request's fault
            log.warning("idempotency purge failed (retried later): %s", exc)
        else:
            if n:
                log.info("purged %d idempotency records older than %s", n, before.isoformat())

    @cached_property
    def engine(self) -> Engine:
        return self._engine or make_engine(
            self.settings.resolved_database_url(), busy_seconds=self.settings.sqlite_busy_seconds
        )

    @cached_property
    def read_engine(self) -> Engine:
        """The engine for reads outside a write (autocommit on PostgreSQL; see :func:`supply.service.db.reader`)."""
        return reader(self.engine)

    @cached_property
    def inline_reads(self) -> bool:
        """Whether a one-statement read may run on the event loop: a SQLite file with a shared pool
        (a local lookup of tens of µs, less than a hand-off to a worker thread); not PostgreSQL (a
        round trip would stall every request of the process) nor an in-memory SQLite (one connection per thread)."""
        return isinstance(self.engine.pool, QueuePool) and self.engine.dialect.name == "sqlite"

    @cached_property
    def inline_writes(self) -> bool:
        """Whether a short write route runs on the event loop when its locks are free or soon free
        (:meth:`supply.api.deps.Writer.call`), its caller's token looked up there too.

        The ``writes_on_loop`` setting; ``auto``: a SQLite file with a shared pool (as for
        :attr:`inline_reads`), or a PostgreSQL server on this machine, whose round trips cost less
        than the hand-offs to a worker thread they replace — not a remote one, whose round trips
        would stall every request of the process.
        """
        choice = self.settings.writes_on_loop
        if is_sqlite(self.engine):
            return choice != "off" and self.inline_reads
        return choice == "on" or (choice == "auto" and is_local_server(self.engine))

    @cached_property
    def loop_engine(self) -> Engine:
        """The engine of writes on the event loop (:func:`supply.service.db.loop_engine`)."""
        return loop_engine(self.engine)

    @cached_property
    def loop_fact_engine(self) -> Engine:
        """:attr:`fact_engine` for the event loop: on :attr:`loop_engine`'s pool."""
        return self.fact_engine if self.loop_engine is self.engine else fact_reader(self.loop_engine)

    def close(self) -> None:
        """Let go of the connections the runtime opened beside the engine it was given (the loop's pool)."""
        loop = vars(self).get("loop_engine")
        if loop is not None and loop is not self.engine:
            loop.dispose()

    @cached_property
    def checks_in_write(self) -> bool:
        """Whether a write's checks run on its own transaction's connection (PostgreSQL: reads take no
        lock there) rather than before SQLite's database-wide write lock, on a connection of their own."""
        return self.engine.dialect.name != "sqlite"

    @cached_property
    def fact_engine(self) -> Engine:
        """The engine for one-statement reads and reads of facts that never change (see
        :func:`supply.service.db.fact_reader`)."""
        return fact_reader(self.engine)

    @cached_property
    def jobs(self) -> DrillJobs:
        """Where drills' planning jobs run (a local process pool, or the Dask cluster of the settings)."""
        url = self.engine.url.render_as_string(hide_password=False)
        return DrillJobs(self.settings, url, self.settings.scenarios_dir / "drills", self.engine)

    @cached_property
    def package_jobs(self) -> PackageJobs:
        """Drill packages' jobs, on the same pool and with the same queue limits as drills' planning."""
        s = self.settings
        return PackageJobs(self.jobs, s.data_dir / "packages", per_user=s.drill_queue_per_user, overall=s.drill_queue)

    @cached_property
    def codes(self) -> Codes:
        """Station and item codes seen so far (they are never deleted; a miss asks the database)."""
        return Codes()

    @cached_property
    def tz(self) -> ZoneInfo:
        return self.settings.tz

    @cached_property
    def scenario(self) -> Scenario:
        with read_session(self.engine) as s:
            sc = stored_scenario(s)
        if sc is None:
            msg = "the database has no scenario: run 'jungong db init' first"
            raise NotInitialisedError(msg)
        return sc

    @cached_property
    def items(self) -> dict[str, ItemSpec]:
        """The item catalogue (built-in and the scenario's ``[[items]]``) by code: names and units."""
        return {spec.code: spec for spec in catalogue(self.scenario)}

    @cached_property
    def network(self) -> Network:
        """The stored scenario's network, through the compiled-network cache of the data folder."""
        return cached_network(self.scenario, self.settings.network_cache_dir)

    @cached_property
    def analyses(self) -> AnalysisStore:
        """Background analyses' states and results (``<data dir>/analyses``, shared by the host's processes)."""
        return AnalysisStore(self.settings.data_dir / "analyses", self.settings.analysis_keep)

    @cached_property
    def analysis_jobs(self) -> AnalysisJobs:
        """Analyses run on the drills' job pool (:attr:`jobs`)."""
        return AnalysisJobs(self.jobs)

    def network_key(self) -> str:
        """The content hash of the network's inputs, recomputed only when the road file changes (size, time)."""
        scenario = self.scenario
        stamp: tuple = ()
        if scenario.scenario.graphml:
            st = (Path(scenario.base_dir) / scenario.scenario.graphml).stat()
            stamp = (st.st_size, st.st_mtime_ns, st.st_ino)
        known = self._network_key
        if known is not None and known[0] == stamp:
            return known[1]
        key = cache_key(scenario)
        self._network_key = (stamp, key)
        return key

    @cached_property
    def approvals(self) -> list[ApprovalRule]:
        """The scenario's ``[[approvals]]`` thresholds."""
        return approval_rules(self.scenario, set(self.items))

    @cached_property
    def factors(self) -> Factors:
        return factors_from_scenario(self.scenario)

    @cached_property
    def policy(self) -> StockPolicy:
        return stock_policy(self.scenario)
