"""N-1 robustness: what coverage is lost when one station or one link alone fails.

Everything starts from one multi-source Dijkstra: the forest of fastest paths from the stations
(:class:`~supply.core.graph_index.FastestForest`). Stations: dropping one changes only its own
catchment (its tree), recomputed from the other stations' boundary, so all N-1 station cases
together cost about one more Dijkstra.
Links: only a link on some site's fastest path can change coverage (any other link leaves
those paths intact), and its failure can only lengthen the paths of the nodes below it in the
fastest-path forest; so each such link recomputes that subtree alone
(:class:`~supply.core.graph_index.FastestForest`), and only the sites in it are compared. A link
is what closing it removes (:meth:`~supply.core.network.Network.link_edges`): a named street or
a segment, both directions, the same in N-1 as in ``--close``. Every name and road number of a
road on some fastest path is tried (:meth:`~supply.core.network.Network.link_names`: an OSM way's
``name`` and ``ref``, list values included), since closing "M 6098" may close segments no one of
its names covers; names that close the very same edges are one failure, the others listed in ``also``.

A failure's ``sites_cut`` are the sites reachable before and from no station after; its
``minutes_added`` is summed over the sites still reachable (a cut site adds no minutes: it is cut).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from supply.core.coverage import check_tiers, within
from supply.core.graph_index import FastestForest
from supply.core.network import Network


@dataclass(frozen=True)
class Failure:
    """The effect of one element failing."""

    kind: str  # station | link
    ref: str
    sites_lost: list[str]  # covered before, not after
    minutes_added: float  # summed over sites still reachable
    sites_cut: list[str]  # reachable before, unreachable from any station after
    also: list[str] = field(default_factory=list)  # other names of a link that close the same edges

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "ref": self.ref,
            "lost": len(self.sites_lost),
            "sites_lost": self.sites_lost,
            "minutes_added": round(self.minutes_added, 1),
            "cut": len(self.sites_cut),
            "sites_cut": self.sites_cut,
            "also": self.also,
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


#: ``progress(done, total)``, called as link failures are computed (a CLI draws a bar with it).
Progress = Callable[[int, int], None]


def robustness(
    network: Network,
    threshold: int = 60,
    *,
    tiers: list[str] | None = None,
    links: bool = True,
    progress: Progress | None = None,
) -> RobustnessResult:
    """Every single failure, ranked worst first: sites lost, then sites cut off, then minutes added."""
    idx = network.index
    stations = network.station_codes(check_tiers(tiers))
    site_codes = [s.code for s in network.scenario.sites]
    cols = idx.rows(site_codes)
    forest = idx.forest(stations) if stations else None
    base = forest.dist[cols] if forest is not None else np.full(len(cols), np.inf)
    covered = within(base, threshold)
    failures = []
    if forest is not None:
        forest.watch(cols)
        rows = idx.rows(stations).tolist()
        for code, (hit, new) in zip(stations, forest.remove_many(((), [r]) for r in rows), strict=True):
            after = base.copy()  # its catchment, recomputed from the other stations
            after[hit] = new
            failures.append(_failure("station", code, site_codes, base, after, covered, threshold))
        if links:
            failures += _link_failures(network, forest, site_codes, cols, threshold, progress)
    failures.sort(key=lambda f: (-len(f.sites_lost), -len(f.sites_cut), -f.minutes_added, f.kind, f.ref))
    return RobustnessResult(threshold, int(covered.sum()), len(site_codes), failures)


def _failure(
    kind: str, ref: str, codes: list[str], base: np.ndarray, after: np.ndarray, covered: np.ndarray, threshold: int
) -> Failure:
    lost = covered & ~within(after, threshold)
    finite = np.isfinite(after) & np.isfinite(base)
    added = float(np.sum(after[finite] - base[finite]))
    cut = np.isfinite(base) & ~np.isfinite(after)
    return Failure(kind, ref, _codes(codes, lost), added, _codes(codes, cut))


def _codes(codes: list[str], mask: np.ndarray) -> list[str]:
    return [c for c, x in zip(codes, mask, strict=True) if x]


def _link_failures(
    network: Network,
    forest: FastestForest,
    codes: list[str],
    cols: np.ndarray,
    threshold: int,
    progress: Progress | None,
) -> list[Failure]:
    """The failure of every link on some site's fastest path, each recomputing only the nodes below it."""
    idx = network.index
    base = forest.dist[cols]
    names: dict[str, None] = {}
    for u, v in forest.on_paths_to(cols):
        names.update(dict.fromkeys(network.link_names(idx.nodes[u], idx.nodes[v])))
    same: dict[frozenset[tuple[str, str]], list[str]] = {}  # names that close the same edges: one failure
    for name in names:
        same.setdefault(frozenset(network.link_edges(name)), []).append(name)
    refs = {group[0]: group[1:] for group in same.values()}
    out = []
    failures = (([(idx.position[a], idx.position[b]) for a, b in network.link_edges(ref)], ()) for ref in refs)
    for done, (ref, (hit, after)) in enumerate(zip(refs, forest.remove_many(failures), strict=True), 1):
        if len(hit):
            before = base[hit]
            lost = within(before, threshold) & ~within(after, threshold)
            finite = np.isfinite(after) & np.isfinite(before)
            cut = np.isfinite(before) & ~np.isfinite(after)
            picked = [codes[i] for i in hit.tolist()]
            added = float(np.sum(after[finite] - before[finite]))
            out.append(Failure("link", ref, _codes(picked, lost), added, _codes(picked, cut), refs[ref]))
        if progress is not None:
            progress(done, len(refs))
    return out
