"""Reconcile the running balances with the ledger: the operator's check after a restore, and the test oracle.

For every (station, item, book) the stored ``on_hand`` and ``reserved`` must equal the sums of its
movements' deltas (see :mod:`supply.service.ledger`), and for every lot of a book its stored
``on_hand`` the sum of the lot's movements' on-hand deltas. :func:`reconcile` compares them in one
statement (one snapshot: writes in flight never show as mismatches) and, asked to repair, rebuilds
the stored balances from the ledger while writers wait.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import and_, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from supply.service.models import LotBalance, Movement, StockLock, table_of

_MOVES, _LOCKS, _LOTS = table_of(Movement), table_of(StockLock), table_of(LotBalance)
#: Running sums and stored balances may differ by float rounding only.
TOLERANCE = 1e-6


@dataclass(frozen=True)
class Mismatch:
    """One book whose stored balances differ from its ledger (``stored_*`` ``None``: no balance row)."""

    station: str
    item: str
    exercise: bool
    stored_on_hand: float | None
    stored_reserved: float | None
    ledger_on_hand: float
    ledger_reserved: float
    #: The lot whose running on hand differs (``""``: the unlotted stock); ``None``: the book's balances.
    lot: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        book = "exercise" if self.exercise else "real"
        if self.stored_on_hand is None:
            stored = "no balance row"
        else:
            stored = f"on_hand {self.stored_on_hand:g}, reserved {self.stored_reserved:g}"
        ledger = f"on_hand {self.ledger_on_hand:g}, reserved {self.ledger_reserved:g}"
        if self.lot is not None:
            stored = "no lot row" if self.stored_on_hand is None else f"on_hand {self.stored_on_hand:g}"
            lot = f"lot '{self.lot}'" if self.lot else "unlotted stock"
            ledger = f"on_hand {self.ledger_on_hand:g}"
            return f"{self.station}/{self.item} ({book} book) {lot}: stored {stored}; ledger {ledger}"
        return f"{self.station}/{self.item} ({book} book): stored {stored}; ledger {ledger}"


def _differs(a: float | None, b: float) -> bool:
    return a is None or abs(a - b) > TOLERANCE * max(1.0, abs(b))


def _compare_lots():
    """Each lot's stored on hand beside its ledger sum (either may be missing)."""
    keys = ("station", "item", "exercise", "lot")
    sums = (
        select(*(_MOVES.c[k] for k in keys), func.sum(_MOVES.c.on_hand_delta).label("on_hand"))
        .group_by(*(_MOVES.c[k] for k in keys))
        .subquery()
    )
    on = and_(*(sums.c[k] == _LOTS.c[k] for k in keys))
    return select(
        *(func.coalesce(sums.c[k], _LOTS.c[k]) for k in keys),
        _LOTS.c.on_hand,
        func.coalesce(sums.c.on_hand, 0.0),
        _LOTS.c.station.is_(None),
    ).select_from(sums.join(_LOTS, on, full=True))


def _lot_mismatches(conn: Any) -> tuple[int, list[Mismatch]]:
    checked, found = 0, []
    for station, item, exercise, lot, on_hand, want, missing in conn.execute(_compare_lots()):
        stored = None if missing else float(on_hand)
        if missing and abs(float(want)) <= TOLERANCE:  # a lot only reservations touched: nothing to keep
            continue
        checked += 1
        if _differs(stored, float(want)):
            found.append(Mismatch(station, item, bool(exercise), stored, 0.0, float(want), 0.0, lot=lot))
    return checked, found


def _repair_lots(conn: Any, found: list[Mismatch], postgres: bool) -> None:
    rows = [
        {"station": m.station, "item": m.item, "exercise": m.exercise, "lot": m.lot, "on_hand": m.ledger_on_hand}
        for m in found
    ]
    if not rows:
        return
    stmt = (pg_insert if postgres else sqlite_insert)(_LOTS).values(rows)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["station", "item", "exercise", "lot"], set_={"on_hand": stmt.excluded.on_hand}
        )
    )


def _compare():
    keys = ("station", "item", "exercise")
    sums = (
        select(
            *(_MOVES.c[k] for k in keys),
            func.sum(_MOVES.c.on_hand_delta).label("on_hand"),
            func.sum(_MOVES.c.reserved_delta).label("reserved"),
        )
        .group_by(*(_MOVES.c[k] for k in keys))
        .subquery()
    )
    on = and_(*(sums.c[k] == _LOCKS.c[k] for k in keys))
    return select(
        *(func.coalesce(sums.c[k], _LOCKS.c[k]) for k in keys),
        _LOCKS.c.on_hand,
        _LOCKS.c.reserved,
        func.coalesce(sums.c.on_hand, 0.0),
        func.coalesce(sums.c.reserved, 0.0),
        _LOCKS.c.station.is_(None),
    ).select_from(sums.join(_LOCKS, on, full=True))


def reconcile(session: Session, *, repair: bool = False) -> tuple[int, list[Mismatch]]:
    """Check every book's balances against its ledger: (books checked, mismatches).

    With ``repair`` the stored balances of each mismatch are set to the ledger's (rows made where
    missing) in the caller's transaction, which must be a write transaction; on PostgreSQL the
    balance table is locked against writers first, so no movement lands between sum and repair.
    """
    conn = session.connection()
    postgres = session.get_bind().dialect.name == "postgresql"
    if repair and postgres:
        conn.execute(text("LOCK TABLE stocklock IN EXCLUSIVE MODE"))
        conn.execute(text("LOCK TABLE lotbalance IN EXCLUSIVE MODE"))
    checked, found = 0, []
    for station, item, exercise, on_hand, reserved, want_on_hand, want_reserved, missing in conn.execute(_compare()):
        checked += 1
        stored: tuple[float | None, float | None] = (None, None) if missing else (float(on_hand), float(reserved))
        want = (float(want_on_hand), float(want_reserved))
        if _differs(stored[0], want[0]) or _differs(stored[1], want[1]):
            found.append(Mismatch(station, item, bool(exercise), stored[0], stored[1], want[0], want[1]))
    lot_checked, lot_found = _lot_mismatches(conn)
    if repair:
        _repair_lots(conn, lot_found, postgres)
    if repair and found:
        rows = [
            {
                "station": m.station,
                "item": m.item,
                "exercise": m.exercise,
                "on_hand": m.ledger_on_hand,
                "reserved": m.ledger_reserved,
            }
            for m in found
        ]
        stmt = (pg_insert if postgres else sqlite_insert)(_LOCKS).values(rows)
        excluded = stmt.excluded
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["station", "item", "exercise"],
                set_={"on_hand": excluded.on_hand, "reserved": excluded.reserved},
            )
        )
    found += lot_found
    found.sort(key=lambda m: (m.station, m.item, m.exercise, m.lot is not None, m.lot or ""))
    return checked + lot_checked, found
