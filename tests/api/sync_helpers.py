"""Station nodes for the sync tests: a node database made as ``jungong db init --node`` makes it, keys traded."""

from __future__ import annotations

from pathlib import Path

from supply.core.scenario import load_scenario
from supply.drills.teams import sync_scenario_with_teams
from supply.service.db import make_engine, write_session
from supply.service.migrate import upgrade
from supply.service.sync import public_key_pem, trust_key
from tests.conftest import GUANGZHOU


def make_node(folder: Path, station: str) -> str:
    """A SQLite node of ``station`` (the Guangzhou scenario), as ``jungong db init --node STATION`` makes it."""
    url = f"sqlite:///{folder / f'node-{station}.db'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        with write_session(engine) as s:
            text = GUANGZHOU.read_text(encoding="utf-8")
            sync_scenario_with_teams(s, load_scenario(GUANGZHOU), text, node=station)
            s.commit()
    finally:
        engine.dispose()
    return url


def in_session(url: str, fn):
    """``fn(session)`` in one committed write transaction on ``url``."""
    engine = make_engine(url)
    try:
        with write_session(engine) as s:
            out = fn(s)
            s.commit()
            return out
    finally:
        engine.dispose()


def trade_keys(centre: str, node: str, station: str) -> None:
    """The centre trusts the node's key and the node the centre's (``jungong sync key`` / ``sync trust``)."""
    node_pem = in_session(node, public_key_pem)
    centre_pem = in_session(centre, public_key_pem)
    in_session(centre, lambda s: trust_key(s, station, node_pem))
    in_session(node, lambda s: trust_key(s, "centre", centre_pem))
