"""CSV exports for the paper log: stock per station and the dispatch log, line by line.

A text cell a spreadsheet would read as a formula — one starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return (a unit named ``=HYPERLINK(…)``) — is written with a leading ``'``,
so it opens as the text that was typed (OWASP's CSV injection advice); numbers are left alone.
"""

from __future__ import annotations

import csv
import io
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from supply.core.timefmt import local_iso
from supply.service.models import Station, SupportRequest
from supply.service.requests import dispatch_records, list_dispatches
from supply.service.stock import stock

STOCK_COLUMNS = ("station", "item", "unit", "on_hand", "reserved", "available", "days_of_supply", "book")
DISPATCH_COLUMNS = (
    "dispatch_id",
    "request_id",
    "unit",
    "site",
    "station",
    "status",
    "item",
    "quantity",
    "exercise",
    "created_at",
    "created_by",
    "last_change_at",
    "last_change_by",
)


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value: Any) -> Any:
    """``value`` as a spreadsheet shows it typed: a text starting like a formula gets a leading ``'``."""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_STARTS) else value


#: Rows end with a mark no text can hold (NUL is refused in every field), made ``\n`` at the end: the
#: writer quotes a cell holding any character of its line ending, so a ``\r`` typed in a cell is
#: quoted too (with ``\n`` alone it would be written bare, and split the row in a spreadsheet).
_ROW_END = "\r\n\x00"


def _csv(columns: tuple[str, ...], rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator=_ROW_END, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: text_cell(v) for k, v in row.items()} for row in rows)
    return buf.getvalue().replace(_ROW_END, "\n")


def stock_csv(session: Session, *, exercise: bool = False, window_days: int = 7) -> str:
    """Every station × item of one book; an unbounded days of supply is written ``unbounded``."""
    rows = []
    for code in session.exec(select(Station.code).order_by(Station.code)):
        for row in stock(session, code, exercise=exercise, window_days=window_days):
            dos = row["days_of_supply"]
            rows.append(
                {
                    **row,
                    "station": code,
                    "days_of_supply": "unbounded" if dos is None else dos,
                    "book": "exercise" if exercise else "real",
                }
            )
    return _csv(STOCK_COLUMNS, rows)


def dispatches_csv(
    session: Session,
    tz: ZoneInfo,
    *,
    exercise: bool | None = None,
    status: str | None = None,
    station: str | None = None,
) -> str:
    """One row per dispatch line, oldest first, with the request's unit and site."""
    dispatches = list(
        reversed(list_dispatches(session, exercise=exercise, status=status, station=station, limit=1_000_000))
    )
    ids = {d.request_id for d in dispatches}
    reqs = {r.id: r for r in session.exec(select(SupportRequest).where(col(SupportRequest.id).in_(ids)))}
    rows: list[dict[str, Any]] = []
    for d in dispatch_records(session, dispatches):
        req, last = reqs[d.request_id], d.history[-1]
        base = {
            "dispatch_id": d.id,
            "request_id": d.request_id,
            "unit": req.unit,
            "site": req.site,
            "station": d.station,
            "status": d.status,
            "exercise": d.exercise,
            "created_at": local_iso(d.created_at, tz),
            "created_by": d.created_by,
            "last_change_at": local_iso(last.at, tz),
            "last_change_by": last.actor,
        }
        rows.extend({**base, "item": item, "quantity": qty} for item, qty in d.lines)
    return _csv(DISPATCH_COLUMNS, rows)
