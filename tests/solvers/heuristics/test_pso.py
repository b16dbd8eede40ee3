"""The PSO: verified answers, time limits, seeds, warm starts."""
import time

import numpy as np
import pytest

from allotment.models import OptionError, read_orlib_gap
from allotment.solvers import Status, solve
from allotment.solvers.heuristics import particle_swarm
from tests.conftest import assert_verified

from .test_encoding import random_gap
from .test_ga import brute_force


@pytest.mark.parametrize("seed", range(4))
def test_pso_against_brute_force(seed):
    model = random_gap(seed, m=3, n=6, sense="max" if seed % 2 else "min", tight=0.7)
    r = particle_swarm(model, seed=seed, max_iter=30)
    assert_verified(model, r, expected=brute_force(model))


def test_time_limit_and_gap(shared_instances):
    model = read_orlib_gap(shared_instances / "gap" / "orlib" / "gapd.txt", 6)
    started = time.perf_counter()
    r = solve(model, method="pso", time_limit=1.0, seed=0)
    assert time.perf_counter() - started <= 1.1 + 0.2
    assert_verified(model, r)
    assert r.method == "pso" and r.status is Status.FEASIBLE and r.bound <= 12238


def test_same_seed_same_answer_and_warm_start(shared_instances):
    model = read_orlib_gap(shared_instances / "gap" / "orlib" / "gap8.txt", 1)
    a, b = (particle_swarm(model, seed=3, max_iter=5) for _ in range(2))
    np.testing.assert_array_equal(a.answer.assignment, b.answer.assignment)
    exact = solve(model, method="highs", time_limit=20)
    r = particle_swarm(model, seed=0, max_iter=1, warm_start=exact.answer)
    assert_verified(model, r)
    assert not model.better(exact.objective, r.objective)


def test_pso_options():
    with pytest.raises(OptionError, match="`inertia` must be a non-negative number"):
        particle_swarm(random_gap(0), inertia=-1)
