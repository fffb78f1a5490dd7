"""Where should the next support points go? The maximal covering location problem (MCLP).

Given the stations already in service, candidate places and a threshold T, choose ``k``
candidates that maximise the number of sites covered within T by old or new stations:

    max Σ_i y_i   s.t.  y_i ≤ Σ_{j ∈ N_i} x_j  (sites not already covered),
                        Σ_j x_j = k,  x, y ∈ {0, 1}

where N_i are the candidates reaching site i within T. :func:`greedy_mclp` is the classic
greedy heuristic (a (1 − 1/e) approximation); :func:`exact_mclp` solves the integer program
with HiGHS through ``scipy.optimize.milp``, so every answer reports its gap to the optimum.
:func:`site_new_points` is the network-level entry point; the solvers take a plain matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from supply.core.errors import InvalidArgumentError
from supply.core.network import Network


@dataclass(frozen=True)
class SitingResult:
    threshold: int
    k: int
    covered_before: int
    sites: int
    chosen: list[str]
    covered: int
    newly_covered: list[str]
    optimum: int | None  # exact optimum, when solved
    optimal_choice: list[str] | None

    @property
    def gap(self) -> int | None:
        return None if self.optimum is None else self.optimum - self.covered

    def as_dict(self) -> dict:
        return {
            "threshold": self.threshold,
            "k": self.k,
            "sites": self.sites,
            "covered_before": self.covered_before,
            "chosen": self.chosen,
            "covered": self.covered,
            "newly_covered": self.newly_covered,
            "optimum": self.optimum,
            "optimal_choice": self.optimal_choice,
            "gap": self.gap,
        }


def greedy_mclp(reach: np.ndarray, already: np.ndarray, k: int) -> list[int]:
    """Greedy MCLP on a boolean ``candidates × sites`` reach matrix; returns candidate rows."""
    covered = already.copy()
    chosen: list[int] = []
    for _ in range(min(k, reach.shape[0])):
        gains = (reach & ~covered).sum(axis=1)
        gains[chosen] = -1
        best = int(np.argmax(gains))
        chosen.append(best)
        covered |= reach[best]
    return chosen


def exact_mclp(reach: np.ndarray, already: np.ndarray, k: int) -> list[int]:
    """Optimal MCLP by mixed-integer programming (HiGHS via ``scipy.optimize.milp``)."""
    n_c = reach.shape[0]
    k = min(k, n_c)
    open_sites = np.flatnonzero(~already & reach.any(axis=0))
    n_y = len(open_sites)
    if n_y == 0 or k == 0:
        return list(range(k))
    # variables: x_0..x_{n_c-1}, y_0..y_{n_y-1}; maximise Σy → minimise −Σy
    c = np.concatenate([np.zeros(n_c), -np.ones(n_y)])
    link = np.hstack([-reach[:, open_sites].T.astype(float), np.eye(n_y)])  # y_i − Σ x_j ≤ 0
    card = np.concatenate([np.ones(n_c), np.zeros(n_y)])[None, :]
    res = milp(
        c,
        constraints=[LinearConstraint(link, -np.inf, 0), LinearConstraint(card, k, k)],
        integrality=np.ones(n_c + n_y),
        bounds=Bounds(0, 1),
    )
    if res.x is None:  # pragma: no cover - HiGHS always solves this bounded feasible model
        msg = f"the siting model could not be solved: {res.message}"
        raise RuntimeError(msg)
    return sorted(int(j) for j in np.flatnonzero(res.x[:n_c] > 0.5))


def site_new_points(
    network: Network, k: int, threshold: int = 60, *, candidates: Sequence[str] | None = None, exact: bool = True
) -> SitingResult:
    """Choose ``k`` new support points among ``candidates`` (default: every site and junction)."""
    if k < 1:
        raise InvalidArgumentError(f"--add: expected a number of new points ≥ 1, got {k}")
    sc = network.scenario
    site_codes = [s.code for s in sc.sites]
    if candidates is None:
        candidates = [p.code for p in (*sc.sites, *sc.junctions)]
    else:
        for code in candidates:
            sc.place(code)  # unknown → UnknownCodeError with suggestions
    if not candidates:
        raise InvalidArgumentError("no candidate places to site new points at")
    idx = network.index
    stations = network.station_codes()
    before, _ = idx.nearest(stations, site_codes)
    already = before <= threshold
    reach = idx.table(list(candidates), site_codes) <= threshold
    chosen = greedy_mclp(reach, already, k)
    covered = already | reach[chosen].any(axis=0)
    optimum = optimal = None
    if exact:
        best = exact_mclp(reach, already, k)
        optimum = int((already | reach[best].any(axis=0)).sum())
        optimal = [candidates[j] for j in best]
    return SitingResult(
        threshold=threshold,
        k=k,
        covered_before=int(already.sum()),
        sites=len(site_codes),
        chosen=[candidates[j] for j in chosen],
        covered=int(covered.sum()),
        newly_covered=[c for c, a, n in zip(site_codes, already, covered, strict=True) if n and not a],
        optimum=optimum,
        optimal_choice=optimal,
    )
