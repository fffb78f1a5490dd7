"""Background analyses (coverage, N-1 robustness, coverage maps; simulated drills and ``improve``, whose
arguments are :mod:`supply.core.drill_analyses`): their arguments, runs and results.

A city-sized network takes seconds to minutes to analyse, so the API runs analyses as jobs
outside the request (see :mod:`supply.api.analysis_jobs`) and keeps their state and results here,
in a folder every server process of the host shares (``<data dir>/analyses/``):

    <id>/state.json   {"id", "kind", "arguments", "status", "progress", "user", "owner", times, "error"}
    <id>/result.json  the same JSON ``jungong coverage --json`` / ``jungong robustness --json`` print
    <id>/map.html     the coverage map (kind ``map``)
    <id>/scenario.toml  the uploaded scenario of a simulated drill (kinds ``drill``, ``improve``:
                      :mod:`supply.core.drill_analyses`)

An analysis's id is the hash of the network's content (:func:`supply.core.network_cache.cache_key`)
and of its normalised arguments, so an identical request finds the finished result (answered at
once) or joins the job still running. States change under one file lock::

    queued ──► running ──► done
       └──────────┴──────► failed (an error; the server process running it stopped) | cancelled

Analyses read the network only: they write nothing to the books. The number queued or running is
capped per user and overall (:class:`~supply.core.errors.TooManyJobsError`,
:class:`~supply.core.errors.ServerBusyError`); the oldest finished ones beyond ``keep`` are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from supply.core.coverage import parse_thresholds
from supply.core.errors import (
    ConflictError,
    ForbiddenError,
    InvalidArgumentError,
    ServerBusyError,
    TooManyJobsError,
    UnknownCodeError,
)
from supply.core.network import Disruptions

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: one process per host is assumed
    fcntl = None  # type: ignore[assignment]  # the lock becomes a no-op

KINDS = ("coverage", "robustness", "map")
ACTIVE = ("queued", "running")
FINISHED = ("done", "failed", "cancelled")
#: An uploaded scenario's text, beside its simulated drill's state.
SCENARIO_FILE = "scenario.toml"
#: Seconds a refused caller is told to wait before retrying (``Retry-After``).
RETRY_AFTER = 10


class Cancelled(Exception):
    """The analysis was cancelled while its job ran: stop."""


class Args(Protocol):
    """An analysis's arguments: :class:`AnalysisArgs`, or a simulated drill's
    (:class:`supply.core.drill_analyses.SimulationArgs`)."""

    @property
    def kind(self) -> str: ...

    def as_dict(self) -> dict[str, Any]: ...

    def key(self, network_key: str) -> str: ...


@dataclass(frozen=True)
class AnalysisArgs:
    """What to analyse, normalised so identical requests hash alike."""

    kind: str
    minutes: tuple[int, ...]
    close: tuple[str, ...] = ()
    offline: tuple[str, ...] = ()
    slow: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    links: bool = True

    @classmethod
    def parse(
        cls,
        kind: str,
        minutes: str,
        *,
        close: list[str] | None = None,
        offline: list[str] | None = None,
        slow: list[str] | None = None,
        tiers: list[str] | None = None,
        links: bool = True,
    ) -> AnalysisArgs:
        """Checked arguments (bad thresholds or ``A~B=1.5`` are :class:`InvalidArgumentError`)."""
        if kind not in KINDS:
            msg = f"kind: expected one of {', '.join(KINDS)}, got '{kind}'"
            raise InvalidArgumentError(msg)
        thresholds = parse_thresholds(minutes)
        if kind == "robustness" and len(thresholds) != 1:
            msg = f"minutes: robustness takes one threshold, got {minutes!r}"
            raise InvalidArgumentError(msg)
        Disruptions.parse(close, offline, slow)  # the syntax of each; codes are checked on the network
        return cls(
            kind,
            tuple(thresholds),
            tuple(close or ()),
            tuple(offline or ()),
            tuple(slow or ()),
            tuple(sorted(set(tiers or ()))),
            links if kind == "robustness" else True,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "minutes": ",".join(map(str, self.minutes)),
            "close": list(self.close),
            "offline": list(self.offline),
            "slow": list(self.slow),
            "tiers": list(self.tiers),
            "links": self.links,
        }

    @property
    def disruptions(self) -> Disruptions:
        return Disruptions.parse(list(self.close), list(self.offline), list(self.slow))

    def key(self, network_key: str) -> str:
        """The analysis's id: the network's content hash and these arguments."""
        text = json.dumps({"network": network_key, **self.as_dict()}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")  # order of analyses started within a millisecond


@dataclass
class AnalysisStore:
    """The analyses folder: states under one file lock, results beside them."""

    folder: Path
    keep: int = 200

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _dir(self, analysis_id: str) -> Path:
        if not (len(analysis_id) == 32 and all(c in "0123456789abcdef" for c in analysis_id)):
            raise UnknownCodeError("analysis", analysis_id)
        return self.folder / analysis_id

    def _read(self, analysis_id: str) -> dict[str, Any] | None:
        try:
            return json.loads((self._dir(analysis_id) / "state.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _write(self, state: dict[str, Any]) -> None:
        _atomic(self._dir(state["id"]) / "state.json", json.dumps(state).encode())

    def get(self, analysis_id: str) -> dict[str, Any]:
        """The analysis's state (:class:`UnknownCodeError` if there is none)."""
        state = self._read(analysis_id)
        if state is None:
            raise UnknownCodeError("analysis", analysis_id)
        return state

    def result(self, analysis_id: str) -> dict[str, Any] | None:
        """The finished analysis's result, ``None`` before it is done."""
        try:
            return json.loads((self._dir(analysis_id) / "result.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def scenario_text(self, analysis_id: str) -> str | None:
        """The uploaded scenario a simulated drill ran on (``None`` for a built-in one)."""
        try:
            return (self._dir(analysis_id) / SCENARIO_FILE).read_text(encoding="utf-8")
        except OSError:
            return None

    def recent(self, kinds: tuple[str, ...], limit: int = 50) -> list[dict[str, Any]]:
        """The states of the latest analyses of ``kinds``, newest first."""
        if not self.folder.is_dir():
            return []
        found = [s for s in self._states() if s["kind"] in kinds]
        return sorted(found, key=lambda s: s["created_at"], reverse=True)[:limit]

    def map_path(self, analysis_id: str) -> Path:
        """The map page of a finished ``map`` analysis (:class:`ConflictError` when there is none yet)."""
        state = self.get(analysis_id)
        path = self._dir(analysis_id) / "map.html"
        if state["kind"] != "map":
            msg = f"analysis {analysis_id} is a {state['kind']} analysis: only kind 'map' draws a map"
            raise ConflictError(msg)
        if state["status"] != "done" or not path.is_file():
            msg = f"analysis {analysis_id} is {state['status']}: its map is drawn when it is done"
            raise ConflictError(msg)
        return path

    def start(
        self,
        args: Args,
        network_key: str,
        *,
        user: str,
        owner: str,
        per_user: int,
        overall: int,
        alive: Callable[[str], bool],
        scenario_text: str | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """The analysis for ``args`` on this network: ``(state, True)`` when a new job must be submitted.

        A finished result or a job still queued or running is returned as it is (``False``); one that
        failed or was cancelled is queued again. Jobs whose owner process is gone count as failed.
        Over ``per_user`` of the caller's own: :class:`TooManyJobsError`; over ``overall``:
        :class:`ServerBusyError`. ``scenario_text`` (an uploaded scenario) is kept beside the state.
        """
        analysis_id = args.key(network_key)
        with self._locked():
            active = self._active(alive)
            existing = next((s for s in active if s["id"] == analysis_id), None) or self._read(analysis_id)
            if existing is not None and (existing["status"] in ACTIVE or existing["status"] == "done"):
                return existing, False
            mine = sum(s["user"] == user for s in active)
            if mine >= per_user:
                msg = (
                    f"{user} has {mine} analyses queued or running, the most one user may "
                    f"(setting JUNGONG_ANALYSIS_JOBS_PER_USER={per_user}); retry when one is done"
                )
                raise TooManyJobsError(msg, RETRY_AFTER)
            if len(active) >= overall:
                msg = (
                    f"the server runs {len(active)} analyses, the most it may at once "
                    f"(setting JUNGONG_ANALYSIS_JOBS={overall}); retry shortly"
                )
                raise ServerBusyError(msg, RETRY_AFTER)
            folder = self._dir(analysis_id)
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            if scenario_text is not None:
                _atomic(folder / SCENARIO_FILE, scenario_text.encode())
            state = {
                "id": analysis_id,
                "kind": args.kind,
                "arguments": args.as_dict(),
                "network": network_key,
                "status": "queued",
                "progress": 0.0,
                "user": user,
                "owner": owner,
                "run": uuid.uuid4().hex,  # this run's token: a cancelled run's job never touches a rerun's state
                "created_at": _now(),
                "started_at": None,
                "finished_at": None,
                "error": None,
            }
            self._write(state)
            self._prune()
            return state, True

    def _states(self) -> Iterator[dict[str, Any]]:
        for entry in self.folder.iterdir():
            if entry.is_dir() and (state := self._read(entry.name)) is not None:
                yield state

    def _active(self, alive: Callable[[str], bool]) -> list[dict[str, Any]]:
        """The analyses queued or running; those whose owner process is gone are marked failed."""
        active = []
        for state in self._states():
            if state["status"] not in ACTIVE:
                continue
            if not alive(state["owner"]):
                self._finish(state, "failed", error=f"the server process running it ({state['owner']}) stopped")
                continue
            active.append(state)
        return active

    def _prune(self) -> None:
        finished = [s for s in self._states() if s["status"] in FINISHED]
        finished.sort(key=lambda s: (s["finished_at"] or "", s["created_at"]))
        for state in finished[: max(0, len(finished) - self.keep)]:
            shutil.rmtree(self._dir(state["id"]), ignore_errors=True)

    def _finish(self, state: dict[str, Any], status: str, *, error: str | None = None) -> None:
        state.update(status=status, finished_at=_now(), error=error)
        if status == "done":
            state["progress"] = 1.0
        self._write(state)

    def _change(self, analysis_id: str, run: str, fn: Callable[[dict[str, Any]], bool]) -> bool:
        """Apply ``fn`` to the state of run ``run`` under the lock; it returns whether to write (and go on)."""
        with self._locked():
            state = self._read(analysis_id)
            if state is None or state.get("run") != run or not fn(state):
                return False
            self._write(state)
            return True

    def begin(self, analysis_id: str, run: str) -> bool:
        """queued → running; ``False`` if it was cancelled (or is gone) meanwhile."""

        def started(state: dict[str, Any]) -> bool:
            if state["status"] != "queued":
                return False
            state.update(status="running", started_at=_now())
            return True

        return self._change(analysis_id, run, started)

    def progress(self, analysis_id: str, run: str, share: float) -> None:
        """Record progress; raises :class:`Cancelled` if the analysis is no longer running."""

        def step(state: dict[str, Any]) -> bool:
            if state["status"] != "running":
                return False
            state["progress"] = round(min(max(share, 0.0), 1.0), 4)
            return True

        if not self._change(analysis_id, run, step):
            raise Cancelled

    def finish(self, analysis_id: str, run: str, result: dict[str, Any], html: str | None = None) -> bool:
        """Store the result (and map) and mark it done; ``False`` if it was cancelled meanwhile."""
        folder = self._dir(analysis_id)
        data = json.dumps(result, ensure_ascii=False).encode()

        def done(state: dict[str, Any]) -> bool:
            if state["status"] != "running":
                return False
            _atomic(folder / "result.json", data)
            if html is not None:
                _atomic(folder / "map.html", html.encode())
            state.update(status="done", progress=1.0, finished_at=_now(), error=None)
            return True

        return self._change(analysis_id, run, done)

    def fail(self, analysis_id: str, run: str, reason: str) -> bool:
        """Mark a queued or running analysis failed with ``reason``."""

        def failed(state: dict[str, Any]) -> bool:
            if state["status"] not in ACTIVE:
                return False
            state.update(status="failed", finished_at=_now(), error=reason[:2000])
            return True

        return self._change(analysis_id, run, failed)

    def abandon(self, owner: str) -> int:
        """Mark ``owner``'s queued and running analyses failed (its server is stopping); how many."""
        with self._locked():
            mine = [s for s in self._states() if s["status"] in ACTIVE and s["owner"] == owner]
            for state in mine:
                self._finish(state, "failed", error=f"the server process running it ({owner}) stopped")
        return len(mine)

    def cancel(self, analysis_id: str, user: str, *, admin: bool) -> dict[str, Any]:
        """Cancel a queued or running analysis (whoever started it, or an admin); 409 once finished."""
        with self._locked():
            state = self.get(analysis_id)
            if state["user"] != user and not admin:
                msg = f"analysis {analysis_id} was started by {state['user']}: only they or an admin may cancel it"
                raise ForbiddenError(msg)
            if state["status"] not in ACTIVE:
                msg = f"analysis {analysis_id} is {state['status']}: only one queued or running can be cancelled"
                raise ConflictError(msg)
            self._finish(state, "cancelled", error=f"cancelled by {user} at {_now()}")
            return state


def _atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
