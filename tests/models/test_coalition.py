"""CoalitionAllocation and Dispatch: validation, formulation, backends against brute force."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from allotment.models import CoalitionAllocation, Dispatch, InstanceError, SolverUnavailableError, load, save
from allotment.solvers import Status, solve
from tests.conftest import REPO, assert_verified

METHODS = ["highs", "cpsat", "scip"]


def brute_force(model) -> float:
    """Best objective over every agent -> consumer (or idle) vector."""
    return min(model.check(np.array(vec)).objective
               for vec in itertools.product(range(-1, model.n_consumers), repeat=model.n_agents))


@st.composite
def instances(draw, scale=(1.0, 0.5)):
    m, n, r = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    unit = draw(st.sampled_from(scale))
    supply = rng.integers(0, 5, (m, r)) * unit
    demand = rng.integers(0, 8, (n, r)) * unit
    penalty = rng.integers(0, 4, r) * draw(st.sampled_from([1.0, 0.25]))
    travel = rng.integers(-1, 6, (m, n)).astype(float)
    return CoalitionAllocation(supply, demand, penalty, travel)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_backends_agree_with_brute_force(model):
    best = brute_force(model)
    for method in METHODS:
        result = solve(model, method=method, options={"num_workers": 1} if method == "cpsat" else None)
        assert result.status is Status.OPTIMAL, (method, result.message)
        report = assert_verified(model, result, expected=best)
        assert np.allclose(result.answer.residual, model.demand - model.supplied(result.answer.assignment))
        assert np.allclose(report.details["unmet"], result.answer.unmet)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(scale=(1 / 3,)))
def test_non_decimal_data_on_lp_based_backends(model):
    """Thirds leave the shortfall continuous: HiGHS (presolve guarded) and SCIP stay exact."""
    assume(model.unit is None)                  # all-zero draws are whole numbers
    best = brute_force(model)
    for method in ("highs", "scip"):
        # A continuous shortfall sits within the solver's feasibility tolerance (1e-6 scaled).
        assert_verified(model, solve(model, method=method), expected=best, rel=1e-5)
    with pytest.raises(SolverUnavailableError, match="continuous variables"):
        solve(model, method="cpsat")


def test_decimal_data_count_shortfall_in_whole_units():
    ca = CoalitionAllocation([[0.5, 1.25]], [[1.0, 1.0]], [2.0, 1.0])
    assert ca.unit == 0.25
    prog = ca.to_program()
    s = prog.block("shortfall")
    assert prog.integrality[s.slice].all()
    assert prog.col_hi[s.slice].tolist() == [4.0, 4.0]
    assert prog.c[s.slice].tolist() == [0.5, 0.25]
    result = solve(ca, method="cpsat")
    assert_verified(ca, result, expected=2.0 * 0.5)     # the agent goes: 0.5 of resource 0 unmet


def test_coalitions_form_and_idle_agents_stay_home():
    # Consumer 0 needs (3, 1): agents 0 and 1 together; agent 2 serves consumer 1; agent 3 is useless.
    ca = CoalitionAllocation(supply=[[2, 0], [1, 1], [0, 2], [0, 0]], demand=[[3, 1], [0, 2]], penalty=[5, 5],
                             travel_cost=[[1, 1], [1, 1], [1, 1], [1, 1]], agent_ids=list("abcd"),
                             consumer_ids=["north", "south"])
    result = solve(ca)
    assert_verified(ca, result, expected=3.0)
    dispatch = result.answer
    assert dispatch.assignment.tolist() == [0, 0, 1, -1]
    assert dispatch.coalitions() == {"north": ["a", "b"], "south": ["c"]}
    assert dispatch.unmet.tolist() == [[0, 0], [0, 0]]
    assert dispatch.one_hot()[3].tolist() == [0, 0, 1]
    assert dispatch.to_dict()["coalitions"]["north"] == ["a", "b"]


def test_dispatch_reports_surplus_and_shortfall():
    d = Dispatch(np.array([0, 0]), np.array([[-2.0, 3.0]]))
    assert d.unmet.tolist() == [[0.0, 3.0]] and d.surplus.tolist() == [[2.0, 0.0]]
    assert d.coalitions() == {"0": ["0", "1"]}


def test_check_rejects_bad_vectors():
    ca = CoalitionAllocation([[1], [1]], [[1]], 1)
    assert ca.check([0, -1]).feasible
    for bad in ([0], [0, 1], [0.5, 0], ["a", 0]):
        assert not ca.check(bad).feasible
    with pytest.raises(InstanceError, match="`assignment`"):
        ca.dispatch([0, 3])


@pytest.mark.parametrize("args, kwargs, field", [
    (([[1, 2]], [[1]], 1), {}, "demand"),
    (([[1, 2]], [[1, 2]], [1, 2, 3]), {}, "penalty"),
    (([[1, 2]], [[1, 2]], 1, [[1, 2]]), {}, "travel_cost"),
    (([[1, -2]], [[1, 2]], 1), {}, "supply"),
    (([[1, 2]], [[1, np.inf]], 1), {}, "demand"),
    (([[1, 2]], [[1, 2]], -1), {}, "penalty"),
    (([[1, 2]], np.zeros((0, 2)), 1), {}, "demand"),
    (([[1, 2]], [[1, 2]], 1), {"consumer_ids": ["a", "b"]}, "consumer_ids"),
])
def test_bad_input_names_the_field(args, kwargs, field):
    with pytest.raises(InstanceError, match=f"`{field}"):
        CoalitionAllocation(*args, **kwargs)


def test_json_round_trip_and_shipped_instances(tmp_path):
    ca = CoalitionAllocation([[1, 2], [0, 1]], [[1, 2]], [1.5, 2], [[1], [2]], resource_ids=["fuel", "food"])
    save(ca, tmp_path / "c.json")
    assert load(tmp_path / "c.json").to_data() == ca.to_data()
    shipped = sorted((REPO / "instances").glob("coalition-*.json"))
    assert shipped
    for path in shipped:
        model = load(path)
        values = {m: assert_verified(model, solve(model, method=m)).objective for m in METHODS}
        assert len(set(values.values())) == 1, values
