"""A live drill's film over the API: a job on the pool (202, then the file), drawn from what was recorded.

The film script is the drill's record — a unit on the map at its station from its recorded
arrival to its departure, its caption with the plan beside the actual — and the MP4 decodes at
1280×720. Recording more makes the next request another film.
"""

from __future__ import annotations

import time

import imageio_ffmpeg
import pytest

from maps.film.state import Script
from supply.drills.film import live_timeline
from supply.service.db import make_engine, read_session
from tests.api.drill_helpers import at, drill_body, post_drill, start_at

pytestmark = pytest.mark.slow


def _wait(client, url: str, headers: dict, timeout: float = 120):
    deadline = time.monotonic() + timeout
    first = client.get(url, headers=headers)
    r = first
    while r.status_code == 202:
        assert r.headers["Location"] == url.split("?")[0] and int(r.headers["Retry-After"]) > 0
        assert r.json()["status"] in ("queued", "running") and 0 <= r.json()["progress"] <= 1
        assert time.monotonic() < deadline, r.json()
        time.sleep(0.1)
        r = client.get(url, headers=headers)
    return first, r


def test_a_live_drills_film(client, db, tmp_path):
    s = start_at()
    drill = post_drill(
        client, drill_body(s, procedure=[{"step": "notice_received", "target_minutes": 5}]), db.headers("commander")
    )
    d, h = drill["id"], db.headers()
    times = {"arrived_at": at(s, 125), "served_at": at(s, 150), "departed_at": at(s, 170)}
    assert client.post(f"/drills/{d}/units/U1/times", json=times, headers=h).status_code == 200
    client.post(f"/drills/{d}/steps/notice_received", json={"at": at(s, 4)}, headers=db.headers("commander"))

    engine = make_engine(db.url)
    try:
        with read_session(engine) as session:
            tl = live_timeline(session, d)
    finally:
        engine.dispose()
    assert tl.source == "live" and tl.horizon == 12 * 60
    arrives = next(e for e in tl.events if e.kind == "arrives")
    assert (arrives.subject, arrives.station, arrives.minute, arrives.people) == ("U1", "GZ-HUB", 125, 200)
    assert arrives.planned is not None  # the plan beside the actual
    assert [e.subject for e in tl.events if e.kind == "chapter"] == ["notice_received"]
    script = Script(tl)
    assert script.at(124.99).at_station == () and script.at(170).at_station == ()
    assert [(u.subject, u.station) for u in script.at(125).at_station] == [("U1", "GZ-HUB")]
    assert [(u.subject, u.status) for u in script.at(160).at_station] == [("U1", "fed")]
    assert "U2" not in {e.subject for e in tl.events}  # nothing recorded: not on the map

    assert client.get(f"/drills/{d}/film.html").status_code == 401
    first, r = _wait(client, f"/drills/{d}/film.html?lang=en", h)
    assert first.status_code == 202 and r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html") and "script-src" in r.headers["content-security-policy"]
    assert "U1 arrives at GZ-HUB: 200 troops" in r.text and "planned D1" in r.text
    again = client.get(f"/drills/{d}/film.html?lang=en", headers=h)
    assert again.status_code == 200 and again.content == r.content  # rendered once

    first, r = _wait(client, f"/drills/{d}/film.mp4?speed=3600", h)
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
    path = tmp_path / "film.mp4"
    path.write_bytes(r.content)
    frames = imageio_ffmpeg.read_frames(str(path))
    meta = next(frames)
    frames.close()
    assert meta["size"] == (1280, 720)
    # 12 hours at 3600 simulated seconds a second: 12 s of film at 10 frames a second, and the last
    assert imageio_ffmpeg.count_frames_and_secs(str(path))[0] == 121

    more = {"arrived_at": at(s, 185)}
    assert client.post(f"/drills/{d}/units/U2/times", json=more, headers=h).status_code == 200
    assert client.get(f"/drills/{d}/film.html?lang=en", headers=h).status_code == 202  # a new film of the new record
    bad = client.get(f"/drills/{d}/film.html?lang=fr&speed=0", headers=h)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert client.get("/drills/999999/film.mp4", headers=h).status_code == 404

    from tests.db import run_cli

    out = tmp_path / "live.html"
    r = run_cli(tmp_path, "film", "--from-live", str(d), "--db", db.url, "--lang", "en", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert f"film written to {out} — live drill {d}" in r.stdout
    assert "U2 arrives at GZ-HUB" in out.read_text("utf-8")
