"""The command post's board page in headless Chromium against the real server: live, then offline."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.api.drill_helpers import at, drill_body, post_drill, start_at
from tools.chromium import chromium_path

pytestmark = pytest.mark.browser
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_board_page_refreshes_and_keeps_the_last_board_offline(live, client_for):
    if not chromium_path():
        pytest.fail("Chromium is not installed (apt-get install chromium); browser tests need it")
    from tools.chromium import chromium_page

    db = live.db
    joint = client_for("commander")
    s = start_at(30)
    d = post_drill(joint, drill_body(s, replications=5))["id"]
    joint.post(f"/drills/{d}/orders", json={"team": "T-MED", "text": "stand by at GZ-RAIL", "ack_within_minutes": 0})
    with chromium_page(live.base) as b:
        page = b.page
        page.goto(f"{live.base}/drills/{d}/board.html")
        page.fill("#token", db.tokens["commander"])
        page.click("#login button")
        page.wait_for_selector("#board table")
        assert page.inner_text("#state").startswith("live")
        text = page.inner_text("#board")
        assert "U1" in text and "U2" in text and "stand by at GZ-RAIL" in text and "OVERDUE" in text
        # a unit's arrival shows up on the next refresh
        httpx.post(
            f"{live.base}/drills/{d}/units/U1/times", json={"arrived_at": at(s, 2)}, headers=db.headers("commander")
        )
        page.evaluate("refresh()")  # awaited: the page's refresh returns a promise
        hhmm = [datetime.fromisoformat(at(s, m)).astimezone(SHANGHAI).strftime("%H:%M") for m in (120, 2)]
        assert f"{hhmm[0]} / {hhmm[1]}" in page.inner_text("#board")
        # the server goes away: the page says so and keeps the last board
        page.context.set_offline(True)
        page.evaluate("refresh()")
        page.wait_for_function("document.getElementById('state').innerText.startsWith('OFFLINE')")
        assert "U1" in page.inner_text("#board")
        assert b.outside == [] and [e for e in b.errors if "ERR_INTERNET_DISCONNECTED" not in e] == []
