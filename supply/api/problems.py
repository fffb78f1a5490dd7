"""The one place errors become RFC 9457 ``application/problem+json`` responses.

An unexpected error is a 500 whose body carries a ``request_id`` — the id of the request, on every
line logged while it was served (:mod:`supply.core.logs`) — logged once, with the error's traceback,
so an operator finds the one from the other. A SQLite database busy beyond the
busy timeout is a 503 with ``Retry-After``, like a lost connection.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from supply.core.errors import (
    DatabaseBusyError,
    FieldError,
    JungongError,
    NotAuthenticatedError,
    RetryLaterError,
    ScenarioError,
    UnknownCodeError,
)
from supply.core.logs import request_id as current_request_id

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"


def _field(loc: tuple | list) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    out = ""
    for p in parts:
        out += f"[{p}]" if p.isdigit() else ("." if out else "") + p
    return out or "body"


def problem_response(request: Request, exc: Exception) -> JSONResponse:
    """Turn any error into a problem document (registered for every kind of error)."""
    headers: dict[str, str] = {}
    extra: dict = {}
    if isinstance(exc, RequestValidationError):
        status, title = 422, "Invalid input"
        errors = [{"field": _field(e["loc"]), "message": e["msg"], "type": e["type"]} for e in exc.errors()]
        extra = {"errors": errors, "field": errors[0]["field"] if errors else None}
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    elif isinstance(exc, JungongError):
        status, title, detail = exc.status, exc.title, str(exc)
        if isinstance(exc, FieldError):
            extra = {"field": exc.field, "errors": [{"field": exc.field, "message": detail}]}
        if isinstance(exc, ScenarioError):  # a scenario's faults, each by its key path
            extra = {"errors": [{"field": p.path or p.file, "message": p.message} for p in exc.problems]}
        if isinstance(exc, UnknownCodeError):
            extra = {"kind": exc.kind, "code": exc.code, "suggestions": exc.suggestions}
        if isinstance(exc, NotAuthenticatedError):
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, DatabaseBusyError):
            headers["Retry-After"] = "2"
        if isinstance(exc, RetryLaterError):
            headers["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, StarletteHTTPException):
        status, detail = exc.status_code, str(exc.detail)
        title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
        headers.update(exc.headers or {})
    elif isinstance(exc, DBAPIError) and exc.connection_invalidated:
        # a pooled connection found dead (database restarted): the pool is discarded, a retry reconnects
        log.warning("database connection lost on %s %s: %s", request.method, request.url.path, exc.orig)
        status, title, detail = 503, "Database unavailable", "the database connection was lost; retry the request"
        headers["Retry-After"] = "1"
    elif isinstance(exc, OperationalError) and _busy(exc):
        log.warning("database busy on %s %s: %s", request.method, request.url.path, exc.orig)
        status, title, detail = 503, "Database busy", "the database is busy with other writers; retry shortly"
        headers["Retry-After"] = "2"
    else:
        request_id = current_request_id()
        # handlers run outside the ``except`` block: the traceback must be passed explicitly
        log.error("unhandled error %s on %s %s", request_id, request.method, request.url.path, exc_info=exc)
        status, title = 500, "Internal error"
        detail = f"an unexpected error occurred; it has been logged as {request_id}"
        extra = {"request_id": request_id}
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": request.url.path}
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _busy(exc: OperationalError) -> bool:
    """SQLite's "database is locked" (the busy timeout ran out)."""
    return "database is locked" in str(exc.orig) or "database is busy" in str(exc.orig)


def install(app: FastAPI) -> None:
    for kind in (JungongError, RequestValidationError, StarletteHTTPException, DBAPIError, Exception):
        app.add_exception_handler(kind, problem_response)
