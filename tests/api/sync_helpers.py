"""Station nodes for the sync tests: a node database made as ``jungong db init --node`` makes it, keys traded."""

from __future__ import annotations

from pathlib import Path

import pytest

from supply.core.scenario import load_scenario
from supply.core.settings import get_settings
from supply.drills.teams import sync_scenario_with_teams
from supply.service.db import make_engine, write_session
from supply.service.migrate import upgrade
from supply.service.sync import ensure_key, public_key_pem, set_node, trust_key
from tests.conftest import GUANGZHOU

PASSPHRASE = "test-sync-passphrase"


@pytest.fixture
def passphrase(monkeypatch: pytest.MonkeyPatch):
    """``JUNGONG_SYNC_PASSPHRASE`` set for this process (the signing keys are encrypted with it)."""
    monkeypatch.setenv("JUNGONG_SYNC_PASSPHRASE", PASSPHRASE)
    get_settings.cache_clear()
    yield PASSPHRASE
    get_settings.cache_clear()


def make_node(folder: Path, station: str) -> str:
    """A SQLite node of ``station`` (the Guangzhou scenario), as ``jungong db init --node STATION`` makes it."""
    url = f"sqlite:///{folder / f'node-{station}.db'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        with write_session(engine) as s:
            scenario = load_scenario(GUANGZHOU)
            set_node(s, station, [st.code for st in scenario.stations])
            sync_scenario_with_teams(s, scenario, GUANGZHOU.read_text(encoding="utf-8"))
            ensure_key(s)
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
