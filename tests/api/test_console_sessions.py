"""Console sessions (issue 20): a server-side session, never the API token in a cookie; it ends at
sign-out, expiry and idle timeout, is replaced at sign-in, is ``Secure`` over HTTPS; a console
POST from another origin is refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from supply.service.auth import hash_token
from supply.service.db import make_engine
from supply.service.models import ConsoleSession, User, table_of, utcnow

SESSIONS = table_of(ConsoleSession)


def sign_in(client: Any, token: str, **headers: str) -> Any:
    """Sign in through the form as a browser would (the CSRF value from the sign-in page); the answer."""
    page = client.get("/console/")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post("/console/signin", data={"csrf": csrf, "token": token}, headers=headers, follow_redirects=False)


def opens(client: Any, cookie: str) -> bool:
    """Whether the session id ``cookie`` opens the stations page (else: 303 to the sign-in page)."""
    client.cookies.delete("jg_session")  # every copy, whatever its domain
    client.cookies.set("jg_session", cookie, path="/console")
    answer = client.get("/console/stations", follow_redirects=False)
    assert answer.status_code in (200, 303), answer.text
    return answer.status_code == 200


@pytest.fixture
def rows(db) -> Iterator[Any]:
    """A connection on the test's database, to look at and age the stored sessions."""
    engine = make_engine(db.url)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def stored(rows: Any, cookie: str) -> Any:
    rows.rollback()  # a fresh snapshot
    return rows.execute(select(SESSIONS).where(SESSIONS.c.id_hash == hash_token(cookie))).first()


def age(rows: Any, cookie: str, **values: Any) -> None:
    rows.execute(update(SESSIONS).where(SESSIONS.c.id_hash == hash_token(cookie)).values(**values))
    rows.commit()


def test_the_session_cookie_is_a_stored_session_never_the_token(client, db, rows):
    token = db.tokens["officer"]
    answer = sign_in(client, token)
    assert answer.status_code == 303
    cookie = answer.cookies["jg_session"]
    assert token not in answer.headers["set-cookie"] and cookie != token and len(cookie) >= 40
    set_cookie = answer.headers.get_list("set-cookie")
    session_line = next(c for c in set_cookie if c.startswith("jg_session="))
    assert "HttpOnly" in session_line and "SameSite=strict" in session_line and "Path=/console" in session_line
    assert "Secure" not in session_line  # plain HTTP here; see the real server's test for HTTPS
    row = stored(rows, cookie)
    assert row is not None and row.id_hash == hash_token(cookie) and cookie not in str(tuple(row))
    officer = rows.execute(select(User.id).where(User.name == "officer-1")).scalar_one()
    assert row.user_id == officer and row.expires_at - row.created_at == timedelta(hours=12)
    assert opens(client, cookie)
    assert not opens(client, token)  # the API token itself opens nothing


def test_sign_out_ends_the_session_for_good(client, db, rows):
    cookie = sign_in(client, db.tokens["officer"]).cookies["jg_session"]
    page = client.get("/console/stations")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    out = client.post("/console/signout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303 and stored(rows, cookie) is None
    assert not opens(client, cookie)  # a copy of the cookie kept after sign-out is worth nothing
    assert client.get("/stations", headers=db.headers("officer")).status_code == 200  # the token still works


def test_a_session_expires_and_times_out_when_idle(client, db, rows):
    first = sign_in(client, db.tokens["planner"]).cookies["jg_session"]
    age(rows, first, last_seen_at=utcnow() - timedelta(minutes=29))  # idle, but not for 30 minutes
    assert opens(client, first)
    assert utcnow() - stored(rows, first).last_seen_at < timedelta(seconds=30)  # used: the idle clock restarts
    age(rows, first, last_seen_at=utcnow() - timedelta(minutes=31))
    assert not opens(client, first)

    second = sign_in(client, db.tokens["planner"]).cookies["jg_session"]
    assert opens(client, second)
    age(rows, second, expires_at=utcnow() - timedelta(seconds=1))  # in use all along, yet past its 12 hours
    assert not opens(client, second)
    third = sign_in(client, db.tokens["planner"]).cookies["jg_session"]
    assert stored(rows, first) is None and stored(rows, second) is None  # dead sessions are cleared at sign-in
    assert stored(rows, third) is not None


def test_sign_in_replaces_the_browsers_session(client, db, rows):
    planted = "an-id-chosen-by-someone-else"
    client.cookies.set("jg_session", planted, path="/console")
    first = sign_in(client, db.tokens["officer"]).cookies["jg_session"]
    assert first != planted and opens(client, first)
    second = sign_in(client, db.tokens["commander"]).cookies["jg_session"]  # the same browser, signing in again
    assert second != first and stored(rows, first) is None and not opens(client, first)
    assert opens(client, second)
    assert "commander-1" in client.get("/console/stations").text


def test_a_revoked_users_session_ends(client, db):
    made = client.post("/users", json={"name": "temp", "role": "officer"}, headers=db.headers("admin"))
    cookie = sign_in(client, made.json()["token"]).cookies["jg_session"]
    assert opens(client, cookie)
    assert client.post("/users/temp/revoke", headers=db.headers("admin")).status_code == 200
    assert not opens(client, cookie)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": "https://testserver"},  # the same host under another scheme is another origin
        {"Referer": "http://evil.example/page.html"},
    ],
)
def test_a_console_post_from_another_origin_is_refused(client, db, rows, headers):
    refused = sign_in(client, db.tokens["officer"], **headers)
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    assert "this site's own pages" in refused.json()["detail"] and "jg_session" not in refused.cookies
    cookie = sign_in(client, db.tokens["officer"], Origin="http://testserver").cookies["jg_session"]
    page = client.get("/console/stations/GZ-HUB")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    form = {"csrf": csrf, "item": "meals", "quantity": "5", "reason": "forged"}
    forged = client.post("/console/stations/GZ-HUB/receipt", data=form, headers=headers, follow_redirects=False)
    assert forged.status_code == 403 and forged.headers["content-type"] == "application/problem+json"
    own = {"Referer": "http://testserver/console/stations/GZ-HUB"}
    same = client.post("/console/stations/GZ-HUB/receipt", data={**form, "reason": "same-site"}, headers=own)
    assert same.status_code == 200 and stored(rows, cookie) is not None
    ledger = client.get("/ledger", params={"station": "GZ-HUB"}, headers=db.headers("officer")).text
    assert "same-site" in ledger and "forged" not in ledger


@pytest.mark.slow
def test_the_cookie_is_secure_over_https_through_a_trusted_proxy(live):
    """A real server behind a proxy on loopback (uvicorn trusts 127.0.0.1's ``X-Forwarded-Proto``)."""
    with httpx.Client(base_url=live.base, timeout=30) as browser:
        plain = sign_in(browser, live.db.tokens["planner"])
        assert plain.status_code == 303 and "Secure" not in plain.headers["set-cookie"]
        browser.cookies.clear()
        proxied = {"X-Forwarded-Proto": "https", "Origin": live.base.replace("http://", "https://")}
        page = browser.get("/console/", headers=proxied)
        assert all("; Secure" in c for c in page.headers.get_list("set-cookie"))
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        sent = {**proxied, "Cookie": f"jg_csrf={csrf}"}  # over plain HTTP httpx holds Secure cookies back
        answer = browser.post("/console/signin", data={"csrf": csrf, "token": live.db.tokens["planner"]}, headers=sent)
        assert answer.status_code == 303
        cookies = answer.headers.get_list("set-cookie")
        assert {c.split("=")[0] for c in cookies} == {"jg_session", "jg_csrf"}
        assert all("; Secure" in c and "HttpOnly" in c for c in cookies), cookies
