"""A database connection lost under the service (PostgreSQL restarted) is a 503 to retry, never a 500.

The pool holds a connection from a first request; every backend of the database is then
terminated, so the next request gets that dead connection: it must be answered 503 with
``Retry-After`` (the pool is discarded), and the request after it reconnects and succeeds.
"""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.engine import make_url


def _terminate_backends(url: str) -> int:
    u = make_url(url)
    with psycopg.connect(host=u.host, port=u.port, user=u.username, dbname=u.database, autocommit=True) as c:
        return c.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]


@pytest.mark.postgres
@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_lost_connections_answer_503_then_reconnect(client, db):
    h = db.headers()
    first = client.get("/stations/GZ-HUB/stock", headers=h)
    assert first.status_code == 200  # the pool now holds a connection
    assert _terminate_backends(db.url) >= 1

    lost = client.get("/stations/GZ-HUB/stock", headers=h)
    assert lost.status_code == 503, lost.text
    assert lost.headers["content-type"].startswith("application/problem+json")
    assert lost.headers["retry-after"] == "1"
    assert lost.json()["status"] == 503

    again = client.get("/stations/GZ-HUB/stock", headers=h)
    assert again.status_code == 200
    assert again.json() == first.json()  # nothing was lost: the same stock, read on a new connection
