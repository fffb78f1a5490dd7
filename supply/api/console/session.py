"""The console's sessions and CSRF protection.

Signing in checks the token exactly as the API does (:func:`supply.service.auth.authenticate`),
then opens a server-side session (:mod:`supply.service.console_sessions`): the browser's cookie
holds only the session's random id, never the token, in an HttpOnly, SameSite=Strict cookie —
``Secure`` when the request came over HTTPS (directly, or through a proxy ``jungong serve``
trusts: ``--proxy-headers``, ``X-Forwarded-Proto``). Every page checks the session again, so it
ends when it expires (``JUNGONG_SESSION_HOURS``), sits idle (``JUNGONG_SESSION_IDLE_MINUTES``),
is signed out (the row is deleted) or its user's token stops being valid; signing in replaces
the browser's previous session. Roles are the API's: every POST needs a writer's role
(:data:`supply.service.auth.WRITERS`); a ``node`` user (a station's sync node) opens no page.

CSRF, three ways: a random value in a second cookie (``jg_csrf``, set on the first page and anew
at sign-in) must come back in every form's hidden ``csrf`` field (double submit); the session
cookie is SameSite=Strict; and every console POST is refused (403 problem) when its ``Origin``
— or, without one, its ``Referer`` — names another origin (:class:`SameOrigin`).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from supply.api.access_log import note_user
from supply.api.deps import RuntimeDep
from supply.api.problems import problem_response
from supply.api.runtime import Runtime
from supply.core.errors import ForbiddenError, NotAuthenticatedError
from supply.service.auth import READERS, WRITERS, Caller, require
from supply.service.console_sessions import close_session, open_session, session_caller, touch
from supply.service.db import write_session

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


def secure(request: Request) -> bool:
    """Whether the request came over HTTPS (uvicorn's proxy headers set the scheme a trusted proxy saw)."""
    return request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None = None) -> None:
    """A console cookie: HttpOnly, SameSite=Strict, under ``/console``, ``Secure`` over HTTPS."""
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="strict", path=PREFIX, secure=secure(request)
    )


def keep_csrf(request: Request, response: Response) -> None:
    """Set the CSRF cookie the page's forms were given, if it is new."""
    new = getattr(request.state, "new_csrf", None)
    if new:
        set_cookie(request, response, CSRF_COOKIE, new)


def check_csrf(request: Request, sent: str | None) -> None:
    """Refuse a form whose ``csrf`` field does not match the cookie."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not sent or not hmac.compare_digest(cookie.encode(), sent.encode()):
        msg = "the form's security token is missing or stale: reload the page and submit again"
        raise ForbiddenError(msg)


def signed_in(runtime: RuntimeDep, request: Request) -> Caller:
    """The user of the session cookie, checked against the database on every request."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        msg = "sign in first"
        raise SignInRequired(msg)
    idle = runtime.settings.session_idle_minutes
    with runtime.read_engine.connect() as conn:
        try:
            caller, due = session_caller(conn, raw, idle_minutes=idle)
        except NotAuthenticatedError:
            msg = "the session has ended: sign in again"
            raise SignInRequired(msg) from None
    if due:  # the idle timeout starts again (written once a minute at most)
        with write_session(runtime.engine) as s:
            touch(s.connection(), raw)
            s.commit()
    note_user(request, caller.name)
    require(caller, READERS)  # a node's token syncs (/sync/) and opens no page
    request.state.caller = caller
    return caller


async def officer(user: Annotated[Caller, Depends(signed_in)]) -> Caller:
    return require(user, WRITERS)


User = Annotated[Caller, Depends(signed_in)]
Officer = Annotated[Caller, Depends(officer)]


def start(runtime: Runtime, request: Request, response: Response, caller: Caller) -> None:
    """Open a new session for ``caller`` (replacing the browser's previous one) and set its cookie
    (for the browser session), with a new CSRF value."""
    settings = runtime.settings
    with write_session(runtime.engine) as s:
        raw = open_session(
            s.connection(),
            caller.id,
            hours=settings.session_hours,
            idle_minutes=settings.session_idle_minutes,
            replaces=request.cookies.get(SESSION_COOKIE),
        )
        s.commit()
    set_cookie(request, response, SESSION_COOKIE, raw)
    set_cookie(request, response, CSRF_COOKIE, secrets.token_urlsafe(24))


def end(runtime: Runtime, request: Request, response: Response) -> None:
    """Sign out: delete the session (its id opens nothing any more) and its cookie."""
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        with write_session(runtime.engine) as s:
            close_session(s.connection(), raw)
            s.commit()
    response.delete_cookie(SESSION_COOKIE, path=PREFIX, httponly=True, samesite="strict", secure=secure(request))


def can_write(user: Caller) -> bool:
    return user.role in WRITERS


_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def foreign_origin(request: Request) -> str | None:
    """The other origin a console request says it came from (its ``Origin``, else its ``Referer``),
    or None when it came from this site — or says nothing, as a client that is not a browser (the
    session cookie and the CSRF field still guard it; a browser always sends ``Origin`` on a POST)."""
    own = f"{request.url.scheme}://{request.url.netloc}".lower()
    origin = request.headers.get("origin")
    if origin is None and (referer := request.headers.get("referer")):
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    return None if origin is None or origin.lower() == own else origin


class SameOrigin:
    """ASGI middleware: a console POST (any unsafe method) from another origin is a 403 problem,
    before any form is read or any session looked up."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in _SAFE and scope["path"].startswith(PREFIX + "/"):
            request = Request(scope)
            if (other := foreign_origin(request)) is not None:
                msg = f"a console form may only be posted from this site's own pages, not from {other}"
                await problem_response(request, ForbiddenError(msg))(scope, receive, send)
                return
        await self.app(scope, receive, send)
