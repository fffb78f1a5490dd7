"""Pydantic validation errors as :class:`~supply.core.errors.Problem` lists: file, key path, message.

Every file format (the scenario, its drill and teams sections, the item catalogue) reports its
faults through :func:`problems_from_validation`, so a user sees the same shape of message for all.
"""

from __future__ import annotations

from pydantic import ValidationError

from supply.core.errors import Problem


def key_path(loc: tuple[int | str, ...], prefix: str = "") -> str:
    """``('stations', 3, 'tier')`` → ``stations[3].tier``."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def problems_from_validation(exc: ValidationError, source: str, prefix: str = "") -> list[Problem]:
    """Turn a pydantic error into one :class:`Problem` per fault, with readable messages."""
    problems = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if p not in ("source", "base_dir"))
        typ, inp = err["type"], err.get("input")
        field = str(loc[-1]) if loc else "value"
        if typ == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            msg = f"unknown {field} '{inp}': expected {expected}"
        elif typ == "missing":
            msg = f"missing required key '{field}'"
        elif typ == "extra_forbidden":
            msg = f"unknown key '{field}'"
        elif typ in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            what = {"lat": "latitude", "lon": "longitude"}.get(field, field)
            msg = f"{what} {inp} out of range: {err['msg'].lower()}"
        elif typ == "value_error":
            msg = str(err.get("ctx", {}).get("error", err["msg"]))
        else:
            msg = err["msg"]
        problems.append(Problem(source, key_path(loc, prefix), msg))
    return problems
