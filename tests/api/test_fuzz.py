"""Schemathesis against the app's own OpenAPI schema: no input may cause a server error."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from supply.api import create_app
from supply.core.settings import Settings

schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def api_schema(db, tmp_path):
    app = create_app(Settings(database_url=db.url, data_dir=tmp_path))
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    app.state.runtime.engine.dispose()


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, db):
    response = case.call(headers={"Authorization": f"Bearer {db.tokens['admin']}"})
    assert response.status_code < 500, f"{case.method} {case.formatted_path} → {response.status_code}: {response.text}"
    if response.status_code >= 400:
        assert response.headers["content-type"][0] == "application/problem+json", response.text
