"""Database commands: ``db init``, ``users add``, ``serve``.

Every command that touches the database takes ``--db URL``, else ``JUNGONG_DATABASE_URL``,
else the default SQLite file in the data folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from supply.cli.common import JsonOpt, ScenarioArg, echo_json, load
from supply.core.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: JUNGONG_DATABASE_URL, else a SQLite file in the data folder)."),
]

db_app = typer.Typer(help="The duty officers' database.", no_args_is_help=True)
users_app = typer.Typer(help="Users and their tokens.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.add_typer(users_app, name="users")
    app.command("serve")(serve_cmd)


def database_url(db: str | None) -> str:
    from supply.service.db import normalise_url

    return normalise_url(db or get_settings().resolved_database_url())


@contextmanager
def initialised_engine(db: str | None) -> Iterator[Engine]:
    """An engine on an initialised database (else "run `jungong db init`", creating nothing), disposed after."""
    from supply.service.db import existing_engine

    engine = existing_engine(database_url(db))
    try:
        yield engine
    finally:
        engine.dispose()


@db_app.command("init")
def init_cmd(scenario: ScenarioArg = None, db: DbOpt = None) -> None:
    """Create or upgrade the schema and load the scenario's stations, sites and opening stock."""
    from supply.drills.teams import sync_scenario_with_teams
    from supply.service.db import make_engine, write_session
    from supply.service.migrate import upgrade

    sc = load(scenario)
    text = Path(sc.source).read_text(encoding="utf-8")
    url = database_url(db)
    engine = make_engine(url)
    try:
        upgrade(engine)
        with write_session(engine) as session:
            counts = sync_scenario_with_teams(session, sc, text)
            session.commit()
    finally:
        engine.dispose()
    typer.echo(
        f"database ready at {engine.url.render_as_string(hide_password=True)}: {counts['stations']} stations, "
        f"{counts['sites']} sites, {counts['items']} items, {counts['opening_movements']} opening-stock movements"
    )


@users_app.command("add")
def users_add_cmd(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, typer.Option("--role", help="officer | planner | commander | admin")] = "officer",
    db: DbOpt = None,
) -> None:
    """Create a user and print their token once, alone on the last line."""
    from supply.service.auth import add_user
    from supply.service.db import make_engine, write_session
    from supply.service.migrate import upgrade

    engine = make_engine(database_url(db))
    try:
        upgrade(engine)
        with write_session(engine) as session:
            user, token = add_user(session, name, role, token_days=get_settings().token_days)
            session.commit()
    finally:
        engine.dispose()
    expires = user.token_expires_at.isoformat() if user.token_expires_at else "never"
    typer.echo(f"user '{name}' ({role}) created; their token (shown once, stored hashed, expires {expires}):")
    typer.echo(token)


@users_app.command("revoke")
def users_revoke_cmd(name: Annotated[str, typer.Argument(help="User name.")], db: DbOpt = None) -> None:
    """Revoke a user's token: it stops working at once."""
    from supply.service.auth import revoke_user
    from supply.service.db import write_session

    with initialised_engine(db) as engine, write_session(engine) as session:
        revoke_user(session, name)
        session.commit()
    typer.echo(f"user '{name}': token revoked")


@users_app.command("list")
def users_list_cmd(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Every user: name, role, token expiry, revoked or not (never a token)."""
    from supply.service.auth import list_users, user_dict
    from supply.service.db import read_session

    with initialised_engine(db) as engine, read_session(engine) as session:
        rows = [user_dict(u) for u in list_users(session)]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        state = "revoked" if r["revoked"] else f"expires {r['token_expires_at'] or 'never'}"
        typer.echo(f"{r['name']}\t{r['role']}\t{state}")


def serve_cmd(
    db: DbOpt = None,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64)] = 1,
    log_level: Annotated[str, typer.Option("--log-level")] = "warning",
) -> None:
    """Serve the API with uvicorn (several worker processes share the database safely)."""
    import uvicorn

    os.environ["JUNGONG_DATABASE_URL"] = database_url(db)  # the workers read their settings from here
    get_settings.cache_clear()
    uvicorn.run(
        "supply.api.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=False,
    )
