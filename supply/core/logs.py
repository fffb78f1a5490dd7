"""The server's one logging setup: the app's loggers and uvicorn's, one format, on stderr.

Every line reads ``2026-12-04T13:05:09.412+00:00 INFO jungong.access 3f9c0e1a2b4d5e6f GET /stations
200 3.1 ms officer-1``: the time in UTC with its offset, the level, the logger, the request's id
(``-`` outside a request) and the message. The request id is set for each HTTP request by
:class:`supply.api.access_log.AccessLog` (a context variable, so it follows the request into the
thread that runs its handler) and is the ``request_id`` a 500's problem document gives.

Nothing a client sends can forge a line: every control character in the message — a ``%0A`` in a
path arrives as a newline — is written escaped (``\\n``, ``\\x1b``, ``\\u2028``), and a traceback's
lines are indented under the line they belong to (``  | ``), escaped alike, so every line that
starts at the margin is one the server wrote. :func:`log_config` is the ``logging.config`` dict
``jungong serve`` hands uvicorn (its worker processes configure themselves from it).
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

#: The id of the HTTP request being served (``-`` outside one).
REQUEST_ID: ContextVar[str] = ContextVar("jungong_request_id", default="-")


def request_id() -> str:
    """The id of the request being served (a new one outside a request)."""
    rid = REQUEST_ID.get()
    return uuid.uuid4().hex[:16] if rid == "-" else rid


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape(text: str) -> str:
    """``text`` with every control character (and Unicode's line and paragraph separators) escaped."""

    def one(m: re.Match[str]) -> str:
        c = m.group()
        return _NAMED.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")

    return _CONTROL.sub(one, text)


class Formatter(logging.Formatter):
    """``TIME LEVEL LOGGER REQUEST-ID MESSAGE``, control characters escaped, tracebacks indented."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        rid = getattr(record, "request_id", None) or REQUEST_ID.get()
        head = f"{when} {record.levelname} {record.name} {escape(str(rid))} {escape(record.getMessage())}"
        tail = []
        if record.exc_info:
            tail.append(self.formatException(record.exc_info))
        if record.stack_info:
            tail.append(self.formatStack(record.stack_info))
        return "\n".join([head, *("  | " + escape(line) for part in tail for line in part.splitlines())])


def log_config(level: str = "warning") -> dict[str, Any]:
    """The ``logging.config.dictConfig`` of ``jungong serve``: the app's loggers at info (``jungong``:
    one line per request; ``supply``), uvicorn's at ``level``, everything else from warning, through
    one :class:`Formatter` on stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"jungong": {"()": f"{__name__}.Formatter"}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "jungong", "stream": "ext://sys.stderr"}
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            "jungong": {"level": "INFO"},
            "supply": {"level": "INFO"},
            "uvicorn": {"level": level.upper()},
            "uvicorn.access": {"level": "WARNING"},  # replaced by jungong.access (uvicorn's has no user, no id)
        },
    }
