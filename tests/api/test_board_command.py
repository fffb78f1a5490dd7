"""The command post runs a drill from the console's board: headless Chromium against the real server.

The officer who starts the drill is its joint command: they record a unit's arrival, issue an
order to a team and mark a procedure step from the board. The planner, appointed the team's
leader, acknowledges, starts and completes that order (their own) and nothing else. A commander
who holds no role in the drill sees no control and is refused (403) when posting a form anyway.
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.api.drill_helpers import drill_body, post_drill, start_at
from tests.api.test_console_browser import browser, clean, shot, sign_in

__all__ = ["browser"]  # the fixture, shared with the console's other browser tests


def _drill(live) -> int:
    db = live.db
    with httpx.Client(base_url=live.base, headers=db.headers("officer"), timeout=120) as joint:
        d = post_drill(joint, drill_body(start_at(30), replications=5))["id"]
        member = {"user": "planner-1", "role": "team_leader", "team": "T-MED"}
        joint.post(f"/drills/{d}/members", json=member).raise_for_status()
    return d


def switch(page, base: str, token: str) -> None:
    """Sign out, then in as someone else."""
    with page.expect_navigation():
        page.click("form[data-form=signout] button")
    sign_in(page, base, token)


def _submit(page, form: str) -> None:
    with page.expect_navigation():
        page.click(f"form[data-form={form}] button[type=submit]")


@pytest.mark.slow
def test_command_post_runs_the_drill_from_the_board(live, browser):
    d = _drill(live)
    db, board = live.db, f"{live.base}/console/drills/{d}"
    b = browser()
    page, backend = b.page, db.backend
    sign_in(page, live.base, db.tokens["officer"])
    page.goto(board)
    assert page.locator("form[data-form=unit]").count() == 1
    assert page.locator("form[data-form=order]").count() == 1
    assert page.locator("form[data-form=step]").count() == 1
    assert page.locator("form[data-form=order-status]").count() == 0, "the joint command answers no team's order"

    # U1 arrives now (the time left empty)
    page.select_option("form[data-form=unit] [name=unit]", "U1")
    page.select_option("form[data-form=unit] [name=event]", "arrived_at")
    _submit(page, "unit")
    assert page.get_attribute("[data-done]", "data-done") == "unit"
    assert page.get_attribute(".tl-row[data-unit=U1]", "data-state") == "arrived"
    # fed before it arrived: refused beside the time, what was typed kept
    page.select_option("form[data-form=unit] [name=unit]", "U1")
    page.select_option("form[data-form=unit] [name=event]", "served_at")
    page.fill("form[data-form=unit] [name=at]", "2020-01-01T08:00")
    _submit(page, "unit")
    assert "served_at is before arrived_at" in page.inner_text("form[data-form=unit] [data-error=_form]")
    assert page.input_value("form[data-form=unit] [name=at]") == "2020-01-01T08:00"
    assert page.get_attribute(".tl-row[data-unit=U1]", "data-state") == "arrived"

    # an order with no text: the message sits beside the text; then issued to the medical team
    page.select_option("form[data-form=order] [name=to]", "team:T-MED")
    page.eval_on_selector("form[data-form=order]", "f => f.noValidate = true")
    _submit(page, "order")
    assert page.inner_text("form[data-form=order] [data-error=text]") == "This field is required."
    assert page.eval_on_selector("form[data-form=order] [name=to]", "e => e.value") == "team:T-MED"
    page.fill("form[data-form=order] [name=text]", "bring stretchers to GZ-RAIL")
    _submit(page, "order")
    assert page.get_attribute("[data-done]", "data-done") == "order"
    assert "bring stretchers to GZ-RAIL" in page.inner_text("table.orders")

    page.select_option("form[data-form=step] [name=step]", "notice_received")
    _submit(page, "step")
    assert page.get_attribute("[data-done]", "data-done") == "step"
    assert page.locator("form[data-form=step] option[value=notice_received]").count() == 0
    assert page.inner_text("table.procedure tr[data-step=notice_received] td >> nth=2") != "—"
    shot(page, "13-board-command", backend)

    # the team's leader moves their own order along, and has no other control
    switch(page, live.base, db.tokens["planner"])
    lead = b
    lead.page.goto(board)
    assert lead.page.locator("form[data-form]:not([data-form=signout]):not([data-form=order-status])").count() == 0
    row = "tr[data-order]:has-text('bring stretchers')"
    for step in ("acknowledged", "in_progress"):
        with lead.page.expect_navigation():
            lead.page.click(f"{row} form[data-step={step}] button")
        assert lead.page.get_attribute(row, "data-status") == step
    shot(lead.page, "14-board-team-leader", backend)
    with lead.page.expect_navigation():
        lead.page.click(f"{row} form[data-step=done] button")
    assert lead.page.locator(row).count() == 0, "a completed order leaves the open orders"

    # a commander outside the drill: no control, and 403 when posting anyway
    switch(page, live.base, db.tokens["commander"])
    cmd = b
    cmd.page.goto(board)
    assert cmd.page.locator("form[data-form]:not([data-form=signout])").count() == 0
    assert cmd.page.locator("[data-rights=none]").count() == 1
    csrf = cmd.page.input_value("form[data-form=signout] input[name=csrf]")
    for path, form in (
        ("units", {"unit": "U2", "event": "arrived_at"}),
        ("orders", {"to": "team:T-MED", "text": "go"}),
        ("steps", {"step": "plan_approved"}),
    ):
        answer = cmd.page.request.post(f"{board}/{path}", form={"csrf": csrf, **form})
        assert answer.status == 403, (path, answer.status)
        assert 'data-status="403"' in answer.text()
    shot(cmd.page, "15-board-commander", backend)
    clean(b, refused=2)


def test_refusals_on_the_board_speak_chinese(live, browser):
    d = _drill(live)
    db, board = live.db, f"{live.base}/console/drills/{d}"
    with httpx.Client(base_url=live.base, headers=db.headers("officer"), timeout=30) as joint:
        order = joint.post(f"/drills/{d}/orders", json={"team": "T-MED", "text": "stand by"}).json()["id"]
    b = browser("zh-CN")
    page = b.page
    page.goto(f"{live.base}/console/")
    page.fill("input[name=token]", db.tokens["planner"])
    page.click("form[data-form=signin] button")
    page.wait_for_url(re.compile(r"/console/stations$"))
    page.goto(board)
    assert "确认" in page.inner_text(f"tr[data-order='{order}']")  # the team leader's button, in Chinese
    shot(page, "17-board-zh-team-leader", db.backend)
    csrf = page.input_value("form[data-form=signout] input[name=csrf]")
    # an issued order cannot be completed at once: 422, worded in Chinese, statuses translated, the id as is
    answer = page.request.post(f"{board}/orders/{order}/status", form={"csrf": csrf, "status": "done"})
    assert answer.status == 422
    page.set_content(answer.text())
    err = page.inner_text(f"tr[data-order='{order}'] [data-error=status]")
    assert re.search(rf"命令 {order} .*已下达.*已完成", err), err
    assert not re.search(r"[A-Za-z]{3,}", err), f"English left in: {err}"
    clean(b, refused=0)
