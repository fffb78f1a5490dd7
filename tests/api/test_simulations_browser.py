"""Simulated drills in the console as a planner uses them: headless Chromium against the real server.

A planner starts a built-in drill with few replications, watches it run (the page polls), reads its
result (the planned units on time first) and runs ``improve`` on it; a faulty upload comes back with
each fault by its key path; a duty officer may read but not start; the pages in Chinese too. The
simulations write nothing to the database, so the server runs on SQLite only. Screenshots land in
``test-artifacts/``.
"""

from __future__ import annotations

import random
import re

import pytest

from tests.api.test_console_browser import clean, shot, sign_in
from tests.api.test_simulations import BAD
from tests.maps.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.parametrize("live", ["sqlite"], indirect=True)]
#: A drill's finishing, or improve's, through the page's own polling.
FINISHED = "#sim[data-status=done]"


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


def start_drill(page, base: str, scenario: str, replications: int) -> None:
    page.goto(f"{base}/console/simulations")
    form = "form[data-form=built-in]"
    page.select_option(f"{form} [name=scenario]", scenario)
    page.fill(f"{form} [name=replications]", str(replications))
    page.fill(f"{form} [name=seed]", str(random.randrange(10**6)))  # a new run, not one this server already did
    with page.expect_navigation(timeout=60_000):  # a busy machine: the job pool shares its cores with the server
        page.click(f"{form} button[type=submit]")


def test_planner_runs_a_drill_watches_it_and_runs_improve(live, browser):
    b = browser()
    page = b.page
    sign_in(page, live.base, live.db.tokens["planner"])
    start_drill(page, live.base, "nansha-embarkation", 40)
    assert re.search(r"/console/simulations/[0-9a-f]{32}$", page.url)
    assert page.get_attribute("#sim", "data-status") in ("queued", "running")  # its progress, while it runs
    assert page.locator("#sim progress").count() == 1
    shot(page, "sim-1-running", "sqlite")
    page.wait_for_selector(FINISHED, timeout=120_000)  # the page's polling brings the result in
    headline = page.inner_text("[data-headline]")
    assert re.fullmatch(r"Planned units on time: \d of 4", headline), headline
    late = page.locator("table.late-units tr[data-unit]").count()
    assert late >= 1 and "Bottleneck:" in page.inner_text("[data-field=bottleneck]")
    assert page.locator("table.late-units tr[data-side=vehicles]").count() >= 1  # people and vehicles apart
    # the bottleneck's minutes beyond target are found again in the table by station and resource
    bottleneck = page.locator("[data-field=bottleneck]")
    station, resource = bottleneck.get_attribute("data-station"), bottleneck.get_attribute("data-resource")
    minutes = re.search(r"\((\d+) min beyond target per replication\)", bottleneck.inner_text())
    assert minutes, bottleneck.inner_text()
    row = page.locator(f"table.beyond tr[data-beyond='{station}:{resource}'] [data-field=minutes]")
    assert row.inner_text() == minutes.group(1)
    assert page.locator("ul.assumptions li").count() >= 1  # the defaults the file left out, stated
    assert page.locator("dl.definitions dt").count() >= 4
    assert page.locator("table.budget tr[data-budget]").count() >= 4
    shot(page, "sim-2-result", "sqlite")

    drill_url = page.url
    page.fill("form[data-form=improve] [name=max_steps]", "3")
    with page.expect_navigation(timeout=60_000):
        page.click("form[data-form=improve] button[type=submit]")
    assert page.url != drill_url
    page.wait_for_selector(FINISHED, timeout=120_000)
    steps = page.locator("ol.steps li[data-step]")
    assert steps.count() >= 1
    assert "gain +" in steps.first.inner_text()
    reached = page.get_attribute("[data-reached]", "data-reached")
    assert reached == "true" and "Goal reached" in page.inner_text("[data-reached]")
    assert page.get_attribute("a[data-link=drill]", "href") == drill_url.removeprefix(live.base)
    shot(page, "sim-3-improve", "sqlite")
    improve_url = page.url.removeprefix(live.base)
    page.goto(drill_url)  # the drill's page lists its improve runs
    assert page.get_attribute("ul.improves li a", "href") == improve_url
    clean(b)


def test_an_uploaded_scenario_with_faults_is_shown_them_by_key_path(live, browser):
    b = browser()
    page = b.page
    sign_in(page, live.base, live.db.tokens["commander"])
    page.goto(f"{live.base}/console/simulations")
    form = "form[data-form=upload]"
    page.set_input_files(
        f"{form} [name=scenario_file]", files=[{"name": "bad.toml", "mimeType": "text/plain", "buffer": BAD.encode()}]
    )
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")
    faults = page.locator("[data-faults] li[data-fault]")
    assert [faults.nth(i).get_attribute("data-fault") for i in range(faults.count())] == [
        "drill.units[0].headcount",
        "drill.units[1].arrive",
    ]
    shot(page, "sim-4-faults", "sqlite")
    clean(b, refused=1)


def test_an_officer_reads_but_cannot_start_a_simulated_drill(live, browser):
    b = browser()
    page = b.page
    sign_in(page, live.base, live.db.tokens["officer"])
    page.goto(f"{live.base}/console/simulations")
    assert page.locator("[data-no-start]").count() == 1
    assert page.locator("form[data-form=built-in], form[data-form=upload]").count() == 0
    csrf = page.get_attribute("form[data-form=signout] input[name=csrf]", "value")
    form = {"csrf": csrf, "form": "built-in", "scenario": "three-trains"}
    res = page.request.post(f"{live.base}/console/simulations", form=form, headers={"Accept-Language": "en"})
    assert res.status == 403
    assert "may not run simulated drills" in res.text()
    clean(b)


def test_the_result_in_chinese(live, browser):
    b = browser("zh-CN")
    page = b.page
    sign_in(page, live.base, live.db.tokens["planner"])
    start_drill(page, live.base, "typhoon-nansha", 5)
    page.wait_for_selector(FINISHED, timeout=120_000)
    assert page.get_attribute("html", "lang") == "zh-CN"
    headline = page.inner_text("[data-headline]")
    assert re.fullmatch(r"计划单位准时：\d / 3", headline), headline
    assert "GZ-NS-BRIDGE" in page.inner_text("[data-survive]")  # the closure's time to survive, as the CLI says
    assert "瓶颈" in page.inner_text("[data-field=bottleneck]")
    assert "运行 improve" in page.inner_text("form[data-form=improve] button")
    shot(page, "sim-5-zh", "sqlite")
    clean(b)


def test_whoever_started_a_drill_can_stop_it(live, browser):
    b = browser()
    page = b.page
    sign_in(page, live.base, live.db.tokens["commander"])
    start_drill(page, live.base, "guangzhou", 400)  # half a minute or so: stopped long before
    assert page.get_attribute("#sim", "data-status") in ("queued", "running")
    with page.expect_navigation():
        page.click("form[data-form=cancel] button")
    assert page.get_attribute("#sim", "data-status") == "cancelled"
    assert "cancelled by commander-1" in page.inner_text("[data-field=error]")
    assert page.locator("form[data-form=cancel]").count() == 0
    clean(b)
