"""Dependencies shared by the routers: runtime, sessions, the caller and their role, writes.

A write runs through :class:`Writer`: one transaction (``BEGIN IMMEDIATE`` on SQLite), the
domain function, and — when the request carries an ``Idempotency-Key`` — the stored first
answer, so a retried POST returns that answer and records nothing new. The key is looked up
inside the write transaction; two identical requests racing on PostgreSQL collide on the
unique (user, key) index, and the loser replays the winner's answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ..auth import ADMINS, READERS, WRITERS, Role, authenticate, require
from ..db import read_session, write_session
from ..errors import ConflictError, InvalidArgumentError
from ..models import IdempotencyRecord, User
from ..schemas import CODE_PATTERN, MAX_ID, When
from .runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    with read_session(runtime.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
_bearer = HTTPBearer(auto_error=False, description="a token from 'jungong users add NAME --role ROLE'")


def current_user(
    session: SessionDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> User:
    header = f"{credentials.scheme} {credentials.credentials}" if credentials else None
    return authenticate(session, header)


def require_role(allowed: frozenset[Role]) -> Callable[[User], User]:
    def check(user: Annotated[User, Depends(current_user)]) -> User:
        return require(user, allowed)

    return check


Reader = Annotated[User, Depends(require_role(READERS))]
Officer = Annotated[User, Depends(require_role(WRITERS))]
Admin = Annotated[User, Depends(require_role(ADMINS))]

CodePath = Annotated[str, Path(min_length=1, max_length=40, pattern=CODE_PATTERN)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
CodeQuery = Annotated[str | None, Query(min_length=1, max_length=40, pattern=CODE_PATTERN)]
ExerciseQuery = Annotated[bool | None, Query(description="only exercise (true) or real (false) records")]
BookQuery = Annotated[bool, Query(description="the exercise (drill) book instead of the real one")]
WhenQuery = Annotated[When | None, Query()]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$",
           description="repeat a POST with the same key to get the first answer and record nothing new"),
]  # fmt: skip


class Writer:
    """Runs one write in one transaction, honouring the caller's ``Idempotency-Key``."""

    def __init__(self, runtime: Runtime, user: User, request: Request, key: str | None, read: Session) -> None:
        self.runtime, self.user, self.key, self.read = runtime, user, key, read
        self.method, self.path = request.method, request.url.path
        self.actor = user.name
        self.tz = runtime.tz

    def run(self, body: BaseModel | None, fn: Callable[[Session], tuple[int, Any]]) -> Response:
        raw = body.model_dump_json(by_alias=True) if body is not None else ""
        fingerprint = hashlib.sha256(f"{self.method} {self.path} {raw}".encode()).hexdigest()
        self.read.close()  # hand the authentication's connection back before taking the write lock
        session = write_session(self.runtime.engine)
        try:
            if self.key and (stored := self._stored(session)) is not None:
                return self._replay(stored, fingerprint)
            status, payload = fn(session)
            text = json.dumps(payload, ensure_ascii=False)
            if self.key:
                session.add(
                    IdempotencyRecord(
                        user_id=self.user.id,
                        key=self.key,
                        method=self.method,
                        path=self.path,
                        fingerprint=fingerprint,
                        status_code=status,
                        body=text,
                    )
                )
            session.commit()
        except IntegrityError:
            session.rollback()
            if self.key and (stored := self._stored(session)) is not None:
                return self._replay(stored, fingerprint)
            msg = "the change clashes with a record written at the same time; retry"
            raise ConflictError(msg) from None
        finally:
            session.close()
        return Response(text, status_code=status, media_type="application/json")

    def _stored(self, session: Session) -> IdempotencyRecord | None:
        q = select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == self.user.id, IdempotencyRecord.key == self.key
        )
        return session.exec(q).first()

    def _replay(self, stored: IdempotencyRecord, fingerprint: str) -> Response:
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


def get_writer(
    runtime: RuntimeDep, user: Officer, request: Request, read: SessionDep, key: IdempotencyKey = None
) -> Writer:
    return Writer(runtime, user, request, key, read)


WriterDep = Annotated[Writer, Depends(get_writer)]


def get_admin_writer(
    runtime: RuntimeDep, user: Admin, request: Request, read: SessionDep, key: IdempotencyKey = None
) -> Writer:
    return Writer(runtime, user, request, key, read)


AdminWriterDep = Annotated[Writer, Depends(get_admin_writer)]
