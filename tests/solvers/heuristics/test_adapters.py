"""Adapters of the catalogue models: encodings agree with each model's own check, and the GA
matches an exact solver on small instances."""
import numpy as np
import pytest

from allotment.models import AssignmentGuidance, CoalitionAllocation, MultiResourceAssignment, OptionError
from allotment.solvers import Status, solve
from allotment.solvers.heuristics import encode, genetic_algorithm, particle_swarm
from allotment.solvers.heuristics.encoding import EPS, evaluate, random_vectors
from tests.conftest import assert_verified


def multiresource(seed, sense="min", penalty=None):
    rng = np.random.default_rng(seed)
    m, n, r = 3, 7, 2
    demand = rng.integers(1, 6, (m, n, r)).astype(float)
    return MultiResourceAssignment(rng.integers(1, 20, (m, n)), demand, np.full((m, r), 10.0), sense=sense,
                                   unassigned_penalty=penalty)


def coalition(seed):
    rng = np.random.default_rng(seed)
    return CoalitionAllocation(supply=rng.integers(0, 4, (7, 2)), demand=rng.integers(0, 8, (3, 2)),
                               penalty=[3.0, 2.0], travel_cost=rng.integers(0, 5, (7, 3)))


def guidance(seed, one_sided):
    rng = np.random.default_rng(seed)
    return AssignmentGuidance(supply=rng.integers(0, 4, (7, 2)), demand=rng.integers(0, 8, (3, 2)),
                              weight=[1.0, 2.0], alpha=0.5, distance=rng.integers(0, 6, (7, 3)),
                              one_sided=one_sided)


MODELS = {
    "multiresource-min": lambda: multiresource(0),
    "multiresource-max-penalty": lambda: multiresource(1, "max", 4.0),
    "coalition": lambda: coalition(2),
    "guidance": lambda: guidance(3, False),
    "guidance-one-sided": lambda: guidance(4, True),
}


@pytest.mark.parametrize("name", MODELS)
def test_encoding_agrees_with_check(name):
    model = MODELS[name]()
    enc = encode(model)
    vectors = random_vectors(enc, 40, np.random.default_rng(0))
    cost, violation = evaluate(enc, vectors)
    for v, c, u in zip(vectors, cost, violation):
        report = model.check(enc.to_answer(v))
        assert report.feasible == (u <= EPS)
        assert enc.model_objective(c) == pytest.approx(report.objective)
        np.testing.assert_array_equal(enc.from_answer(enc.to_answer(v)), v)


@pytest.mark.parametrize("name", MODELS)
def test_ga_and_pso_match_the_exact_optimum(name):
    model = MODELS[name]()
    exact = solve(model, method="scip" if "guidance" in name else "highs")
    assert exact.status is Status.OPTIMAL
    r = genetic_algorithm(model, seed=0, max_children=300)
    assert_verified(model, r, expected=exact.objective)
    assert r.bound is not None and not model.better(exact.objective, r.bound)  # a valid bound
    assert_verified(model, particle_swarm(model, seed=0, max_iter=40), expected=exact.objective)


def test_fleet_warm_start_is_checked():
    with pytest.raises(OptionError, match="`warm_start` must be"):
        genetic_algorithm(coalition(0), warm_start=[0, 1])
