"""The server's job processes: one process per job, a bounded number at once, served fairly across users.

:class:`JobPool` holds the jobs of one server process (drill planning, background analyses). Jobs
wait in one queue per user, at most ``slots`` run at a time, and a free slot goes to the user with
the fewest jobs running, then to the one served longest ago: one user's many jobs never hold
another's behind them. Each job runs in a process of its own (forked
where the platform can), never in a shared pool: a job whose process dies — killed, out of memory —
fails alone, at once, with the reason (:class:`JobDied`, naming the signal), and the next job starts
in a fresh process; no broken pool is left to refuse later requests. With a Dask cluster
(``executor``) the same queue feeds the cluster's executor instead.

A job process watches its parent: when the server process that started it is gone (killed
without a chance to stop its jobs), the job ends itself within :data:`PARENT_POLL_S` — no orphan
keeps running. :meth:`JobPool.close` (a server shutting down) stops the queued jobs and terminates
the running ones; their futures end with :class:`JobStopped`.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

#: How often a job process checks that its server process is still there (seconds).
PARENT_POLL_S = 0.5
#: How long a stopping server waits for a terminated job process before killing it (seconds).
STOP_GRACE_S = 5.0


class JobDied(Exception):
    """A job's process ended without an answer (killed, out of memory): the job failed."""


class JobStopped(Exception):
    """The server stopped (its job pool closed) before or while the job ran."""


@dataclass
class _Job:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    user: str
    future: Future = field(default_factory=Future)


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(code).name
    except ValueError:
        return f"signal {code}"


def died_reason(exitcode: int | None) -> str:
    """Why a job process ended without an answer, in words."""
    if exitcode is not None and exitcode < 0:
        return f"its process was killed ({_signal_name(-exitcode)}: stopped by someone, or out of memory)"
    return f"its process ended without an answer (exit code {exitcode})"


def _watch_parent(parent: int) -> None:
    """End this process as soon as ``parent`` is no longer its parent (the server process died)."""

    def watch() -> None:
        stop = threading.Event()
        while not stop.wait(PARENT_POLL_S):
            if os.getppid() != parent:
                os._exit(70)  # the job's answer has no one to go to; nothing of ours to clean up

    threading.Thread(target=watch, name="jungong-parent-watch", daemon=True).start()


def _child(conn: Any, parent: int, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """A job process: run ``fn(*args)`` and send back ``(ok, value)`` through ``conn``."""
    # The server's own handlers (uvicorn's) were inherited: a job stops when it is told to.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    _watch_parent(parent)
    try:
        outcome: tuple[bool, Any] = (True, fn(*args))
    except BaseException as exc:  # noqa: BLE001 - handed back to the server, which reports it
        outcome = (False, exc)
    try:
        conn.send(outcome)
    except Exception as exc:  # an answer that cannot be pickled: say so instead
        conn.send((False, RuntimeError(f"the job's answer could not be sent back: {exc!r}")))
    conn.close()


class JobPool:
    """At most ``slots`` jobs at once, one process each (or on ``executor``), fair across users."""

    def __init__(self, slots: int, executor: Executor | None = None, close: Callable[[], None] | None = None) -> None:
        self.slots = slots
        self._executor, self._close_executor = executor, close
        self._queues: dict[str, deque[_Job]] = {}  # users with queued jobs: their jobs in order
        self._served: dict[str, int] = {}  # when each user last had a job started (a counter)
        self._starts = 0
        self._running: dict[Future, tuple[str, Any]] = {}  # user and process (None: not yet, or on a cluster)
        self._lock = threading.Lock()
        self._closed = False
        methods = multiprocessing.get_all_start_methods()
        # fork: a job inherits the loaded modules and never re-runs the caller's __main__
        # (``python -m supply.cli`` has no main guard); spawn where fork does not exist.
        self._ctx: Any = multiprocessing.get_context("fork" if "fork" in methods else "spawn")

    def submit(self, fn: Callable[..., Any], *args: Any, user: str = "") -> Future:
        """Queue ``fn(*args)`` for ``user``; its future ends with the answer, or JobDied, or JobStopped."""
        job = _Job(fn, args, user)
        with self._lock:
            if self._closed:
                job.future.set_exception(JobStopped("the server is stopping"))
                return job.future
            self._queues.setdefault(user, deque()).append(job)
        self._dispatch()
        return job.future

    def cancel(self, future: Future) -> bool:
        """Drop a job not yet started (``True``); one running is left to stop at its own next step."""
        with self._lock:
            for user, queue in self._queues.items():
                for job in queue:
                    if job.future is future:
                        queue.remove(job)
                        if not queue:
                            del self._queues[user]
                        return future.cancel()
        return False

    def running(self) -> list[int]:
        """The process ids of the jobs running now (local processes only)."""
        with self._lock:
            return [p.pid for _, p in self._running.values() if p is not None and p.pid is not None]

    def _next(self) -> _Job | None:
        """The next job: the user with the fewest running, then served longest ago (called with the lock held)."""
        while self._queues:
            running: dict[str, int] = {}
            for who, _ in self._running.values():
                running[who] = running.get(who, 0) + 1
            user = min(self._queues, key=lambda u: (running.get(u, 0), self._served.get(u, -1)))
            queue = self._queues[user]
            job = queue.popleft()
            if not queue:
                del self._queues[user]
            if job.future.set_running_or_notify_cancel():
                self._starts += 1
                self._served[user] = self._starts
                return job
        return None

    def _dispatch(self) -> None:
        """Start queued jobs while slots are free."""
        while True:
            with self._lock:
                if self._closed or len(self._running) >= self.slots:
                    return
                job = self._next()
                if job is None:
                    return
                self._running[job.future] = (job.user, None)
            try:
                self._start(job)
            except Exception as exc:  # no process could be started (out of memory, too many processes)
                self._finished(job.future, False, JobDied(f"its process could not be started: {exc}"))

    def _start(self, job: _Job) -> None:
        if self._executor is not None:
            inner = self._executor.submit(job.fn, *job.args)
            inner.add_done_callback(lambda f: self._from_executor(job.future, f))
            return
        reader, writer = self._ctx.Pipe(duplex=False)
        proc = self._ctx.Process(target=_child, args=(writer, os.getpid(), job.fn, job.args))
        proc.start()
        writer.close()
        with self._lock:
            self._running[job.future] = (job.user, proc)
        threading.Thread(target=self._wait, args=(job.future, proc, reader), name="jungong-job", daemon=True).start()

    def _wait(self, future: Future, proc: Any, reader: Any) -> None:
        """Wait for a job process's answer, or its death."""
        try:
            ok, value = reader.recv()
        except (EOFError, OSError):
            ok, value = False, None
        finally:
            reader.close()
        proc.join()
        if value is None and not ok:
            value = JobStopped("the server stopped") if self._closed else JobDied(died_reason(proc.exitcode))
        self._finished(future, ok, value)

    def _from_executor(self, future: Future, inner: Future) -> None:
        if inner.cancelled():
            self._finished(future, False, JobDied("the cluster cancelled it"))
        elif (exc := inner.exception()) is not None:
            self._finished(future, False, exc)
        else:
            self._finished(future, True, inner.result())

    def _finished(self, future: Future, ok: bool, value: Any) -> None:
        with self._lock:
            self._running.pop(future, None)
        self._dispatch()  # the next job first: the future's callbacks may take their time (a failure to record)
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def close(self) -> None:
        """Stop: queued jobs end with :class:`JobStopped`, running processes are terminated (then killed)."""
        with self._lock:
            self._closed = True
            queued = [job for queue in self._queues.values() for job in queue]
            self._queues.clear()
            procs = [p for _, p in self._running.values() if p is not None]
        for job in queued:
            if job.future.set_running_or_notify_cancel():
                job.future.set_exception(JobStopped("the server stopped before the job started"))
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.join(STOP_GRACE_S)
            if proc.is_alive():
                proc.kill()
                proc.join()
        if self._close_executor is not None:
            self._close_executor()
