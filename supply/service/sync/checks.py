"""What a bundle's records must be before any of it is applied: sound values, and within their origin's authority.

Both checks run on every import, whoever carries the bundle (``jungong sync import``, a node's or an
admin's ``POST /sync/push``, a node pulling from the centre), and every fault found is reported at
once, each naming its record (table and uid); one fault refuses the whole bundle.

* **Values**, by each column's type, with the checks the API's models make (:mod:`supply.core.types`):
  text without control characters and within the column's length, codes of the catalogue this
  database holds (stations, items, sites), numbers finite and within bounds, whole numbers that
  fit their column, aware times between 2000 and 2100, no missing value where the column needs one.
  The rules follow the columns, so a column a table gains (a lot, an expiry) is checked the day it
  is added.
* **Authority** (:mod:`supply.service.authority`): a node's bundle carries only records of its own
  ``origin`` (the key that signed it), and every record — the centre relays everyone's — is about a
  station its origin may speak for: a movement's or dispatch's ``station``, an event's record's owner.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Column, Float, Integer, String, select
from sqlalchemy.types import TypeDecorator

from supply.core.errors import SyncRefusedError
from supply.core.types import CODE_RE, MAX_ID, control_char
from supply.service.authority import may_originate
from supply.service.models import CENTRE, Item, Site, Station, UTCDateTime, table_of
from supply.service.sync.tables import Synced

#: The largest magnitude of a figure a record carries: a thousand times the largest quantity one
#: entry may hold (10⁹), so sums of them stay exact to the smallest quantity (0.001) in a float.
MAX_FIGURE = 1e12
#: Text columns declared without a length (reasons, notes) hold at most this many characters.
MAX_TEXT = 5000
#: The tables of codes every database loads from the scenario: a record may name only codes held here.
CATALOGUE = {"station": table_of(Station), "item": table_of(Item), "site": table_of(Site)}
#: Faults named in a refusal before "and N more".
SHOWN = 20
CHUNK = 500  # keys per IN (...) list: well under SQLite's bound-parameter limit

Check = Callable[[Any], str | None]


def refuse_faults(conn: Any, body: dict[str, Any], specs: list[Synced], sender: str) -> None:
    """:class:`SyncRefusedError` naming every faulty record of the bundle, if any (nothing written yet)."""
    known = _known_codes(conn)
    faults: list[str] = []
    for spec in specs:
        part = body["tables"].get(spec.name)
        if part:
            faults += _value_faults(spec, part, known)
    if not faults:  # the authority check reads stations through values found sound
        for spec in specs:
            part = body["tables"].get(spec.name)
            if part:
                faults += _authority_faults(conn, body, spec, part, sender)
    if faults:
        more = f"; and {len(faults) - SHOWN} more" if len(faults) > SHOWN else ""
        msg = f"bundle from '{sender}' refused, nothing applied: " + "; ".join(faults[:SHOWN]) + more
        raise SyncRefusedError(msg)


def _known_codes(conn: Any) -> dict[str, set[str]]:
    return {name: set(conn.execute(select(t.c.code)).scalars()) for name, t in CATALOGUE.items()}


def _record(spec: Synced, row: list[Any], at: dict[str, int]) -> str:
    uid = row[at["uid"]] if "uid" in at else None
    return f"{spec.name} {uid if isinstance(uid, str) else '(no uid)'}"


def _value_faults(spec: Synced, part: dict[str, Any], known: dict[str, set[str]]) -> list[str]:
    columns = list(part["columns"])
    at = {c: n for n, c in enumerate(columns)}
    checks = [(n, c, _column_check(spec, spec.table.c[c], known)) for n, c in enumerate(columns) if c in spec.table.c]
    if spec.name == "dispatch":
        checks.append((at["lines"], "lines", _lines_check(known["item"])))
    faults = []
    for row in part["rows"]:
        for n, name, check in checks:
            fault = check(row[n])
            if fault is not None:
                faults.append(f"{_record(spec, row, at)}: {name}: {fault}")
    return faults


def _column_check(spec: Synced, column: Column, known: dict[str, set[str]]) -> Check:
    """The check of one column's values (``None`` allowed only where the column allows it)."""
    inner = _type_check(spec, column, known)
    nullable = bool(column.nullable)

    def check(value: Any) -> str | None:
        if value is None:
            return None if nullable else "missing"
        return inner(value)

    return check


def _type_check(spec: Synced, column: Column, known: dict[str, set[str]]) -> Check:
    if column.name in spec.choices:
        allowed = spec.choices[column.name]
        return lambda v: (
            None if isinstance(v, str) and v in allowed else f"{_shown(v)} is not one of {', '.join(sorted(allowed))}"
        )
    if column.name in spec.refs:  # another synced record, by its uid
        return _text_check(36)
    if column.name == "origin":
        return _code_check(known["station"] | {CENTRE}, "station")
    catalogue = next((fk.column.table.name for fk in column.foreign_keys if fk.column.table.name in CATALOGUE), None)
    if catalogue is not None:
        return _code_check(known[catalogue], catalogue)
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return _time_check
    if isinstance(kind, TypeDecorator):  # SQLModel's text (AutoString) wraps a String of the same length
        kind = kind.impl_instance
    if isinstance(kind, Boolean):
        return lambda v: None if isinstance(v, bool) else f"{_shown(v)} is not true or false"
    if isinstance(kind, Integer):
        return _whole_check
    if isinstance(kind, Float):
        return _figure_check
    if isinstance(kind, String):
        return _text_check(kind.length or MAX_TEXT)
    return _json_check  # JSON, or a type added later: text and numbers sound at any depth


def _shown(value: Any) -> str:
    """A value as a fault names it: its ``repr`` (control characters escaped), cut short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _text_check(length: int) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return f"{_shown(value)} is not text"
        if len(value) > length:
            return f"{len(value)} characters, at most {length}"
        bad = control_char(value)
        return None if bad is None else f"control character {bad} is not allowed"

    return check


def _code_check(codes: set[str], kind: str) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, str) or not CODE_RE.match(value):
            return f"{_shown(value)} is not a code"
        return None if value in codes else f"unknown {kind} '{value}'"

    return check


def _whole_check(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{_shown(value)} is not a whole number"
    return None if -MAX_ID <= value <= MAX_ID else f"{value} is out of range (±{MAX_ID})"


def _figure_check(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{_shown(value)} is not a number"
    if not math.isfinite(value):
        return f"{value} is not a finite number"
    return None if abs(value) <= MAX_FIGURE else f"{value:g} is out of range (±{MAX_FIGURE:g})"


def _time_check(value: Any) -> str | None:
    try:
        when = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return f"{_shown(value)} is not a time"
    if when.tzinfo is None:
        return f"{_shown(value)} has no time zone"
    return None if 2000 <= when.year <= 2100 else f"year {when.year} is out of range (2000–2100)"


def _json_check(value: Any) -> str | None:
    """Keys and text without control characters, numbers finite and within bounds, at any depth."""
    if isinstance(value, dict):
        for key, inner in value.items():
            fault = _json_check(key) or _json_check(inner)
            if fault is not None:
                return fault
        return None
    if isinstance(value, list):
        return next((f for f in map(_json_check, value) if f is not None), None)
    if isinstance(value, str):
        bad = control_char(value)
        return None if bad is None else f"control character {bad} is not allowed"
    if isinstance(value, float | int) and not isinstance(value, bool):
        return _figure_check(value)
    return None


def _lines_check(items: set[str]) -> Check:
    """A dispatch's lines: ``[item, quantity]`` pairs of known items and finite, positive quantities."""
    item_check = _code_check(items, "item")

    def check(value: Any) -> str | None:
        if not isinstance(value, list):
            return f"{_shown(value)} is not a list of lines"
        for n, line in enumerate(value):
            if not isinstance(line, list) or len(line) != 2:
                return f"[{n}]: {_shown(line)} is not [item, quantity]"
            fault = item_check(line[0]) or _figure_check(line[1])
            if fault is None and line[1] <= 0:
                fault = f"{line[1]} is not a positive quantity"
            if fault is not None:
                return f"[{n}]: {fault}"
        return None

    return check


def _authority_faults(conn: Any, body: dict[str, Any], spec: Synced, part: dict[str, Any], sender: str) -> list[str]:
    """Records not of the signer's origin (a node's bundle), or about a station their origin may not speak for."""
    columns = list(part["columns"])
    at = {c: n for n, c in enumerate(columns)}
    stations = _stations(conn, body, spec, part["rows"], at)
    faults = []
    for row in part["rows"]:
        origin = row[at["origin"]]
        if sender != CENTRE and origin != sender:
            faults.append(
                f"{_record(spec, row, at)} was made by '{origin}', and the bundle is signed by '{sender}': "
                "a node sends only its own records"
            )
            continue
        station = stations(row)
        if not may_originate(origin, station):
            faults.append(
                f"{_record(spec, row, at)} is about station {station}, and was made by '{origin}': "
                f"a node records only about its own station"
            )
    return faults


def _stations(
    conn: Any, body: dict[str, Any], spec: Synced, rows: list[list[Any]], at: dict[str, int]
) -> Callable[[list[Any]], str | None]:
    """How to read the station a row is about: its ``station``, or its record's owner (an event's)."""
    if "station" in at:
        n = at["station"]
        return lambda row: row[n]
    log = spec.log
    if log is None:
        return lambda row: None  # a request, an audit entry: about no one station
    n, rec = at[log.record_column], log.record_table
    keys = {row[n] for row in rows}
    owners: dict[Any, str] = {}
    target = spec.refs.get(log.record_column)
    if target is not None:  # the record travels too (a dispatch): by uid, in this bundle or held here
        part = body["tables"].get(target) or {}
        if part.get("rows"):
            cols = list(part["columns"])
            u, o = cols.index("uid"), cols.index(log.owner_column)
            owners.update((r[u], r[o]) for r in part["rows"] if r[u] in keys)
        key_column = rec.c.uid
    else:  # a record named by its code (a team), held here
        key_column = rec.c[log.record_key]
    wanted = sorted(k for k in keys - set(owners) if isinstance(k, str))
    for i in range(0, len(wanted), CHUNK):
        q = select(key_column, rec.c[log.owner_column]).where(key_column.in_(wanted[i : i + CHUNK]))
        owners.update((k, o) for k, o in conn.execute(q))
    return lambda row: owners.get(row[n])
