"""The console as a new officer tries it on a phone (390 px) and a desktop, in Chinese and English:
the menu fits, a recorded receipt's banner is in view, the board map's labels stay inside the map,
and the drill page offers the package for download. Headless Chromium against the real server,
outside requests blocked; writes go to ZC-PT, which no other server test touches.
"""

from __future__ import annotations

import time
import zipfile

import httpx
import pytest

from tests.api.drill_helpers import drill_body, post_drill, start_at
from tests.api.test_console_browser import clean, post_form, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]
STATION = "ZC-PT"
#: Each of these elements' text on one line: its text's line boxes.
ONE_LINE = """sel => Array.from(document.querySelectorAll(sel)).map(el => {
  const r = document.createRange(); r.selectNodeContents(el);
  const tops = new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top)));
  return [el.textContent.trim(), tops.size];
})"""
#: Labels cut by the map's edge: partly inside its box, partly out (1 px tolerance); a label of a station
#: beyond the view is wholly out, and not shown.
OUTSIDE_MAP = """() => {
  const m = document.getElementById('board-map').getBoundingClientRect();
  return Array.from(document.querySelectorAll('#board-map .jg-label')).filter(l => {
    const r = l.getBoundingClientRect();
    const meets = r.right > m.left && r.left < m.right && r.bottom > m.top && r.top < m.bottom;
    return meets && (r.left < m.left - 1 || r.right > m.right + 1 || r.top < m.top - 1 || r.bottom > m.bottom + 1);
  }).map(l => l.textContent);
}"""


def _fits(page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    assert page.evaluate("() => document.querySelector('header.top').scrollWidth <= window.innerWidth")
    wrapped = [(t, n) for t, n in page.evaluate(ONE_LINE, "header.top nav a, header.top .langs > *") if n != 1]
    assert wrapped == [], f"menu entries broken over lines: {wrapped}"


@pytest.mark.parametrize(("locale", "done"), [("zh-CN", "已记录"), ("en-US", "Recorded: receipt")])
def test_a_new_officer_on_a_phone(live, browser_session, locale, done):
    db = live.db
    with httpx.Client(base_url=live.base, headers=db.headers("commander"), timeout=120) as joint:
        d = post_drill(joint, drill_body(start_at(30), replications=5))["id"]
    for width in (390, 1400):
        with browser_session(live.base, locale=locale, width=width, height=800) as b:
            page = b.page
            sign_in(page, live.base, db.tokens["officer"])
            _fits(page)
            shot(page, f"phone-{width}-{locale}-stations", db.backend)

            page.goto(f"{live.base}/console/stations/{STATION}")
            post_form(page, "receipt", item="water_l", quantity="10", reason="phone test")
            box = page.evaluate(
                "() => { const r = document.getElementById('done').getBoundingClientRect();"
                " return [r.top, r.bottom, window.innerHeight]; }"
            )
            assert box[0] >= -1 and box[1] <= box[2], f"the banner is out of view: {box}"
            assert done in page.inner_text("#done")

            page.goto(f"{live.base}/console/drills/{d}")
            page.wait_for_function("() => document.querySelectorAll('.jg-unit').length === 2")
            _fits(page)
            assert page.evaluate(OUTSIDE_MAP) == [], "a board-map label is clipped at the map's edge"
            assert "notice_received" not in page.inner_text("table.procedure") + page.inner_text("#command")
            shot(page, f"phone-{width}-{locale}-board", db.backend)
            assert page.locator("a[data-download=package]").count() == 1
            clean(b)


def test_the_drill_page_offers_the_package(live, browser_session):
    db = live.db
    with httpx.Client(base_url=live.base, headers=db.headers("commander"), timeout=120) as joint:
        d = post_drill(joint, drill_body(start_at(30), replications=5))["id"]
    with browser_session(live.base, locale="zh-CN") as b:
        page = b.page
        sign_in(page, live.base, db.tokens["commander"])
        page.goto(f"{live.base}/console/drills/{d}")
        assert page.get_attribute("a[data-download=film-mp4]", "href") == f"/console/drills/{d}/film.mp4"
        assert page.get_attribute("a[data-download=film-html]", "href") == f"/console/drills/{d}/film.html"
        href = page.get_attribute("a[data-download=package]", "href")
        assert href == f"/console/drills/{d}/package"
        with page.expect_download(timeout=120_000) as download:  # the waiting page asks again until the zip
            page.goto(f"{live.base}{href}?speed=7200")  # a 12-hour drill's film in a few seconds
            assert "正在生成成果包" in page.inner_text("[data-package=running]")
        path = download.value.path()
        assert download.value.suggested_filename == f"drill-{d}-package-zh.zip"
        with zipfile.ZipFile(path) as z:
            assert "drill-package/index.html" in z.namelist()
        # the refresh that brought the zip ends as a download, not a page: the one "failed" load
        assert b.outside == [] and b.errors == [] and b.failed == [f"{live.base}{href}?speed=7200: net::ERR_ABORTED"]
        film = f"/console/drills/{d}/film.html"
        deadline = time.monotonic() + 120
        while (r := page.request.get(f"{live.base}{film}?speed=7200")).status == 202:  # the waiting page's refresh
            assert "正在生成录像片" in r.text() and time.monotonic() < deadline
            time.sleep(0.5)
        assert r.status == 200 and "film-data" in r.text()
    with browser_session(live.base) as b:  # a planner may read the board, not ask for the package
        sign_in(b.page, live.base, db.tokens["planner"])
        b.page.goto(f"{live.base}/console/drills/{d}")
        assert b.page.locator("a[data-download=package]").count() == 0
        assert b.page.locator("a[data-download=film-html]").count() == 1  # the film: any reader
