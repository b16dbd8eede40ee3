"""ShareAllocation: every objective by every exact method, overload, infeasibility, errors, files."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allotment.models import InstanceError, ShareAllocation, load, save
from allotment.models.errors import SolverUnavailableError
from allotment.models.shares import SHARE_OBJECTIVES, affine_fill, mm1_latency
from allotment.solvers import Status, solve
from tests.conftest import assert_verified

REPO = Path(__file__).resolve().parents[2]

#: objective -> exact methods that must agree on it
EXACT = {
    "min_latency": ("closed_form", "cvxpy"),
    "max_throughput": ("closed_form", "highs", "cvxpy"),
    "demand_proportional": ("closed_form", "highs", "lp_sequence"),
    "max_min_fair": ("closed_form", "highs", "lp_sequence", "cvxpy"),
    "equal": ("closed_form", "highs", "lp_sequence"),
}


@st.composite
def share_instances(draw, objective=None):
    n = draw(st.integers(1, 6))
    mu = np.array(draw(st.lists(st.floats(0.5, 20.0).map(lambda v: round(v, 3)), min_size=n, max_size=n)))
    w = np.array(draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0]), min_size=n, max_size=n)))
    capacity = draw(st.sampled_from([1.0, 2.0, 10.0]))
    load = draw(st.sampled_from([0.3, 0.7, 0.95, 1.5]))  # sum(lambda/mu) / capacity, roughly
    u = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    lam = np.round(u / max(u.sum(), 1e-9) * mu * capacity * load, 4)
    lo = np.array(draw(st.lists(st.floats(0.0, 0.3).map(lambda v: round(v, 3)), min_size=n, max_size=n)))
    lo *= capacity / max(1.0, n * 0.3)
    caps = draw(st.lists(st.one_of(st.none(), st.floats(0.05, 1.0)), min_size=n, max_size=n))
    hi = np.array([np.inf if c is None else max(float(c) * capacity, lo[i]) for i, c in enumerate(caps)])
    obj = objective or draw(st.sampled_from(sorted(SHARE_OBJECTIVES)))
    return ShareAllocation(lam, mu, priority=w, min_share=lo, max_share=hi, capacity=capacity, objective=obj)


def _solve_all(model):
    results = {}
    for method in EXACT[model.objective]:
        results[method] = solve(model, method, time_limit=30)
    return results


@pytest.mark.parametrize("objective", sorted(SHARE_OBJECTIVES))
@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_exact_methods_agree_and_answers_check(objective, data):
    model = data.draw(share_instances(objective=objective))
    results = _solve_all(model)
    if model.objective == "min_latency" and model.overloaded:
        for method, r in results.items():
            assert r.status is Status.INFEASIBLE, (method, r.message)
            assert "overloaded" in r.message
        return
    first = results["closed_form"]
    assert first.status is Status.OPTIMAL
    report = assert_verified(model, first)
    for method, r in results.items():
        assert r.status is Status.OPTIMAL, (method, r.message)
        # interior-point and LP tolerances: compare at 1e-5 relative
        assert_verified(model, r, expected=report.objective, rel=1e-5)
    if model.objective in ("demand_proportional", "max_min_fair", "equal"):
        # the rule's shares are unique: every method returns the same vector, up to the
        # interior-point tolerance (a 1e-8 objective gap leaves shares about 1e-4 of capacity apart
        # where the rule's quadratic is flat: seen 2.3e-4 on a capacity of 10)
        for r in results.values():
            assert np.allclose(r.answer.shares, first.answer.shares, atol=1e-4 * max(1.0, model.capacity))


@settings(max_examples=15, deadline=None)
@given(share_instances(objective="min_latency"), st.integers(0, 2**31 - 1))
def test_min_latency_optimum_beats_random_feasible_moves(model, seed):
    if model.overloaded:
        return
    best = solve(model, "closed_form")
    g = best.answer.shares
    rng = np.random.default_rng(seed)
    lo, hi = model.min_share, model.upper_bounds()
    for _ in range(20):
        i, j = rng.choice(model.n_agents, 2) if model.n_agents > 1 else (0, 0)
        step = rng.uniform(0, 0.05) * model.capacity
        h = g.copy()
        h[i] += step
        h[j] -= step
        if np.all(h >= lo - 1e-12) and np.all(h <= hi + 1e-12) and model.check(h).feasible:
            assert model.objective_value(h) >= best.objective - 1e-9


def test_coordinator_case_by_hand():
    model = load(REPO / "instances" / "shares-coordinator.json")
    result = solve(model)
    assert result.method == "closed_form" and "auto picked" in result.message
    ans = result.answer
    assert ans.shares.sum() == pytest.approx(1.0)
    lam, mu = model.arrival_rate, model.service_rate
    assert np.allclose(ans.latency, 1 / (mu * ans.shares - lam))
    assert np.allclose(ans.utilization, lam / (mu * ans.shares))
    assert ans.mean_latency == pytest.approx((lam * ans.latency).sum() / lam.sum())
    assert not ans.overloaded and ans.unstable == []
    json.dumps(ans.to_dict())
    # the optimum is no worse than the rules on the same data
    for rule in ("equal", "demand_proportional", "max_min_fair"):
        other = ShareAllocation.from_data({**model.to_data(), "objective": rule})
        assert model.mean_latency(solve(other).answer.shares) >= result.objective - 1e-12


def test_rules_by_hand():
    m = ShareAllocation([1.0, 3.0, 0.0], [10.0, 10.0, 1.0], min_share=[0.0, 0.0, 0.1], objective="demand_proportional")
    assert np.allclose(solve(m).answer.shares, [0.225, 0.675, 0.1])  # agent without demand: its minimum
    m = ShareAllocation([1.0, 1.0], [1.0, 4.0], objective="max_min_fair")
    g = solve(m).answer.shares
    assert np.allclose(g, [0.8, 0.2]) and np.allclose(solve(m).answer.utilization, [1.25, 1.25])
    m = ShareAllocation([1.0, 1.0, 1.0], [5.0, 5.0, 5.0], min_share=[0.5, 0, 0], max_share=[1, 0.1, 1], objective="equal")
    assert np.allclose(solve(m).answer.shares, [0.5, 0.1, 0.4])
    m = ShareAllocation([1.0, 5.0], [2.0, 1.0], priority=[1.0, 1.0], objective="max_throughput")
    r = solve(m, "closed_form")
    assert r.objective == pytest.approx(2.0 * 0.5 + 1.0 * 0.5)
    assert solve(m, "highs").objective == pytest.approx(r.objective)


def test_overload_is_reported_not_raised():
    lam = np.array([6.0, 2.25, 1.8, 0.75]) * 2  # far beyond what the resource serves
    base = dict(service_rate=[20.0, 8.0, 12.0, 5.0], min_share=[0.2, 0.15, 0.1, 0.35])
    m = ShareAllocation(lam, objective="min_latency", **base)
    assert m.overloaded and m.load_factor > 1
    for method in ("closed_form", "cvxpy"):
        r = solve(m, method)
        assert r.status is Status.INFEASIBLE and "overloaded" in r.message
    eq = ShareAllocation(lam, objective="equal", **base)
    r = solve(eq)
    assert r.status is Status.OPTIMAL and r.answer.overloaded
    assert np.isinf(r.answer.mean_latency) and r.answer.unstable
    assert r.answer.to_dict()["mean_latency"] is None
    assert mm1_latency(np.array([1.0]), np.array([1.0]))[0] == np.inf


@pytest.mark.parametrize("objective", sorted(SHARE_OBJECTIVES))
def test_guarantees_above_capacity_are_infeasible_with_reason(objective):
    m = ShareAllocation([1.0, 1.0], [10.0, 10.0], min_share=[0.6, 0.5], objective=objective)
    methods = set(EXACT[objective]) | {"cvxpy"}
    for method in methods:
        r = solve(m, method)
        assert r.status is Status.INFEASIBLE, (method, r.status, r.message)
        assert "below the sum of the minimum shares" in r.message, (method, r.message)
        with pytest.raises(Exception, match="no answer"):
            r.require_answer()


def test_methods_refuse_what_they_cannot_do():
    m = ShareAllocation([1.0], [2.0], objective="min_latency")
    with pytest.raises(SolverUnavailableError, match="highs"):
        solve(m, "highs")
    with pytest.raises(SolverUnavailableError, match="lp_sequence"):
        solve(m, "lp_sequence")
    with pytest.raises(ValueError, match="cvxpy"):
        m.to_program()


def test_check_reports_violations():
    m = ShareAllocation([1.0, 1.0], [10.0, 10.0], min_share=[0.2, 0.0], max_share=[1.0, 0.5], objective="equal")
    assert m.check([0.5, 0.5]).feasible
    assert "below its minimum" in m.check([0.1, 0.5]).violations[0]
    assert "exceeds its cap" in m.check([0.3, 0.7]).violations[0]
    assert "hands out" in m.check([0.3, 0.3]).violations[0]
    assert not m.check([0.5]).feasible and not m.check("x").feasible and not m.check([np.nan, 0.5]).feasible
    lat = ShareAllocation([1.0, 1.0], [10.0, 10.0], objective="min_latency")
    assert lat.check([0.3, 0.3]).feasible  # leaving capacity idle is allowed, just not optimal
    assert "above the capacity" in lat.check([0.6, 0.6]).violations[0]


@pytest.mark.parametrize("kwargs, match", [
    ({"arrival_rate": [1, -1], "service_rate": [1, 1]}, r"`arrival_rate\[1\]` must be non-negative"),
    ({"arrival_rate": [], "service_rate": []}, r"`arrival_rate` must have at least one agent"),
    ({"arrival_rate": [1, 1], "service_rate": [1, 0]}, r"`service_rate\[1\]` must be positive"),
    ({"arrival_rate": [1, 1], "service_rate": [1]}, r"`service_rate` must have shape \(n_agents,\) = \(2,\)"),
    ({"arrival_rate": [1, 1], "service_rate": [1, 1], "min_share": [0.5, 0.5], "max_share": [1, 0.2]},
     r"`max_share\[1\]` must be at least `min_share\[1\]`"),
    ({"arrival_rate": [1], "service_rate": [1], "capacity": 0}, r"`capacity` must be a positive finite"),
    ({"arrival_rate": [1], "service_rate": [1], "capacity": np.inf}, r"`capacity` must be a positive finite"),
    ({"arrival_rate": [1], "service_rate": [1], "objective": "fastest"}, r"`objective` must be one of"),
    ({"arrival_rate": [1], "service_rate": [1], "priority": [np.nan]}, r"`priority\[0\]` must not be NaN"),
    ({"arrival_rate": [[1]], "service_rate": [1]}, r"`arrival_rate` must have 1 dimension"),
])
def test_bad_input_names_the_place(kwargs, match):
    with pytest.raises(InstanceError, match=match):
        ShareAllocation(**kwargs)


def test_affine_fill_edges():
    lo, hi = np.array([0.0, 0.0]), np.array([0.2, 0.3])
    assert np.allclose(affine_fill(np.zeros(2), np.ones(2), lo, hi, 1.0), [0.2, 0.3])  # everyone capped
    assert np.allclose(affine_fill(np.zeros(2), np.zeros(2), lo + 0.1, hi, 1.0), [0.1, 0.1])  # nobody grows
    assert np.allclose(affine_fill(np.zeros(2), np.array([1.0, 3.0]), lo, np.full(2, np.inf), 2.0), [0.5, 1.5])


def test_files_roundtrip(tmp_path):
    m = ShareAllocation([1.0, 2.0], [3.0, 4.0], max_share=[None, 0.7], objective="max_min_fair", agent_ids=["a", "b"])
    path = tmp_path / "s.json"
    save(m, path)
    back = load(path)
    assert back.objective == "max_min_fair" and np.isinf(back.max_share[0]) and back.max_share[1] == 0.7
    assert back.agent_ids == ("a", "b")


def test_shipped_instances_solve():
    files = sorted((REPO / "instances").glob("shares-*.json"))
    assert len(files) >= 2
    for path in files:
        model = load(path)
        assert isinstance(model, ShareAllocation)
        for method in EXACT[model.objective]:
            assert_verified(model, solve(model, method), expected=solve(model).objective, rel=1e-5)
