"""Pages under their Content-Security-Policy in real Chromium (issue 20): the board shows a unit code
holding markup as text, and the maps draw with their inline scripts allowed by hash alone."""

from __future__ import annotations

import httpx
import pytest

from tests.api.drill_helpers import SMALL_DRILL, post_drill, start_at
from tests.api.test_console_browser import shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: A unit code as a scenario may carry it: were it parsed as HTML, an image would be fetched from ``x``
#: and an element ``#injected`` would exist.
MARKUP = "<img src=x id=injected><b>U1</b>"

#: The map is drawn: folium's inline scripts ran (the map object) and placed the stations' markers.
DRAWN = "() => window.jungongMap && document.querySelectorAll('.leaflet-marker-icon').length"


def csp_refusals(errors: list[str]) -> list[str]:
    return [e for e in errors if "Content Security Policy" in e or "Refused to" in e]


def test_a_unit_code_with_markup_is_text_in_the_boards_map(live, browser_session):
    toml = SMALL_DRILL.replace('code = "U1"', f"code = '{MARKUP}'")  # a TOML literal string
    body = {"scenario_toml": toml, "start_at": start_at(30).isoformat(), "replications": 5}
    with httpx.Client(base_url=live.base, headers=live.db.headers("commander"), timeout=120) as joint:
        d = post_drill(joint, body)["id"]
    with browser_session(live.base) as b:
        page = b.page
        sign_in(page, live.base, live.db.tokens["commander"])
        page.goto(f"{live.base}/console/drills/{d}")
        page.wait_for_function("() => document.querySelectorAll('.jg-unit').length === 2")
        popups = []
        for i in range(2):
            page.locator(".jg-unit").nth(i).click(force=True)
            page.wait_for_selector(".leaflet-popup-content")
            popups.append(page.inner_text(".leaflet-popup-content"))
        assert any(p.startswith(MARKUP + " · ") for p in popups), popups  # the code, exactly as typed
        labels = page.locator(".jg-label.unit").all_inner_texts()
        assert any(MARKUP in t for t in labels), labels
        assert page.locator("#injected").count() == 0 and page.locator("#board-map b, #board-map img.x").count() == 0
        assert not [u for u in b.requests if u.endswith("/x")], b.requests  # no image was asked for
        shot(page, "20-board-markup-as-text", live.db.backend)
        assert b.outside == [] and csp_refusals(b.errors) == [], b.errors


def test_the_maps_draw_under_their_policy(live, browser_session):
    with browser_session(live.base) as b:
        page = b.page
        sign_in(page, live.base, live.db.tokens["planner"])
        for path in ("/console/map", "/maps/coverage"):
            if path == "/maps/coverage":  # the API's page: a bearer token, as a script or a proxy sends it
                page.set_extra_http_headers(live.db.headers("planner"))
            answer = page.goto(f"{live.base}{path}")
            assert "'sha256-" in answer.headers["content-security-policy"]
            page.wait_for_function(DRAWN)
            assert page.evaluate("() => Object.keys(window.jungongMap._layers).length") > 10
        assert b.outside == [] and csp_refusals(b.errors) == [], b.errors
