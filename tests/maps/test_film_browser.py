"""The film's HTML player as a person uses it: headless Chromium, every outside request refused.

It plays offline (no request but the file itself, no script error), its slider moves the clock,
play advances it, the routes layer toggles, and the bridge closes on screen at its hour; in
Chinese and in English.
"""

from __future__ import annotations

import pytest

from maps.film import write_film
from simulation.film import film_timeline
from supply.core.scenario import load_scenario
from tools.chromium import file_url

pytestmark = [pytest.mark.browser, pytest.mark.slow]

READY = "window.jungongFilm !== undefined"


@pytest.fixture(scope="module")
def timeline():
    return film_timeline(load_scenario(None), replications=3)


@pytest.mark.parametrize(("lang", "play", "closed"), [("en", "Play", "closed"), ("zh", "播放", "封闭")])
def test_the_player_plays_offline_and_its_slider_moves_the_clock(
    tmp_path, browser_session, artifacts, timeline, lang, play, closed
):
    path = tmp_path / f"film-{lang}.html"
    write_film(timeline, path, lang=lang)
    with browser_session(width=1300, height=800) as s:
        page = s.page
        page.goto(file_url(path))
        page.wait_for_function(READY)
        assert page.inner_text("#film-clock") == "D1 00:00"
        assert page.inner_text("#film-play") == play
        # the slider moves the clock (as a person drags it: an input event)
        page.eval_on_selector("#film-slider", "el => { el.value = '1830'; el.dispatchEvent(new Event('input')); }")
        assert page.inner_text("#film-clock") == "D2 06:30"
        state = page.evaluate("window.jungongFilm.state(1830)")
        assert [d[3] for d in state["disruptions"]] == ["GZ-NS-BRIDGE", "NS-WING"]
        assert page.evaluate("window.jungongFilm.state(1799).disruptions.length") == 0
        assert closed in page.inner_text("#film-captions")
        page.screenshot(path=str(artifacts / f"film-{lang}-closure.png"))
        # a unit at its station between its recorded arrival and departure, in the browser too
        arrive = next(e for e in timeline.events if e.kind == "arrives")
        leave = next(e for e in timeline.events if e.kind in ("leaves", "missed") and e.subject == arrive.subject)
        mid = (arrive.minute + leave.minute) / 2
        units = page.evaluate(f"window.jungongFilm.state({mid}).units.map(u => u.subject + '@' + u.station)")
        assert f"{arrive.subject}@{arrive.station}" in units
        assert arrive.subject not in str(page.evaluate(f"window.jungongFilm.state({leave.minute + 0.01}).units"))
        # play advances the clock; the routes layer toggles
        page.eval_on_selector("#film-slider", "el => { el.value = '0'; el.dispatchEvent(new Event('input')); }")
        page.click("#film-play")
        page.wait_for_function("document.getElementById('film-clock').textContent !== 'D1 00:00'", timeout=10_000)
        page.click("#film-play")
        assert page.is_visible("#film-route-layer")
        page.uncheck("#film-routes")
        assert not page.is_visible("#film-route-layer")
    assert s.outside == [], f"outside requests: {s.outside}"
    assert s.failed == [] and s.errors == [], (s.failed, s.errors)
    assert all(u.startswith("file://") for u in s.requests), s.requests
