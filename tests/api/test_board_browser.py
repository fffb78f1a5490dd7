"""The command post's board with the server really stopped: headless Chromium against a server of its own.

The board loads live; then the server process is stopped (not the browser put offline): the board's
next refresh fails, and the last board stays on screen under a banner giving its age. The old
``/drills/{id}/board.html`` address leads to the console's board (308), the JSON board staying put.
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.api.drill_helpers import at, drill_body, post_drill, start_at
from tests.api.test_console_browser import AGED_2_S, board_refresh, shot, sign_in
from tests.maps.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_board_keeps_the_last_state_when_the_server_stops(own_server, browser_session):

    live, db = own_server.live, own_server.live.db
    s = start_at(30)
    with httpx.Client(base_url=live.base, headers=db.headers("commander"), timeout=120) as joint:
        d = post_drill(joint, drill_body(s, replications=5))["id"]
        order = {"team": "T-MED", "text": "stand by at GZ-RAIL", "ack_within_minutes": 0}
        joint.post(f"/drills/{d}/orders", json=order).raise_for_status()
        joint.post(f"/drills/{d}/units/U1/times", json={"arrived_at": at(s, 2)}).raise_for_status()
        # the old page's address leads to the console's board; the JSON board stays where it was
        moved = joint.get(f"/drills/{d}/board.html", follow_redirects=False)
        assert moved.status_code == 308 and moved.headers["location"] == f"/console/drills/{d}"
        assert joint.get(f"/drills/{d}/board").json()["drill"]["id"] == d

    ARTIFACTS.mkdir(exist_ok=True)
    with browser_session(live.base) as b:
        page = b.page
        sign_in(page, live.base, db.tokens["commander"])
        page.goto(f"{live.base}/drills/{d}/board.html")
        assert page.url == f"{live.base}/console/drills/{d}"
        page.wait_for_function("() => document.querySelectorAll('.jg-unit').length === 2")
        assert page.get_attribute(".tl-row[data-unit=U1]", "data-state") == "arrived"
        assert page.is_hidden("#stale")

        own_server.stop()
        assert own_server.proc.poll() is not None, "the server process has ended"
        page.evaluate(board_refresh(d))
        page.wait_for_function("() => !document.getElementById('stale').hidden")
        page.wait_for_function(AGED_2_S)  # the banner's age counts on (each second)
        banner = page.inner_text("#stale")
        assert "cannot be reached" in banner and re.search(r"\d+ s old", banner), banner
        assert int(re.search(r"(\d+) s old", banner).group(1)) >= 2
        # the last state is still shown: the unit that arrived, the overdue order, the map
        assert page.get_attribute(".tl-row[data-unit=U1]", "data-state") == "arrived"
        assert "stand by at GZ-RAIL" in page.inner_text("table.orders")
        assert page.locator("[data-flag=overdue]").count() == 1
        assert page.locator(".jg-unit-arrived").count() == 1
        shot(page, "16-board-server-stopped", db.backend)
        assert b.outside == []
        refused = ("ERR_CONNECTION_REFUSED", "htmx:sendError", "htmx:afterRequest")
        assert [e for e in b.errors if not any(r in e for r in refused)] == [], b.errors
