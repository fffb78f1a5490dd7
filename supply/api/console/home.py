"""Signing in and out, and the language switch."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from supply.api.console import session as sessions
from supply.api.console.forms import Form
from supply.api.console.i18n import LANG_COOKIE, LANGUAGES, choose
from supply.api.console.render import render
from supply.api.deps import RuntimeDep
from supply.core.errors import NotAuthenticatedError
from supply.service.auth import READERS, authenticate

router = APIRouter()
HOME = "/console/stations"


def _local(target: str | None) -> str:
    """``target`` if it is a console path on this site (no open redirect), else the home page."""
    parts = urlsplit(target or "")
    ok = not parts.scheme and not parts.netloc and parts.path.startswith("/console/")
    return target if ok and target else HOME


@router.get("/")
def signin_page(request: Request, runtime: RuntimeDep, next: Annotated[str | None, Query(max_length=500)] = None):
    """The sign-in page (or, with a valid session already, the stations)."""
    if request.cookies.get(sessions.SESSION_COOKIE):
        try:
            sessions.signed_in(runtime, request)
            return RedirectResponse(_local(next), status_code=303)
        except NotAuthenticatedError:
            pass
    return render(request, "signin.html", next=_local(next), errors={})


@router.post("/signin")
def signin(request: Request, runtime: RuntimeDep, form: Form):
    """Check the token as the API does; keep it in the session cookie."""
    token = (form.get("token") or "").strip()
    lang = choose(request)
    try:
        with runtime.read_engine.connect() as conn:
            caller = authenticate(conn, f"Bearer {token}")
    except NotAuthenticatedError:
        msg = lang.gettext("This token is not valid (or no longer valid). Ask your administrator for a new one.")
        if not token:
            msg = lang.gettext("This field is required.")
        return render(request, "signin.html", status=401, next=_local(form.get("next")), errors={"token": msg})
    if caller.role not in READERS:
        msg = lang.gettext("This is a sync node's token: it syncs its station's records and opens no page.")
        return render(request, "signin.html", status=403, next=_local(form.get("next")), errors={"token": msg})
    response = RedirectResponse(_local(form.get("next")), status_code=303)
    sessions.start(runtime, request, response, caller)
    return response


@router.post("/signout")
def signout(request: Request, runtime: RuntimeDep, form: Form):
    """End the session: it is deleted at once (the token itself stays valid for the API)."""
    response = RedirectResponse("/console/", status_code=303)
    sessions.end(runtime, request, response)
    return response


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: Annotated[str | None, Query(max_length=500)] = None):
    """Switch the console's language (kept in a cookie) and go back."""
    response = RedirectResponse(_local(next), status_code=303)
    if code in LANGUAGES:
        sessions.set_cookie(request, response, LANG_COOKIE, code, max_age=365 * 86400)
    return response
