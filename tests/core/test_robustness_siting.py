"""N-1 robustness and MCLP siting, checked by hand and against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from supply.core.coverage import coverage
from supply.core.errors import InvalidArgumentError, UnknownCodeError
from supply.core.network import Disruptions, build_network
from supply.core.robustness import robustness
from supply.core.scenario import load_scenario
from supply.core.siting import exact_mclp, greedy_mclp, site_new_points


@pytest.fixture
def net(tiny_path):
    return build_network(load_scenario(tiny_path))


def test_n1_by_hand(net):
    result = robustness(net, 30)
    lost = {(f.kind, f.ref): f.sites_lost for f in result.failures}
    assert result.covered_before == 3
    assert lost[("station", "P")] == ["S-REG"]  # next best: H at 50
    assert lost[("station", "W")] == ["SEA1"]  # next best: H at 45
    assert lost[("station", "H")] == ["S-CITY"]  # next best: W at 35
    assert lost[("link", "W~SEA1")] == ["SEA1"]  # the only way to sea
    cut = {(f.kind, f.ref): f.sites_cut for f in result.failures}
    assert cut[("link", "W~SEA1")] == ["SEA1"] and cut[("station", "W")] == []
    assert lost[("link", "H~S-CITY")] == ["S-CITY"]
    assert ("link", "H~P") not in lost  # on no site's fastest path: cannot matter
    counts = [len(f.sites_lost) for f in result.failures]
    assert counts == sorted(counts, reverse=True)


def test_n1_matches_recomputing_every_failure(net):
    """Each reported failure equals a full recomputation with that element removed."""
    result = robustness(net, 30)
    base = {s.code for s in coverage(net, (30,)).covered(30)}
    for f in result.failures:
        d = Disruptions(offline=(f.ref,)) if f.kind == "station" else Disruptions(close=(f.ref,))
        after = {s.code for s in coverage(net.disrupted(d), (30,)).covered(30)}
        assert sorted(base - after) == sorted(f.sites_lost), f
    for ref, _, _ in net.links():
        if ref not in {f.ref for f in result.failures}:
            after = {s.code for s in coverage(net.disrupted(Disruptions(close=(ref,))), (30,)).covered(30)}
            assert after == base, ref


def brute_force(reach, already, k):
    best = -1
    for combo in itertools.combinations(range(reach.shape[0]), k):
        best = max(best, int((already | reach[list(combo)].any(axis=0)).sum()))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_exact_equals_brute_force_and_greedy_within_bound(seed):
    rng = np.random.default_rng(seed)
    n_c, n_s, k = rng.integers(4, 9), rng.integers(8, 25), rng.integers(1, 4)
    reach = rng.random((n_c, n_s)) < 0.25
    already = rng.random(n_s) < 0.2
    opt = brute_force(reach, already, k)
    exact = exact_mclp(reach, already, k)
    assert len(exact) <= min(k, n_c)
    assert int((already | reach[exact].any(axis=0)).sum()) == opt
    for j in exact:  # never padded: every pick covers a site no other pick does
        rest = [i for i in exact if i != j]
        assert int((already | reach[rest].any(axis=0)).sum()) < opt
    greedy = greedy_mclp(reach, already, k)
    got = int((already | reach[greedy].any(axis=0)).sum())
    gained, best_gain = got - already.sum(), opt - already.sum()
    assert got <= opt and gained >= (1 - 1 / np.e) * best_gain - 1e-9


def test_greedy_can_miss_and_the_gap_is_reported():
    # classic trap: one big set overlaps two disjoint sets that together cover more
    reach = np.array([[0, 1, 1, 1, 1, 0], [1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]], dtype=bool)
    already = np.zeros(6, dtype=bool)
    assert greedy_mclp(reach, already, 2) == [0, 1]  # 4, then 1 more: 5
    assert exact_mclp(reach, already, 2) == [1, 2]  # 3 + 3: 6


def test_site_new_points_on_network(net):
    cut = net.disrupted(Disruptions(offline=("P", "W")))
    result = site_new_points(cut, 1, 30)
    assert result.covered_before == 1  # only S-CITY from H
    assert result.chosen in (["S-REG"], ["SEA1"])
    assert result.covered == result.optimum == 2 and result.gap == 0
    assert result.as_dict()["newly_covered"]
    with pytest.raises(InvalidArgumentError, match="--add"):
        site_new_points(net, 0)
    with pytest.raises(UnknownCodeError, match="unknown station or site 'NOPE'"):
        site_new_points(net, 1, candidates=["NOPE"])


def test_siting_input_is_cleaned_and_never_padded(net):
    """Tiny network: candidates given twice, a station offered, k beyond the candidates."""
    with pytest.raises(InvalidArgumentError, match=r"--candidates: H, W are already stations"):
        site_new_points(net, 1, candidates=["S-REG", "H", "W"])
    cut = net.disrupted(Disruptions(offline=("P", "W")))
    result = site_new_points(cut, 50, 30, candidates=["S-REG", "S-REG", "SEA1", "S-CITY"])
    assert (result.k_asked, result.k, result.candidates) == (50, 3, 3)  # deduplicated, then capped
    assert result.optimum == 3 and sorted(result.optimal_choice) == ["S-REG", "SEA1"]  # S-CITY adds nothing
    assert sorted(result.chosen) == ["S-REG", "SEA1"]
    d = result.as_dict()
    assert d["k"] == 3 and d["k_asked"] == 50
    assert d["notes"] == [
        "only 3 candidate(s): 50 new points asked, 3 sought",
        "2 new point(s) suffice: no other candidate covers another site",
    ]


def test_exact_and_greedy_pick_nothing_when_nothing_is_left_to_cover():
    reach = np.array([[1, 0], [0, 1]], dtype=bool)
    assert exact_mclp(reach, np.ones(2, dtype=bool), 2) == [] == greedy_mclp(reach, np.ones(2, dtype=bool), 2)
