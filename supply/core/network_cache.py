"""Compiled networks cached on disk, keyed by the content of everything they are built from.

Reading a city's GraphML (networkx's parser), snapping the places and building the CSR index
costs seconds per command; the result depends only on the scenario's content and the GraphML
file's bytes. So :func:`cached_network` stores the built network as arrays
(:class:`~supply.core.network_tables.NetworkTables`: node ids and coordinates, edges and their
attributes, the CSR matrix) under

    <cache dir>/<sha256(CACHE_VERSION, scenario as validated, GraphML bytes)>/<array>.npy

and serves it back, memory-mapped (``numpy.load(mmap_mode="r")``: nothing is parsed or copied,
pages are read as the analyses touch them), only when every input hashes the same: a changed
scenario or road file gets a new key (never a stale answer), and the old entry is simply never
read again. An entry's ``meta.json``, written last, names each array's shape and type and a
digest of their bytes; an entry is written in a temporary folder renamed into place (never seen
half-written), and one that is missing a file, truncated or altered is rebuilt. Scenarios
without a GraphML build in milliseconds and are not cached. The cache holds the network before
disruptions: those apply on top (:meth:`~supply.core.network.Network.disrupted`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from supply.core.network import Network, build_network
from supply.core.network_tables import ARRAYS, NetworkTables
from supply.core.scenario import Scenario

#: Bump when the stored arrays change shape: old entries then never match.
CACHE_VERSION = "network-v2"
#: The two texts stored beside the arrays (UTF-8 bytes as ``uint8`` arrays).
TEXTS = ("node_text", "string_text")


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
        path = cache_dir / cache_key(scenario)
    except OSError:  # the GraphML cannot be read: let the builder name the fault
        return build_network(scenario)
    tables = load_tables(path)
    if tables is not None:
        return Network(scenario, tables)
    net = build_network(scenario)
    with contextlib.suppress(ValueError):  # a text the table cannot hold (a NUL): served uncached
        store_tables(path, net.tables)
    return net


def load_tables(path: Path) -> NetworkTables | None:
    """The tables stored at ``path``, memory-mapped; ``None`` if there are none, or they are incomplete or altered."""
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        if meta.get("version") != CACHE_VERSION or sorted(meta["arrays"]) != sorted((*ARRAYS, *TEXTS)):
            return None
        arrays = {}
        digest = hashlib.sha256()
        for name in (*ARRAYS, *TEXTS):
            shape, dtype = meta["arrays"][name]
            mapped = np.load(path / f"{name}.npy", mmap_mode="r", allow_pickle=False)
            arrays[name] = np.asarray(mapped)  # a plain ndarray view of the map (numpy's memmap is slow to index)
            if list(arrays[name].shape) != shape or arrays[name].dtype.str != dtype:
                return None
            digest.update(np.ascontiguousarray(arrays[name]).data)
        if digest.hexdigest() != meta["digest"]:
            return None
        texts = [arrays.pop(name).tobytes().decode("utf-8") for name in TEXTS]
    except Exception:  # noqa: BLE001 - missing, truncated or foreign: rebuild it
        return None
    return NetworkTables(arrays, *texts)


def store_tables(path: Path, tables: NetworkTables) -> None:
    """Write ``tables`` at ``path`` (a folder), atomically; a failed write only costs the next command the build."""
    arrays = {name: np.ascontiguousarray(tables.arrays[name]) for name in ARRAYS}
    for name, text in zip(TEXTS, (tables.node_text, tables.string_text), strict=True):
        arrays[name] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    digest = hashlib.sha256()
    for name in (*ARRAYS, *TEXTS):
        digest.update(arrays[name].data)
    meta = {
        "version": CACHE_VERSION,
        "arrays": {name: [list(a.shape), a.dtype.str] for name, a in arrays.items()},
        "digest": digest.hexdigest(),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f"{path.name}.", suffix=".tmp"))
        try:
            for name, a in arrays.items():
                np.save(tmp / f"{name}.npy", a, allow_pickle=False)
            (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
            if path.exists():  # a broken entry: moved aside (readers keep their open files), then removed
                stale = Path(tempfile.mkdtemp(dir=path.parent, prefix=f"{path.name}.", suffix=".stale"))
                os.replace(path, stale / "entry")
                shutil.rmtree(stale, ignore_errors=True)
            os.replace(tmp, path)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError:  # a read-only or full disk, or another process's entry renamed in first
        return
