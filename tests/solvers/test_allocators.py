"""Market allocators: sequential single-item auctions, CBBA, contract net."""
from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allotment.models import GeneralizedAssignment, LinearAssignment, OptionError
from allotment.solvers import Status, solve
from allotment.solvers.allocators import (AdditiveScore, TimeDiscountedReward, cbba, cbba_bundles, contract_net,
                                          market_of, sequential_auction)
from allotment.solvers.api import methods_for, pick_method
from allotment.solvers.backend import get_backend
from tests.conftest import assert_verified

METHODS = ["ssi", "cbba", "contract_net"]


def random_gap(seed: int, m: int = 4, n: int = 10, sense: str = "min", slack: float = 1.6, penalty=None):
    rng = np.random.default_rng(seed)
    cost = rng.integers(1, 50, size=(m, n)).astype(float)
    weight = rng.integers(1, 10, size=(m, n)).astype(float)
    capacity = np.full(m, weight.mean() * n / m * slack)
    return GeneralizedAssignment(cost, weight, capacity, sense=sense, unassigned_penalty=penalty)


def random_graph(seed: int, m: int, kind: str) -> nx.Graph:
    if kind == "line":
        return nx.path_graph(m)
    if kind == "star":
        return nx.star_graph(m - 1)
    if kind == "ring":
        return nx.cycle_graph(m)
    g = nx.gnp_random_graph(m, 0.4, seed=seed)
    g.add_edges_from(zip(range(m - 1), range(1, m)))  # make it connected
    return g


# ------------------------------------------------------------ registration
def test_methods_registered_as_heuristics():
    lap = LinearAssignment([[4, 1], [2, 3]])
    for name in METHODS:
        b = get_backend(name)
        assert b.auto_priority is None and b.exact is False
        assert name in [x.name for x in methods_for(lap)]
    assert pick_method(lap).name not in METHODS


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("model", [
    LinearAssignment([[4, 1, 3], [2, 0, 5], [3, 2, 2]]),
    LinearAssignment([[4, 1, 3], [2, 0, 5]], sense="max"),            # more tasks than agents
    LinearAssignment([[4, 1], [2, 0], [3, 3]]),                       # more agents than tasks
    LinearAssignment([[1, 4], [2, 3]], allowed=[[True, True], [False, True]]),
    random_gap(1), random_gap(2, sense="max"), random_gap(3, penalty=20.0), random_gap(4, sense="max", penalty=5.0),
])
def test_answers_pass_the_models_check(method, model):
    r = solve(model, method=method)
    assert r.status is Status.FEASIBLE, r.message
    assert_verified(model, r)
    opt = solve(model, method="highs")
    assert not model.better(r.objective, opt.objective)  # never better than the optimum


def test_multiresource_assignment_if_present():
    mr = pytest.importorskip("allotment.models.multiresource")
    rng = np.random.default_rng(0)
    m, n, k = 3, 8, 2
    model = mr.MultiResourceAssignment(cost=rng.integers(1, 30, (m, n)), demand=rng.integers(1, 5, (m, n, k)),
                                       capacity=np.full((m, k), 12.0))
    for method in METHODS:
        r = solve(model, method=method)
        assert r.status is Status.FEASIBLE, r.message
        assert_verified(model, r)


def test_market_scores():
    mk = market_of(GeneralizedAssignment([[1, 5]], [[1, 1]], [2]))
    assert mk.score.tolist() == [[5.0, 1.0]] and not mk.optional
    mk = market_of(GeneralizedAssignment([[1, 5]], [[1, 1]], [2], unassigned_penalty=3))
    assert mk.score.tolist() == [[2.0, -2.0]] and mk.optional
    with pytest.raises(ValueError, match="assignment-style model"):
        market_of(object())


def test_penalty_leaves_unprofitable_task_open():
    gap = GeneralizedAssignment([[1, 50]], [[1, 1]], [5], unassigned_penalty=10)
    for method in METHODS:
        r = solve(gap, method=method)
        assert r.answer.assignment.tolist() == [0, -1]
        assert_verified(gap, r, expected=1 + 10)


def test_infeasible_market_is_an_error_not_a_wrong_answer():
    gap = GeneralizedAssignment([[1, 2, 3]], [[2, 2, 2]], [4])  # only two tasks fit
    for method in METHODS:
        r = solve(gap, method=method)
        assert r.status is Status.ERROR and r.answer is None
        assert "unassigned" in r.message
        assert (r.info["partial_assignment"] >= 0).sum() == 2
    # Greedy myopia: a full matching exists (a0-t0, a1-t1) but agent 1 grabs task 0 first.
    lap = LinearAssignment([[4, 1], [2, 3]], allowed=[[True, False], [True, True]])
    assert solve(lap, method="lsa").objective == 7
    for method in METHODS:
        r = solve(lap, method=method)
        assert r.status is Status.ERROR and "full matching" in r.message


# ------------------------------------------------------------------ CBBA
@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 6), st.sampled_from(["line", "star", "ring", "random"]),
       st.sampled_from(["lap", "gap"]))
def test_cbba_conflict_free_and_equal_to_sequential_greedy(seed, m, kind, family):
    rng = np.random.default_rng(seed)
    if family == "lap":
        model = LinearAssignment(rng.random((m, m + 2)), sense="max")
    else:
        model = random_gap(seed, m=m, n=3 * m, slack=2.0, sense=str(rng.choice(["min", "max"])))
    r = cbba(model, graph=random_graph(seed, m, kind))
    assert r.info["conflict_free"] and r.info["converged"] and r.info["agreed"]
    # On a connected graph CBBA reproduces the centralised sequential greedy assignment.
    greedy = sequential_auction(model)
    if greedy.ok:
        assert r.ok
        assert r.answer.assignment.tolist() == greedy.answer.assignment.tolist()
        assert_verified(model, r)


def test_cbba_half_of_optimum_on_random_profits():
    # Choi et al.: with diminishing marginal gains CBBA scores at least 50% of the optimum.
    worst = 1.0
    for seed in range(12):
        rng = np.random.default_rng(seed)
        m = int(rng.integers(3, 9))
        lap = LinearAssignment(rng.random((m, m + 3)), sense="max")
        r = cbba(lap, graph=random_graph(seed, m, "random"))
        opt = solve(lap, method="lsa")
        worst = min(worst, r.objective / opt.objective)
    assert 0.5 <= worst <= 1.0


def test_cbba_accepts_agent_ids_in_the_graph_and_options():
    lap = LinearAssignment([[4, 1], [2, 3]], agent_ids=["a", "b"])
    g = nx.Graph([("a", "b")])
    r = solve(lap, method="cbba", options={"graph": g, "max_rounds": 50})
    assert_verified(lap, r, expected=3.0)
    with pytest.raises(OptionError, match="takes options"):
        solve(lap, method="cbba", options={"grap": g})
    with pytest.raises(ValueError, match="`graph` must have the 2 agents as nodes"):
        cbba(lap, graph=nx.path_graph(3))
    with pytest.raises(ValueError, match="`graph` must be a networkx Graph"):
        cbba(lap, graph=[(0, 1)])
    with pytest.raises(ValueError, match="`max_rounds` must be a positive"):
        cbba(lap, max_rounds=0)


def test_cbba_disconnected_graph_conflict_is_reported():
    lap = LinearAssignment([[1.0], [1.0]], sense="max")  # both agents want the only task
    g = nx.empty_graph(2)
    r = cbba(lap, graph=g)
    assert r.status is Status.ERROR and not r.info["conflict_free"]
    assert "two bundles" in r.message


def test_cbba_time_discounted_path_scores():
    rng = np.random.default_rng(3)
    m, n = 4, 12
    score = TimeDiscountedReward(rng.random((m, 2)) * 10, rng.random((n, 2)) * 10, reward=rng.uniform(1, 2, n),
                                 discount=0.9, bundle_limit=4)
    for kind in ("line", "star", "random"):
        out = cbba_bundles(score, random_graph(1, m, kind))
        assert out.converged and out.conflict_free and out.agreed
        assert all(len(b) <= 4 for b in out.bundles)
        assert sorted(sum(out.bundles, [])) == sorted(set(sum(out.bundles, [])))
        for i in range(m):  # paths hold the bundle's tasks, in the best insertion order
            assert sorted(out.paths[i]) == sorted(out.bundles[i])
            assert out.scores[i] == pytest.approx(score.path_score(i, out.paths[i]))
        assert out.total_score > 0


def test_time_discounted_marginals_match_path_scores():
    rng = np.random.default_rng(0)
    score = TimeDiscountedReward([[0, 0]], rng.random((5, 2)) * 5, reward=np.ones(5), discount=0.8, duration=0.5)
    path = [3, 1]
    gain, pos = score.marginals(0, path)
    base = score.path_score(0, path)
    for j in (0, 2, 4):
        best = max(score.path_score(0, path[:l] + [j] + path[l:]) - base for l in range(len(path) + 1))
        assert gain[j] == pytest.approx(best)
        assert score.path_score(0, path[:pos[j]] + [j] + path[pos[j]:]) - base == pytest.approx(best)
    assert np.isneginf(gain[path]).all()


def test_additive_score_respects_capacity():
    mk = market_of(GeneralizedAssignment([[1, 2, 3]], [[2, 2, 2]], [4]))
    gain, _ = AdditiveScore(mk).marginals(0, [0, 1])
    assert np.isneginf(gain).all()


# ------------------------------------------------------------ contract net
def test_contract_net_eligibility_and_order():
    gap = GeneralizedAssignment([[1, 1, 1], [2, 2, 2]], [[1, 1, 1], [1, 1, 1]], [3, 3])
    assert contract_net(gap).answer.assignment.tolist() == [0, 0, 0]
    elig = np.array([[True, False, True], [True, True, True]])
    r = contract_net(gap, eligible=elig)
    assert r.answer.assignment.tolist() == [0, 1, 0]
    r2 = contract_net(gap, eligible=lambda i, j: not (i == 0 and j == 1))
    assert r2.answer.assignment.tolist() == [0, 1, 0]
    # Announcement order matters once capacity binds.
    tight = GeneralizedAssignment([[1, 5], [4, 9]], [[1, 1], [1, 1]], [1, 1])
    assert contract_net(tight, order=[0, 1]).objective == 1 + 9
    assert contract_net(tight, order=[1, 0]).objective == 5 + 4
    a = contract_net(random_gap(7), seed=11).answer.assignment
    b = contract_net(random_gap(7), seed=11).answer.assignment
    assert a.tolist() == b.tolist()  # same seed, same answer
    with pytest.raises(ValueError, match="`eligible` must be a bool array"):
        contract_net(gap, eligible=np.ones((3, 3), dtype=bool))
    with pytest.raises(ValueError, match="`order` must be a permutation"):
        contract_net(gap, order=[0, 0, 1])


@pytest.mark.parametrize("method", METHODS)
def test_time_limit_is_honoured(method):
    big = random_gap(0, m=30, n=600, slack=1.5)
    r = solve(big, method=method, time_limit=0.05)
    assert r.runtime < 2.0
    assert r.status in (Status.FEASIBLE, Status.TIME_LIMIT)
    if r.ok:
        assert_verified(big, r)
    with pytest.raises(ValueError, match="`time_limit` must be a positive"):
        sequential_auction(big, time_limit=-1)
