"""Tokens and roles, the audit trail, idempotency keys, and the database commands."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from supply.core.scenario import load_scenario
from tests.conftest import ROOT
from tests.db import cli_env

RECEIPT = {"item": "meals", "quantity": 5, "reason": "restock"}


def test_health_needs_no_token(client):
    assert client.get("/health").json() == {"status": "ok"}


@pytest.mark.parametrize("auth", [None, "Bearer", "Bearer not-a-token", "Basic b2ZmaWNlcjpwdw=="])
def test_missing_or_bad_token_is_401(client, auth):
    headers = {"Authorization": auth} if auth else {}
    res = client.get("/stations", headers=headers)
    assert res.status_code == 401 and res.headers["content-type"] == "application/problem+json"
    assert res.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("role", "method", "path", "status"),
    [
        ("commander", "post", "/stations/GZ-HUB/receipts", 403),
        ("planner", "post", "/stations/GZ-HUB/receipts", 403),
        ("officer", "post", "/stations/GZ-HUB/receipts", 201),
        ("admin", "post", "/stations/GZ-HUB/receipts", 201),
        ("commander", "get", "/ledger", 200),
        ("planner", "get", "/reports/stock.csv", 200),
        ("officer", "get", "/audit", 403),
        ("planner", "get", "/audit", 403),
        ("admin", "get", "/audit", 200),
        ("officer", "get", "/users", 403),
    ],
)
def test_roles(client, db, role, method, path, status):
    kwargs = {"json": RECEIPT} if method == "post" else {}
    res = getattr(client, method)(path, headers=db.headers(role), **kwargs)
    assert res.status_code == status, res.text


def test_audit_records_who_what_why_in_utc_shown_in_shanghai(client, db):
    t0 = datetime.now().astimezone()
    client.post("/stations/GZ-HUB/receipts", json=RECEIPT, headers=db.headers())
    (entry,) = client.get("/audit", params={"limit": 1}, headers=db.headers("admin")).json()
    assert (entry["actor"], entry["action"], entry["reason"]) == ("officer-1", "movement.receipt", "restock")
    assert entry["detail"]["quantity"] == 5 and entry["target"].startswith("movement:")
    at, at_utc = datetime.fromisoformat(entry["at"]), datetime.fromisoformat(entry["at_utc"])
    assert at.utcoffset() == timedelta(hours=8) and at_utc.utcoffset() == timedelta(0) and at == at_utc
    assert abs(at - t0) < timedelta(minutes=1)
    assert client.get("/audit", params={"actor": "nobody"}, headers=db.headers("admin")).json() == []


def test_admin_creates_users_over_the_api(client, db):
    res = client.post("/users", json={"name": "li", "role": "planner"}, headers=db.headers("admin"))
    assert res.status_code == 201
    token = res.json()["token"]
    assert client.get("/ledger", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    again = client.post("/users", json={"name": "li", "role": "planner"}, headers=db.headers("admin"))
    assert again.status_code == 409
    assert client.post("/users", json={"name": "x", "role": "general"}, headers=db.headers("admin")).status_code == 422


def test_idempotency_key_replays_the_first_answer(client, db):
    h = db.headers(**{"Idempotency-Key": "radio-retry-1"})
    first = client.post("/stations/GZ-HUB/receipts", json=RECEIPT, headers=h)
    second = client.post("/stations/GZ-HUB/receipts", json=RECEIPT, headers=h)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and second.headers["idempotent-replayed"] == "true"
    ledger = client.get("/ledger", params={"station": "GZ-HUB", "item": "meals"}, headers=db.headers()).json()
    assert [m["kind"] for m in ledger].count("receipt") == 1
    other = client.post("/stations/GZ-HUB/receipts", json={**RECEIPT, "quantity": 6}, headers=h)
    assert other.status_code == 422 and "already used" in other.json()["detail"]
    # keys belong to their user: the admin's same key is a new request
    mine = client.post(
        "/stations/GZ-HUB/receipts", json=RECEIPT, headers=db.headers("admin", **{"Idempotency-Key": "radio-retry-1"})
    )
    assert mine.status_code == 201 and mine.json()["id"] != first.json()["id"]


def test_failed_request_is_not_remembered(client, db):
    h = db.headers(**{"Idempotency-Key": "k2"})
    body = {"item": "meals", "quantity": 30001}
    assert client.post("/stations/GZ-HUB/issues", json=body, headers=h).status_code == 409
    client.post("/stations/GZ-HUB/receipts", json={"item": "meals", "quantity": 1}, headers=db.headers())
    assert client.post("/stations/GZ-HUB/issues", json=body, headers=h).status_code == 201


def run_cli(tmp_path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "supply.cli", *args],
        cwd=ROOT,
        env=env or cli_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_db_init_users_add_and_default_url(tmp_path, tiny_path):
    env = cli_env(tmp_path)
    res = run_cli(tmp_path, "db", "init", str(tiny_path), env=env)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "data" / "jungong.db").exists()  # default: a SQLite file in the data folder
    sc = load_scenario(tiny_path)
    opening = 2 * sum(len(st.stock) for st in sc.stations)  # each opening line, in the real and exercise books
    assert f"{len(sc.stations)} stations" in res.stdout and f"{opening} opening-stock movements" in res.stdout
    again = run_cli(tmp_path, "db", "init", str(tiny_path), env=env)
    assert "0 opening-stock movements" in again.stdout
    res = run_cli(tmp_path, "users", "add", "wang", "--role", "officer", env=env)
    assert res.returncode == 0, res.stderr
    token = res.stdout.strip().splitlines()[-1]
    assert token.startswith("jg_") and len(token) > 40 and " " not in token
    dup = run_cli(tmp_path, "users", "add", "wang", "--role", "officer", env=env)
    assert dup.returncode == 1 and "already exists" in dup.stderr
    bad = run_cli(tmp_path, "users", "add", "zhao", "--role", "general", env=env)
    assert bad.returncode == 2 and "unknown role 'general'" in bad.stderr
    env_url = {**env, "JUNGONG_DATABASE_URL": f"sqlite:///{tmp_path / 'other.db'}"}
    assert run_cli(tmp_path, "db", "init", str(tiny_path), env=env_url).returncode == 0
    assert (tmp_path / "other.db").exists()
    bad = run_cli(tmp_path, "db", "init", "--db", "mysql://x/y", env=env)
    assert bad.returncode == 2 and "only SQLite and PostgreSQL" in bad.stderr
