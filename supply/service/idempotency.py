"""Retention of stored ``Idempotency-Key`` answers: they are replayed for a while, then purged.

A stored answer older than the retention (the ``idempotency_hours`` setting) is no longer
replayed: the key may be used again. :func:`purge` deletes such records in small batches, each
its own short transaction, so it never holds the write lock for long and writers only ever wait
for one batch. The API runs it now and then (at most every :data:`PURGE_EVERY` per process),
``jungong db purge`` on demand.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, select

from supply.service.db import write_session
from supply.service.models import IdempotencyRecord, table_of

_IDEM = table_of(IdempotencyRecord)
#: How often one server process purges expired records.
PURGE_EVERY = timedelta(minutes=10)
#: Records deleted per transaction.
BATCH = 500


def forget(conn: Connection, user_id: int, key: str, before: datetime) -> None:
    """Delete the caller's expired record of ``key`` (if any), so the key can be stored again."""
    conn.execute(delete(_IDEM).where(_IDEM.c.user_id == user_id, _IDEM.c.key == key, _IDEM.c.created_at < before))


def purge(engine: Engine, before: datetime, *, batch: int = BATCH) -> int:
    """Delete every record stored before ``before``, ``batch`` at a time; returns how many."""
    total = 0
    while True:
        with write_session(engine) as session:
            conn = session.connection()
            ids = conn.execute(select(_IDEM.c.id).where(_IDEM.c.created_at < before).limit(batch)).scalars().all()
            if ids:
                conn.execute(delete(_IDEM).where(_IDEM.c.id.in_(ids)))
            session.commit()
        total += len(ids)
        if len(ids) < batch:
            return total
