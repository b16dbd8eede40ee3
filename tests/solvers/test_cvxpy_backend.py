"""cvxpy backend: Programs (LP, QP, MILP) against HiGHS, model forms, statuses and options."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allotment.models import GeneralizedAssignment, LinearAssignment, OptionError, ShareAllocation
from allotment.solvers import Status, methods_for, solve
from allotment.solvers.cvxpy_backend import CvxpyForm, program_to_cvxpy, register_cvxpy_formulation
from tests.conftest import assert_verified


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["min", "max"]))
def test_milp_matches_highs(seed, sense):
    rng = np.random.default_rng(seed)
    m, n = 3, 6
    gap = GeneralizedAssignment(rng.integers(1, 20, (m, n)), rng.integers(1, 6, (m, n)), rng.integers(5, 12, m),
                                sense=sense, unassigned_penalty=25)
    ref = solve(gap, "highs")
    got = solve(gap, "cvxpy", time_limit=30)
    assert ref.status is Status.OPTIMAL and got.status is Status.OPTIMAL, got.message
    assert "SCIP" in got.message
    assert_verified(gap, got, expected=ref.objective)


@pytest.mark.parametrize("objective", ["max_throughput", "demand_proportional", "equal"])
def test_lp_and_qp_programs_match_highs(objective):
    rng = np.random.default_rng(11)
    model = ShareAllocation(rng.uniform(0.1, 2, 5), rng.uniform(2, 10, 5), priority=rng.uniform(0.5, 2, 5),
                            min_share=np.full(5, 0.05), objective=objective)
    ref, got = solve(model, "highs"), solve(model, "cvxpy")
    assert got.status is Status.OPTIMAL and "CLARABEL" in got.message
    assert_verified(model, got, expected=ref.objective, rel=1e-6)
    assert got.x is not None and got.x.shape == (model.to_program().n_cols,)


def test_convex_model_form_and_solver_choice():
    model = ShareAllocation([1.0, 3.0, 0.0], [10.0, 10.0, 4.0], min_share=[0, 0, 0.1], objective="min_latency")
    ref = solve(model, "closed_form")
    for solver in ("CLARABEL", "SCS"):
        got = solve(model, "cvxpy", options={"solver": solver, "eps": 1e-9} if solver == "SCS" else {"solver": solver})
        assert got.ok, got.message
        assert_verified(model, got, expected=ref.objective, rel=1e-4 if solver == "SCS" else 1e-6)
        assert got.x is None and got.answer.shares[2] == pytest.approx(0.1)
    assert "cvxpy" in [b.name for b in methods_for(model)]


def test_infeasible_and_unknown_solver():
    gap = GeneralizedAssignment([[1, 1]], [[3, 3]], [4])  # two tasks of weight 3 into capacity 4
    r = solve(gap, "cvxpy")
    assert r.status is Status.INFEASIBLE and r.answer is None
    with pytest.raises(OptionError, match="not installed"):
        solve(LinearAssignment([[1.0]]), "cvxpy", options={"solver": "NO_SUCH_SOLVER"})
    with pytest.raises(OptionError, match="takes no time limit"):
        solve(LinearAssignment([[1.0, 2.0]]), "cvxpy", time_limit=5, options={"solver": "GLOP"})


def test_time_limit_is_passed_and_status_honest():
    rng = np.random.default_rng(0)
    gap = GeneralizedAssignment(rng.integers(1, 100, (10, 60)), rng.integers(5, 25, (10, 60)), np.full(10, 90))
    r = solve(gap, "cvxpy", time_limit=1.0)
    assert r.runtime < 15
    if r.status is Status.OPTIMAL:
        assert_verified(gap, r, expected=solve(gap, "highs").objective)
    else:  # stopped by the limit: never called optimal, and an answer only with values
        assert r.status in (Status.FEASIBLE, Status.TIME_LIMIT)
        if r.ok:
            assert_verified(gap, r)


def test_registered_formulation_can_report_infeasible(monkeypatch):
    class Toy(LinearAssignment):
        pass

    monkeypatch.setattr("allotment.solvers.cvxpy_backend.CVXPY_FORMULATIONS", {})
    register_cvxpy_formulation(Toy, lambda model: CvxpyForm(None, infeasible="toy says no"))
    r = solve(Toy([[1.0]]), "cvxpy")
    assert r.status is Status.INFEASIBLE and r.message == "toy says no"


def test_program_translation_keeps_bounds_rows_and_integrality():
    lap = LinearAssignment([[4.0, 1.0], [2.0, 3.0]])
    problem, x = program_to_cvxpy(lap.to_program())
    problem.solve(solver="SCIP")
    assert problem.value == pytest.approx(3.0)
    assert np.allclose(np.round(x.value), x.value, atol=1e-6)
