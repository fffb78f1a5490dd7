"""Errors on console pages: HTML in the user's language, never problem+json or a traceback.

Registered over the app's problem handlers (:mod:`supply.api.problems`) for the same kinds of
error; a path outside ``/console`` still gets its problem document. A console GET without a
session goes to the sign-in page (303); anything else gets an error page with the status the
API would give (401, 403, 404, 409, 422…).
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from supply.api.console.i18n import N_, choose
from supply.api.console.render import render
from supply.api.console.session import PREFIX, SignInRequired
from supply.api.problems import problem_response
from supply.core.errors import JungongError

_TITLES = {
    401: N_("Sign in required"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Not allowed"),
    409: N_("Conflict"),
    422: N_("Invalid input"),
    503: N_("Service unavailable"),
}
_OTHER = N_("Error")
_EXPLAIN = {
    403: N_("Your role may not do this. Sign in with an officer's token to record stock, requests and dispatches."),
    404: N_("There is nothing at this address."),
}


def console_error(request: Request, exc: Exception) -> Response:
    if not request.url.path.startswith(PREFIX):
        return problem_response(request, exc)
    if isinstance(exc, SignInRequired) and request.method == "GET":
        return RedirectResponse(f"{PREFIX}/?next={quote(request.url.path)}", status_code=303)
    problem = problem_response(request, exc)  # the status and the logging of unexpected errors, as the API does
    status = problem.status_code
    lang = choose(request)
    title = lang.gettext(_TITLES.get(status, _OTHER))
    worded = isinstance(exc, JungongError) and exc.template is not None
    explain = lang.gettext(_EXPLAIN[status]) if status in _EXPLAIN and not worded else ""
    # the domain's own words (translated where worded) unless a translated explanation says it better
    detail = lang.message(exc) if isinstance(exc, JungongError) and not explain else ""
    return render(request, "error.html", status=status, title=title, explain=explain, detail=detail, code=status)


def install(app: FastAPI) -> None:
    """Answer errors on console paths with pages (after :func:`supply.api.problems.install`)."""
    for kind in (JungongError, RequestValidationError, StarletteHTTPException, DBAPIError, Exception):
        app.add_exception_handler(kind, console_error)
