"""Schemathesis against the app's own OpenAPI schema: every answer conforms to what the schema declares.

Not only "no server error": each response's status code must be one the operation documents, its
content type the one documented for that status (``application/problem+json`` for every error),
and its body must validate against the documented schema — on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from supply.api import create_app
from supply.core.settings import Settings

schema = schemathesis.pytest.from_fixture("api_schema")
CONFORMANCE = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_schema(db, tmp_path, sync_passphrase):  # the centre can sign bundles (/sync/pull)
    app = create_app(Settings(database_url=db.url, data_dir=tmp_path))
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    app.state.runtime.engine.dispose()


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_answers_conform_to_the_schema(case, db):
    """Admin token (every route is allowed): status, content type and body as documented, never a 5xx."""
    case.call_and_validate(headers={"Authorization": f"Bearer {db.tokens['admin']}"}, checks=CONFORMANCE)
