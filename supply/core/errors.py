"""One error hierarchy for the whole product.

Raised in the domain; turned into an exit code (CLI) or an ``application/problem+json``
response (API) in exactly one place at each edge. Every class says when it is raised.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Self


class JungongError(Exception):
    """Root of every error the product raises on purpose."""

    #: CLI exit code for this kind of error.
    exit_code = 2
    #: HTTP status for this kind of error.
    status = 400
    #: Short title for problem responses.
    title = "Bad request"
    #: The message's wording with ``{name}`` placeholders and the values filled in (see :meth:`worded`).
    template: str | None = None
    values: Mapping[str, object] = MappingProxyType({})

    @classmethod
    def worded(cls, template: str, **values: object) -> Self:
        """The error with the message ``template.format(**values)``, keeping both: an edge that speaks
        another language (the console's catalogues) translates the wording and fills in the same values."""
        exc = cls(template.format(**values))
        exc.template, exc.values = template, MappingProxyType(values)
        return exc


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file: where (file, key path) and what."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return f"{where}: {self.message}"


class ScenarioError(JungongError, ValueError):
    """A scenario file cannot be read or is invalid; carries one :class:`Problem` per fault."""

    title = "Invalid scenario"
    status = 422

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UnknownCodeError(JungongError, LookupError):
    """A code (station, site, link, item…) names nothing known; suggests the closest codes."""

    title = "Unknown code"
    status = 404

    def __init__(self, kind: str, code: str, known: Iterable[str] = ()) -> None:
        self.kind = kind
        self.code = code
        self.suggestions = difflib.get_close_matches(code, list(known), n=3, cutoff=0.5)
        msg = f"unknown {kind} '{code}'"
        if self.suggestions:
            msg += "; did you mean " + ", ".join(f"'{s}'" for s in self.suggestions) + "?"
        super().__init__(msg)

    def __str__(self) -> str:
        return self.args[0]


class InvalidArgumentError(JungongError, ValueError):
    """An option or argument is malformed (a bad threshold, a bad ``A~B=1.5``…)."""

    title = "Invalid argument"
    status = 422


class UnreachableError(JungongError):
    """No route exists between two places (for instance after closures)."""

    title = "Unreachable"
    status = 409
    exit_code = 1


class NoPlanError(JungongError):
    """The optimiser (``jungong plan --optimise``) found no plan: its time limit ran out first, or the
    solver refused the model."""

    title = "No plan found"
    status = 409
    exit_code = 1


class ConflictError(JungongError):
    """The request is valid but clashes with the current state (not enough stock, bad transition)."""

    title = "Conflict"
    status = 409
    exit_code = 1


class DrillNotReadyError(ConflictError):
    """A drill's plan or review is asked for while it is still ``planning`` or has ``failed``."""

    exit_code = 2


class InsufficientStockError(ConflictError):
    """A movement asks for more than a station has available; carries the figures for any edge to word."""

    def __init__(self, station: str, item: str, asked: float, available: float, *, exercise: bool = False) -> None:
        self.station, self.item, self.asked, self.available, self.exercise = station, item, asked, available, exercise
        book = "exercise" if exercise else "real"
        super().__init__(f"not enough {item} at {station} ({book} book): {asked:g} asked, {available:g} available")


class ExpiredLotError(ConflictError):
    """Stock asked of a lot past its expiry date (never issued: written off by an ``expire`` movement).

    ``lots``: (lot, expires_on, on hand) of every expired lot involved; ``short``: the unexpired stock
    that was available when the ask was not for a named lot (``None``: a named lot was asked).
    """

    def __init__(
        self, station: str, item: str, lots: list[tuple[str, str, float]], *, asked: float, short: float | None = None
    ) -> None:
        self.station, self.item, self.lots, self.asked = station, item, lots, asked
        named = "; ".join(f"lot '{lot}' expired on {day} ({qty:g} on hand)" for lot, day, qty in lots)
        head = (
            f"{item} at {station}: {named}"
            if short is None
            else f"not enough unexpired {item} at {station}: {asked:g} asked, {short:g} available; {named}"
        )
        super().__init__(f"{head}: expired stock is never issued; write it off with an expire movement")


class ClusterError(JungongError):
    """A Dask cluster named on the command line (``--cluster``) cannot be reached."""

    title = "Cluster unreachable"
    status = 503
    exit_code = 1


class FieldError(InvalidArgumentError):
    """A field of a request is invalid in a way its schema cannot say (an unknown item code…)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)

    @classmethod
    def worded(cls, template: str, *, field: object = "_form", **values: object) -> Self:
        """As :meth:`JungongError.worded`, naming the ``field`` at fault."""
        exc = cls(str(field), template.format(**values))
        exc.template, exc.values = template, MappingProxyType(values)
        return exc


class NotAuthenticatedError(JungongError):
    """No bearer token, or a token nobody holds."""

    title = "Not authenticated"
    status = 401


class ForbiddenError(JungongError):
    """The caller's role does not allow this."""

    title = "Forbidden"
    status = 403


class NotAllowedError(JungongError):
    """The operation is never allowed on this resource (a drill is closed, never deleted)."""

    title = "Method not allowed"
    status = 405


class NotInitialisedError(JungongError):
    """The database has no schema or no scenario yet, or an older schema: ``jungong db init`` was not run."""

    title = "Database not initialised"
    status = 503


class DatabaseBusyError(JungongError):
    """SQLite's write lock stayed taken past the busy timeout (the ``sqlite_busy_seconds`` setting): retry."""

    title = "Database busy"
    status = 503


class DatabaseUnavailableError(JungongError):
    """The database cannot be reached (a PostgreSQL server down, a SQLite file locked too long)."""

    title = "Database unavailable"
    status = 503


class RetryLaterError(JungongError):
    """Refused for now, for want of room: the caller may retry after ``retry_after`` seconds."""

    exit_code = 1

    def __init__(self, message: str, retry_after: int = 10) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class TooManyJobsError(RetryLaterError):
    """A caller already has as many background analyses, or drills planning, as one user may (retry later)."""

    title = "Too many requests"
    status = 429


class ServerBusyError(RetryLaterError):
    """The server runs as many background analyses, or plans as many drills, as it may at once (retry later)."""

    title = "Server busy"
    status = 503


class SyncRefusedError(JungongError):
    """A sync bundle is refused before anything of it is applied: unsigned, tampered, untrusted, not for here."""

    title = "Sync bundle refused"
    status = 422


class SyncSetupError(JungongError):
    """This database cannot sign bundles: no passphrase for its key (``JUNGONG_SYNC_PASSPHRASE``), or a wrong one."""

    title = "Sync not set up"
    status = 503


class CentreUnreachableError(JungongError):
    """``jungong sync run``: the centre cannot be reached or answered 409/502/503/504 (retried; exit 1)."""

    title = "Centre unreachable"
    status = 503
    exit_code = 1


class SyncRejectedError(JungongError):
    """``jungong sync run``: the centre refused a request (4xx: token, role, bundle) or failed (500); not retried."""

    title = "Sync refused by the centre"
    status = 502
