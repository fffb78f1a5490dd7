"""Schema migrations through Alembic, configured in code so they work from an installed package."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "supply.service:migrations")
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database's schema up to ``revision`` (idempotent); an unreachable server is a clear error."""
    from sqlalchemy.exc import OperationalError

    from supply.core.errors import DatabaseUnavailableError

    cfg = alembic_config(engine)
    try:
        with engine.connect() as conn:
            sqlite = engine.dialect.name == "sqlite"
            if sqlite:  # batch migrations copy tables with rows in them: SQLite checks the keys after, not per step
                _foreign_keys(conn, on=False)
            try:
                with conn.begin():
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, revision)
                    if sqlite:
                        _check_foreign_keys(conn)
            finally:
                if sqlite:
                    _foreign_keys(conn, on=True)
    except OperationalError as exc:
        raise DatabaseUnavailableError(_unreachable(engine, exc)) from None


def _foreign_keys(conn: Any, *, on: bool) -> None:
    """Switch SQLite's foreign-key checks (only outside a transaction: the driver connection runs in autocommit)."""
    conn.connection.dbapi_connection.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _check_foreign_keys(conn: Any) -> None:
    """After a migration with the checks off: every key still points at a row, or nothing is committed."""
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        table, rowid, parent, _ = broken[0]
        from supply.core.errors import NotInitialisedError

        msg = f"the upgrade would leave {len(broken)} broken foreign keys (first: {table} row {rowid} -> {parent})"
        raise NotInitialisedError(msg)


def revise(engine: Engine, message: str) -> None:
    """Autogenerate a new revision from the models (developers only)."""
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True)


def head_revision(engine: Engine) -> str | None:
    """The newest revision the code knows."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def check_initialised(engine: Engine) -> None:
    """Raise :class:`NotInitialisedError` unless the database is migrated to the code's head revision.

    A SQLite file that does not exist is never created here (the caller checks before connecting);
    a server that cannot be reached is a :class:`DatabaseUnavailableError`.
    """
    from alembic.migration import MigrationContext
    from sqlalchemy.exc import OperationalError

    from supply.core.errors import DatabaseUnavailableError, NotInitialisedError

    where = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except OperationalError as exc:
        raise DatabaseUnavailableError(_unreachable(engine, exc)) from None
    if current is None:
        msg = f"the database at {where} is not initialised: run `jungong db init` first"
        raise NotInitialisedError(msg)
    if current != head_revision(engine):
        msg = f"the database at {where} has an older schema ({current}): run `jungong db init` to upgrade it"
        raise NotInitialisedError(msg)


def _unreachable(engine: Engine, exc: Exception) -> str:
    where = engine.url.render_as_string(hide_password=True)
    reason = str(getattr(exc, "orig", exc)).strip().splitlines() or ["no answer"]
    return f"cannot reach the database at {where}: {reason[0]}"
