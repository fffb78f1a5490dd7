"""Database commands: ``db init``, ``db reconcile``, ``users add``, ``serve``.

Every command that touches the database takes ``--db URL``, else ``JUNGONG_DATABASE_URL``,
else the default SQLite file in the data folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from supply.cli.common import DbOpt, JsonOpt, ScenarioArg, database_url, echo_json, load, session_for
from supply.core.errors import InvalidArgumentError

db_app = typer.Typer(help="The duty officers' database.", no_args_is_help=True)
users_app = typer.Typer(help="Users and their tokens.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.add_typer(users_app, name="users")
    app.command("serve")(serve_cmd)


@db_app.command("init")
def init_cmd(
    scenario: ScenarioArg = None,
    db: DbOpt = None,
    node: Annotated[
        str | None,
        typer.Option(
            "--node",
            help="Make this database the node of one station (works cut off, syncs with the centre); "
            "needs JUNGONG_SYNC_PASSPHRASE for its signing key.",
        ),
    ] = None,
) -> None:
    """Create or upgrade the schema and load the scenario's stations, sites and opening stock."""
    from supply.drills.teams import sync_scenario_with_teams

    sc = load(scenario)
    text = Path(sc.source).read_text(encoding="utf-8")
    with session_for(db, write=True, migrate=True) as session:
        where = session.connection().engine.url.render_as_string(hide_password=True)
        counts = sync_scenario_with_teams(session, sc, text, node=node)
    role = f"node database of station {node}" if node else "database"
    typer.echo(
        f"{role} ready at {where}: {counts['stations']} stations, "
        f"{counts['sites']} sites, {counts['items']} items, {counts['opening_movements']} opening-stock movements"
    )


@db_app.command("reconcile")
def reconcile_cmd(
    db: DbOpt = None,
    repair: Annotated[bool, typer.Option("--repair", help="Rebuild mismatched balances from the ledger.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Recompute every stock balance from the ledger; exit 1 on a mismatch (unless --repair fixed it)."""
    from supply.service.reconcile import reconcile

    with session_for(db, write=True) as session:  # a database that does not exist is not created
        checked, found = reconcile(session, repair=repair)
    if as_json:
        report = {"checked": checked, "mismatches": [m.as_dict() for m in found], "repaired": repair and bool(found)}
        echo_json(report)
    else:
        verb = "repaired" if repair else "mismatch"
        for m in found:
            typer.echo(f"{verb}: {m.describe()}")
        done = f"{len(found)} repaired from the ledger" if repair else f"{len(found)} mismatched"
        typer.echo(f"{checked} balances checked against the ledger: {done}")
    if found and not repair:
        raise typer.Exit(1)


@users_app.command("add")
def users_add_cmd(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, typer.Option("--role", help="officer | planner | commander | admin | node")] = "officer",
    station: Annotated[
        str | None, typer.Option("--station", help="A node user's station: the only records it may sync.")
    ] = None,
    db: DbOpt = None,
) -> None:
    """Create a user and print their token once, alone on the last line."""
    from supply.core.settings import get_settings
    from supply.service.auth import add_user

    with session_for(db, write=True) as session:  # only `db init` creates a database
        user, token = add_user(session, name, role, station=station, token_days=get_settings().token_days)
    expires = user.token_expires_at.isoformat() if user.token_expires_at else "never"
    bound = f" for station {station}" if station else ""
    typer.echo(f"user '{name}' ({role}{bound}) created; their token (shown once, stored hashed, expires {expires}):")
    typer.echo(token)


@users_app.command("revoke")
def users_revoke_cmd(name: Annotated[str, typer.Argument(help="User name.")], db: DbOpt = None) -> None:
    """Revoke a user's token: it stops working at once."""
    from supply.service.auth import revoke_user

    with session_for(db, write=True) as session:
        revoke_user(session, name)
    typer.echo(f"user '{name}': token revoked")


@users_app.command("list")
def users_list_cmd(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Every user: name, role, token expiry, revoked or not (never a token)."""
    from supply.service.auth import list_users, user_dict

    with session_for(db) as session:
        rows = [user_dict(u) for u in list_users(session)]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        state = "revoked" if r["revoked"] else f"expires {r['token_expires_at'] or 'never'}"
        role = f"{r['role']} {r['station']}" if r["station"] else r["role"]
        typer.echo(f"{r['name']}\t{role}\t{state}")


def serve_cmd(
    db: DbOpt = None,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64)] = 1,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn's own messages")] = "warning",
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster", help="Plan drills on this Dask cluster (tcp://host:8786) instead of local processes."
        ),
    ] = None,
    proxy_headers: Annotated[
        bool,
        typer.Option(
            "--proxy-headers/--no-proxy-headers",
            help="Trust X-Forwarded-Proto/-For from --forwarded-allow-ips (HTTPS behind a proxy: Secure cookies).",
        ),
    ] = True,
    forwarded_allow_ips: Annotated[
        str, typer.Option("--forwarded-allow-ips", help="The proxies whose forwarded headers are trusted (comma list).")
    ] = "127.0.0.1",
) -> None:
    """Serve the API and the web console with uvicorn (several worker processes share the database safely).

    Refuses (exit 2, before anything is printed) bad ``JUNGONG_*`` settings, a database never
    initialised and a port in use. Prints where it listens (the console's and the docs' URLs) and
    logs one line per request (method, path, status, milliseconds, user) at info level on stderr,
    in the one format of every server log line (time, level, logger, request id:
    :mod:`supply.core.logs`).
    """
    import uvicorn

    from supply.core.logs import log_config
    from supply.core.settings import get_settings
    from supply.service.db import existing_engine

    url = database_url(db)  # bad settings: exit 2 here, not a traceback in every worker
    existing_engine(url).dispose()  # never initialised: "run `jungong db init`"
    check_port_free(host, port)
    os.environ["JUNGONG_DATABASE_URL"] = url  # the workers read their settings from here
    if cluster is not None:
        if not cluster.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
            msg = f"--cluster '{cluster}': expected a scheduler address such as tcp://host:8786"
            raise InvalidArgumentError(msg)
        os.environ["JUNGONG_CLUSTER"] = cluster
    get_settings.cache_clear()
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}"
    typer.echo(f"jungong serving on {base}\n  console:  {base}/console/\n  API docs: {base}/docs  (and {base}/redoc)")
    uvicorn.run(
        "supply.api.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        log_config=log_config(log_level),
        access_log=False,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
    )


def check_port_free(host: str, port: int) -> None:
    """``host:port`` can be listened on (else :class:`InvalidArgumentError`, before any banner)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        msg = f"--host {host}: cannot listen there ({exc.strerror})"
        raise InvalidArgumentError(msg) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind(address)
        except OSError as exc:
            msg = f"--port {port}: cannot listen on {host}:{port} ({exc.strerror}); stop what uses it or pick another"
            raise InvalidArgumentError(msg) from None
