"""A database connection lost under the service (PostgreSQL restarted) is a 503 to retry, never a 500."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.engine import make_url


@pytest.mark.postgres
@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_lost_connections_answer_503_then_reconnect(client, db):
    h = db.headers()
    assert client.get("/stations/GZ-HUB/stock", headers=h).status_code == 200  # the pool holds a connection
    url = make_url(db.url)
    with psycopg.connect(host=url.host, port=url.port, user=url.username, dbname=url.database, autocommit=True) as c:
        killed = c.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]
    assert killed >= 1
    statuses = []
    for _ in range(3):
        res = client.get("/stations/GZ-HUB/stock", headers=h)
        statuses.append(res.status_code)
        if res.status_code == 503:
            assert res.headers["content-type"].startswith("application/problem+json")
            assert res.headers["retry-after"] == "1"
        if res.status_code == 200:
            break
    assert statuses[-1] == 200 and set(statuses) <= {200, 503}, statuses
