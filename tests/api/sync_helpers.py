"""Station nodes for the sync tests: a node database made as ``jungong db init --node`` makes it, keys traded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from supply.core.scenario import load_scenario
from supply.service.sync import export_bundle, public_key_pem, trust_key
from tests.conftest import GUANGZHOU
from tests.service.sync_helpers import in_session, init_database, resign


def make_node(folder: Path, station: str) -> str:
    """A SQLite node of ``station`` (the Guangzhou scenario), as ``jungong db init --node STATION`` makes it."""
    url = f"sqlite:///{folder / f'node-{station}.db'}"
    init_database(url, load_scenario(GUANGZHOU), GUANGZHOU.read_text(encoding="utf-8"), node=station)
    return url


def trade_keys(centre: str, node: str, station: str) -> None:
    """The centre trusts the node's key and the node the centre's (``jungong sync key`` / ``sync trust``)."""
    node_pem = in_session(node, public_key_pem)
    centre_pem = in_session(centre, public_key_pem)
    in_session(centre, lambda s: trust_key(s, station, node_pem))
    in_session(node, lambda s: trust_key(s, "centre", centre_pem))


def forged(node: str, sender: str, edit: Callable[[dict[str, Any]], None]) -> bytes:
    """The node's bundle for the centre, its content changed by ``edit`` and signed again with the node's own key:
    what a node (or whoever holds its key) could send, for the centre to refuse."""
    return in_session(node, lambda s: resign(s, export_bundle(s, for_node="centre"), sender, edit))
