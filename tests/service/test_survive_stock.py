"""Time to survive from live stock, on SQLite and PostgreSQL: a week of fixed daily issues gives exact days.

GZE-PT opens with 4,000 meals and 3,000 rations; GZS-PT draws nothing. The issues are backdated one
a day over the window (the history a week of service would have written).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from supply.service import ledger
from supply.service.models import Movement, table_of, utcnow
from supply.service.survive import survive

ST, OTHER = "GZE-PT", "GZS-PT"


def test_a_week_of_fixed_demand_gives_the_exact_days(session):
    now = utcnow()
    for day in range(7):
        for item, qty in (("meals", 400), ("rations", 100)):
            m = ledger.issue(session, "wang", ST, item, qty)
            at = now - timedelta(days=day, hours=1)
            session.connection().execute(
                update(table_of(Movement)).where(table_of(Movement).c.id == m.id).values(at=at)
            )
    # usable: meals 4,000 − 2,800 = 1,200 at 400 a day → 3.0 days; rations 3,000 − 700 = 2,300 at 100 → 23.0
    rep = survive(session, stations=[OTHER, ST], horizon=30, now=now)
    [st, other] = rep["stations"]
    assert st["station"] == ST and st["first_out"] == "meals"
    assert st["days"] == {"median": 3.0, "band90": [3.0, 3.0], "beyond_horizon": False}
    assert [(i["item"], i["available"], i["daily_mean"], i["days"]["median"]) for i in st["items"]] == [
        ("meals", 1200, 400, 3.0),
        ("rations", 2300, 100, 23.0),
    ]
    assert other["days"] is None and "nothing was consumed at GZS-PT in the last 7 days" in other["reason"]
    short = survive(session, stations=[ST], horizon=14, now=now)["stations"][0]
    assert short["items"][1]["days"] == {"median": 14.0, "band90": [14.0, 14.0], "beyond_horizon": True}
