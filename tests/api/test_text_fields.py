"""Probe 4: every text field of every route refuses control characters (NUL included), on both databases.

The routes and their text fields are read from the app's own OpenAPI document, so a new route or
field is covered the day it is added. A lone NUL used to pass the "no NUL" pattern (``\\S`` matches
NUL): a 500 on PostgreSQL, an invisible reason accepted on SQLite.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from supply.core.types import CODE_PATTERN

BAD = ("\u0000", "a\u0000", "a\u0007b")


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _variants(spec: dict, schema: dict) -> list[dict]:
    schema = _resolve(spec, schema)
    return [_resolve(spec, s) for s in schema.get("anyOf", [schema])]


def _is_text(schema: dict) -> bool:
    return (
        schema.get("type") == "string"
        and "enum" not in schema
        and "format" not in schema
        and schema.get("pattern") != CODE_PATTERN
    )


def text_fields(spec: dict, schema: dict, path: tuple = ()) -> list[tuple]:
    """Every free-text field of a body schema, as a path of keys (``0`` for an array element)."""
    out = []
    for variant in _variants(spec, schema):
        if _is_text(variant):
            out.append(path)
        elif variant.get("type") == "object" and len(path) < 3:
            for name, sub in variant.get("properties", {}).items():
                out += text_fields(spec, sub, (*path, name))
        elif variant.get("type") == "array" and len(path) < 3:
            out += text_fields(spec, variant.get("items", {}), (*path, 0))
    return out


def body_with(path: tuple, value: str) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    return [body_with(rest, value)] if head == 0 else {head: body_with(rest, value)}


def fill(route: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: "1" if m.group(1).endswith("id") else "GZ-HUB", route)


def cases(spec: dict) -> list[tuple[str, str, tuple]]:
    out = []
    for route, methods in spec["paths"].items():
        for method, op in methods.items():
            content = op.get("requestBody", {}).get("content", {}).get("application/json")
            if content:
                out += [(method, route, p) for p in text_fields(spec, content["schema"]) if p]
            for param in op.get("parameters", []):
                if param["in"] == "query" and any(_is_text(v) for v in _variants(spec, param["schema"])):
                    out.append((method, route, ("?", param["name"])))
    return out


def test_the_walker_finds_the_text_fields(client):
    found = {(m, r, p) for m, r, p in cases(client.app.openapi())}
    for expected in (
        ("post", "/users", ("name",)),
        ("post", "/stations/{code}/receipts", ("reason",)),
        ("post", "/requests", ("unit",)),
        ("post", "/drills", ("scenario_toml",)),
        ("post", "/drills/{drill_id}/orders", ("text",)),
        ("post", "/teams", ("name",)),
        ("get", "/audit", ("?", "actor")),
    ):
        assert expected in found, expected


@pytest.mark.parametrize("value", BAD, ids=["nul", "a-nul", "bell"])
def test_every_text_field_refuses_control_characters(client, db, value):
    spec = client.app.openapi()
    checked = 0
    for method, route, path in cases(spec):
        url = fill(route)
        if path[0] == "?":
            r = client.request(method, url, params={path[1]: value}, headers=db.headers("admin"))
        else:
            r = client.request(method, url, json=body_with(path, value), headers=db.headers("admin"))
        where = f"{method.upper()} {route} {path}"
        assert r.status_code == 422, (where, r.status_code, r.text)
        assert r.headers["content-type"] == "application/problem+json", where
        errors = r.json().get("errors") or []
        name = path[-1] if not isinstance(path[-1], int) else f"{path[-2]}[{path[-1]}]"  # a list of texts
        mine = [e for e in errors if e["field"].endswith(str(name))]
        assert mine, (where, errors)
        checked += 1
    assert checked >= 15
