"""DynamicAssignment: after any sequence of row/column changes it equals scipy's optimum and keeps its certificate."""
from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from allotment.solvers.dynamic_lap import DynamicAssignment, recover_duals


def reference(cost: np.ndarray, allowed: np.ndarray, maximize: bool) -> float | None:
    big = np.where(allowed, cost, -np.inf if maximize else np.inf)
    try:
        r, c = linear_sum_assignment(big, maximize=maximize)
    except ValueError:
        return None
    return float(cost[r, c].sum())


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), maximize=st.booleans(), sparse=st.booleans())
def test_random_operations_match_scipy(seed: int, maximize: bool, sparse: bool) -> None:
    rng = np.random.default_rng(seed)
    m, n = (int(v) for v in rng.integers(1, 7, 2))
    draw = lambda *shape: rng.integers(0, 20, shape).astype(float)  # noqa: E731 - ties are frequent on purpose
    mask = lambda *shape: rng.random(shape) < (0.75 if sparse else 1.0)  # noqa: E731
    cost, allowed = draw(m, n), mask(m, n)
    lap = DynamicAssignment(cost, allowed=allowed, maximize=maximize)
    rows, cols = list(lap.rows()), list(lap.cols())
    data = {(r, c): (cost[i, j], allowed[i, j]) for i, r in enumerate(rows) for j, c in enumerate(cols)}
    for _ in range(10):
        op = int(rng.integers(6))
        if op == 0 and len(rows) > 1:
            lap.remove_row(rows.pop(int(rng.integers(len(rows)))))
        elif op == 1 and len(cols) > 1:
            lap.remove_col(cols.pop(int(rng.integers(len(cols)))))
        elif op == 2 and len(rows) < 8:
            v, a = draw(len(cols)), mask(len(cols))
            h = lap.add_row(np.array(cols), v, a)
            rows.append(h)
            data.update({(h, c): (v[k], a[k]) for k, c in enumerate(cols)})
        elif op == 3 and len(cols) < 8:
            v, a = draw(len(rows)), mask(len(rows))
            h = lap.add_col(np.array(rows), v, a)
            cols.append(h)
            data.update({(r, h): (v[k], a[k]) for k, r in enumerate(rows)})
        else:  # a whole row or one entry gets new costs
            r = rows[int(rng.integers(len(rows)))]
            which = cols if op == 4 else [cols[int(rng.integers(len(cols)))]]
            v = draw(len(which))
            lap.set_entries(np.full(len(which), r), np.array(which), v, np.array([data[(r, c)][1] for c in which]))
            data.update({(r, c): (v[k], data[(r, c)][1]) for k, c in enumerate(which)})
        status = lap.solve()
        C = np.array([[data[(r, c)][0] for c in cols] for r in rows])
        A = np.array([[data[(r, c)][1] for c in cols] for r in rows])
        best = reference(C, A, maximize)
        if best is None:
            assert status == "infeasible"
            continue
        assert status == "optimal" and lap.objective() == pytest.approx(best)
        assert lap.certificate_violation() <= 1e-9
        match = lap.col_of(np.array(rows))
        taken = match[match >= 0]
        assert taken.size == min(len(rows), len(cols)) and np.unique(taken).size == taken.size
        assert all(data[(r, c)][1] for r, c in zip(rows, match) if c >= 0)


def test_recovered_duals_certify_scipy_matching() -> None:
    W = np.random.default_rng(0).random((40, 40)) * 100
    _, cols = linear_sum_assignment(W)
    u, v = recover_duals(W, cols)
    red = W - u[:, None] - v[None, :]
    assert red.min() >= -1e-9 and np.abs(red[np.arange(40), cols]).max() <= 1e-9
    assert u.sum() + v.sum() == pytest.approx(W[np.arange(40), cols].sum())


def test_one_change_costs_one_augmentation_and_deadline_is_honoured() -> None:
    rng = np.random.default_rng(1)
    lap = DynamicAssignment(rng.random((50, 50)))
    r = int(lap.rows()[3])
    c = int(lap.col_of(np.array([r]))[0])
    lap.set_entries(np.array([r]), np.array([c]), np.array([10.0]))  # its pair is no longer tight
    assert lap.n_free == 1
    assert lap.solve(deadline=time.perf_counter() - 1.0) == "time_limit" and lap.n_free == 1
    assert lap.solve() == "optimal" and lap.augmentations == 1 and lap.n_free == 0


def test_handles_are_checked() -> None:
    lap = DynamicAssignment(np.ones((2, 3)))
    with pytest.raises(ValueError, match="`cols` must list every real col handle once"):
        lap.add_row(np.array([0, 1]), np.ones(2))
    with pytest.raises(ValueError, match="not a real row"):
        lap.remove_row(5)
    with pytest.raises(ValueError, match="handles of real rows and columns"):
        lap.set_entries(np.array([2]), np.array([0]), np.ones(1))  # row 2 is a dummy row
