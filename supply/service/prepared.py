"""Core statements compiled once per dialect and run on the driver's cursor: the write path's statements
without SQLAlchemy's per-execution machinery.

A duty officer's write sends about ten short statements. Through ``Connection.execute`` each one
builds an execution context, looks up its compiled form, processes its parameters and wraps its
result — three to five times what the driver itself takes for a one-row INSERT (issue 21's profile:
a quarter of a workflow request). A :class:`Prepared` statement does that work once per dialect: it
keeps the SQL text, its parameters' order and type processors (a UTC datetime stored naive, a
boolean on SQLite), the Python-side column defaults of an INSERT (``uid``, ``origin``,
``created_at``) and the result rows' processors; each run then costs a cursor's ``execute``.

What stays SQLAlchemy's: the connection and its transaction (a Prepared statement runs on the
connection of the caller's session, inside its transaction: SQLite's ``BEGIN IMMEDIATE``, the
row locks on PostgreSQL), the error classes (a driver error is raised as SQLAlchemy's —
``IntegrityError``, ``OperationalError`` —, a dead connection is invalidated as SQLAlchemy would),
and the ``before_cursor_execute`` / ``after_cursor_execute`` events, so counting and timing
statements works the same (``tests/api/test_write_path_cost.py``, ``bench/profile_write_path.py``).

For the hot paths only: statements whose parameters are plain values (no ``IN`` lists, no SQL
expressions as defaults). Anything else raises :class:`TypeError` when first run, not silently.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import ClauseElement

Params = dict[str, Any]


class _DefaultContext:
    """What a column default's function is given (``origin_default`` reads ``root_connection``)."""

    __slots__ = ("root_connection",)

    def __init__(self, connection: Connection) -> None:
        self.root_connection = connection


class _Constant:
    """A scalar column default, called as a default's function is (with the context)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __call__(self, _context: Any) -> Any:
        return self.value


@dataclass
class _Plan:
    """A statement compiled for one dialect."""

    sql: str
    names: tuple[str, ...]  # bind names, in the order a positional driver takes them
    positional: bool
    processors: tuple[tuple[str, Callable[[Any], Any]], ...]
    defaults: tuple[tuple[str, Callable[[Any], Any]], ...]  # an INSERT's Python-side defaults
    literals: dict[str, Any]  # values written in the statement itself (``x + 1e-9``: an anonymous parameter)
    dialect: Dialect
    columns: tuple[Any, ...]  # result columns (empty: no rows back)
    row: Any = None  # a named tuple class of the result columns
    results: tuple[Callable[[Any], Any] | None, ...] | None = None  # set at the first result (needs the driver's types)


class Prepared:
    """A Core statement run on the driver's cursor (see the module's docstring).

    ``insert_id``: an INSERT whose new primary key is wanted (:meth:`insert`): SQLite gives the
    cursor's ``lastrowid``, PostgreSQL a ``RETURNING`` clause added here.
    """

    def __init__(self, statement: ClauseElement, *, insert_id: bool = False) -> None:
        self.statement: Any = statement
        self.insert_id = insert_id
        self._plans: dict[str, _Plan] = {}

    # --- running -------------------------------------------------------------------------------------
    def rows(self, conn: Connection, params: Params | None = None) -> list[Any]:
        """The statement's result rows (named tuples: ``row.column``, ``row._asdict()``)."""
        plan = self._plan(conn.dialect)
        cursor = self._execute(conn, plan, params or {})
        try:
            raw = cursor.fetchall()
            return [self._row(plan, cursor, r) for r in raw] if raw else []
        finally:
            cursor.close()

    def first(self, conn: Connection, params: Params | None = None) -> Any:
        """The first result row, or None."""
        rows = self.rows(conn, params)
        return rows[0] if rows else None

    def run(self, conn: Connection, params: Params | None = None) -> int:
        """Run it (an INSERT, UPDATE or DELETE without results); the rows it touched."""
        plan = self._plan(conn.dialect)
        cursor = self._execute(conn, plan, params or {})
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def many(self, conn: Connection, params: Sequence[Params]) -> None:
        """Run it once per parameter set, in one ``executemany`` (none: nothing is sent)."""
        if not params:
            return
        if len(params) == 1:
            self.run(conn, params[0])
            return
        plan = self._plan(conn.dialect)
        cursor = self._execute(conn, plan, list(params), many=True)
        cursor.close()

    def insert(self, conn: Connection, params: Params) -> int:
        """Run an INSERT made with ``insert_id=True``; the new row's primary key."""
        plan = self._plan(conn.dialect)
        cursor = self._execute(conn, plan, params)
        try:
            return int(cursor.fetchone()[0] if plan.columns else cursor.lastrowid)
        finally:
            cursor.close()

    # --- execution -----------------------------------------------------------------------------------
    def _execute(self, conn: Connection, plan: _Plan, params: Params | list[Params], *, many: bool = False) -> Any:
        batch = params if isinstance(params, list) else [params]
        args = [self._bind(conn, plan, p) for p in batch]
        sent: Any = args if many else args[0]
        if not conn.in_transaction():
            conn.begin()  # as SQLAlchemy's own execute would (autobegin): SQLite's BEGIN is sent by supply.service.db
        fairy = conn.connection  # the pooled DBAPI connection of the session's transaction
        cursor = fairy.dbapi_connection.cursor()  # type: ignore[union-attr]  # a checked-out connection has one
        dispatch = conn.dispatch
        for listener in dispatch.before_cursor_execute:
            listener(conn, cursor, plan.sql, sent, None, many)
        try:
            if many:
                cursor.executemany(plan.sql, sent)
            else:
                cursor.execute(plan.sql, sent)
        except conn.dialect.loaded_dbapi.Error as e:
            # SQLAlchemy's own handling of a driver error (as for its own statements): raised as its
            # class (IntegrityError, OperationalError…); a dead connection is invalidated, with the pool
            conn._handle_dbapi_exception(e, plan.sql, sent, cursor, None)  # always raises
            raise  # pragma: no cover - not reached
        for listener in dispatch.after_cursor_execute:
            listener(conn, cursor, plan.sql, sent, None, many)
        return cursor

    @staticmethod
    def _bind(conn: Connection, plan: _Plan, params: Params) -> Any:
        values = {**plan.literals, **params}
        if plan.defaults:
            missing = [(k, f) for k, f in plan.defaults if k not in values]
            if missing:
                context = _DefaultContext(conn)
                values.update((k, f(context)) for k, f in missing)
        for key, process in plan.processors:
            if key in values:
                values[key] = process(values[key])
        if plan.positional:
            return tuple(values.get(name) for name in plan.names)
        return {name: values.get(name) for name in plan.names}

    @staticmethod
    def _row(plan: _Plan, cursor: Any, raw: Sequence[Any]) -> Any:
        if plan.results is None:  # the driver's type codes are known from the first result on
            dialect, codes = plan.dialect, [d[1] for d in cursor.description]
            plan.results = tuple(
                col.type.dialect_impl(dialect).result_processor(dialect, code)
                for col, code in zip(plan.columns, codes, strict=True)
            )
        if not any(plan.results):
            return plan.row._make(raw)
        return plan.row._make([v if p is None else p(v) for p, v in zip(plan.results, raw, strict=True)])

    # --- compiling -----------------------------------------------------------------------------------
    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = self._compile(dialect)
        return plan

    def _compile(self, dialect: Dialect) -> _Plan:
        stmt: Any = self.statement
        keys: list[str] | None = None
        defaults: list[tuple[str, Callable[[Any], Any]]] = []
        if isinstance(stmt, Insert):
            table = stmt.table
            keys = []
            for col in table.columns:
                if col.primary_key and col.autoincrement in (True, "auto") and col.default is None:
                    continue  # the database numbers the row
                keys.append(col.key)
                default = col.default
                if default is None:
                    if col.server_default is not None:  # NULL would be sent where the database has a default
                        msg = f"{table.name}.{col.key}: a default only the database knows is not supported by Prepared"
                        raise TypeError(msg)
                    continue
                if default.is_scalar:
                    defaults.append((col.key, _Constant(default.arg)))  # type: ignore[attr-defined]  # a scalar default's value
                elif default.is_callable:
                    defaults.append((col.key, default.arg))  # type: ignore[attr-defined]  # takes the context
                else:
                    msg = f"{table.name}.{col.key}: a SQL default is not supported by Prepared"
                    raise TypeError(msg)
            if self.insert_id and dialect.name != "sqlite":
                stmt = stmt.returning(*table.primary_key)
        compiled: Any = stmt.compile(dialect=dialect, column_keys=keys)
        for bind in compiled.binds.values():
            if getattr(bind, "expanding", False):
                msg = f"{bind.key}: an expanding (IN) parameter is not supported by Prepared"
                raise TypeError(msg)
        positional = bool(compiled.positional)
        names = tuple(compiled.positiontup) if positional else tuple(compiled.binds)
        processors = []
        for name, bind in compiled.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                processors.append((name, process))
        # a SELECT's columns, or the RETURNING columns of an INSERT, UPDATE or DELETE (none without);
        # the key's RETURNING added above is named here (the statement's own list is memoised before it)
        columns = tuple(stmt.table.primary_key) if stmt is not self.statement else tuple(stmt.exported_columns)
        columns_given = set(keys or ())  # an INSERT's values: from the call or the column's default, never fixed
        literals = {
            name: bind.effective_value
            for name, bind in compiled.binds.items()
            if name not in columns_given and bind.value is not None
        }
        plan = _Plan(compiled.string, names, positional, tuple(processors), tuple(defaults), literals, dialect, columns)
        if columns:
            plan.row = namedtuple("Row", [str(c.key) for c in columns], rename=True)  # type: ignore[misc]  # fields known at run time
        return plan
