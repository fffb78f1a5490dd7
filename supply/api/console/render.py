"""Rendering console pages: one Jinja2 environment, the request's language, the user and the CSRF value.

Templates get ``_``/``gettext``/``ngettext`` of the request's language (Jinja's i18n extension
resolves them from the context), ``num`` (Babel's number format), ``when`` (a time in the
service's one time zone, whose name every page shows), ``item_name`` (an item by its name and
unit: codes only where a code is what the user types), the signed-in ``user``, ``can_write``
(whether to show write controls at all) and ``csrf`` for the forms.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from supply.api import csp
from supply.api.console import i18n
from supply.api.console.session import can_write, csrf_token, keep_csrf

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # replaced per render by the context's gettext
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]  # added to the Environment at run time by jinja2.ext.i18n
    return env


def page_context(request: Request, **ctx: Any) -> dict[str, Any]:
    lang = i18n.choose(request)
    runtime = request.app.state.runtime
    tz = runtime.tz
    user = getattr(request.state, "caller", None)

    def when(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        if value is None or value == "":
            return "—"
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.astimezone(tz).strftime(fmt)

    def item_name(code: str) -> str:
        return lang.item(runtime.items.get(code), code)

    return {
        "request": request,
        "item_name": item_name,
        "lang": lang,
        "_": lang.gettext,
        "gettext": lang.gettext,
        "ngettext": lang.ngettext,
        "num": lang.num,
        "when": when,
        "tz_name": str(tz),
        "user": user,
        "can_write": bool(user and can_write(user)),
        "csrf": csrf_token(request),
        "path": request.url.path,
        **ctx,
    }


def render(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    """The page ``template`` with ``ctx``, in the request's language."""
    html = environment().get_template(template).render(page_context(request, **ctx))
    headers = {csp.HEADER: csp.CONSOLE, "Vary": "Accept-Language, Cookie"}
    response = HTMLResponse(html, status_code=status, headers=headers)
    keep_csrf(request, response)
    return response
