"""Codes that do not change while the service runs — stations and items — cached per process.

``jungong db init`` adds these rows (possibly while a server runs) and never deletes one, so a
code once seen stays valid: a hit needs no query, and a miss is looked up in the database (which
refreshes the cache) before it becomes an error. The cache lives on the app's runtime, not in a
module global.
"""

from __future__ import annotations

from sqlmodel import Session, select

from supply.core.errors import FieldError
from supply.core.items import check_whole
from supply.service import ledger
from supply.service.models import Item, Station


class Codes:
    """Known station and item codes of one database."""

    def __init__(self) -> None:
        self._stations: frozenset[str] = frozenset()
        self._items: dict[str, str] = {}  # code → unit

    def station(self, session: Session, code: str) -> None:
        """Raise :class:`~supply.core.errors.UnknownCodeError` unless ``code`` is a station."""
        if code not in self._stations:
            ledger.require_station(session, code)
            self._stations = frozenset(session.exec(select(Station.code)).all())

    def item(
        self,
        session: Session,
        code: str,
        field: str = "item",
        *,
        quantity: float | None = None,
        quantity_field: str = "",
    ) -> None:
        """A :class:`~supply.core.errors.FieldError` on ``field`` unless ``code`` is a catalogue item (and on
        ``quantity_field`` unless ``quantity`` is whole, for an item counted in whole units)."""
        if code not in self._items:
            ledger.require_item(session, code, field)
            self._items = dict(session.exec(select(Item.code, Item.unit)).all())
        if quantity is not None and (msg := check_whole(code, self._items[code], quantity)) is not None:
            raise FieldError(quantity_field or "quantity", msg)
