"""The console's session and CSRF protection.

Signing in checks the token exactly as the API does (:func:`supply.service.auth.authenticate`)
and keeps it in an HttpOnly, SameSite=Strict cookie; every page checks it again, so the session
ends when the token stops being valid (revoked or expired) and with sign-out. Roles are the
API's: every POST needs a writer's role (:data:`supply.service.auth.WRITERS`); a ``node`` user's token
(a station's sync node) opens no page.

CSRF: a random value in a second cookie (``jg_csrf``, set on the first page) must come back in
every form's hidden ``csrf`` field (double submit). A page on another origin can neither read the
cookie nor, with SameSite=Strict, send the session cookie along.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response

from supply.api.access_log import note_user
from supply.api.deps import RuntimeDep
from supply.core.errors import ForbiddenError, NotAuthenticatedError
from supply.service.auth import READERS, WRITERS, Caller, authenticate, require

SESSION_COOKIE = "jg_session"
CSRF_COOKIE = "jg_csrf"
CSRF_FIELD = "csrf"
PREFIX = "/console"


class SignInRequired(NotAuthenticatedError):
    """A console page was asked for without a valid session: the console answers with its sign-in page."""


def csrf_token(request: Request) -> str:
    """The request's CSRF value (a new one, set on the response by :func:`keep_csrf`, if it has none)."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = request.state.new_csrf = secrets.token_urlsafe(24)
    return token


def keep_csrf(request: Request, response: Response) -> None:
    """Set the CSRF cookie the page's forms were given, if it is new."""
    new = getattr(request.state, "new_csrf", None)
    if new:
        response.set_cookie(CSRF_COOKIE, new, httponly=True, samesite="strict", path=PREFIX)


def check_csrf(request: Request, sent: str | None) -> None:
    """Refuse a form whose ``csrf`` field does not match the cookie."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not sent or not hmac.compare_digest(cookie.encode(), sent.encode()):
        msg = "the form's security token is missing or stale: reload the page and submit again"
        raise ForbiddenError(msg)


def signed_in(runtime: RuntimeDep, request: Request) -> Caller:
    """The user of the session cookie, checked against the database on every request."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        msg = "sign in first"
        raise SignInRequired(msg)
    with runtime.read_engine.connect() as conn:
        try:
            caller = authenticate(conn, f"Bearer {token}")
        except NotAuthenticatedError:
            msg = "the session has ended: sign in again"
            raise SignInRequired(msg) from None
    note_user(request, caller.name)
    require(caller, READERS)  # a node's token syncs (/sync/) and opens no page
    request.state.caller = caller
    return caller


async def officer(user: Annotated[Caller, Depends(signed_in)]) -> Caller:
    return require(user, WRITERS)


User = Annotated[Caller, Depends(signed_in)]
Officer = Annotated[Caller, Depends(officer)]


def start(response: Response, token: str) -> None:
    """Keep ``token`` in the session cookie (for the browser session; it dies with the token)."""
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", path=PREFIX)


def end(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path=PREFIX, httponly=True, samesite="strict")


def can_write(user: Caller) -> bool:
    return user.role in WRITERS
