"""Headless Debian Chromium driven over CDP by Playwright (no browser download), recording every request.

One Chromium (:func:`chromium_browser`) serves many pages, each in a fresh context of its own — its
own cookies, storage and cache, as a new profile would have — so a test suite starts it once.

Used by the browser tests and ``bench/bench_map.py``. Any request to a host other than the page's
own origin (``file://`` pages: none at all) is recorded and aborted, so an outside fetch can neither
succeed nor go unnoticed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
]
_LOCAL_SCHEMES = ("file", "data", "blob", "about")


def chromium_path() -> str | None:
    """The Chromium executable: ``$JUNGONG_CHROMIUM``, else ``chromium`` on PATH."""
    return os.environ.get("JUNGONG_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Session:
    """A page plus what it asked for: every URL, the outside ones, failures and script errors."""

    page: object
    requests: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@contextmanager
def chromium_browser() -> Iterator[Browser]:
    """One headless Chromium process (Debian's), for many :func:`chromium_page` calls to share."""
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    if not exe:
        msg = "Chromium not found: install Debian's chromium or set JUNGONG_CHROMIUM"
        raise RuntimeError(msg)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def chromium_page(
    origin: str | None = None,
    *,
    width: int = 1400,
    height: int = 950,
    locale: str | None = None,
    browser: Browser | None = None,
) -> Iterator[Session]:
    """A fresh browser context (its own cookies, storage and cache: a new profile) with one page;
    ``origin`` (``http://127.0.0.1:port``) is allowed, every other host is recorded and refused.

    ``locale`` (``"en-US"``, ``"zh-CN"``) sets the browser's language and so its ``Accept-Language``.
    ``browser`` (from :func:`chromium_browser`) is shared; without it a Chromium is started for this page.
    """
    if browser is None:
        with (
            chromium_browser() as own,
            chromium_page(origin, width=width, height=height, locale=locale, browser=own) as s,
        ):
            yield s
        return
    context = browser.new_context(
        viewport={"width": width, "height": height},
        service_workers="block",
        **({"locale": locale} if locale else {}),
    )
    try:
        page = context.new_page()
        session = Session(page)

        def route(r):
            url = r.request.url
            parts = urlsplit(url)
            if parts.scheme in _LOCAL_SCHEMES or (origin and f"{parts.scheme}://{parts.netloc}" == origin):
                r.continue_()
            else:
                session.outside.append(url)
                r.abort("blockedbyclient")

        context.route("**/*", route)
        page.on("request", lambda req: session.requests.append(req.url))
        page.on("requestfailed", lambda req: session.failed.append(f"{req.url}: {req.failure}"))
        page.on("pageerror", lambda exc: session.errors.append(str(exc)))
        page.on("console", lambda msg: session.errors.append(msg.text) if msg.type == "error" else None)
        yield session
    finally:
        context.close()


def file_url(path: Path) -> str:
    return path.resolve().as_uri()
