"""`jungong review` as text: the units due judged, the pending ones said so, names and local times."""

from __future__ import annotations

from rich.console import Console

from supply.cli.live import print_review
from tests.simulation.test_review_bands import _review


def test_review_text_of_an_open_drill():
    rv = _review(
        units=[
            {**_review()["units"][0], "status": "on_time", "arrived_at": "2026-01-01T02:02:00+08:00"},
            {
                "code": "U2",
                "station": None,
                "minutes_to_fed": None,
                "on_time": False,
                "status": "pending",
                "due_at": "2026-01-01T03:45:00+08:00",
            },
        ],
        flags=[],
        on_time_share=1.0,
        units_due=1,
        units_pending=1,
        as_of="2026-01-01T02:40:00+08:00",
        names={"stations": {"GZ-HUB": "Guangzhou main city station"}},
    )
    rv["drill"] = {**rv["drill"], "status": "open", "closed_at": None}
    out = Console(record=True, width=120)
    print_review(rv, out)
    text = out.export_text()
    assert "(open, as of 2026-01-01 02:40 UTC+08:00): on time 100% of 1 units due, 1 pending (not yet due)" in text
    assert "U1 at GZ-HUB Guangzhou main city station, fed in 30 min: on time" in text
    assert "U2 (not scheduled): pending — due 2026-01-01 03:45" in text
    assert "everything due within the simulated bands and targets" in text and "None" not in text
