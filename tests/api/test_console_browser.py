"""The web console as a duty officer and a commander use it: headless Chromium against the real server.

Every outside request is blocked and asserted absent; a screenshot of each step lands in
``test-artifacts/``. Writes go to GZN-PT and N-WING, which no other server test touches.
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.maps.conftest import ARTIFACTS

pytestmark = pytest.mark.browser
#: The stale banner says the board is 2 s old or more.
AGED_2_S = r"() => /\b([2-9]|\d\d+) s old/.test(document.getElementById('stale').textContent)"
STATION, OTHER = "GZN-PT", "N-WING"


@pytest.fixture
def browser(live, browser_session):
    ARTIFACTS.mkdir(exist_ok=True)
    opened = []

    def open_(locale: str = "en-US"):
        cm = browser_session(live.base, locale=locale)
        opened.append(cm)
        return cm.__enter__()

    yield open_
    for cm in reversed(opened):
        cm.__exit__(None, None, None)


def board_refresh(drill_id: int) -> str:
    """What the board's polling does every 15 s, now: the request comes from ``#board`` (so its failure
    marks the board stale) into ``#board``. A function: the page's CSP forbids evaluating strings."""
    get = f"htmx.ajax('GET', '/console/drills/{drill_id}/board', {{source: '#board', target: '#board'}})"
    return f"() => {{ {get}.catch(() => null); }}"


def shot(page, name: str, backend: str) -> None:
    page.evaluate("() => window.scrollTo(0, 0)")  # a full-page shot of a scrolled page misplaces sticky headers
    page.screenshot(path=str(ARTIFACTS / f"console-{name}-{backend}.png"), full_page=True)


def sign_in(page, base: str, token: str) -> None:
    page.goto(f"{base}/console/")
    page.fill("input[name=token]", token)
    page.click("form[data-form=signin] button")
    page.wait_for_url(re.compile(r"/console/stations$"))


def figure(page, item: str, field: str) -> float:
    text = page.inner_text(f"td[data-item='{item}'][data-field='{field}']")
    return float(text.replace(",", ""))


def post_form(page, kind: str, **fields: str) -> None:
    form = f"form[data-form={kind}]"
    for name, value in fields.items():
        selector = f"{form} [name={name}]"
        if page.eval_on_selector(selector, "e => e.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")


def clean(b, *, refused: int = 0) -> None:
    """No outside request, no failed load, no script error; ``refused`` forms answered 4xx on purpose."""
    assert b.outside == [], f"outside requests: {b.outside}"
    shown = [e for e in b.errors if not re.search(r"status of (401|422)", e)]
    assert b.failed == [] and shown == [], (b.failed, b.errors)
    assert len(b.errors) - len(shown) == refused


@pytest.mark.slow
def test_officer_records_stock_counts_and_reverses(live, browser):
    b = browser()
    page, backend = b.page, live.db.backend
    sign_in(page, live.base, live.db.tokens["officer"])
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator(f"tr[data-station='{STATION}']").count() == 1
    shot(page, "1-stations", backend)

    page.click(f"a[href='/console/stations/{STATION}']")
    before = figure(page, "water_l", "on_hand")
    post_form(page, "receipt", item="water_l", quantity="1200", reason="tanker from the hub")
    assert figure(page, "water_l", "on_hand") == before + 1200
    assert "Recorded: receipt" in page.inner_text(".done")
    shot(page, "2-receipt", backend)

    post_form(page, "issue", item="water_l", quantity="200", reason="train K-301")
    assert figure(page, "water_l", "on_hand") == before + 1000
    assert figure(page, "water_l", "available") == before + 1000

    # too much: the message sits beside the quantity, and what was typed is still there
    post_form(page, "issue", item="water_l", quantity="99999999", reason="typo")
    err = page.inner_text("form[data-form=issue] [data-error=quantity]")
    assert "Not enough drinking water available at GZN-PT" in err  # the item by name, not its code
    assert page.input_value("form[data-form=issue] [name=quantity]") == "99999999"
    assert page.input_value("form[data-form=issue] [name=reason]") == "typo"
    assert page.eval_on_selector("form[data-form=issue] [name=item]", "e => e.value") == "water_l"
    assert figure(page, "water_l", "on_hand") == before + 1000
    post_form(page, "receipt", item="water_l", quantity="-5")
    assert page.inner_text("form[data-form=receipt] [data-error=quantity]") == "Must be at least 0.001."
    shot(page, "3-errors", backend)

    post_form(page, "transfer", to=OTHER, item="water_l", quantity="100", reason="to the north wing")
    assert figure(page, "water_l", "on_hand") == before + 900

    # a count with a discrepancy: the adjustment is shown, and posted only when confirmed
    counted = before + 893
    post_form(page, "count", item="water_l", counted=str(int(counted)), reason="monthly count")
    box = page.inner_text("[data-confirm=count]")
    assert "An adjustment of -7 will be posted" in box, box
    assert figure(page, "water_l", "on_hand") == before + 900
    shot(page, "4-count-confirm", backend)
    with page.expect_navigation():
        page.click("[data-confirm=count] button")
    assert figure(page, "water_l", "on_hand") == counted
    assert page.locator("tr[data-kind=adjustment]").first.inner_text().count("-7") == 1

    # reverse the receipt: a reason is required
    receipt = page.locator("tr[data-kind=receipt]").first
    movement = receipt.get_attribute("data-movement")
    receipt.locator("input[name=reason]").fill("entered twice")
    with page.expect_navigation():
        receipt.locator("button").click()
    assert figure(page, "water_l", "on_hand") == counted - 1200
    assert page.locator(f"tr[data-movement='{movement}']").get_attribute("class") == "reversed"
    shot(page, "5-reversed", backend)

    # the JSON API sees the same books
    api = httpx.get(f"{live.base}/stations/{STATION}/stock", headers=live.db.headers("planner"), timeout=30).json()
    assert next(r for r in api if r["item"] == "water_l")["on_hand"] == counted - 1200
    clean(b, refused=2)


def test_commander_reads_without_write_controls_and_is_refused_a_post(live, browser):
    b = browser()
    page, backend = b.page, live.db.backend
    sign_in(page, live.base, live.db.tokens["commander"])
    page.goto(f"{live.base}/console/stations/{STATION}")
    assert page.locator("td[data-item='water_l'][data-field='on_hand']").count() == 1
    assert page.locator("form[data-form]:not([data-form=signout])").count() == 0
    assert page.locator("text=Reverse").count() == 0
    shot(page, "6-commander", backend)
    csrf = page.input_value("form[data-form=signout] input[name=csrf]")
    answer = page.request.post(
        f"{live.base}/console/stations/{STATION}/receipt", form={"csrf": csrf, "item": "water_l", "quantity": "5"}
    )
    assert answer.status == 403
    assert 'data-status="403"' in answer.text() and "无权操作" in answer.text()  # no Accept-Language: Chinese
    # no session, no CSRF: refused too
    page.context.clear_cookies()
    answer = page.request.post(
        f"{live.base}/console/stations/{STATION}/receipt", form={"item": "water_l", "quantity": "5"}, max_redirects=0
    )
    assert answer.status in (401, 403)
    clean(b)


def test_languages_follow_the_browser_and_the_switch(live, browser):
    b = browser("zh-CN")
    page, backend = b.page, live.db.backend
    page.goto(f"{live.base}/console/")
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert "登录" in page.inner_text("body")
    page.fill("input[name=token]", "not-a-token")
    with page.expect_navigation():  # to its load event: signing in again must not abort its scripts' loading
        page.click("form[data-form=signin] button")
    assert "令牌无效" in page.inner_text("[data-error=token]")
    page.fill("input[name=token]", live.db.tokens["planner"])
    page.click("form[data-form=signin] button")
    page.wait_for_url(re.compile(r"/console/stations$"))
    assert "站点与库存" in page.inner_text("h1")
    shot(page, "7-zh", backend)
    page.click("a[hreflang=en]")
    page.wait_for_url(re.compile(r"/console/stations$"))
    assert page.get_attribute("html", "lang") == "en"
    assert "Stations and stock" in page.inner_text("h1")
    clean(b, refused=1)


@pytest.mark.slow
def test_officer_serves_a_request_from_the_options_to_delivery(live, browser):
    b = browser()
    page, backend = b.page, live.db.backend
    sign_in(page, live.base, live.db.tokens["officer"])
    page.click("header nav a[href='/console/requests']")
    form = "form[data-form=request]"
    page.fill(f"{form} [name=unit]", "Console test battalion")
    page.fill(f"{form} [name=headcount]", "abc")
    page.fill(f"{form} [name=vehicles]", "6")
    page.select_option(f"{form} [name=site]", "GZN-RAIL")
    page.fill(f"{form} [name=arrive_at]", "2031-06-01T12:00")
    page.fill(f"{form} [name=dwell_minutes]", "45")
    page.fill(f"{form} [name=special_diets]", "halal: 6")
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")
    assert page.inner_text(f"{form} [data-error=headcount]") == "Enter a whole number."
    assert page.input_value(f"{form} [name=unit]") == "Console test battalion"
    assert page.input_value(f"{form} [name=arrive_at]") == "2031-06-01T12:00"
    assert page.input_value(f"{form} [name=special_diets]") == "halal: 6"
    shot(page, "8-request-error", backend)
    page.fill(f"{form} [name=headcount]", "120")
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")
    assert re.search(r"/console/requests/\d+$", page.url)
    assert page.locator("tr[data-option]").count() == 10
    first = page.locator("tr[data-option]").first.get_attribute("data-option")
    assert first == STATION, "the nearest station to Guangzhou North rail station comes first"
    shot(page, "9-options", backend)

    with page.expect_navigation():
        page.click(f"tr[data-option='{STATION}'] form[data-form=plan] button")
    assert re.search(r"/console/dispatches/\d+$", page.url)
    assert page.inner_text("[data-field=status]") == "planned"
    assert sorted(page.eval_on_selector_all("[data-step]", "fs => fs.map(f => f.dataset.step)")) == [
        "cancelled",
        "dispatched",
    ]
    for step in ("dispatched", "delivered"):
        with page.expect_navigation():
            page.click(f"form[data-step={step}] button")
        assert page.inner_text("[data-field=status]") == step
    assert page.eval_on_selector_all("[data-step]", "fs => fs.map(f => f.dataset.step)") == ["closed"]
    shot(page, "10-delivered", backend)
    page.goto(f"{live.base}/console/dispatches?status=delivered&book=real")
    assert page.locator("tr[data-status=delivered]").count() >= 1
    assert page.locator("tr[data-dispatch]:not([data-status=delivered])").count() == 0
    clean(b, refused=1)


@pytest.mark.slow
def test_command_post_board_live_then_stale(live, browser):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from tests.api.drill_helpers import at, drill_body, post_drill, start_at

    db = live.db
    s = start_at(30)
    with httpx.Client(base_url=live.base, headers=db.headers("commander"), timeout=120) as joint:
        d = post_drill(joint, drill_body(s, replications=5))["id"]
        order = {"team": "T-MED", "text": "stand by at GZ-RAIL", "ack_within_minutes": 0}
        joint.post(f"/drills/{d}/orders", json=order).raise_for_status()
    b = browser()
    page, backend = b.page, db.backend
    refresh = board_refresh(d)
    sign_in(page, live.base, db.tokens["commander"])
    page.click("header nav a[href='/console/drills']")
    page.click(f"tr[data-drill='{d}'] a >> nth=0")
    page.wait_for_function("() => document.querySelectorAll('.jg-unit').length === 2")
    assert "Asia/Shanghai" in page.inner_text(".tzline")
    assert page.locator(".tl-row[data-unit]").count() == 2
    assert page.get_attribute(".tl-row[data-unit=U1]", "data-state") == "expected"
    assert page.locator("[data-flag=overdue]").count() == 1
    assert "stand by at GZ-RAIL" in page.inner_text("table.orders")
    assert page.locator(".jg-station").count() == 10
    shot(page, "11-board-live", backend)

    # U1 arrives: the next refresh shows it, on the map and on the timeline
    httpx.post(
        f"{live.base}/drills/{d}/units/U1/times",
        json={"arrived_at": at(s, 2)},
        headers=db.headers("commander"),
        timeout=30,
    ).raise_for_status()
    page.evaluate(refresh)
    page.wait_for_function("() => document.querySelector('.tl-row[data-unit=U1]').dataset.state === 'arrived'")
    hhmm = datetime.fromisoformat(at(s, 2)).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M")
    assert f"/ {hhmm}" in page.inner_text(".tl-row[data-unit=U1] .tl-times")
    assert page.locator(".jg-unit-arrived").count() == 1
    assert page.is_hidden("#stale")

    # the server is out of reach: the last board stays, under a banner with its age
    page.context.set_offline(True)
    page.evaluate(refresh)
    page.wait_for_function("() => !document.getElementById('stale').hidden")
    page.wait_for_function(AGED_2_S)  # the banner's age counts on (each second)
    banner = page.inner_text("#stale")
    assert "cannot be reached" in banner and re.search(r"\d+ s old", banner), banner
    assert page.get_attribute(".tl-row[data-unit=U1]", "data-state") == "arrived"
    shot(page, "12-board-stale", backend)
    page.context.set_offline(False)
    assert b.outside == []
    # offline, the browser and htmx log each failed refresh; nothing else may go wrong
    offline = ("ERR_INTERNET_DISCONNECTED", "htmx:sendError", "htmx:afterRequest")
    assert [e for e in b.errors if not any(o in e for o in offline)] == [], b.errors
