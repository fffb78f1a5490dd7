"""Headless Debian Chromium driven over CDP by Playwright (no browser download), recording every request.

Used by the browser tests and ``bench/bench_map.py``. Any request to a host other than the page's
own origin (``file://`` pages: none at all) is recorded and aborted, so an outside fetch can neither
succeed nor go unnoticed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

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
def chromium_page(
    origin: str | None = None, *, width: int = 1400, height: int = 950, locale: str | None = None
) -> Iterator[Session]:
    """A fresh headless Chromium (own profile) with one page; ``origin`` (``http://127.0.0.1:port``) is allowed.

    ``locale`` (``"en-US"``, ``"zh-CN"``) sets the browser's language and so its ``Accept-Language``.
    """
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    if not exe:
        msg = "Chromium not found: install Debian's chromium or set JUNGONG_CHROMIUM"
        raise RuntimeError(msg)
    with tempfile.TemporaryDirectory(prefix="jungong-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=exe,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height},
            service_workers="block",
            **({"locale": locale} if locale else {}),
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
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
