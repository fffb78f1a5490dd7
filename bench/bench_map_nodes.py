"""Analyses that start fast (issue 21, item 4): a cached network's load and its coverage map, against road nodes.

For OSM-shaped cities of ``--nodes`` road nodes (``bench_coverage.osm_city``: a GraphML, 20
stations, 3,000 sites), built once through the compiled-network cache, prints per size, from one run:

- **load**: ``cached_network`` from a warm cache (content hash of the scenario and GraphML,
  arrays memory-mapped, digest checked), then the same with the coverage it serves (the arrays
  paged in); beside it the old cache's load, a pickled networkx graph and CSR index
  (``pickle.load``, as ``network-v1`` stored them), and the ratio. Target: ≤ 2 s at 200,000 nodes.
- **map**: ``coverage_map`` (30/60/120 min) on the loaded network, the catchments culled
  (:func:`maps.catchment.catchments`); beside it, up to ``--old-up-to`` nodes, the same map with
  every piece united (``cull=False``, the previous method), and the ratio. Target: ≤ 60 s at
  200,000 nodes.

and how each grows from one size to the next (time ratio over node ratio: 1.0 = linear).
Seconds are wall time on this machine as it is (shared: say "under load" when it is).

    python bench/bench_map_nodes.py [--nodes 25000,50000,100000,200000] [--old-up-to 50000]
"""

from __future__ import annotations

import argparse
import functools
import importlib
import math
import pickle
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_coverage import osm_city  # noqa: E402  (this folder, on the path when run as a script)

from maps.catchment import catchments  # noqa: E402
from supply.core.coverage import coverage  # noqa: E402
from supply.core.network_cache import cache_key, cached_network  # noqa: E402
from supply.core.scenario import load_scenario  # noqa: E402

THRESHOLDS = (30, 60, 120)
coverage_map_module = importlib.import_module("maps.coverage_map")  # the module (``maps`` exports its function)


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def one_size(folder: Path, nodes: int, old_map: bool, seed: int) -> dict:
    side = round(math.sqrt(nodes))
    scenario_path = osm_city(folder, side, np.random.default_rng(seed), stations=20, sites=min(3000, nodes // 4))
    cache = folder / "cache"
    built, build_s = timed(cached_network, load_scenario(scenario_path), cache)  # parses, builds, stores
    old_file = folder / "old.pickle"  # the network-v1 entry: a pickled (graph, index)
    with old_file.open("wb") as f:
        pickle.dump((built.graph, built.index), f, protocol=pickle.HIGHEST_PROTOCOL)
    scenario = load_scenario(scenario_path)
    net, load_s = timed(cached_network, scenario, cache)
    assert "graph" not in net.__dict__, "the cache did not serve arrays"
    result, cov_s = timed(coverage, net, THRESHOLDS)

    def old_load() -> object:
        cache_key(scenario)  # the old path hashed the same inputs
        with old_file.open("rb") as f:
            return pickle.load(f)  # noqa: S301 - our own file, written just above

    _, old_load_s = timed(old_load)
    html, map_s = timed(coverage_map_module.coverage_map, net, result)
    row = {
        "nodes": built.index.matrix.shape[0],
        "edges": built.index.matrix.nnz,
        "build_s": build_s,
        "load_s": load_s,
        "load_cov_s": load_s + cov_s,
        "old_load_s": old_load_s,
        "map_s": map_s,
        "mb": len(html.encode()) / 1e6,
        "old_map_s": None,
    }
    if old_map:
        every = functools.partial(catchments, cull=False)
        original = coverage_map_module.catchments
        coverage_map_module.catchments = every
        try:
            _, row["old_map_s"] = timed(coverage_map_module.coverage_map, net, result)
        finally:
            coverage_map_module.catchments = original
    return row


def growth(rows: list[dict], key: str) -> list[str]:
    out = ["—"]
    for a, b in zip(rows, rows[1:], strict=False):
        if a[key] and b[key]:
            out.append(f"{math.log(b[key] / a[key]) / math.log(b['nodes'] / a['nodes']):.2f}")
        else:
            out.append("—")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", default="25000,50000,100000,200000", help="road nodes per city, comma-separated")
    parser.add_argument("--old-up-to", type=int, default=50000, help="time the previous map method up to this size")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sizes = [int(x) for x in args.nodes.split(",")]
    rows = []
    for nodes in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-map-nodes-") as tmp:
            row = one_size(Path(tmp), nodes, nodes <= args.old_up_to, args.seed)
        rows.append(row)
        old = f"{row['old_map_s']:.1f}" if row["old_map_s"] else "—"
        print(  # noqa: T201
            f"{row['nodes']:>8,} nodes: built and cached in {row['build_s']:.1f} s; load {row['load_s']:.3f} s "
            f"(old {row['old_load_s']:.2f} s); map {row['map_s']:.1f} s (old {old} s)",
            flush=True,
        )
    lg, mg = growth(rows, "load_s"), growth(rows, "map_s")
    print(  # noqa: T201
        f"\n{'nodes':>9}{'edges':>10}{'load s':>9}{'old load s':>12}{'old÷new':>9}{'+coverage s':>13}"
        f"{'map s':>8}{'old map s':>11}{'old÷new':>9}{'HTML MB':>9}{'growth load':>13}{'growth map':>12}"
    )
    for row, g1, g2 in zip(rows, lg, mg, strict=True):
        old = row["old_map_s"]
        old_s, ratio = (f"{old:.1f}", f"{old / row['map_s']:.1f}") if old else ("—", "—")
        print(  # noqa: T201
            f"{row['nodes']:>9,}{row['edges']:>10,}{row['load_s']:>9.3f}{row['old_load_s']:>12.2f}"
            f"{row['old_load_s'] / row['load_s']:>9.1f}{row['load_cov_s']:>13.2f}{row['map_s']:>8.1f}"
            f"{old_s:>11}{ratio:>9}"
            f"{row['mb']:>9.1f}{g1:>13}{g2:>12}"
        )
    print(  # noqa: T201
        "load: cached_network from a warm cache (hash of the inputs, arrays memory-mapped, digest checked); "
        "old: the pickled graph and index of network-v1; +coverage: load and coverage 30/60/120\n"
        "map: coverage_map 30/60/120 on the loaded network; old: every catchment piece united (cull=False)\n"
        "growth: log(time ratio) / log(node ratio) from the size above (1.00 = linear)"
    )
    big = max(rows, key=lambda r: r["nodes"])
    met = [big["load_s"] <= 2, big["map_s"] <= 60]
    print(  # noqa: T201
        f"at {big['nodes']:,} nodes: load {big['load_s']:.2f} s (target ≤ 2 s: {'MET' if met[0] else 'MISSED'}), "
        f"map {big['map_s']:.1f} s (target ≤ 60 s: {'MET' if met[1] else 'MISSED'})"
    )
    print("all targets met" if all(met) else "some targets MISSED")  # noqa: T201


if __name__ == "__main__":
    main()
