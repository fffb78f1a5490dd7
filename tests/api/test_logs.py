"""Logs a team can use (issue 20): one format for the app and uvicorn (time, level, logger, request
id), each failure logged once with its request id, and no line forged through a request path."""

from __future__ import annotations

import logging
import re
import sys
import time

import httpx
import pytest
from sqlalchemy import text

from supply.core.logs import REQUEST_ID, Formatter, escape
from supply.service.db import make_engine
from tests import processes
from tests.db import cli_env, free_port, wait_until_up

#: Every line a server writes at the margin (a traceback's lines are indented under theirs).
LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00 (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+ ([0-9a-f]{16}|-) "
)
#: A request log line as a path holding ``%0A`` would forge it.
FORGED = "2026-12-04T00:00:00.000+00:00 INFO jungong.access 0123456789abcdef GET /audit 200 1.0 ms admin-1"


def wait_for(log, pattern: str, timeout: float = 15) -> str:
    """The server's log once ``pattern`` (a regex) is in it."""
    deadline = time.monotonic() + timeout
    while not re.search(pattern, log.read_text(), re.M):
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.05)
    return log.read_text()


def test_the_format_escapes_control_characters_and_indents_tracebacks():
    record = logging.LogRecord("jungong.access", logging.INFO, __file__, 1, "%s done", ("a\nb\r\x1b[31m\u2028",), None)
    token = REQUEST_ID.set("0123456789abcdef")
    try:
        try:
            raise ValueError("bad\nINFO forged")  # noqa: EM101, TRY301  # the message a client's input could shape
        except ValueError:
            failed = logging.LogRecord("supply.x", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
        line, error = Formatter().format(record), Formatter().format(failed)
    finally:
        REQUEST_ID.reset(token)
    assert LINE.match(line) and line.endswith(" INFO jungong.access 0123456789abcdef a\\nb\\r\\x1b[31m\\u2028 done")
    assert "\n" not in line
    head, *rest = error.splitlines()
    assert LINE.match(head) and head.endswith("ERROR supply.x 0123456789abcdef boom")
    assert rest[0] == "  | Traceback (most recent call last):" and all(r.startswith("  | ") for r in rest)
    assert rest[-2:] == ["  | ValueError: bad", "  | INFO forged"]
    assert escape("tab\there") == "tab\\there" and escape("路径 ok") == "路径 ok"


@pytest.mark.slow
def test_a_forged_newline_in_a_path_stays_on_its_line(live):
    with httpx.Client(base_url=live.base, timeout=30) as c:
        answer = c.get("/health%0A" + FORGED.replace(" ", "%20"))
    assert answer.status_code == 404 and re.fullmatch(r"[0-9a-f]{16}", answer.headers["x-request-id"])
    rid = answer.headers["x-request-id"]
    log = wait_for(live.log, rf"{rid} GET /health")
    line = next(x for x in log.splitlines() if rid in x)
    assert LINE.match(line) and line.endswith(f"GET /health\\n{FORGED} 404 {line.split(' 404 ')[1]}")
    assert not any(x.startswith(FORGED[:40]) for x in log.splitlines())  # nothing starts a line of its own
    for x in log.splitlines():  # the request log's lines (other tests' among them) all have the one format
        assert " jungong.access " not in x or LINE.match(x), x


@pytest.mark.slow
def test_each_unexpected_error_is_logged_once_with_its_request_id(db, tmp_path):
    """A broken row (a station's capacity that is not an object) makes ``GET /stations`` fail in the
    app's code, not in the database driver: before, uvicorn logged its traceback a second time."""
    port, log = free_port(), tmp_path / "server.log"
    cmd = [sys.executable, "-m", "supply.cli", "serve", "--db", db.url, "--port", str(port), "--workers", "1"]
    with processes.running(cmd, log, cli_env(tmp_path)) as proc:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(proc, base, log)
        engine = make_engine(db.url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE station SET capacity = '[1]' WHERE code = 'GZ-HUB'"))
        engine.dispose()
        answer = httpx.get(f"{base}/stations", headers=db.headers("planner"), timeout=30)
        assert answer.status_code == 500 and answer.headers["content-type"] == "application/problem+json"
        rid = answer.json()["request_id"]
        assert answer.headers["x-request-id"] == rid
        wait_for(log, rf"INFO jungong\.access {rid} GET /stations 500 ")
    text_ = log.read_text()  # all of it: the server has stopped
    assert text_.count("Traceback (most recent call last)") == 1, text_
    assert "Exception in ASGI application" not in text_
    lines = text_.splitlines()
    at = next(i for i, x in enumerate(lines) if "Traceback" in x)
    assert re.match(rf".* ERROR supply\.api\.problems {rid} unhandled error {rid} on GET /stations$", lines[at - 1])
    assert all(LINE.match(x) or x.startswith(("  | ", "jungong serving", "  console:", "  API docs:")) for x in lines)
