"""Options and output helpers shared by the CLI's command modules."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from supply.core.errors import InvalidArgumentError

# Every ``jungong`` run imports this module: the road network (networkx, scipy), the scenario
# models and settings (pydantic) and the database stack load only in the commands that use them.
if TYPE_CHECKING:
    from sqlmodel import Session

    from supply.core.network import Network
    from supply.core.scenario import Scenario

ScenarioArg = Annotated[
    Path | None,
    typer.Argument(help="Scenario TOML file (default: the built-in Guangzhou scenario).", show_default=False),
]
CloseOpt = Annotated[list[str] | None, typer.Option("--close", help="Close a link: its name or A~B. Repeatable.")]
OfflineOpt = Annotated[
    list[str] | None, typer.Option("--offline", help="Take a station offline (its roads stay open). Repeatable.")
]
SlowOpt = Annotated[list[str] | None, typer.Option("--slow", help="Slow a link by a factor: A~B=1.5. Repeatable.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
ReplicationsOpt = Annotated[
    int | None, typer.Option("--replications", "-n", help="Replications (default: the drill's own).")
]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Random seed (default: the drill's own).")]
WorkersOpt = Annotated[int | None, typer.Option("--workers", "-w", help="Local worker processes (default: all CPUs).")]
NoCacheOpt = Annotated[
    bool,
    typer.Option("--no-cache", help="Build the road network afresh (no compiled-network cache)."),
]
DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: JUNGONG_DATABASE_URL, else a SQLite file in the data folder)."),
]


def console() -> Console:
    return Console(soft_wrap=False)


def err_console() -> Console:
    return Console(stderr=True)


def load(scenario: Path | None) -> Scenario:
    from supply.core.scenario import load_scenario

    return load_scenario(scenario)


def network_for(
    scenario: Path | None,
    close: list[str] | None = None,
    offline: list[str] | None = None,
    slow: list[str] | None = None,
    *,
    no_cache: bool = False,
) -> Network:
    """Load a scenario (its compiled road network from the data folder's cache unless ``no_cache``)
    and apply the command line's disruptions."""
    from supply.core.network import Disruptions
    from supply.core.network_cache import cached_network
    from supply.core.settings import get_settings

    disruptions = Disruptions.parse(close, offline, slow)
    cache_dir = None if no_cache else get_settings().network_cache_dir
    return cached_network(load(scenario), cache_dir).disrupted(disruptions)


def echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def check_size_options(replications: int | None, seed: int | None) -> None:
    """``--replications`` and ``--seed`` within the drill file's own bounds (exit 2 otherwise)."""
    from simulation.spec import MAX_REPLICATIONS
    from supply.core.types import MAX_ID

    if replications is not None and replications < 1:
        msg = f"--replications must be ≥ 1, got {replications}"
        raise InvalidArgumentError(msg)
    if replications is not None and replications > MAX_REPLICATIONS:
        msg = f"--replications must be at most {MAX_REPLICATIONS:,}, got {replications}"
        raise InvalidArgumentError(msg)
    if seed is not None and not 0 <= seed <= MAX_ID:
        msg = f"--seed must be between 0 and {MAX_ID}, got {seed}"
        raise InvalidArgumentError(msg)


def check_output_paths(**paths: Path | None) -> None:
    """Every output file's folder exists and is writable, before any simulation runs."""
    problems = []
    for option, path in paths.items():
        if path is None:
            continue
        folder = path.parent if str(path.parent) else Path(".")
        if path.is_dir():
            problems.append(f"--{option} {path}: is a folder; give a file name")
        elif not folder.is_dir():
            problems.append(f"--{option} {path}: folder {folder} does not exist")
        elif not os.access(folder, os.W_OK):
            problems.append(f"--{option} {path}: folder {folder} is not writable")
    if problems:
        raise InvalidArgumentError("; ".join(problems))


def fmt_minutes(value: float | None, *, small: float | None = None) -> str:
    """Whole minutes, or one decimal when the threshold in view is ``small`` (under 10 minutes)."""
    if value is None:
        return "—"
    return f"{value:.1f}" if small is not None and small < 10 else f"{value:.0f}"


def database_url(db: str | None) -> str:
    """The database a command uses: ``--db``, else ``JUNGONG_DATABASE_URL``, else the data folder's SQLite file."""
    from supply.core.settings import get_settings
    from supply.service.db import normalise_url

    return normalise_url(db or get_settings().resolved_database_url())


@contextmanager
def session_for(db: str | None, *, write: bool = False, migrate: bool = False) -> Iterator[Session]:
    """A session on the command's database (see :func:`database_url`), its engine disposed on exit.

    ``migrate`` first brings the schema up to date (the commands that may be the first to touch
    a database); without it the database must be initialised already — else "run `jungong db
    init`", creating nothing (no SQLite file, no folder). A ``write`` session takes SQLite's
    write lock at once and commits when the block ends without error; on an error nothing is
    written. A CLI command is one short transaction, so the engine lives only as long as the block.
    """
    from supply.service.db import existing_engine, make_engine, read_session, write_session

    engine = make_engine(database_url(db)) if migrate else existing_engine(database_url(db))
    try:
        if migrate:
            from supply.service.migrate import upgrade

            upgrade(engine)
        with (write_session if write else read_session)(engine) as session:
            yield session
            if write:
                session.commit()
    finally:
        engine.dispose()
