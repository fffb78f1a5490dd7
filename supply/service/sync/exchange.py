"""Export what a peer has not acknowledged; import a peer's bundle: union by uid, then the merge rules.

Per peer and per table, :class:`~supply.service.models.SyncPeer` keeps the highest local id each
side acknowledged. An export carries the rows after the peer's acknowledgement up to ``upto`` (the
highest id committed when it was taken: on PostgreSQL the tables are locked in SHARE mode first,
which waits for writers in flight, so no lower id can commit later), and what this database
received from that peer. Import is idempotent by uid anyway: a row already held is skipped.
A node sends only its own records; the centre relays every record to every node (a star), so
every database converges.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlmodel import Session

from supply.core.errors import SyncRefusedError
from supply.service import ledger
from supply.service.models import CENTRE, DispatchLine, SyncAlert, SyncPeer, UTCDateTime, table_of, utcnow
from supply.service.sync import checks, merge
from supply.service.sync.bundle import pack, unpack
from supply.service.sync.identity import node_code
from supply.service.sync.tables import Synced, synced

_LINES = table_of(DispatchLine)
_CHUNK = 500  # uids per IN (...) list: well under SQLite's bound-parameter limit
FORMAT = 1


@dataclass
class SyncReport:
    """What an import did: records applied, records already held (skipped), conflicts and stock alerts found."""

    applied: int = 0
    skipped: int = 0
    conflicts: list[merge.ConflictView] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    origin: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "skipped": self.skipped,
            "conflicts": [c.as_dict() for c in self.conflicts],
            "alerts": self.alerts,
            "from": self.origin,
        }


def _columns(t: Table) -> list[str]:
    return [c.name for c in t.c if c.name != "id"]


def _chunks(values: list[Any]) -> list[list[Any]]:
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]


def _uids_of(conn: Any, t: Table, ids: set[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for part in _chunks(sorted(ids)):
        out.update((i, u) for i, u in conn.execute(select(t.c.id, t.c.uid).where(t.c.id.in_(part))))
    return out


def _ids_of(conn: Any, t: Table, uids: set[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in _chunks(sorted(uids)):
        out.update((u, i) for u, i in conn.execute(select(t.c.uid, t.c.id).where(t.c.uid.in_(part))))
    return out


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def export_bundle(session: Session, *, for_node: str | None = None) -> bytes:
    """A signed, compressed bundle of what ``for_node`` has not acknowledged (everything when ``None``)."""
    me = node_code(session)
    if for_node == me:
        msg = f"--for '{for_node}' is this database itself"
        raise SyncRefusedError(msg)
    conn, specs = session.connection(), synced()
    if session.get_bind().dialect.name == "postgresql":  # waits for writers in flight: no lower id commits later
        names = ", ".join([s.table.name for s in specs] + [_LINES.name])
        conn.exec_driver_sql(f"LOCK TABLE {names} IN SHARE MODE")
    peer = session.get(SyncPeer, for_node) if for_node else None
    acked = dict(peer.acked) if peer else {}
    tables: dict[str, Any] = {}
    upto: dict[str, int] = {}
    for spec in specs:
        t = spec.table
        upto[spec.name] = top = conn.execute(select(func.coalesce(func.max(t.c.id), 0))).scalar_one()
        q = select(t).where(t.c.id > acked.get(spec.name, 0), t.c.id <= top)
        if for_node:
            q = q.where(t.c.origin != for_node)
        if me != CENTRE:  # a node sends its own records; the centre relays everyone's
            q = q.where(t.c.origin == me)
        if spec.only is not None:
            q = q.where(spec.only)  # type: ignore[arg-type]  # a SQL condition registered with the table
        rows = list(conn.execute(q.order_by(t.c.id)).mappings())
        tables[spec.name] = _encode(conn, spec, rows)
    body = {
        "format": FORMAT,
        "from": me,
        "for": for_node,
        "created_at": utcnow().isoformat(),
        "after": acked,
        "upto": upto,
        "acks": dict(peer.received) if peer else {},
        "tables": tables,
    }
    return pack(session, me, body)


def _encode(conn: Any, spec: Synced, rows: list[Any]) -> dict[str, Any]:
    columns = _columns(spec.table)
    maps = {}
    for column, target in spec.refs.items():
        ids = {r[column] for r in rows if r[column] is not None}
        maps[column] = _uids_of(conn, _table(target), ids) if ids else {}
    out = [[maps[c].get(r[c]) if c in maps and r[c] is not None else _plain(r[c]) for c in columns] for r in rows]
    if spec.name == "dispatch":
        lines: dict[int, list[list[Any]]] = defaultdict(list)
        for part in _chunks([r["id"] for r in rows]):
            q = select(_LINES.c.dispatch_id, _LINES.c.item, _LINES.c.quantity).where(_LINES.c.dispatch_id.in_(part))
            for d, item, qty in conn.execute(q.order_by(_LINES.c.id)):
                lines[d].append([item, qty])
        columns = [*columns, "lines"]
        out = [[*row, lines[r["id"]]] for row, r in zip(out, rows, strict=True)]
    return {"columns": columns, "rows": out}


def _table(name: str) -> Table:
    return next(s.table for s in synced() if s.name == name)


def import_bundle(session: Session, data: bytes, *, only_origin: str | None = None) -> SyncReport:
    """Verify and apply a bundle in the caller's transaction; nothing is applied if it is refused.

    Refusals found before any write (signature, sender, shape, a record's values or its origin's
    authority: :mod:`supply.service.sync.checks`) raise first; one found while
    applying (a record pointing at one held nowhere) raises too, and the caller's rollback undoes
    what was written.

    ``only_origin``: refuse a bundle carrying any record that ``only_origin`` did not create (a node
    syncing over the API may push only its own station's records).
    """
    body = unpack(session, data)
    me, sender = node_code(session), body["from"]
    if sender == me:
        msg = f"this bundle was made by this database ('{me}')"
        raise SyncRefusedError(msg)
    if body.get("for") not in (None, me):
        msg = f"this bundle was made for '{body['for']}', and this database is '{me}'"
        raise SyncRefusedError(msg)
    if body.get("format") != FORMAT:
        msg = f"bundle from '{sender}' has format {body.get('format')!r}; this version reads format {FORMAT}"
        raise SyncRefusedError(msg)
    specs = synced()
    _check_shape(body, specs, sender)
    checks.refuse_faults(session.connection(), body, specs, sender)
    if only_origin is not None:
        _check_only(body, specs, sender, only_origin)
    report = SyncReport(origin=sender)
    peer = session.get(SyncPeer, sender)
    assert peer is not None  # the signature was verified against this peer's key
    unacked = dict(peer.acked).get("movement", 0)
    before = {c.rejected["uid"] for c in merge.conflicts(session)}
    conn = session.connection()
    if session.get_bind().dialect.name == "sqlite":  # a large bundle touches many index pages: keep them in memory
        conn.exec_driver_sql("PRAGMA cache_size = -32768")  # 32 MiB for this connection (default 2 MiB)
    new_moves: list[Moved] = []
    touched: dict[str, set[Any]] = defaultdict(set)
    for spec in specs:
        part = body["tables"].get(spec.name)
        if part:
            added, held = _apply_table(conn, spec, part, new_moves, touched)
            report.applied += added
            report.skipped += held
    ledger.apply(session, merge.book_changes(new_moves))
    for spec in specs:
        if spec.log is not None and touched[spec.name]:
            merge.resolve(session, spec, touched[spec.name])
    merge.compensate(session)
    after = merge.conflicts(session)
    report.conflicts = [c for c in after if c.rejected["uid"] not in before]
    report.alerts = _alerts(session, new_moves, sender, unacked)
    _acknowledge(session, peer, body, me)
    return report


def _check_shape(body: dict[str, Any], specs: list[Synced], sender: str) -> None:
    """Every table part well formed (columns of this schema), the acknowledgements counts: before any write."""
    for key in ("upto", "acks"):
        marks = body.get(key, {})
        if not isinstance(marks, dict) or not all(type(v) is int and 0 <= v <= 2**63 for v in marks.values()):
            msg = f"bundle from '{sender}': its '{key}' is not a table of record counts"
            raise SyncRefusedError(msg)
    for spec in specs:
        part = body["tables"].get(spec.name)
        if part is None:
            continue
        want = _columns(spec.table) + (["lines"] if spec.name == "dispatch" else [])
        if not isinstance(part, dict) or part.get("columns") != want or not isinstance(part.get("rows"), list):
            msg = f"bundle from '{sender}': table '{spec.name}' does not have this schema's columns"
            raise SyncRefusedError(msg)
        if not all(isinstance(r, list) and len(r) == len(want) for r in part["rows"]):
            msg = f"bundle from '{sender}': a row of table '{spec.name}' does not have {len(want)} values"
            raise SyncRefusedError(msg)


def _check_only(body: dict[str, Any], specs: list[Synced], sender: str, only_origin: str) -> None:
    """Every record of ``only_origin`` (a node user pushing over the API): before any write."""
    for spec in specs:
        part = body["tables"].get(spec.name)
        if part:
            at = part["columns"].index("origin")
            other = next((r[at] for r in part["rows"] if r[at] != only_origin), None)
            if other is not None:
                msg = f"bundle from '{sender}' carries {spec.name} records of '{other}': a node may sync only its own"
                raise SyncRefusedError(msg)


#: (station, item, exercise, on-hand Δ, reserved Δ, uid, lot, expires_on)
Moved = tuple[str, str, bool, float, float, str, str, str | None]


def _apply_table(
    conn: Any, spec: Synced, part: dict[str, Any], new_moves: list[Moved], touched: dict[str, set[Any]]
) -> tuple[int, int]:
    """Insert a table's rows this database does not hold yet; (rows applied, rows already held or skipped).

    Rows stay lists in the bundle's column order (no dict per row): 100,000 movements in a few seconds.
    """
    t, columns = spec.table, list(part["columns"])
    at = {c: n for n, c in enumerate(columns)}
    rows = part["rows"]
    held = set(_ids_of(conn, t, {r[at["uid"]] for r in rows}))
    seen: set[str] = set()
    fresh = []
    for r in rows:  # one row per uid, even in a malformed bundle
        uid = r[at["uid"]]
        if uid not in held and uid not in seen:
            seen.add(uid)
            fresh.append(list(r))
    stamps = [at[c] for c in columns if c in t.c and isinstance(t.c[c].type, UTCDateTime)]
    for r in fresh:
        for n in stamps:
            if r[n] is not None:
                try:
                    r[n] = datetime.fromisoformat(r[n])
                except (TypeError, ValueError):
                    msg = f"bundle {spec.name}.{columns[n]} of {r[at['uid']]}: {r[n]!r} is not a time"
                    raise SyncRefusedError(msg) from None
        if spec.log is not None:
            r[at["rejected"]] = False  # decided here, by the merge rules, not by the sender
    skipped = len(rows) - len(fresh)
    log = spec.log
    if log is not None and log.record_key != "id":  # a record named by code (a team): held here?
        rec, n = log.record_table, at[log.record_column]
        codes = {r[n] for r in fresh}
        known = set(conn.execute(select(rec.c[log.record_key]).where(rec.c[log.record_key].in_(codes))).scalars())
        skipped += sum(1 for r in fresh if r[n] not in known)
        fresh = [r for r in fresh if r[n] in known]
    if spec.name == "movement":
        station, item, exercise, on_hand, reserved, uid, lot, expires = (
            at[c]
            for c in ("station", "item", "exercise", "on_hand_delta", "reserved_delta", "uid", "lot", "expires_on")
        )
        new_moves += [
            (r[station], r[item], bool(r[exercise]), r[on_hand], r[reserved], r[uid], r[lot], r[expires]) for r in fresh
        ]
    lines: dict[str, list[list[Any]]] = {}
    if spec.name == "dispatch":  # a dispatch's lines travel in it, as its last column
        lines = {r[at["uid"]]: r.pop() for r in fresh}
        columns.pop()
    # a movement may reverse another of the same bundle: originals first, then what points at them
    passes = [fresh]
    if "reversal_of" in spec.refs:
        n = at["reversal_of"]
        passes = [[r for r in fresh if r[n] is None], [r for r in fresh if r[n] is not None]]
    for rows_now in passes:
        if rows_now:
            _map_refs(conn, spec, at, rows_now)
            if log is not None:  # the records whose status logs grew (local ids, mapped just now)
                touched[spec.name].update(r[at[log.record_column]] for r in rows_now)
            bulk_insert(conn, t, columns, rows_now)
    if lines:
        ids = _ids_of(conn, t, set(lines))
        values = [{"dispatch_id": ids[u], "item": item, "quantity": qty} for u, ls in lines.items() for item, qty in ls]
        if values:
            conn.execute(insert(_LINES), values)
    return len(fresh), skipped


def bulk_insert(conn: Any, t: Table, keys: list[str], rows: list[list[Any]]) -> None:
    """INSERT rows given as lists of values in ``keys`` order; on SQLite one ``executemany`` of the
    statement Core compiles once.

    Each value goes through its column type's own bind processor (UTC datetimes, JSON, booleans):
    what ``conn.execute(insert(t), rows)`` does, without building its parameters row by row
    through the compiler (the greater part of the cost for 100,000 rows). ``rows`` are changed.
    """
    if not rows:
        return
    dialect = conn.dialect
    if dialect.name != "sqlite":  # psycopg adapts JSON and types itself, and batches with insertmanyvalues
        conn.execute(insert(t), [dict(zip(keys, r, strict=True)) for r in rows])
        return
    compiled = insert(t).compile(dialect=dialect, column_keys=keys)
    procs = [(n, p) for n, k in enumerate(keys) if (p := t.c[k].type.bind_processor(dialect)) is not None]
    for r in rows:
        for n, p in procs:
            r[n] = p(r[n])
    if compiled.positional:
        order = [keys.index(k) for k in compiled.positiontup or []]
        if order == list(range(len(keys))):
            params: list[Any] = [tuple(r) for r in rows]
        else:
            params = [tuple(r[n] for n in order) for r in rows]
    else:
        params = [dict(zip(keys, r, strict=True)) for r in rows]
    conn.exec_driver_sql(compiled.string, params)


def _map_refs(conn: Any, spec: Synced, at: dict[str, int], rows: list[list[Any]]) -> None:
    """Turn the uids a row points with into this database's ids; a uid held nowhere refuses the bundle."""
    for column, target in spec.refs.items():
        n = at[column]
        uids = {r[n] for r in rows if r[n] is not None}
        if not uids:
            continue
        ids = _ids_of(conn, _table(target), uids)
        missing = sorted(uids - set(ids))
        if missing:
            msg = (
                f"bundle {spec.name}.{column} points at {target} {missing[0]}, which neither it nor this database holds"
            )
            raise SyncRefusedError(msg)
        for r in rows:
            if r[n] is not None:
                r[n] = ids[r[n]]


def _alerts(session: Session, new_moves: list[Moved], sender: str, unacked: int) -> list[dict[str, Any]]:
    """Books drawn on both sides while apart and left below zero available: one alert each, with the movements."""
    from supply.service.models import Movement

    keys = {(m[0], m[1], m[2]) for m in new_moves}
    out = []
    imported = [m[5] for m in new_moves]
    moves = table_of(Movement)
    for key, available in merge.negative_books(session, keys).items():
        theirs = merge.drawing(session, key, moves.c.uid.in_(imported)) if imported else []
        ours = merge.drawing(session, key, (moves.c.id > unacked) & (moves.c.origin != sender))
        alert = SyncAlert(station=key[0], item=key[1], exercise=key[2], available=available, movements=ours + theirs)
        session.add(alert)
        out.append(
            {
                "station": key[0],
                "item": key[1],
                "exercise": key[2],
                "kind": "negative_available_after_sync",
                "available": available,
                "movements": ours + theirs,
            }
        )
    session.flush()
    return out


def _acknowledge(session: Session, peer: SyncPeer, body: dict[str, Any], me: str) -> None:
    received = dict(peer.received)
    for name, top in body.get("upto", {}).items():
        received[name] = max(received.get(name, 0), int(top))
    peer.received = received
    if body.get("for") == me:
        acked = dict(peer.acked)
        for name, top in body.get("acks", {}).items():
            acked[name] = max(acked.get(name, 0), int(top))
        peer.acked = acked
    session.add(peer)
    session.flush()


def list_conflicts(session: Session) -> list[merge.ConflictView]:
    """Every conflict: the record, the version that stands and the one kept as rejected, who and when."""
    return merge.conflicts(session)
