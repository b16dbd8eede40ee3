"""A first end-to-end check of the core: model -> Program -> backend -> verified answer."""
import numpy as np
import pytest

from allotment.models import GeneralizedAssignment, LinearAssignment
from allotment.solvers import Status, solve
from tests.conftest import assert_verified


@pytest.mark.parametrize("method", ["highs", "cpsat", "pyomo", "auto"])
def test_small_gap_all_methods(method):
    gap = GeneralizedAssignment(cost=[[1, 5, 3], [4, 2, 1]], weight=[[3, 3, 2], [3, 3, 2]], capacity=[5, 5])
    result = solve(gap, method=method)
    assert result.status is Status.OPTIMAL
    assert_verified(gap, result, expected=1 + 2 + 1)


@pytest.mark.parametrize("method", ["lsa", "highs", "cpsat"])
def test_lap_maximize(method):
    lap = LinearAssignment(np.array([[4, 1, 3], [2, 0, 5], [3, 2, 2]]), sense="max")
    assert_verified(lap, solve(lap, method=method), expected=4 + 5 + 2)
