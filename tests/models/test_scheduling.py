"""UnrelatedScheduling: construction errors, exact methods against brute force, baselines, check()."""
from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allotment.models import InstanceError, UnrelatedScheduling, load, save
from allotment.models.scheduling import Schedule, fifo_schedule, wspt_schedule
from allotment.models.errors import SolverUnavailableError
from allotment.solvers import Status, solve
from tests.conftest import assert_verified

REPO = Path(__file__).resolve().parents[2]


def brute_force(model: UnrelatedScheduling) -> float:
    """Optimum by enumeration: every assignment, every order per resource, left-shifted starts."""
    m, n = model.n_resources, model.n_tasks
    p, r, w = model.processing_time, model.release, model.weight
    best_machine: dict[tuple[int, tuple[int, ...]], float] = {}

    def machine_cost(i: int, tasks: tuple[int, ...]) -> float:
        key = (i, tasks)
        if key not in best_machine:
            best = np.inf
            instant = [j for j in tasks if p[i, j] == 0]  # length 0: done at release, occupies nothing
            timed = tuple(j for j in tasks if p[i, j] > 0)
            for order in itertools.permutations(timed):
                t, cost = 0.0, float(sum(w[j] * r[j] for j in instant))
                for j in order:
                    t = max(t, r[j]) + p[i, j]
                    cost += w[j] * t
                best = min(best, cost)
            best_machine[key] = best
        return best_machine[key]

    best = np.inf
    for assign in itertools.product(range(m), repeat=n):
        if not all(model.allowed[assign[j], j] for j in range(n)):
            continue
        total = sum(machine_cost(i, tuple(j for j in range(n) if assign[j] == i)) for i in range(m))
        best = min(best, total)
    return float(best)


@st.composite
def tiny_instances(draw):
    m = draw(st.integers(1, 3))
    n = draw(st.integers(1, 5))
    p = np.array(draw(st.lists(st.integers(0, 6), min_size=m * n, max_size=m * n)), float).reshape(m, n)
    forbid = np.array(draw(st.lists(st.booleans(), min_size=m * n, max_size=m * n))).reshape(m, n)
    forbid &= np.array(draw(st.lists(st.booleans(), min_size=m * n, max_size=m * n))).reshape(m, n)
    forbid[0, :] = False  # keep every task runnable somewhere
    p[forbid] = np.inf
    w = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
    r = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    return UnrelatedScheduling(p, weight=w, release=r)


@settings(max_examples=30, deadline=None)
@given(tiny_instances())
def test_exact_methods_match_brute_force(model):
    expected = brute_force(model)
    for method in ("highs", "cpsat"):
        result = solve(model, method, time_limit=20)
        assert result.status is Status.OPTIMAL, (method, result.message)
        assert_verified(model, result, expected=expected)
    for method in ("fifo", "wspt"):
        result = solve(model, method)
        assert result.status is Status.FEASIBLE
        report = assert_verified(model, result)
        assert report.objective >= expected - 1e-9


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000))
def test_highs_cpsat_agree_on_random_instances(seed):
    rng = np.random.default_rng(seed)
    m, n = 2, 7
    p = rng.integers(1, 8, (m, n)).astype(float)
    p[rng.random((m, n)) < 0.2] = np.inf
    p[0, np.isinf(p).all(axis=0)] = 3.0
    model = UnrelatedScheduling(p, weight=rng.integers(1, 6, n), release=rng.integers(0, 6, n) * 0.5)
    a, b = solve(model, "highs", time_limit=20), solve(model, "cpsat", time_limit=20)
    assert a.status is Status.OPTIMAL and b.status is Status.OPTIMAL
    assert_verified(model, a)
    assert_verified(model, b, expected=a.objective)


def test_known_optimum_and_answer_form():
    model = UnrelatedScheduling([[3, 1, 2], [1, 4, 2]], weight=[1, 2, 1], task_ids=["a", "b", "c"])
    result = solve(model, "cpsat")
    sched = result.answer
    assert isinstance(sched, Schedule) and result.x is None
    assert result.objective == 6.0 and sched.sequences() == [[1, 2], [0]]
    assert np.allclose(sched.end - sched.start, [1, 1, 2])
    data = sched.to_dict()
    json.dumps(data)
    assert [e["task"] for e in data["sequences"]["resource0"]] == ["b", "c"]
    assert solve(model).method in ("highs", "cpsat")


def test_time_indexed_vector_roundtrip():
    rng = np.random.default_rng(3)
    model = UnrelatedScheduling(rng.integers(1, 6, (3, 9)), weight=rng.integers(1, 4, 9), release=rng.integers(0, 5, 9))
    sched = wspt_schedule(model)
    x = model.to_vector(sched)
    prog = model.to_program()
    assert prog.is_feasible(x)
    assert prog.objective_value(x) == pytest.approx(model.check(sched).objective)
    assert np.array_equal(model.decode(x).start, sched.start)
    warm = solve(model, "highs", options={"warm_start": x})
    assert_verified(model, warm, expected=solve(model, "cpsat").objective)


def test_horizon_keeps_the_optimum():
    # the tight horizon (all pairs allowed, positive weights) against the safe one
    rng = np.random.default_rng(5)
    p = rng.integers(1, 9, (2, 6)).astype(float)
    model = UnrelatedScheduling(p, weight=rng.integers(1, 5, 6))
    loose = UnrelatedScheduling(p, weight=model.weight + 0.0, allowed=np.ones_like(p, bool))
    assert (model.horizons() <= loose.processing_time.sum(axis=1)).all()
    assert solve(model, "highs").objective == pytest.approx(brute_force(model))


def test_decimal_times_are_scaled_exactly():
    model = UnrelatedScheduling([[1.5, 0.25], [2.0, 0.75]], weight=[1.0, 2.5], release=[0.0, 0.5])
    expected = brute_force(model)
    for method in ("highs", "cpsat"):
        assert_verified(model, solve(model, method), expected=expected)


def test_non_decimal_times_are_refused_clearly():
    model = UnrelatedScheduling([[1 / 3, 1.0]])
    with pytest.raises(SolverUnavailableError, match="decimals with at most 6 places"):
        solve(model, "cpsat")
    result = solve(model, "highs")
    assert result.status is Status.ERROR and "decimals with at most 6 places" in result.message
    assert_verified(model, solve(model, "wspt"))


def test_task_without_resource_is_infeasible_with_reason():
    model = UnrelatedScheduling([[1, np.inf], [2, np.inf]], task_ids=["ok", "stuck"])
    for method in ("highs", "cpsat", "fifo", "wspt"):
        result = solve(model, method)
        assert result.status is Status.INFEASIBLE, method
        assert "'stuck'" in result.message
    assert fifo_schedule(model) is None


@pytest.mark.parametrize("kwargs, match", [
    ({"processing_time": [[1, -2]]}, r"`processing_time\[0\]\[1\]` must be non-negative"),
    ({"processing_time": [[1, np.nan]]}, r"`processing_time\[0\]\[1\]` must not be NaN"),
    ({"processing_time": [1, 2]}, r"`processing_time` must have 2 dimension"),
    ({"processing_time": np.zeros((2, 0))}, r"at least one resource and one task"),
    ({"processing_time": [[1, 2]], "weight": [1]}, r"`weight` must have shape \(n_tasks,\) = \(2,\)"),
    ({"processing_time": [[1, 2]], "weight": [1, -1]}, r"`weight\[1\]` must be non-negative"),
    ({"processing_time": [[1, 2]], "release": [0, -3]}, r"`release\[1\]` must be non-negative"),
    ({"processing_time": [[1, 2]], "allowed": [[True]]}, r"`allowed` must have shape"),
    ({"processing_time": [[1, 2]], "task_ids": ["a", "a"]}, r"`task_ids\[1\]` duplicate id"),
])
def test_bad_input_names_the_place(kwargs, match):
    p = kwargs.pop("processing_time")
    with pytest.raises(InstanceError, match=match):
        UnrelatedScheduling(p, **kwargs)


def test_check_finds_every_kind_of_violation():
    model = UnrelatedScheduling([[2, 3, np.inf], [1, 1, 1]], release=[0, 1, 0])
    good = model.schedule([0, 1, 1], [0, 1, 0])
    assert model.check(good).feasible and model.check(good).objective == 2 + 2 + 1
    assert not model.check(model.schedule([0, 0, 1], [0, 1, 0])).feasible  # overlap on resource 0
    assert "before its release" in model.check(model.schedule([0, 1, 1], [0, 0, 1])).violations[0]
    assert "cannot run on resource" in model.check(model.schedule([0, 1, 0], [0, 1, 2])).violations[0]
    bad_end = Schedule(good.resource, good.start, good.end + 1, model.resource_ids, model.task_ids)
    assert "ends at" in model.check(bad_end).violations[0]
    assert not model.check(([0, 1, 5], [0, 1, 0])).feasible
    assert not model.check("nonsense").feasible


def test_baselines_follow_their_rules():
    model = UnrelatedScheduling([[4, 1, 1], [4, 5, 5]], weight=[1, 10, 10], release=[0, 0, 0])
    fifo = fifo_schedule(model)
    assert fifo.resource[0] == 0 and fifo.start[0] == 0  # task 0 first, on the first free resource
    wspt = wspt_schedule(model)
    assert wspt.sequences() == [[1, 0], [2]]  # a free resource starts the best-ratio task
    assert model.check(wspt).objective < model.check(fifo).objective


def test_files_roundtrip(tmp_path):
    model = UnrelatedScheduling([[1, np.inf], [2, 3]], weight=[1, 2], release=[0, 1], task_ids=["x", "y"])
    path = tmp_path / "s.json"
    save(model, path)
    back = load(path)
    assert np.array_equal(back.processing_time, model.processing_time)
    assert np.array_equal(back.allowed, model.allowed) and back.task_ids == ("x", "y")


def test_shipped_instances_solve():
    files = sorted((REPO / "instances").glob("scheduling-*.json"))
    assert files
    for path in files:
        model = load(path)
        assert isinstance(model, UnrelatedScheduling)
        assert_verified(model, solve(model, "highs", time_limit=30))


def test_default_start_is_a_feasible_wspt_vector():
    rng = np.random.default_rng(3)
    model = UnrelatedScheduling(rng.integers(1, 6, (2, 7)).astype(float), weight=rng.integers(1, 4, 7))
    program = model.to_program()
    start = model.default_start(program)
    assert start is not None and program.is_feasible(start)
    assert program.objective_value(start) == pytest.approx(model.check(wspt_schedule(model)).objective)
    assert model.default_start(program.with_changes()) is None  # only for its own program
