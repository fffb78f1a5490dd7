"""Sync with the centre over HTTP (``jungong sync run``): push this node's bundle, then pull the centre's.

One **round** is: export what the centre has not acknowledged (one write transaction on the
node), ``POST /sync/push`` it, ``GET /sync/pull`` the bundle of what this node has not
acknowledged, import it (a second transaction). Every step is idempotent — the import skips
records it already holds, by their global id — so a round cut anywhere (the link drops, the
centre stops) is simply run again, and nothing is lost or doubled.

A round that cannot reach the centre, or that the centre answers with 409 (a write that clashed
with another) or 502, 503, 504 (busy, restarting, database lost), is retried with exponential
backoff (``delay``, ``2·delay``, ``4·delay``… up to ``max_delay``), each attempt reported by ``say``.
A refusal (4xx: a bad token, a role that may not sync, a bundle refused) is not retried: it is a
:class:`~supply.core.errors.SyncRejectedError`, and so is a 500 (the centre's own fault, logged
there under the id the answer gives).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from sqlalchemy import Engine

from supply.core.errors import CentreUnreachableError, InvalidArgumentError, SyncRejectedError
from supply.service.db import write_session
from supply.service.sync.exchange import SyncReport

#: The centre's node code: a node pushes to, and pulls from, the centre (a star).
CENTRE = "centre"
BUNDLE_MEDIA_TYPE = "application/octet-stream"
#: Answers worth retrying: a write that clashed with another (409), a proxy without its centre, the
#: centre busy or restarting, a gateway timeout.
_TRANSIENT = frozenset({409, 502, 503, 504})
T = TypeVar("T")


@dataclass(frozen=True)
class RoundReport:
    """What one round did: the centre's report of the push and this node's report of the pull."""

    pushed: dict[str, Any]  # the centre's {"applied", "skipped", "conflicts"}
    pulled: dict[str, Any]  # this node's {"applied", "skipped", "conflicts"}
    attempts: int

    def as_dict(self) -> dict[str, Any]:
        return {"pushed": self.pushed, "pulled": self.pulled, "attempts": self.attempts}


class Centre:
    """The centre's ``/sync/`` API, seen from a node holding a ``node`` user's token."""

    def __init__(self, base: str, token: str, *, timeout: float = 60, transport: httpx.BaseTransport | None = None):
        if not base.startswith(("http://", "https://")):
            msg = f"--with '{base}': give the centre's address as http://host:port"
            raise InvalidArgumentError(msg)
        if not token.strip():
            msg = "--token: give the node user's token (jungong users add NAME --role node --station CODE)"
            raise InvalidArgumentError(msg)
        self.base = base.rstrip("/")
        headers = {"Authorization": f"Bearer {token.strip()}"}
        self.client = httpx.Client(base_url=self.base, headers=headers, timeout=timeout, transport=transport)

    def close(self) -> None:
        self.client.close()

    def push(self, bundle: bytes) -> dict[str, Any]:
        headers = {"Content-Type": BUNDLE_MEDIA_TYPE}
        answer = self._call("POST", "/sync/push", content=bundle, headers=headers)
        return answer.json()

    def pull(self) -> bytes:
        return self._call("GET", "/sync/pull").content

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            answer = self.client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            msg = f"the centre at {self.base} cannot be reached ({_reason(exc)})"
            raise CentreUnreachableError(msg) from None
        if answer.status_code in _TRANSIENT:
            msg = f"the centre at {self.base} answered {answer.status_code} on {path}: {_detail(answer)}"
            raise CentreUnreachableError(msg)
        if answer.status_code >= 400:  # a refusal, or the centre's own fault (500: its log has the id): not retried
            msg = f"the centre at {self.base} refused {method} {path} ({answer.status_code}): {_detail(answer)}"
            raise SyncRejectedError(msg)
        return answer


def _reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "connection refused or no route"
    return type(exc).__name__


def _detail(answer: httpx.Response) -> str:
    """The problem document's ``detail`` (or the start of the body)."""
    try:
        return str(answer.json().get("detail") or answer.reason_phrase)
    except ValueError:
        return answer.text[:200] or answer.reason_phrase


def sync_round(engine: Engine, centre: Centre) -> tuple[dict[str, Any], dict[str, Any]]:
    """Push this node's bundle to the centre, then pull and import the centre's (two transactions).

    The transactions are the round's own (not the caller's): the network call sits between them.
    """
    from supply.service.sync import export_bundle, import_bundle

    with write_session(engine) as session:
        bundle = export_bundle(session, for_node=CENTRE)
        session.commit()
    pushed = centre.push(bundle)
    data = centre.pull()
    with write_session(engine) as session:
        report = import_bundle(session, data)
        session.commit()
    return pushed, report_dict(report)


def report_dict(report: SyncReport) -> dict[str, Any]:
    """A :class:`SyncReport` as its JSON ``{"applied", "skipped", "conflicts", "alerts", "from"}``."""
    return report.as_dict()


def keep_syncing(
    engine: Engine,
    centre: Centre,
    *,
    watch: bool,
    interval: float,
    attempts: int,
    delay: float,
    max_delay: float,
    say: Callable[[str], None],
    done: Callable[[RoundReport], None],
    stop: threading.Event | None = None,
) -> bool:
    """One round, retried with backoff (``attempts`` at most); with ``watch``, a round every ``interval``
    seconds for ever, each retried for as long as the centre stays away. ``done`` gets each round's report.

    ``stop`` (set from a signal handler, say) ends the waiting between rounds and retries at once; a
    round under way is finished first, so what it pushed is also reported. Returns whether it stopped so.
    """
    stop = stop or threading.Event()
    while not stop.is_set():
        outcome = retrying(
            lambda: sync_round(engine, centre),
            attempts=None if watch else attempts,
            delay=delay,
            max_delay=max_delay,
            say=say,
            stop=stop,
        )
        if outcome is None:
            break
        (pushed, pulled), tries = outcome
        done(RoundReport(pushed, pulled, tries))
        if not watch:
            return False
        stop.wait(interval)
    return True


def retrying(
    step: Callable[[], T],
    *,
    attempts: int | None,
    delay: float,
    max_delay: float,
    say: Callable[[str], None],
    stop: threading.Event | None = None,
) -> tuple[T, int] | None:
    """``step()``, retried with exponential backoff while the centre is unreachable; its result and the attempts made.

    ``attempts=None`` retries for ever (``--watch``); else the last failure is raised after ``attempts``.
    ``None`` when ``stop`` was set while waiting to retry.
    """
    stop = stop or threading.Event()
    attempt = 0
    wait = delay
    while True:
        attempt += 1
        try:
            return step(), attempt
        except CentreUnreachableError as exc:
            of = f"/{attempts}" if attempts else ""
            if attempts is not None and attempt >= attempts:
                say(f"attempt {attempt}{of}: {exc}; giving up")
                raise
            say(f"attempt {attempt}{of}: {exc}; retrying in {wait:g} s")
            if stop.wait(wait):
                return None
            wait = min(wait * 2, max_delay)
