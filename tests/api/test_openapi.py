"""``/openapi.json`` describes every answer: each operation's 2xx body and the problems it can give."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from supply.api import create_app
from supply.core.settings import Settings

PROBLEM = "application/problem+json"
#: Routes that need no token (so they answer no 401/403).
OPEN = {("GET", "/health"), ("GET", "/drills/{drill_id}/board.html")}


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The document as a client fetches it (no database is touched to serve it)."""
    folder = tmp_path_factory.mktemp("openapi")
    app = create_app(Settings(database_url=f"sqlite:///{folder / 'unused.db'}", data_dir=folder))
    with TestClient(app) as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(spec: dict) -> list[tuple[str, str, dict]]:
    return [(method.upper(), path, op) for path, ops in spec["paths"].items() for method, op in ops.items()]


def test_every_operation_documents_a_success_body(spec: dict) -> None:
    """A 2xx with a schema for every media type it answers in (JSON routes: a named model or a list of them)."""
    missing = []
    for method, path, op in operations(spec):
        ok = {code: r for code, r in op["responses"].items() if code.startswith("2")}
        if method == "DELETE":  # a drill is never deleted: the route only answers 405
            assert "405" in op["responses"], path
            continue
        if "308" in op["responses"]:  # a page that moved: where to is its answer
            assert "Location" in op["responses"]["308"]["headers"], path
            continue
        schemas = [m.get("schema") for r in ok.values() for m in r.get("content", {}).values()]
        if not ok or not schemas or not all(schemas):
            missing.append(f"{method} {path}")
    assert missing == []


def test_json_answers_name_their_model(spec: dict) -> None:
    """JSON bodies refer to the …Public family (or say they are a free-form document), never an empty schema."""
    vague = []
    for method, path, op in operations(spec):
        for code, r in op["responses"].items():
            schema = r.get("content", {}).get("application/json", {}).get("schema")
            if code.startswith("2") and schema is not None and schema in ({}, {"type": "object"}):
                vague.append(f"{method} {path} {code}")
    assert vague == []
    names = spec["components"]["schemas"]
    family = ("Station", "StockRow", "Movement", "Request", "Dispatch", "StatusChange")
    family += ("Team", "Drill", "Order", "Board", "User")
    assert {f"{name}Public" for name in family} <= set(names)


def test_every_operation_documents_its_problems(spec: dict) -> None:
    """Errors are problem+json with the Problem schema: 422 on every route with inputs, 401/403/503 behind a token."""
    for method, path, op in operations(spec):
        errors = {code: r for code, r in op["responses"].items() if code[0] in "45"}
        for code, r in errors.items():
            assert list(r["content"]) == [PROBLEM], f"{method} {path} {code}"
            assert r["content"][PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}
        if op.get("parameters") or op.get("requestBody"):
            assert "422" in errors, f"{method} {path}"
        if (method, path) not in OPEN:
            assert {"401", "403", "503"} <= set(errors), f"{method} {path}"
        if method == "POST":
            assert {"400", "409"} <= set(errors), f"{method} {path}"


def test_post_routes_document_their_body(spec: dict) -> None:
    for method, path, op in operations(spec):
        if method == "POST" and not path.endswith(("/close", "/cancel", "/revoke")):  # actions without a body
            media = "application/octet-stream" if path == "/sync/push" else "application/json"  # a sync bundle
            assert op["requestBody"]["content"][media]["schema"], path


def test_the_problem_schema_carries_the_extra_keys(spec: dict) -> None:
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance"} <= set(problem["required"])
    assert {"errors", "field", "kind", "code", "suggestions"} <= set(problem["properties"])
    assert "FieldProblem" in spec["components"]["schemas"]
