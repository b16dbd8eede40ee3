"""Column generation for AssignmentGuidance: pricing against brute force, optima against highs and cpsat."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allotment.models import AssignmentGuidance, Dispatch, OptionError, SolverUnavailableError
from allotment.models.generators import random_guidance
from allotment.solvers import Status, solve
from allotment.solvers.guidance_colgen import (
    MAX_TABLE_ENTRIES, CoalitionPricer, agent_types, colgen_solve, objective_grain, table_entries)
from tests.conftest import assert_verified


@st.composite
def instances(draw, max_agents=6, max_consumers=3):
    m, n, r = draw(st.integers(1, max_agents)), draw(st.integers(1, max_consumers)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    unit = draw(st.sampled_from([1.0, 1.0, 0.5]))
    supply = rng.integers(0, 4, (m, r)) * unit
    demand = rng.integers(0, 7, (n, r)) * unit
    if draw(st.booleans()):                        # some agents carry nothing
        supply[rng.random(m) < 0.3] = 0.0
    if draw(st.booleans()):                        # some consumers need nothing
        demand[rng.random(n) < 0.4] = 0.0
    weight = rng.integers(0, 3, r) * draw(st.sampled_from([1.0, 0.5]))
    distance = rng.integers(0, 8, (m, n)).astype(float)
    alpha = draw(st.sampled_from([0.0, 0.3, 1.0]))
    return AssignmentGuidance(supply, demand, weight, distance=distance, alpha=alpha, one_sided=draw(st.booleans()))


def _cpsat(model):
    return solve(model, method="cpsat", options={"num_workers": 1})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_colgen_optimum_equals_highs_and_cpsat(model):
    result = solve(model, method="colgen")
    assert result.status is Status.OPTIMAL, result.message
    assert isinstance(result.answer, Dispatch)
    assert result.bound == result.objective
    for other in (solve(model, method="highs"), _cpsat(model)):
        assert other.status is Status.OPTIMAL
        assert_verified(model, result, expected=other.objective)


def _subsets(agents):
    for size in range(len(agents) + 1):
        yield from itertools.combinations(agents, size)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_agents=7, max_consumers=2), st.integers(0, 2**31 - 1))
def test_pricing_and_enumeration_match_brute_force(model, seed):
    """The DP's minimum and its enumerated columns equal a scan of every coalition in the ranges."""
    ints = model.integer_residuals()
    pi = -np.random.default_rng(seed).integers(0, 5, model.n_agents).astype(float)
    for j in range(model.n_consumers):
        p = CoalitionPricer(model, j)
        W, c = p.tables(pi)
        priced = {}
        for S in _subsets(p.agents.tolist()):
            members = np.array(S, dtype=np.int64)
            r = ints.demand[j] - ints.supply[members].sum(axis=0)
            shortfall = np.maximum(r, 0) if model.one_sided else r
            w = ints.weight > 0
            if np.any((shortfall < ints.lo[j]) & w) or np.any((shortfall > ints.hi[j]) & w):
                continue                                    # outside the residual ranges
            value = model.check(np.where(np.isin(np.arange(model.n_agents), members), j, -1)).objective
            others = model.mismatch(model.demand) @ model.weight
            cost = value - (others.sum() - others[j])         # this consumer's column cost
            priced[S] = cost - pi[members].sum()
        assert priced, "the heuristic's own column always lies in the ranges"
        best = min(priced.values())
        assert float(W[0, 0]) == pytest.approx(best, abs=1e-9)
        limit = best + 2.5 + 1e-7
        member, state = p.columns(W, c, limit)
        found = {tuple(p.agents[row].tolist()) for row in member}
        assert found == {S for S, v in priced.items() if v <= limit + 1e-9}
        costs = p.column_costs(member, state)
        for row, cost in zip(member, costs):
            S = tuple(p.agents[row].tolist())
            assert cost - pi[list(S)].sum() == pytest.approx(priced[S], abs=1e-9)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_agents=5), st.integers(0, 2**31 - 1))
def test_lagrangian_bound_never_exceeds_the_optimum(model, seed):
    pi = -np.random.default_rng(seed).random(model.n_agents) * 4
    bound = pi.sum() + sum(float(CoalitionPricer(model, j).tables(pi)[0][0, 0]) for j in range(model.n_consumers))
    optimum = solve(model, method="highs").objective
    assert bound <= optimum + 1e-9


def test_euclidean_distances_use_a_relative_tolerance():
    """Irrational travel costs: no objective grain, still proven optimal and equal to HiGHS."""
    g = random_guidance(12, 4, seed=3, alpha=0.7)
    assert objective_grain(g) is None
    result = solve(g, method="colgen")
    assert result.status is Status.OPTIMAL
    assert_verified(g, result, expected=solve(g, method="highs").objective)


def test_larger_instance_agrees_with_highs():
    g = random_guidance(24, 6, seed=5, alpha=0.0)
    rounded = AssignmentGuidance(g.supply, g.demand, [1.0, 2.0, 0.5], distance=np.round(g.distance, 1), alpha=0.3)
    assert objective_grain(rounded) == pytest.approx(0.01)
    result = solve(rounded, method="colgen")
    assert result.status is Status.OPTIMAL and result.info["rounds"] >= 1
    assert_verified(rounded, result, expected=solve(rounded, method="highs").objective)


def test_a_column_cap_gives_an_honest_feasible_answer():
    g = random_guidance(16, 5, seed=2)
    exact = solve(g, method="highs").objective
    result = colgen_solve(g, max_columns=1, warm=False, beam=1)
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert_verified(g, result)
    assert result.bound <= exact + 1e-9 <= result.objective + 2e-9
    if result.status is Status.FEASIBLE:
        assert "columns within the gap" in result.message


def test_time_limit_is_honoured_and_never_claims_more():
    g = random_guidance(60, 15, seed=1)
    result = solve(g, method="colgen", time_limit=0.05)
    assert result.runtime < 2.0
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert_verified(g, result)
    assert result.bound is None or result.bound <= result.objective + 1e-9


def test_non_decimal_data_is_refused():
    g = AssignmentGuidance([[1 / 3], [2 / 3]], [[1.0]], distance=[[1.0], [1.0]])
    with pytest.raises(SolverUnavailableError, match="must be decimals"):
        solve(g, method="colgen")


def test_options_are_checked():
    g = AssignmentGuidance([[1], [2]], [[3]], distance=[[1.0], [1.0]])
    with pytest.raises(OptionError, match="no option `gap`"):
        solve(g, method="colgen", options={"gap": 0.1})
    with pytest.raises(OptionError, match="`beam` must be a positive whole number"):
        solve(g, method="colgen", options={"beam": 0})
    with pytest.raises(OptionError, match="`warm` must be true or false"):
        solve(g, method="colgen", options={"warm": "yes"})
    with pytest.raises(SolverUnavailableError, match="does not solve"):
        from allotment.models import LinearAssignment
        solve(LinearAssignment([[1.0]]), method="colgen")


def test_too_many_units_for_the_tables_are_refused():
    g = AssignmentGuidance(np.full((5, 3), 501.0), np.full((2, 3), 2000.0), distance=np.ones((5, 2)))
    assert table_entries(g) > MAX_TABLE_ENTRIES
    with pytest.raises(SolverUnavailableError, match="pricing tables would need .* use method='highs'"):
        solve(g, method="colgen")


def test_interchangeable_agents_price_one_column_per_multiset():
    """Copies of an agent form one type; canonical enumeration lists each multiset of types once."""
    supply = np.array([[1, 0], [1, 0], [1, 0], [0, 1], [0, 1]])
    g = AssignmentGuidance(supply, [[2, 1], [1, 1]], distance=np.zeros((5, 2)), alpha=0.0)
    types = agent_types(g)
    assert types.tolist() == [0, 0, 0, 1, 1]
    p = CoalitionPricer(g, 0, types=types)
    W, c = p.tables(np.zeros(5))
    all_cols, _ = p.columns(W, c, limit=100.0)
    canon, _ = p.columns(W, c, limit=100.0, canonical=True)
    multisets = {tuple(np.bincount(types[p.agents[row]], minlength=2)) for row in all_cols}
    assert len(canon) == len(multisets) < len(all_cols)
    assert {tuple(np.bincount(types[p.agents[row]], minlength=2)) for row in canon} == multisets


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**31 - 1), st.sampled_from([0.0, 0.5]), st.booleans())
def test_fleets_of_identical_agents_agree_with_highs(seed, alpha, one_sided):
    rng = np.random.default_rng(seed)
    kinds = rng.integers(0, 3, (3, 2))                   # three kinds of agent, several copies each
    pick = rng.integers(0, 3, 9)
    depots = rng.integers(0, 4, (3, 2))[pick]
    consumers = rng.integers(0, 4, (3, 2))
    distance = np.abs(depots[:, None, :] - consumers[None, :, :]).sum(axis=2).astype(float)
    g = AssignmentGuidance(kinds[pick], rng.integers(0, 6, (3, 2)), distance=distance, alpha=alpha,
                           one_sided=one_sided)
    result = solve(g, method="colgen")
    assert result.status is Status.OPTIMAL, result.message
    assert_verified(g, result, expected=solve(g, method="highs").objective)


def _fleet(m, n, seed):
    """The benchmark's instance family (benchmarks/guidance.py): integer points, rounded distances."""
    rng = np.random.default_rng(seed)
    agents, consumers = rng.integers(0, 101, (m, 2)), rng.integers(0, 101, (n, 2))
    distance = np.rint(np.sqrt(((agents[:, None, :] - consumers[None, :, :]) ** 2).sum(axis=2)))
    supply = rng.integers(0, 4, (m, 3))
    top = np.maximum(np.rint(2 * supply.sum(axis=0) / n), 1).astype(int)
    return AssignmentGuidance(supply, rng.integers(0, top + 1, (n, 3)), 1.0, distance=distance, alpha=0.1)


def test_the_gap_closing_proves_optima_the_bound_alone_does_not():
    closed = 0
    for seed in range(8, 12):
        g = _fleet(16, 5, seed)
        result = solve(g, method="colgen")
        assert result.status is Status.OPTIMAL
        assert_verified(g, result, expected=solve(g, method="highs").objective)
        closed += "enumerated" in result.info
        if "enumerated" in result.info:
            assert result.info["bound"] < result.objective - 0.05      # the LP bound alone was short
    assert closed >= 1
