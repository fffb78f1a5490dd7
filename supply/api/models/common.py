"""What the response models share: local times, numbers as stored, the problem document and its responses."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from supply.api.problems import MEDIA_TYPE

#: A time shown in the configured zone, ISO 8601 with its offset (``2024-05-01T08:00:00+08:00``).
LocalTime = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
#: A quantity as stored: JSON columns keep whole numbers whole (``100``, not ``100.0``).
Number = float | int


class Public(BaseModel):
    """Base of the response models: answers are read, never validated from clients."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class FieldProblem(BaseModel):
    """One fault in the input: where (``body.lines[0].item``, ``station``) and what is wrong."""

    field: str
    message: str
    type: str | None = Field(default=None, description="pydantic's error type (request validation only)")


class Problem(BaseModel):
    """An RFC 9457 problem document, with the extra keys some errors carry."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="always 'about:blank'")
    title: str
    status: int
    detail: str
    instance: str = Field(description="the request's path")
    errors: list[FieldProblem] | None = Field(default=None, description="every fault in the input (422)")
    field: str | None = Field(default=None, description="the first faulty field (422)")
    kind: str | None = Field(default=None, description="what was not found: station, item, request… (404)")
    code: str | None = Field(default=None, description="the code that was not found (404)")
    suggestions: list[str] | None = Field(default=None, description="known codes close to the one given (404)")
    request_id: str | None = Field(default=None, description="the id an unexpected error was logged under (500)")


_WHY = {
    400: "the body cannot be parsed (not JSON, not UTF-8)",
    401: "no bearer token, or an unknown one",
    403: "the caller's role (or drill role) does not allow this",
    404: "a code or id in the path or the body is unknown",
    405: "the method is never allowed here",
    409: "the change conflicts with the record (stock, status, a write at the same time)",
    413: "the request body is larger than the max_body_bytes setting",
    422: "invalid input: every fault, with its field",
    429: "the caller has as many background analyses queued or running as one user may (Retry-After)",
    503: "the database is unreachable, busy past the busy timeout (Retry-After), or not initialised; "
    "or the server runs as many background analyses as it may (Retry-After)",
}


_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status answered as ``application/problem+json`` with a :class:`Problem`.

    (Not ``"model": Problem``: FastAPI would file that schema under ``application/json``; the schema
    is added to the document's components by :func:`problem_schemas`.)
    """
    return {s: {"description": _WHY[s], "content": {MEDIA_TYPE: {"schema": _PROBLEM_REF}}} for s in statuses}


def problem_schemas() -> dict[str, Any]:
    """The JSON schemas of :class:`Problem` and what it refers to, for ``components.schemas``."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
    defs = schema.pop("$defs", {})
    return {"Problem": schema, **defs}


#: A read by any authenticated caller.
READ = problems(401, 403, 422, 503)
#: A read of one thing named in the path.
READ_ONE = problems(401, 403, 404, 422, 503)
#: A write: as a read of one thing, a body that cannot be parsed, and a conflict with the record.
WRITE = problems(400, 401, 403, 404, 409, 413, 422, 503)
