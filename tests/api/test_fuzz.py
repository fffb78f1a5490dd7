"""Schemathesis against the app's own OpenAPI schema: every answer conforms to what the schema declares.

Not only "no server error": each response's status code must be one the operation documents, its
content type the one documented for that status (``application/problem+json`` for every error),
and its body must validate against the documented schema — on SQLite and on PostgreSQL. Drills in
every status (planning, failed, open, closed) exist while it runs, and the cases of every route
that takes a drill's id take theirs in turn.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from supply.api import create_app
from supply.api.drill_jobs import process_id
from supply.core.settings import Settings
from supply.drills import jobs, start
from supply.service.db import make_engine, write_session
from supply.service.models import id_of
from tests.api.drill_helpers import caller, drill_body, small_scenario, start_at, wait_planned
from tests.api.test_hardening import sql

schema = schemathesis.pytest.from_fixture("api_schema")
CONFORMANCE = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def drill_ids(db, tmp_path) -> Iterator[dict[str, int]]:
    """One drill in each status (planned for real: open, closed; as a job leaves them: planning, failed)."""
    app = create_app(Settings(database_url=db.url, data_dir=tmp_path / "seed"))
    with TestClient(app) as c:
        h = db.headers("commander")
        body = drill_body(start_at(), replications=5)
        opened, closed = (c.post("/drills", json=body, headers=h).json()["id"] for _ in "ab")
        assert all(wait_planned(c, d, h)["status"] == "open" for d in (opened, closed))  # planned side by side
        assert c.post(f"/drills/{closed}/close", headers=h).status_code == 200
    app.state.runtime.engine.dispose()
    engine = make_engine(db.url)
    try:
        with write_session(engine) as s:  # no job: planning while this process lives (nothing claims them)
            commander, scenario = caller(s, "commander-1"), small_scenario()
            planning, failed = (
                id_of(start.create_drill(s, commander, scenario, job={"replications": 5}, owner=process_id()))
                for _ in range(2)
            )
            jobs.fail(s, failed, "the job's process was killed (SIGKILL)")
            s.commit()
    finally:
        engine.dispose()
    yield {"planning": planning, "failed": failed, "open": opened, "closed": closed}
    sql(db, "UPDATE drill SET status = 'failed' WHERE status = 'planning'")  # nothing left planning


@pytest.fixture
def api_schema(db, tmp_path, sync_passphrase, drill_ids):  # the centre can sign bundles (/sync/pull)
    app = create_app(Settings(database_url=db.url, data_dir=tmp_path))
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    app.state.runtime.engine.dispose()


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_answers_conform_to_the_schema(case, db, drill_ids):
    """Admin token (every route is allowed): status, content type and body as documented, never a 5xx —
    also for drills planning, failed, open and closed."""
    if "drill_id" in (case.path_parameters or {}):
        case.path_parameters["drill_id"] = next(_turns(drill_ids))
    case.call_and_validate(headers={"Authorization": f"Bearer {db.tokens['admin']}"}, checks=CONFORMANCE)


_CYCLES: dict[tuple[int, ...], Iterator[int]] = {}


def _turns(drill_ids: dict[str, int]) -> Iterator[int]:
    """The seeded drills' ids in turn, across the run's cases."""
    key = tuple(drill_ids.values())
    return _CYCLES.setdefault(key, itertools.cycle(key))
