"""Where should the next support points go? The maximal covering location problem (MCLP).

Given the stations already in service, candidate places and a threshold T, choose ``k``
candidates that maximise the number of sites covered within T by old or new stations:

    max Σ_i y_i   s.t.  y_i ≤ Σ_{j ∈ N_i} x_j  (sites not already covered),
                        Σ_j x_j = k,  x, y ∈ {0, 1}

where N_i are the candidates reaching site i within T. :func:`greedy_mclp` is the classic
greedy heuristic (a (1 − 1/e) approximation); :func:`exact_mclp` solves the integer program
with HiGHS through ``scipy.optimize.milp``, so every answer reports its gap to the optimum.
Neither pads its answer: with Σ x_j ≤ k and a penalty ε Σ x_j (ε < 1/k, so never worth a
site) the optimum uses the fewest candidates that reach it, and greedy stops when no
candidate adds a site. :func:`site_new_points` is the network-level entry point (candidates
deduplicated, existing stations refused, ``k`` capped at the candidates); the solvers take a
plain matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from supply.core.coverage import within
from supply.core.errors import InvalidArgumentError
from supply.core.network import Network


@dataclass(frozen=True)
class SitingResult:
    threshold: int
    k: int  # new points sought: the number asked for, capped at the candidates
    k_asked: int
    covered_before: int
    sites: int
    chosen: list[str]
    covered: int
    newly_covered: list[str]
    optimum: int | None  # exact optimum, when solved
    optimal_choice: list[str] | None
    candidates: int = 0

    @property
    def notes(self) -> list[str]:
        """What the answer should be read with: a capped ``k``, picks fewer than ``k``."""
        out = []
        if self.k < self.k_asked:
            out.append(f"only {self.k} candidate(s): {self.k_asked} new points asked, {self.k} sought")
        if not self.chosen:
            out.append("no candidate covers a site not covered already")
        elif len(self.chosen) < self.k:
            out.append(f"{len(self.chosen)} new point(s) suffice: no other candidate covers another site")
        return out

    @property
    def gap(self) -> int | None:
        return None if self.optimum is None else self.optimum - self.covered

    def as_dict(self) -> dict:
        return {
            "threshold": self.threshold,
            "k": self.k,
            "k_asked": self.k_asked,
            "candidates": self.candidates,
            "sites": self.sites,
            "covered_before": self.covered_before,
            "chosen": self.chosen,
            "covered": self.covered,
            "newly_covered": self.newly_covered,
            "optimum": self.optimum,
            "optimal_choice": self.optimal_choice,
            "gap": self.gap,
            "notes": self.notes,
        }


def greedy_mclp(reach: np.ndarray, already: np.ndarray, k: int) -> list[int]:
    """Greedy MCLP on a boolean ``candidates × sites`` reach matrix; candidate rows, none that adds nothing."""
    covered = already.copy()
    chosen: list[int] = []
    for _ in range(min(k, reach.shape[0])):
        gains = (reach & ~covered).sum(axis=1)
        gains[chosen] = -1
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        chosen.append(best)
        covered |= reach[best]
    return chosen


def exact_mclp(reach: np.ndarray, already: np.ndarray, k: int) -> list[int]:
    """Optimal MCLP by mixed-integer programming (HiGHS via ``scipy.optimize.milp``), fewest candidates."""
    n_c = reach.shape[0]
    k = min(k, n_c)
    open_sites = np.flatnonzero(~already & reach.any(axis=0))
    n_y = len(open_sites)
    if n_y == 0 or k == 0:
        return []
    # variables: x_0..x_{n_c-1}, y_0..y_{n_y-1}; maximise Σy − εΣx → minimise εΣx − Σy
    eps = 0.5 / (k + 1)
    c = np.concatenate([np.full(n_c, eps), -np.ones(n_y)])
    link = np.hstack([-reach[:, open_sites].T.astype(float), np.eye(n_y)])  # y_i − Σ x_j ≤ 0
    card = np.concatenate([np.ones(n_c), np.zeros(n_y)])[None, :]
    res = milp(
        c,
        constraints=[LinearConstraint(link, -np.inf, 0), LinearConstraint(card, 0, k)],
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
    """Choose up to ``k`` new support points among ``candidates`` (default: every site and junction).

    Candidates are deduplicated; an existing station as a candidate is an error (it is already
    there); ``k`` is capped at the number of candidates and the result says so.
    """
    if k < 1:
        raise InvalidArgumentError(f"--add: expected a number of new points ≥ 1, got {k}")
    sc = network.scenario
    site_codes = [s.code for s in sc.sites]
    if candidates is None:
        candidates = [p.code for p in (*sc.sites, *sc.junctions)]
    else:
        candidates = list(dict.fromkeys(c.strip() for c in candidates if c.strip()))
        for code in candidates:
            sc.place(code)  # unknown → UnknownCodeError with suggestions
        existing = {s.code for s in sc.stations}
        if taken := [c for c in candidates if c in existing]:
            are = "is already a station" if len(taken) == 1 else "are already stations"
            msg = f"--candidates: {', '.join(taken)} {are}; candidates are places without one"
            raise InvalidArgumentError(msg)
    if not candidates:
        raise InvalidArgumentError("no candidate places to site new points at")
    k_asked, k = k, min(k, len(candidates))
    idx = network.index
    stations = network.station_codes()
    before, _ = idx.nearest(stations, site_codes)
    already = within(before, threshold)
    reach = within(idx.table(list(candidates), site_codes), threshold)
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
        k_asked=k_asked,
        covered_before=int(already.sum()),
        sites=len(site_codes),
        chosen=[candidates[j] for j in chosen],
        covered=int(covered.sum()),
        newly_covered=[c for c, a, n in zip(site_codes, already, covered, strict=True) if n and not a],
        optimum=optimum,
        optimal_choice=optimal,
        candidates=len(candidates),
    )
