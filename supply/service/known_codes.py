"""Codes that do not change while the service runs — stations and items — cached per process.

``jungong db init`` adds these rows (possibly while a server runs) and never deletes one, so a
code once seen stays valid: a hit needs no query, and a miss is looked up in the database (which
refreshes the cache) before it becomes an error. The cache lives on the app's runtime, not in a
module global.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from supply.core.errors import FieldError, UnknownCodeError
from supply.core.items import check_whole
from supply.service.ledger import unknown_item
from supply.service.models import Item, Station, table_of

_STATIONS, _ITEMS = table_of(Station), table_of(Item)


class Codes:
    """Known station and item codes of one database."""

    def __init__(self) -> None:
        self._stations: frozenset[str] = frozenset()
        self._items: dict[str, str] = {}  # code → unit

    def station(self, conn: Connection, code: str) -> None:
        """Raise :class:`~supply.core.errors.UnknownCodeError` unless ``code`` is a station."""
        if code not in self._stations:
            known = conn.execute(select(_STATIONS.c.code).order_by(_STATIONS.c.code)).scalars().all()
            self._stations = frozenset(known)
            if code not in self._stations:
                raise UnknownCodeError("station", code, known)

    def item(
        self,
        conn: Connection,
        code: str,
        field: str = "item",
        *,
        quantity: float | None = None,
        quantity_field: str = "",
    ) -> None:
        """A :class:`~supply.core.errors.FieldError` on ``field`` unless ``code`` is a catalogue item (and on
        ``quantity_field`` unless ``quantity`` is whole, for an item counted in whole units)."""
        if code not in self._items:
            rows = conn.execute(select(_ITEMS.c.code, _ITEMS.c.unit).order_by(_ITEMS.c.code)).all()
            self._items = {str(c): str(u) for c, u in rows}
            if code not in self._items:
                raise unknown_item(field, code, list(self._items))
        if quantity is not None and (fraction := check_whole(code, self._items[code], quantity)) is not None:
            raise FieldError(quantity_field or "quantity", fraction)
