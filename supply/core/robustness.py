"""N-1 robustness: what coverage is lost when one station or one link alone fails.

Stations: travel times from every station are computed once; dropping a station is then a
minimum over the remaining rows, so all N-1 station cases cost one multi-source Dijkstra.
Links: only a link on some site's fastest path can change coverage (any other link leaves
those paths intact), so only those are recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import dijkstra

from supply.core.coverage import check_tiers
from supply.core.network import Network


@dataclass(frozen=True)
class Failure:
    """The effect of one element failing."""

    kind: str  # station | link
    ref: str
    sites_lost: list[str]  # covered before, not after
    minutes_added: float  # summed over sites still reachable
    sites_cut: list[str]  # reachable before, unreachable from any station after

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "ref": self.ref,
            "lost": len(self.sites_lost),
            "sites_lost": self.sites_lost,
            "minutes_added": round(self.minutes_added, 1),
            "cut": len(self.sites_cut),
            "sites_cut": self.sites_cut,
        }


@dataclass(frozen=True)
class RobustnessResult:
    threshold: int
    covered_before: int
    sites: int
    failures: list[Failure]

    def as_dict(self) -> dict:
        return {
            "threshold": self.threshold,
            "sites": self.sites,
            "covered": self.covered_before,
            "failures": [f.as_dict() for f in self.failures],
        }


def robustness(
    network: Network, threshold: int = 60, *, tiers: list[str] | None = None, links: bool = True
) -> RobustnessResult:
    """Every single failure, ranked worst first: sites lost, then sites cut off, then minutes added."""
    idx = network.index
    stations = network.station_codes(check_tiers(tiers))
    site_codes = [s.code for s in network.scenario.sites]
    cols = idx.rows(site_codes)
    base = _nearest_rows(idx.matrix, idx.rows(stations), cols)
    covered = base <= threshold
    failures = []
    if stations:
        table = dijkstra(idx.matrix, directed=True, indices=idx.rows(stations))[:, cols]
        for i, code in enumerate(stations):
            rest = np.delete(table, i, axis=0)
            after = rest.min(axis=0) if len(rest) else np.full(len(cols), np.inf)
            failures.append(_failure("station", code, site_codes, base, after, covered, threshold))
    if links and stations:
        for ref, edges in _links_on_fastest_paths(network, stations, cols).items():
            after = _nearest_rows(idx.without_edges(edges), idx.rows(stations), cols)
            failures.append(_failure("link", ref, site_codes, base, after, covered, threshold))
    failures.sort(key=lambda f: (-len(f.sites_lost), -len(f.sites_cut), -f.minutes_added, f.kind, f.ref))
    return RobustnessResult(threshold, int(covered.sum()), len(site_codes), failures)


def _nearest_rows(matrix, sources: np.ndarray, cols: np.ndarray) -> np.ndarray:
    if len(sources) == 0:
        return np.full(len(cols), np.inf)
    return dijkstra(matrix, directed=True, indices=sources, min_only=True)[cols]


def _failure(
    kind: str, ref: str, codes: list[str], base: np.ndarray, after: np.ndarray, covered: np.ndarray, threshold: int
) -> Failure:
    lost = covered & ~(after <= threshold)
    finite = np.isfinite(after) & np.isfinite(base)
    added = float(np.sum(after[finite] - base[finite]))
    cut = np.isfinite(base) & ~np.isfinite(after)
    return Failure(kind, ref, _codes(codes, lost), added, _codes(codes, cut))


def _codes(codes: list[str], mask: np.ndarray) -> list[str]:
    return [c for c, x in zip(codes, mask, strict=True) if x]


def _links_on_fastest_paths(
    network: Network, stations: list[str], cols: np.ndarray
) -> dict[str, list[tuple[str, str]]]:
    """Links (by ref, with both directions) that lie on some site's fastest path."""
    idx = network.index
    _, pred, _ = dijkstra(
        idx.matrix, directed=True, indices=idx.rows(stations), min_only=True, return_predecessors=True
    )
    used: set[tuple[int, int]] = set()
    for c in cols:
        node = int(c)
        while pred[node] >= 0 and (int(pred[node]), node) not in used:
            used.add((int(pred[node]), node))
            node = int(pred[node])
    out: dict[str, list[tuple[str, str]]] = {}
    g = network.graph
    for u, v in used:
        a, b = idx.nodes[u], idx.nodes[v]
        ref = g.edges[a, b].get("ref") or f"{a}~{b}"
        if ref not in out:
            out[ref] = network.link_edges(ref) if ref else [(a, b)]
    return out
