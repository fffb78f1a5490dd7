"""Dependencies shared by the routers: runtime, sessions, the caller and their role, writes.

A write runs through :class:`Writer`: its checks first (:meth:`Writer.check`: reads of facts
that never change, outside the write lock), then one transaction (``BEGIN IMMEDIATE`` on
SQLite) with the domain function and — when the request carries an ``Idempotency-Key`` — the
stored first answer, so a retried POST returns that answer and records nothing new. The key is
looked up inside the write transaction; two identical requests racing on PostgreSQL collide on
the unique (user, key) index, and the loser replays the winner's answer. An answer carrying a
secret (a new user's token) is stored redacted (``redact=``), so no token is ever at rest;
stored answers are kept for the ``idempotency_hours`` setting and then purged
(:func:`supply.service.idempotency.purge`).

Dependencies that do no I/O are ``async`` (FastAPI runs them on the event loop instead of
handing each to a worker thread); those that query the database are plain functions.

A short write route is a plain function decorated with :func:`write_route`: on a database on this
machine (a SQLite file, PostgreSQL on loopback) it runs on the event loop when the locks it needs
are free or soon free — a thread hand-off cost more than the write, and a writer in a worker
thread held its locks while it waited for the interpreter lock behind the event loop (issue 21:
0.5 ms of server CPU a request) — and in a worker thread otherwise, as FastAPI runs any plain
route (see :meth:`Writer.call`).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from sqlalchemy import Connection, Engine, bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from supply.api.access_log import note_user
from supply.api.runtime import Runtime
from supply.core.errors import ConflictError, InvalidArgumentError
from supply.core.types import CODE_PATTERN, MAX_ID, Name, When
from supply.service import idempotency as expired
from supply.service.auth import ADMINS, READERS, WRITERS, Caller, Role, as_utc, authenticate, require
from supply.service.db import WriteLockBusy, read_session, write_session
from supply.service.models import IdempotencyRecord, table_of, utcnow
from supply.service.prepared import Prepared


async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    with read_session(runtime.read_engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
#: Named and worded for the docs pages: ReDoc and Swagger UI show "Bearer <token>" as the header to send.
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    bearerFormat="opaque token",
    description=(
        "Send the header `Authorization: Bearer <token>`, with a token from "
        "`jungong users add NAME --role ROLE` (its role decides what it may do)."
    ),
)


def current_user(
    runtime: RuntimeDep,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    return _caller(runtime.fact_engine, request, credentials)


def _caller(engine: Engine, request: Request, credentials: HTTPAuthorizationCredentials | None) -> Caller:
    header = f"{credentials.scheme} {credentials.credentials}" if credentials else None
    with engine.connect() as conn:
        caller = authenticate(conn, header)
    note_user(request, caller.name)
    return caller


def _caller_in(roles: frozenset[Role]) -> Callable[..., Awaitable[Caller]]:
    """The caller, if their role is one of ``roles`` (else 401 / 403): one dependency where a write
    needs no other (each level of FastAPI's dependency tree costs its request time), and no thread hand-off."""

    async def caller(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> Caller:
        runtime: Runtime = request.app.state.runtime
        if runtime.inline_writes:  # the write runs on the loop too: one indexed lookup, on the loop's own pool
            return require(_caller(runtime.loop_fact_engine, request, credentials), roles)
        if runtime.inline_reads:  # SQLite: one indexed lookup in a local file costs less than a thread hand-off
            return require(current_user(runtime, request, credentials), roles)
        # a remote server: a round trip (or a wait for a pooled connection) must not stall the event loop
        return require(await run_in_threadpool(current_user, runtime, request, credentials), roles)

    return caller


def require_role(allowed: frozenset[Role]) -> Callable[[Caller], Any]:
    async def check(user: Annotated[Caller, Depends(current_user)]) -> Caller:
        return require(user, allowed)

    return check


Reader = Annotated[Caller, Depends(require_role(READERS))]
Officer = Annotated[Caller, Depends(require_role(WRITERS))]
Admin = Annotated[Caller, Depends(require_role(ADMINS))]

CodePath = Annotated[str, Path(min_length=1, max_length=40, pattern=CODE_PATTERN)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
CodeQuery = Annotated[str | None, Query(min_length=1, max_length=40, pattern=CODE_PATTERN)]
#: A link of the network: its name or ``A~B`` (as ``--close`` takes it).
LinkQuery = Annotated[Name | None, Query(min_length=1, description="a link's name or A~B")]
ExerciseQuery = Annotated[bool | None, Query(description="only exercise (true) or real (false) records")]
BookQuery = Annotated[bool, Query(description="the exercise (drill) book instead of the real one")]
WhenQuery = Annotated[When | None, Query()]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="repeat a POST with the same key to get the first answer and record nothing new",
    ),
]


T = TypeVar("T")
_IDEM = table_of(IdempotencyRecord)
#: The caller's stored answer under a key, however old (one expired is forgotten, not replayed: see :meth:`Writer.run`).
_STORED = Prepared(
    select(
        _IDEM.c.fingerprint, _IDEM.c.method, _IDEM.c.path, _IDEM.c.status_code, _IDEM.c.body, _IDEM.c.created_at
    ).where(_IDEM.c.user_id == bindparam("uid"), _IDEM.c.key == bindparam("k"))
)
_STORE = Prepared(insert(_IDEM))


class Writer:
    """Runs one write in one transaction, honouring the caller's ``Idempotency-Key``."""

    def __init__(self, runtime: Runtime, user: Caller, request: Request, key: str | None) -> None:
        self.runtime, self.user, self.key = runtime, user, key
        self.method, self.path = request.method, request.url.path
        self.actor = user.name
        self.tz = runtime.tz
        self.codes = runtime.codes
        self._session: Session | None = None  # opened by check() on PostgreSQL, for run()
        self._on_loop = False  # call() is running the route on the event loop: never wait for the write lock
        self._purge_after = False  # run() committed a keyed answer on the event loop: call() purges off it
        self._committed = False  # a write of this request committed: the route must never run again

    async def call(self, route: Callable[..., Response], /, **kwargs: Any) -> Response:
        """Run a write route's body — its :meth:`check` and its :meth:`run` — where it costs least.

        Where :attr:`Runtime.inline_writes` (a SQLite file, a PostgreSQL server on this machine) the
        route runs on the event loop, as long as its locks are free at once or within a few
        milliseconds (another writer's short write: :data:`~supply.service.db.LOOP_WAIT_SECONDS`):
        a short write costs less than a hand-off to a worker thread, and it holds its locks (SQLite's
        database-wide one, PostgreSQL's stock rows) without waiting for the interpreter lock behind
        another request. When a lock stays taken, nothing was written (SQLite's lock comes before
        ``BEGIN IMMEDIATE``; PostgreSQL's transaction is rolled back): the route runs again in a
        worker thread, where it waits for the lock as any write does. Elsewhere (a remote server,
        an in-memory SQLite) it always runs in a worker thread, as FastAPI runs a plain route.
        """
        if self.runtime.inline_writes:
            self._on_loop = True
            try:
                answer = route(**kwargs)
            except WriteLockBusy:
                pass  # nothing of the route was written (see _write_session): it runs again in a worker thread
            else:
                if self._purge_after:  # a batched DELETE that waits for the write lock: not on the loop
                    await run_in_threadpool(self.runtime.purge_idempotency)
                return answer
            finally:
                self._on_loop = self._purge_after = False
        return await run_in_threadpool(route, **kwargs)

    def check(self, fn: Callable[[Connection], T], *, then_run: bool = False) -> T:
        """Run ``fn`` before the write takes any lock: reads of facts that never change.

        On a connection of its own (on SQLite outside the write lock, with no transaction around
        the reads: that lock is the whole database's, held for the write alone). ``then_run``: the
        caller calls :meth:`run` next, whatever happens — on PostgreSQL the checks then run on the
        write transaction's own connection, where reads lock nothing (each sees the last commit, as
        in autocommit), and the write needs no second connection from the pool.

        A retried request whose first answer was stored passes the same checks (what they read
        cannot have changed), so checking first never turns a replay into an error.
        """
        if then_run and self.runtime.checks_in_write:
            session = self._session = self._session or self._open()
            try:
                return fn(session.connection())
            except BaseException:
                self._session = None
                session.close()
                raise
        engine = self.runtime.loop_fact_engine if self._on_loop else self.runtime.fact_engine
        with engine.connect() as conn:
            return fn(conn)

    def run(
        self,
        body: BaseModel | None,
        fn: Callable[[Session], tuple[int, Any]],
        *,
        redact: Callable[[Any], Any] | None = None,
    ) -> Response:
        """Run ``fn`` in one write transaction; it returns the status and the answer (a response model,
        a list of them or None), which is stored under the caller's ``Idempotency-Key`` (as ``redact``
        makes it, when the answer carries a secret)."""
        fingerprint = self._fingerprint(body) if self.key else ""
        session = self._write_session()
        try:
            if self.key and (stored := self._stored(session)) is not None:
                if self._fresh(stored):
                    return self._replay(stored, fingerprint)
                expired.forget(session.connection(), self.user.id, self.key, self._since())  # the key may be used again
            status, payload = fn(session)
            text = json.dumps(to_jsonable_python(payload, by_alias=True), ensure_ascii=False)
            if self.key:
                kept = text if redact is None else json.dumps(to_jsonable_python(redact(payload), by_alias=True))
                row = {"user_id": self.user.id, "key": self.key, "method": self.method, "path": self.path}
                extra = {"fingerprint": fingerprint, "status_code": status, "body": kept, "created_at": utcnow()}
                _STORE.run(session.connection(), {**row, **extra})
            session.commit()
            self._committed = True
        except IntegrityError:
            session.rollback()
            if self.key and (stored := self._stored(session)) is not None and self._fresh(stored):
                return self._replay(stored, fingerprint)
            msg = "the change clashes with a record written at the same time; retry"
            raise ConflictError(msg) from None
        finally:
            session.close()
        if self.key and self.runtime.purge_due():
            if self._on_loop:
                self._purge_after = True
            else:
                self.runtime.purge_idempotency()
        return Response(text, status_code=status, media_type="application/json")

    def transact(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn`` in one write transaction and commit; its result (the console's forms: no stored answer)."""
        session = self._write_session()
        try:
            out = fn(session)
            session.commit()
            self._committed = True
        except IntegrityError:
            session.rollback()
            msg = "the change clashes with a record written at the same time; retry"
            raise ConflictError(msg) from None
        finally:
            session.close()
        return out

    def _write_session(self) -> Session:
        """The write's session: the one :meth:`check` opened for it (``then_run``), else a new one.

        On the event loop it steps aside (:class:`WriteLockBusy`) when the lock stays taken — unless a
        write of this route already committed: running the route again would repeat that write, so
        a second write waits for the lock where it is, as any write does.
        """
        session, self._session = self._session or self._open(), None
        return session

    def _open(self) -> Session:
        """A new write session: on the event loop, one whose lock waits are bounded (see :meth:`call`)."""
        if self._on_loop and not self._committed:
            return write_session(self.runtime.loop_engine, on_loop=True)
        return write_session(self.runtime.engine)

    def _stored(self, session: Session) -> Any:
        args = {"uid": self.user.id, "k": self.key, "since": self._since()}
        return _STORED.first(session.connection(), args)

    def _fingerprint(self, body: BaseModel | None) -> str:
        """What a replay must match: the method, the path and the body (a request without a key has none)."""
        raw = body.model_dump_json(by_alias=True) if body is not None else ""
        return hashlib.sha256(f"{self.method} {self.path} {raw}".encode()).hexdigest()

    def _fresh(self, stored: Any) -> bool:
        """Whether a stored answer is still replayed (kept less than ``idempotency_hours``)."""
        return as_utc(stored.created_at) >= self._since()

    def _since(self) -> Any:
        return utcnow() - timedelta(hours=self.runtime.settings.idempotency_hours)

    def _replay(self, stored: Any, fingerprint: str) -> Response:
        if stored.fingerprint != fingerprint:
            msg = (
                f"Idempotency-Key '{self.key}' was already used for a different request ({stored.method} {stored.path})"
            )
            raise InvalidArgumentError(msg)
        return Response(
            stored.body,
            status_code=stored.status_code,
            media_type="application/json",
            headers={"Idempotent-Replayed": "true"},
        )


def write_route(route: Callable[..., Response]) -> Callable[..., Awaitable[Response]]:
    """A plain write route (its :class:`Writer` among its parameters) run through :meth:`Writer.call`.

    FastAPI reads the route's own signature (``functools.wraps``); the route is then awaited, and
    :meth:`Writer.call` decides whether its body runs on the event loop or in a worker thread.
    """

    @functools.wraps(route)
    async def endpoint(**kwargs: Any) -> Response:
        writer = next(v for v in kwargs.values() if isinstance(v, Writer))
        return await writer.call(route, **kwargs)

    return endpoint


def writer_for(roles: frozenset[Role]) -> Callable[..., Awaitable[Writer]]:
    """A dependency giving a :class:`Writer` to a caller holding one of ``roles`` (else 401 / 403)."""

    async def writer(
        request: Request,
        user: Caller = Depends(_caller_in(roles)),  # a default, not Annotated: the closure's names are not global
        key: IdempotencyKey = None,
    ) -> Writer:
        return Writer(request.app.state.runtime, user, request, key)

    return writer


#: Officers' writes (officer, admin).
WriterDep = Annotated[Writer, Depends(writer_for(WRITERS))]
#: Admins' writes.
AdminWriterDep = Annotated[Writer, Depends(writer_for(ADMINS))]
#: Writes any reader may attempt whose role the domain then checks against the record (an approval's deciding role).
DeciderDep = Annotated[Writer, Depends(writer_for(READERS))]
