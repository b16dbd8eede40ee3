"""MultiResourceAssignment: validation, formulation, backends against brute force."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allotment.models import GeneralizedAssignment, InstanceError, MultiResourceAssignment, load, save
from allotment.solvers import Status, solve
from tests.conftest import REPO, assert_verified

METHODS = ["highs", "cpsat", "scip"]


def brute_force(model: MultiResourceAssignment) -> float | None:
    """Best objective over every task -> agent (or -1) vector; None when none is feasible."""
    choices = range(-1 if model.unassigned_penalty is not None else 0, model.n_agents)
    best = None
    for vec in itertools.product(choices, repeat=model.n_tasks):
        report = model.check(np.array(vec))
        if report.feasible and (best is None or model.better(report.objective, best)):
            best = report.objective
    return best


@st.composite
def instances(draw):
    m, n, r = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    cost = rng.integers(-5, 20, (m, n)) * draw(st.sampled_from([1.0, 0.5]))
    demand = rng.integers(0, 6, (m, n, r))
    capacity = rng.integers(0, 12, (m, r))
    penalty = draw(st.sampled_from([None, 0.0, 7.5, "vector"]))
    if penalty == "vector":
        penalty = rng.integers(0, 15, n)
    sense = draw(st.sampled_from(["min", "max"]))
    return MultiResourceAssignment(cost, demand, capacity, sense=sense, unassigned_penalty=penalty)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_backends_agree_with_brute_force(model):
    best = brute_force(model)
    for method in METHODS:
        result = solve(model, method=method, options={"num_workers": 1} if method == "cpsat" else None)
        if best is None:
            assert result.status is Status.INFEASIBLE, (method, result)
        else:
            assert result.status is Status.OPTIMAL, (method, result, result.message)
            assert_verified(model, result, expected=best)


def test_one_resource_is_the_generalized_assignment_problem():
    rng = np.random.default_rng(3)
    cost, weight, cap = rng.integers(1, 30, (4, 9)), rng.integers(1, 10, (4, 9)), rng.integers(10, 20, 4)
    gap = GeneralizedAssignment(cost, weight, cap)
    mra = MultiResourceAssignment(cost, weight[:, :, None], cap[:, None])
    assert solve(mra, method="highs").objective == solve(gap, method="highs").objective


def test_program_rows_are_per_agent_and_resource():
    mra = MultiResourceAssignment([[1, 2, 3]], [[[1, 4], [2, 5], [3, 6]]], [[6, 15]])
    prog = mra.to_program()
    cap = dict((name, (start, size)) for name, start, size in prog.row_groups)["capacity"]
    assert cap[1] == 2
    rows = prog.A.toarray()[cap[0]:cap[0] + 2]
    assert rows.tolist() == [[1, 2, 3], [4, 5, 6]]
    assert prog.row_hi[cap[0]:cap[0] + 2].tolist() == [6, 15]


def test_pairs_that_never_fit_are_fixed_to_zero():
    mra = MultiResourceAssignment([[1, 1]], [[[1, 9], [1, 1]]], [[5, 5]], unassigned_penalty=3)
    assert mra.to_program().col_hi[:2].tolist() == [0.0, 1.0]
    result = solve(mra, method="highs")
    assert result.answer.assignment.tolist() == [-1, 0]
    assert_verified(mra, result, expected=1 + 3)


def test_check_names_the_overloaded_resource():
    mra = MultiResourceAssignment([[1, 1]], [[[1, 4], [1, 4]]], [[5, 5]], resource_ids=["cpu", "gpu"])
    report = mra.check([0, 0])
    assert not report.feasible
    assert "resource 'gpu' (index 1) load 8 exceeds capacity 5" in report.violations[0]
    assert report.details["load"].tolist() == [[2.0, 8.0]]
    assert not mra.check([0, -1]).feasible           # every task must be assigned without a penalty
    assert not mra.check([0, 2]).feasible            # not an agent index


def test_maximize_subtracts_the_penalty():
    mra = MultiResourceAssignment([[10, 1]], [[[1], [1]]], [[1]], sense="max", unassigned_penalty=[0, 4])
    assert mra.check([0, -1]).objective == 10 - 4
    result = solve(mra, method="cpsat")
    assert_verified(mra, result, expected=6)


@pytest.mark.parametrize("kwargs, field", [
    (dict(cost=[[1, 2]], demand=[[[1], [1], [1]]], capacity=[[1]]), "demand"),
    (dict(cost=[[1, 2]], demand=[[1, 1]], capacity=[[1]]), "demand"),
    (dict(cost=[[1, 2]], demand=np.zeros((1, 2, 0)), capacity=np.zeros((1, 0))), "demand"),
    (dict(cost=[[1, 2]], demand=[[[1, 1], [1, 1]]], capacity=[[1]]), "capacity"),
    (dict(cost=[[1, 2]], demand=[[[1], [-1]]], capacity=[[1]]), "demand"),
    (dict(cost=[[1, np.nan]], demand=[[[1], [1]]], capacity=[[1]]), "cost"),
    (dict(cost=[[1, 2]], demand=[[[1], [1]]], capacity=[[1]], unassigned_penalty=[1, 2, 3]), "unassigned_penalty"),
    (dict(cost=[[1, 2]], demand=[[[1], [1]]], capacity=[[1]], resource_ids=["a", "b"]), "resource_ids"),
    (dict(cost=[[1, 2]], demand=[[[1], [1]]], capacity=[[1]], sense="best"), "sense"),
])
def test_bad_input_names_the_field(kwargs, field):
    with pytest.raises(InstanceError, match=f"`{field}"):
        MultiResourceAssignment(**kwargs)


def test_bad_input_names_the_index():
    with pytest.raises(InstanceError, match=r"`demand\[0\]\[1\]\[0\]` must be non-negative"):
        MultiResourceAssignment([[1, 2]], [[[1], [-1]]], [[1]])


def test_json_round_trip_and_shipped_instances(tmp_path):
    mra = MultiResourceAssignment([[1, 2]], [[[1, 2], [3, 4]]], [[5, 6]], sense="max", unassigned_penalty=2,
                                  resource_ids=["cpu", "ram"])
    save(mra, tmp_path / "m.json")
    back = load(tmp_path / "m.json")
    assert back.to_data() == mra.to_data()
    shipped = sorted((REPO / "instances").glob("multiresource-*.json"))
    assert shipped
    for path in shipped:
        model = load(path)
        assert isinstance(model, MultiResourceAssignment)
        values = {m: assert_verified(model, solve(model, method=m)).objective for m in METHODS}
        assert len(set(values.values())) == 1, values
