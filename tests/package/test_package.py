"""`jungong package` and GET /drills/{id}/package.zip: every part present, every link resolving, offline,
in both languages.

A simulated drill (three trains, 5 replications) and a live one (the API tests' small drill, with a member
appointed, an order issued, a step marked and a team moved), in Chinese and in English.
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from supply.core.scenario import load_scenario
from supply.core.settings import PROJECT_SCENARIOS
from supply.package.build import live_package, simulated_package, write_package
from tests.api.drill_helpers import at, drill_body, post_drill, start_at
from tests.db import run_cli

THREE_TRAINS = PROJECT_SCENARIOS / "drills" / "three-trains.toml"
#: The five parts in the seed's order ("1+1+1+1+N": the film as MP4 and HTML).
PARTS = ["organisation.html", "procedure.html", "plan.html", "film.mp4", "film.html", "teams.html"]
PAGES = ["organisation.html", "procedure.html", "teams.html"]
#: The film's pace in the tests: a 12-hour drill in a few seconds of film.
FAST = 7200
HREF = re.compile(r'href="([^"]+)"')


def links(page: Path) -> list[str]:
    return HREF.findall(page.read_text(encoding="utf-8"))


def check_folder(folder: Path, *, live: bool) -> str:
    """Every link of the index and of the package's own pages is relative and names a file in the folder;
    the parts come in the seed's order; returns the index's text."""
    index = (folder / "index.html").read_text(encoding="utf-8")
    hrefs = links(folder / "index.html")
    parts = [h for h in hrefs if h in PARTS]
    assert parts == PARTS, hrefs
    assert {"report.html", "map.html"} <= set(hrefs)
    assert (folder / "film.mp4").read_bytes()[4:8] == b"ftyp"  # an MP4
    assert "film-data" in (folder / "film.html").read_text(encoding="utf-8")
    assert ("review.html" in hrefs) is live
    for page in ["index.html", *PAGES]:
        for href in links(folder / page):
            assert "://" not in href and not href.startswith("/"), (page, href)
            assert (folder / href).is_file(), (page, href)
    return index


def simulated(lang: str):
    return simulated_package(load_scenario(THREE_TRAINS), lang=lang, replications=5, seed=1, speed=FAST)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_simulated_package_has_every_part_linked(tmp_path, lang):
    folder = write_package(simulated(lang), tmp_path / "pkg")
    index = check_folder(folder, live=False)
    org, steps, roster = ((folder / p).read_text(encoding="utf-8") for p in PAGES)
    if lang == "zh":
        assert '<html lang="zh-CN">' in index and "指挥机构" in index
        assert "Command organisation" in index  # the English beside
        assert "军地联合指挥部" in org and "接到通知（notice received）" in steps and "炊事（kitchen）" in roster
        assert "notice_received" not in steps
    else:
        assert '<html lang="en">' in index and "指挥机构" not in index and "Joint command post" in org
        assert "notice received" in steps and "kitchen" in roster
    # the chain of orders: joint command over the hub's command over its three teams
    assert org.index("GZ-HUB") < org.index("HUB-KITCHEN-1") < org.index("HUB-TRANS-1")
    # the procedure's planned times: the drill's start plus the running sum of the targets (5, 60, 30 ...)
    assert "D1 00:05" in steps and "D1 01:05" in steps and "D1 01:35" in steps
    # what each team does comes from the action plan: the hub's medical team leaves for each train
    assert roster.count("T-30") >= 6
    assert "@page{size:A4" in steps and "@page{size:A4" in roster


def test_package_command_writes_a_zip_and_refuses_bad_input(tmp_path):
    out = tmp_path / "p.zip"
    args = ("-n", "3", "--lang", "en", "--speed", str(FAST), "-o", str(out))
    r = run_cli(tmp_path, "package", str(THREE_TRAINS), *args)
    assert r.returncode == 0, r.stderr
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        z.extractall(tmp_path / "x")
    assert {f"drill-package/{p}" for p in [*PARTS, "index.html", "report.html", "map.html"]} <= names
    check_folder(tmp_path / "x" / "drill-package", live=False)
    bad = run_cli(tmp_path, "package", str(THREE_TRAINS), "--from-live", "1", "--lang", "fr", "-o", str(tmp_path))
    assert bad.returncode == 2
    assert "not both" in bad.stderr and "--lang 'fr'" in bad.stderr  # every fault at once


def test_package_opens_offline_in_chromium(tmp_path, browser_session):
    from tools.chromium import file_url

    folder = write_package(simulated("zh"), tmp_path / "pkg")
    with browser_session() as s:
        for page in ["index.html", *(h for h in links(folder / "index.html") if h.endswith(".html"))]:
            s.page.goto(file_url(folder / page))
            s.page.wait_for_load_state("load")
        assert s.outside == [] and s.errors == [], (s.outside, s.errors)
        s.page.goto(file_url(folder / "index.html"))
        with s.page.expect_navigation():
            s.page.click("a[href='procedure.html']")
        assert s.page.url.endswith("/procedure.html")


def _live_drill(client, db) -> int:
    s = start_at(60)
    h = db.headers("commander")
    d = post_drill(client, drill_body(s), h)["id"]
    body = {"user": "planner-1", "role": "team_leader", "team": "T-MED"}
    assert client.post(f"/drills/{d}/members", json=body, headers=h).status_code == 201
    order = {"team": "T-MED", "text": "stand by at GZ-RAIL"}
    assert client.post(f"/drills/{d}/orders", json=order, headers=h).status_code == 201
    assert client.post(f"/drills/{d}/steps/notice_received", json={"at": at(s, 4)}, headers=h).status_code == 200
    move = {"status": "en_route", "drill_id": d}
    assert client.post("/teams/T-MED/status", json=move, headers=db.headers("officer")).status_code == 200
    return d


@pytest.mark.slow
def test_live_package_and_the_api_job(client, db, tmp_path):
    from supply.drills.chain import get_drill
    from supply.service.db import make_engine, read_session

    d = _live_drill(client, db)
    engine = make_engine(db.url)
    try:
        with read_session(engine) as session:
            drill, tz = get_drill(session, d), ZoneInfo("Asia/Shanghai")
            pkgs = {
                lang: live_package(session, drill, tz, PROJECT_SCENARIOS / "drills", lang=lang, speed=FAST)
                for lang in ("zh", "en")
            }
    finally:
        engine.dispose()
    for lang, pkg in pkgs.items():
        folder = write_package(pkg, tmp_path / lang)
        check_folder(folder, live=True)
        org, steps, roster = ((folder / p).read_text(encoding="utf-8") for p in PAGES)
        assert "planner-1" in org and "stand by at GZ-RAIL" in org  # the member and the order
        assert "planner-1" in roster and "en_route" in roster  # T-MED's leader and what it did
        assert re.search(r"<td>4</td>", steps), "notice received 4 min after the start"

    # the command: the same package from the database
    out = tmp_path / "live-cli"
    r = run_cli(tmp_path, "package", "--from-live", str(d), "--db", db.url, "--speed", str(FAST), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "planner-1" in (out / "teams.html").read_text(encoding="utf-8")
    check_folder(out, live=True)

    # the API: planners may not ask, officers may; 202 while the job runs, then the zip
    url = f"/drills/{d}/package.zip?speed={FAST}"
    assert client.get(url, headers=db.headers("planner")).status_code == 403
    assert client.get(url + "&lang=fr", headers=db.headers()).status_code == 422
    assert client.get("/drills/9999/package.zip", headers=db.headers()).status_code == 404
    r = client.get(url, headers=db.headers())
    assert r.status_code == 202 and r.headers["Retry-After"]
    deadline = time.monotonic() + 120
    while r.status_code == 202:
        assert time.monotonic() < deadline
        time.sleep(0.2)
        r = client.get(url, headers=db.headers())
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        assert {f"drill-package/{p}" for p in ["index.html", *PARTS]} <= set(z.namelist())
        assert "实兵演练" in z.read("drill-package/index.html").decode()
    assert client.get(url, headers=db.headers()).status_code == 202  # served once: the next asks afresh
