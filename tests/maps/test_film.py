"""The film's frames come from the timeline's records: a unit is at its station exactly from its
recorded arrival to its departure, a closed bridge shows from its hour; the MP4 decodes as H.264
at 1280×720 with the expected frames and duration; captions in both languages."""

from __future__ import annotations

import imageio_ffmpeg
import pytest

from maps.film import video as film_video
from maps.film import write_film
from maps.film.state import Script
from maps.film.words import caption
from simulation.film import film_timeline
from supply.core.errors import InvalidArgumentError
from supply.core.scenario import load_scenario
from supply.core.timeline import Disruption, Event, Move, Place, StockLevel, Timeline


def _small() -> Timeline:
    """One unit drives from a site to a station (minutes 10–30), is fed, leaves at 50; a link closes at 40."""
    hub, site = (23.146, 113.262), (23.10, 113.30)
    mid = ((hub[0] + site[0]) / 2, (hub[1] + site[1]) / 2)
    return Timeline(
        title="test",
        horizon=60,
        places=(Place("GZ-HUB", "hub", *hub, "hub"), Place("S1", "site", *site, "site")),
        moves=(Move("U1", "unit", 10, 30, "S1", "GZ-HUB", (site, mid, hub)),),
        events=(
            Event(30, "arrives", "U1", "GZ-HUB", 600, 2, {"seats": 300}),
            Event(31, "queues", "U1", "GZ-HUB", 300, detail={"wait_minutes": 8}),
            Event(45, "fed", "U1", "GZ-HUB", 600, detail={"minutes": 15}),
            Event(50, "leaves", "U1", "GZ-HUB", 600, 2, {"outcome": "on_time"}),
            Event(40, "closed", "A~B", detail={"until": None}),
        ),
        stock=(StockLevel(30, "GZ-HUB", "meals", 400.0),),
        disruptions=(Disruption("close", "A~B", 40, None, ((hub, site),)),),
        opening={"GZ-HUB": {"meals": 1000.0}},
    )


def test_a_unit_is_at_its_station_from_arrival_to_departure():
    s = Script(_small())
    assert s.at(29.99).at_station == () and [r.subject for r in s.at(20).on_road] == ["U1"]
    for t, status in ((30, "arrives"), (35, "queues"), (49.99, "fed")):
        (u,) = s.at(t).at_station
        assert (u.subject, u.station, u.status, u.people, u.since) == ("U1", "GZ-HUB", status, 600, 30)
        assert s.at(t).on_road == ()
    assert s.at(50).at_station == ()
    assert s.at(31).coming is not None and (s.at(31).coming.kind, s.at(31).coming.minute) == ("closed", 40)
    assert s.at(50).coming is None
    assert s.at(29.99).stock == {"GZ-HUB": {"meals": 1.0}} and s.at(30).stock == {"GZ-HUB": {"meals": 0.4}}
    assert s.at(20).on_road[0].position == pytest.approx((23.123, 113.281))  # half-way in time: half the way
    assert s.at(15).on_road[0].position == pytest.approx((23.1115, 113.2905))


def test_a_closure_appears_at_its_hour():
    s = Script(_small())
    assert s.at(39.99).disruptions == () and [d.ref for d in s.at(40).disruptions] == ["A~B"]


def test_frames_of_a_simulated_drill_follow_its_records():
    tl = film_timeline(load_scenario(None), replications=3)
    s = Script(tl)
    stays = {}
    for e in tl.events:
        if e.kind == "arrives":
            stays[e.subject] = [e.minute, None, e.station]
        elif e.kind in ("leaves", "missed"):
            stays[e.subject][1] = e.minute
    assert len(stays) == 8
    for unit, (arrived, left, station) in stays.items():
        assert unit not in {u.subject for u in s.at(arrived - 0.01).at_station}
        for t in (arrived, (arrived + left) / 2, left - 0.01):
            assert (unit, station) in {(u.subject, u.station) for u in s.at(t).at_station}, (unit, t)
        assert unit not in {u.subject for u in s.at(left).at_station}
    assert not any(d.ref == "GZ-NS-BRIDGE" for d in s.at(30 * 60 - 0.01).disruptions)
    assert any(d.ref == "GZ-NS-BRIDGE" for d in s.at(30 * 60).disruptions)
    assert not any(d.ref == "GZ-NS-BRIDGE" for d in s.at(42 * 60).disruptions)
    assert s.at(30 * 60 + 1).chapter is not None


def test_captions_in_both_languages():
    arrives = _small().events[0]
    assert caption(arrives, "en") == "U1 arrives at GZ-HUB: 600 troops; 300 seats, 2 sittings, 2 vehicles"
    assert caption(arrives, "zh") == "U1 抵达 GZ-HUB：600 人；300 座，分 2 批就餐，2 台车辆"
    live = Event(35, "arrives", "U1", "GZ-HUB", 600, planned=30)
    assert caption(live, "en").endswith("· planned D1 00:30, actual D1 00:35")


def _probe(path):
    frames = imageio_ffmpeg.read_frames(str(path))
    meta = next(frames)
    frames.close()
    return meta, imageio_ffmpeg.count_frames_and_secs(str(path))


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_mp4_decodes_at_its_size_and_length(tmp_path, lang):
    path = tmp_path / "film.mp4"
    steps = []
    write_film(_small(), path, lang=lang, speed=1200, fps=2, progress=lambda d, t: steps.append((d, t)))
    meta, (n, secs) = _probe(path)
    # 60 minutes at 1200 simulated seconds a second: 3 s of film, a frame each 0.5 s, and the last
    assert meta["size"] == (1280, 720) and meta["codec"].startswith("h264") and meta["fps"] == 2
    assert n == 7 and secs == pytest.approx(3.5, abs=0.01)
    assert steps[-1] == (7, 7)


@pytest.mark.slow
def test_the_mp4_in_parallel_segments_is_the_same_film(tmp_path, monkeypatch):
    monkeypatch.setattr(film_video, "SEGMENT", 2)
    path = tmp_path / "film.mp4"
    write_film(_small(), path, lang="en", speed=1200, fps=2, workers=2)
    meta, (n, secs) = _probe(path)
    assert meta["size"] == (1280, 720) and n == 7 and secs == pytest.approx(3.5, abs=0.01)


def test_bad_film_arguments_are_refused(tmp_path):
    for kwargs, words in (({"lang": "fr"}, "lang"), ({"speed": 0}, "speed")):
        with pytest.raises(InvalidArgumentError, match=words):
            write_film(_small(), tmp_path / "f.html", **kwargs)
    with pytest.raises(InvalidArgumentError, match=r"\.mp4 or \.html"):
        write_film(_small(), tmp_path / "f.avi")
