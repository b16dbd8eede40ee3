"""The GA: verified answers, honest bounds and statuses, time limits, seeds, warm starts, errors."""
import itertools
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allotment.models import GeneralizedAssignment, LinearAssignment, OptionError, read_orlib_gap
from allotment.solvers import Status, solve
from allotment.solvers.heuristics import genetic_algorithm
from tests.conftest import assert_verified

from .test_encoding import random_gap


def brute_force(model):
    best = None
    for v in itertools.product(range(model.n_agents), repeat=model.n_tasks):
        r = model.check(np.array(v))
        if r.feasible and (best is None or model.better(r.objective, best)):
            best = r.objective
    return best


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10**6), sense=st.sampled_from(["min", "max"]), tight=st.floats(0.5, 1.1))
def test_ga_against_brute_force(seed, sense, tight):
    model = random_gap(seed, m=3, n=6, sense=sense, tight=tight)
    optimum = brute_force(model)
    r = genetic_algorithm(model, seed=seed, max_children=150)
    if optimum is None:
        assert not r.ok
        return
    assert_verified(model, r)
    assert r.objective == optimum  # 729 vectors: the GA must find the best
    if r.bound is not None:  # the LP bound is a bound
        assert (r.bound <= optimum + 1e-9) if sense == "min" else (r.bound >= optimum - 1e-9)
    assert r.status in (Status.OPTIMAL, Status.FEASIBLE)
    if r.status is Status.OPTIMAL:
        assert r.bound == pytest.approx(r.objective)


def test_orlib_min_and_max_with_known_values(shared_instances):
    path = shared_instances / "gap" / "orlib" / "gap1.txt"
    low = read_orlib_gap(path, 1)
    r = genetic_algorithm(low, seed=0, time_limit=2)
    assert_verified(low, r)
    assert r.objective >= 261 and r.bound <= 261
    high = read_orlib_gap(path, 1, sense="max")
    r = genetic_algorithm(high, seed=0, time_limit=2)
    assert_verified(high, r)
    assert r.objective <= 336 and r.bound >= 336
    assert r.status is Status.FEASIBLE or r.objective == r.bound


@pytest.mark.parametrize("problem,limit", [(6, 1.0), (6, 0.3)])
def test_time_limit_is_honoured(shared_instances, problem, limit):
    model = read_orlib_gap(shared_instances / "gap" / "orlib" / "gapd.txt", problem)  # 20 x 200
    started = time.perf_counter()
    r = solve(model, method="ga", time_limit=limit, seed=0)
    elapsed = time.perf_counter() - started
    assert elapsed <= 1.1 * limit + 0.2, elapsed
    assert_verified(model, r)
    assert r.status is Status.FEASIBLE
    if limit >= 1.0:  # time enough for the LP relaxation: a real gap
        assert r.gap is not None and r.gap > 0 and r.bound <= 12238


@pytest.mark.parametrize("method,limit", [("ga", 1.5), ("ga", 0.05), ("pso", 0.05)])
def test_time_limit_on_a_large_instance(shared_instances, method, limit):
    model = read_orlib_gap(shared_instances / "gap" / "yagiura" / "d15900.txt")  # 15 x 900
    started = time.perf_counter()
    r = solve(model, method=method, time_limit=limit, seed=0)
    assert time.perf_counter() - started <= 1.1 * limit + 0.2
    if r.ok:
        assert_verified(model, r)
    else:  # no answer in time is said so, never dressed up
        assert r.status is Status.TIME_LIMIT and r.answer is None and "no feasible" in r.message


def test_same_seed_same_answer(shared_instances):
    model = read_orlib_gap(shared_instances / "gap" / "orlib" / "gapc.txt", 1)
    runs = [genetic_algorithm(model, seed=7, max_children=64) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].answer.assignment, runs[1].answer.assignment)
    assert runs[0].objective == runs[1].objective


def test_warm_start_from_any_answer(shared_instances):
    model = read_orlib_gap(shared_instances / "gap" / "orlib" / "gap4.txt", 2)
    exact = solve(model, method="highs")
    assert exact.status is Status.OPTIMAL
    for warm in (exact, exact.answer, exact.answer.assignment, exact.answer.assignment.tolist()):
        r = genetic_algorithm(model, seed=0, max_children=8, lp_seed=False, warm_start=warm)
        assert_verified(model, r, expected=exact.objective)
    # An infeasible warm start is repaired, not trusted.
    r = genetic_algorithm(model, seed=0, max_children=8, warm_start=np.zeros(model.n_tasks, int))
    assert_verified(model, r)


def test_unassigned_penalty_and_lap():
    model = random_gap(5, m=3, n=6, sense="max", penalty=2.0, tight=0.4)
    r = genetic_algorithm(model, seed=0, max_children=200)
    assert_verified(model, r, expected=brute_force_with_dummy(model))
    rng = np.random.default_rng(3)
    for shape in [(5, 5), (4, 7), (7, 4)]:
        lap = LinearAssignment(rng.integers(0, 20, shape))
        r = genetic_algorithm(lap, seed=0, max_children=100)
        assert_verified(lap, r, expected=solve(lap, method="lsa").objective)


def brute_force_with_dummy(model):
    best = None
    for v in itertools.product(range(-1, model.n_agents), repeat=model.n_tasks):
        r = model.check(np.array(v))
        if r.feasible and (best is None or model.better(r.objective, best)):
            best = r.objective
    return best


def test_infeasible_models_are_results():
    stranded = GeneralizedAssignment([[1, 1]], [[1, 5]], [3])
    r = genetic_algorithm(stranded, seed=0)
    assert r.status is Status.INFEASIBLE and "task index 1" in r.message
    too_small = GeneralizedAssignment([[1, 1], [1, 1]], [[2, 2], [2, 2]], [3, 0])  # LP infeasible
    r = genetic_algorithm(too_small, seed=0)
    assert r.status is Status.INFEASIBLE and r.answer is None


def test_option_errors():
    model = random_gap(0)
    with pytest.raises(OptionError, match="unknown option `popsize`"):
        genetic_algorithm(model, popsize=3)
    with pytest.raises(OptionError, match="`population` must be a positive int"):
        genetic_algorithm(model, population=0)
    with pytest.raises(OptionError, match="`lp` must be True or False"):
        genetic_algorithm(model, lp="yes")
    with pytest.raises(OptionError, match="`warm_start` must be"):
        genetic_algorithm(model, warm_start=[0, 1])
    with pytest.raises(OptionError, match="unknown option"):
        solve(model, method="ga", options={"nope": 1})
