"""One console request as one value: what every page handler needs, built by one dependency.

:data:`Page` (any signed-in user) and :data:`OfficerPage` (a writer's role) give a :class:`Ctx`
holding the request, a read session, the runtime and the user; :data:`Posted` and
:data:`OfficerPost` add the posted form, its CSRF field checked. A POST handler tries one domain
write (:meth:`Ctx.attempt`) and answers with :meth:`Ctx.outcome`: 303 to the page that shows
the result (post/redirect/get), or the page again (422) with each fault beside its field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from supply.api.console.forms import Form, attempt
from supply.api.console.i18n import Lang, choose
from supply.api.console.session import Officer, User
from supply.api.deps import RuntimeDep, SessionDep, Writer
from supply.service.auth import Caller

R = TypeVar("R")


@dataclass
class Ctx:
    """The request, a read session, the runtime, the signed-in user and (for a POST) the form."""

    request: Request
    session: Session
    runtime: Any
    user: Caller
    form: dict[str, Any] = field(default_factory=dict)

    @property
    def lang(self) -> Lang:
        return choose(self.request)

    @property
    def writer(self) -> Writer:
        return Writer(self.runtime, self.user, self.request, None)

    def attempt(self, act: Callable[[], R], *, fields: dict[str, str] | None = None) -> tuple[R | None, dict[str, str]]:
        """:func:`~supply.api.console.forms.attempt` in the user's language."""
        return attempt(self.lang, act, fields=fields)

    @staticmethod
    def outcome(done: R | None, url: Callable[[R], str], again: Callable[[], Response]) -> Response:
        """303 to ``url(done)`` once recorded; else ``again()``, the page with the faults."""
        return RedirectResponse(url(done), status_code=303) if done is not None else again()


async def _page(request: Request, session: SessionDep, runtime: RuntimeDep, user: User) -> Ctx:
    return Ctx(request, session, runtime, user)


async def _officer_page(request: Request, session: SessionDep, runtime: RuntimeDep, user: Officer) -> Ctx:
    return Ctx(request, session, runtime, user)


async def _posted(c: Annotated[Ctx, Depends(_page)], form: Form) -> Ctx:
    c.form = form
    return c


async def _officer_post(c: Annotated[Ctx, Depends(_officer_page)], form: Form) -> Ctx:
    c.form = form
    return c


#: A page for any signed-in user.
Page = Annotated[Ctx, Depends(_page)]
#: A page for an officer (a writer's role), else 403.
OfficerPage = Annotated[Ctx, Depends(_officer_page)]
#: A form posted by any signed-in user (the domain checks their role, as for drills).
Posted = Annotated[Ctx, Depends(_posted)]
#: A form posted by an officer.
OfficerPost = Annotated[Ctx, Depends(_officer_post)]
