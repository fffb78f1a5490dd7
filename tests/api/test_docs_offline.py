"""The API docs with the network unplugged, and what ``jungong serve`` says: URLs and one line per request."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.maps.conftest import ARTIFACTS


def test_serve_prints_its_urls_and_logs_each_request(live):
    httpx.get(f"{live.base}/stations", headers=live.db.headers("planner"), timeout=30).raise_for_status()
    httpx.get(f"{live.base}/stations/NOPE", headers=live.db.headers("planner"), timeout=30)
    httpx.get(f"{live.base}/health", timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        text = live.log.read_text()
        if "GET /health 200" in text and "GET /stations/NOPE 404" in text:
            break
        time.sleep(0.1)
    assert f"console:  {live.base}/console/" in text and f"API docs: {live.base}/docs" in text
    assert re.search(r"INFO jungong\.access [0-9a-f]{16} GET /stations 200 \d+\.\d ms planner-1$", text, re.M), text[
        -2000:
    ]
    assert re.search(r"INFO jungong\.access [0-9a-f]{16} GET /stations/NOPE 404 \d+\.\d ms planner-1$", text, re.M)
    assert re.search(r"INFO jungong\.access [0-9a-f]{16} GET /health 200 \d+\.\d ms -$", text, re.M)


def test_docs_pages_do_not_name_a_cdn(client):
    for path in ("/docs", "/redoc"):
        page = client.get(path)
        assert page.status_code == 200
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert "cdn." not in page.text and "fonts.googleapis" not in page.text and "tiangolo" not in page.text
        for url in re.findall(r'(?:src|href|spec-url)="([^"]+)"', page.text):
            assert url.startswith("/"), url
            assert client.get(url).status_code == 200, url
    assert client.get("/docs/assets/../app.py").status_code == 404
    bundle = client.get("/docs/assets/redoc/redoc.standalone.js")
    assert bundle.status_code == 200 and "javascript" in bundle.headers["content-type"]
    assert "cdn.redoc.ly" not in bundle.text  # its logo's address dropped: the browser asks nothing

    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file


@pytest.mark.browser
@pytest.mark.parametrize(("path", "ready"), [("/docs", ".opblock-summary-path"), ("/redoc", ".api-content h2")])
def test_docs_render_in_a_browser_with_no_outside_network(live, browser_session, path, ready):

    ARTIFACTS.mkdir(exist_ok=True)
    with browser_session(live.base) as b:
        b.page.goto(f"{live.base}{path}")
        b.page.wait_for_selector(ready, timeout=30_000)
        text = b.page.inner_text("body")
        assert "/stations/{code}/receipts" in text or "Stock received at a station" in text
        if path == "/redoc":  # the bearer scheme, worded as the header to send
            assert "Authorization: Bearer <token>" in text, text[:2000]
            assert re.search(r"HTTP Authorization Scheme:?\s*bearer", text), text[:2000]
        b.page.screenshot(path=str(ARTIFACTS / f"docs{path.replace('/', '-')}-{live.db.backend}.png"))
        assert b.outside == [], b.outside
        # ReDoc's bundle names one outside image (its logo): served without it, nothing is asked nor refused
        assert b.failed == [] and b.errors == [], (b.failed, b.errors)
