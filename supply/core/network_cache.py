"""Compiled networks cached on disk, keyed by the content of everything they are built from.

Reading a city's GraphML (networkx's parser), snapping the places and building the CSR index
costs seconds per command; the result depends only on the scenario's content and the GraphML
file's bytes. So :func:`cached_network` stores the built graph and its index under

    <cache dir>/<sha256(CACHE_VERSION, scenario as validated, GraphML bytes)>.pickle

and serves it back only when every input hashes the same: a changed scenario or road file gets
a new key (never a stale answer), and the old entry is simply never read again. Entries are
written atomically (temporary file, then rename); an unreadable entry is rebuilt. Scenarios
without a GraphML build in milliseconds and are not cached. The cache holds the network
before disruptions: those apply on top (:meth:`~supply.core.network.Network.disrupted`).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from supply.core.network import Network, build_network
from supply.core.scenario import Scenario

#: Bump when the built graph or index changes shape: old entries then never match.
CACHE_VERSION = "network-v1"


def cache_key(scenario: Scenario) -> str:
    """The content hash of a scenario's network inputs (its GraphML bytes included)."""
    digest = hashlib.sha256(CACHE_VERSION.encode())
    digest.update(scenario.model_dump_json().encode())
    if scenario.scenario.graphml:
        with (Path(scenario.base_dir) / scenario.scenario.graphml).open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def cached_network(scenario: Scenario, cache_dir: Path | None) -> Network:
    """The scenario's network (no disruptions), from ``cache_dir`` when its inputs are unchanged.

    ``cache_dir`` ``None`` builds without the cache.
    """
    if cache_dir is None or not scenario.scenario.graphml:
        return build_network(scenario)
    try:
        path = cache_dir / f"{cache_key(scenario)}.pickle"
    except OSError:  # the GraphML cannot be read: let the builder name the fault
        return build_network(scenario)
    if path.is_file():
        try:
            with path.open("rb") as f:
                graph, index = pickle.load(f)
            net = Network(scenario, graph)
            net.__dict__["index"] = index  # the cached_property's slot: the compiled form, not rebuilt
            return net
        except Exception:  # noqa: BLE001 - a truncated or foreign entry: rebuild it
            pass
    net = build_network(scenario)
    _store(path, (net.graph, net.index))
    return net


def _store(path: Path, value: object) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:  # a read-only or full disk only costs the next command the build
        return
