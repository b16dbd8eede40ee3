"""DCOP methods through solve(): auto policy, statuses, options, answers checked by the model."""
from __future__ import annotations

import numpy as np
import pytest

from allotment.models import DCOP, OptionError, SolverUnavailableError
from allotment.models.generators_dcop import graph_coloring, meeting_scheduling
from allotment.solvers import pick_method, solve
from tests.conftest import assert_verified


def test_auto_picks_dpop_when_the_width_allows() -> None:
    d = graph_coloring(40, graph="scale_free", soft=True, seed=1)
    r = solve(d)
    assert r.method == "dpop" and "auto picked dpop" in r.message and r.status.value == "optimal"
    assert_verified(d, r, expected=solve(d, method="highs").objective)


def test_auto_takes_the_ilp_when_dpop_is_refused() -> None:
    d = graph_coloring(120, graph="random", p_edge=0.2, soft=True, seed=1)
    assert pick_method(d).name == "highs"
    # A clique of 12 variables with 8 values: DPOP's tables would hold 8**11 entries; the ILP is easy.
    potts = np.where(np.eye(8, dtype=bool), 0.0, 1.0)
    clique = DCOP([8] * 12, [((i, j), potts) for i in range(12) for j in range(i + 1, 12)]
                  + [((i,), np.arange(8.0)) for i in range(12)])
    assert pick_method(clique).name == "highs"
    r = solve(clique, time_limit=30)
    assert "auto picked highs" in r.message and r.status.value == "optimal"
    assert_verified(clique, r, expected=0.0)


@pytest.mark.parametrize("method", ["dpop", "maxsum", "dsa", "mgm", "highs", "cpsat"])
def test_every_method_returns_a_checked_answer(method) -> None:
    exact = method in ("dpop", "highs", "cpsat")
    # Exact methods on a problem with hard constraints; heuristics on a soft one (they may miss feasibility).
    d = meeting_scheduling(6, 5, slots=4, seed=2) if exact else graph_coloring(30, graph="random", soft=True, seed=2)
    r = solve(d, method=method, seed=3, time_limit=20 if exact else None)
    assert_verified(d, r)
    assert r.status.value == ("optimal" if exact else "feasible")
    if not exact:
        assert r.bound is None and "no optimality proof" in r.message


def test_heuristics_honour_time_limit_and_report_figures() -> None:
    d = graph_coloring(200, graph="scale_free", soft=True, seed=2)
    r = solve(d, method="maxsum", time_limit=0.3, seed=1, options={"stable_iters": 10**9})
    assert r.runtime < 1.5 and r.info["stop_reason"] == "time_limit" and r.info["iterations"] > 10
    assert r.info["messages"] == 2 * 2 * len(d.factors) * r.info["iterations"] and len(r.info["trace"])
    a = solve(d, method="dsa", seed=5, options={"max_iter": 30})
    b = solve(d, method="dsa", seed=5, options={"max_iter": 30})
    assert a.objective == b.objective and np.array_equal(a.answer.values, b.answer.values)


def test_infeasible_and_option_errors() -> None:
    d = DCOP([2, 2, 2], [((0, 1), [[np.inf, 0], [0, np.inf]]), ((1, 2), [[np.inf, 0], [0, np.inf]]),
                         ((0, 2), [[np.inf, 0], [0, np.inf]])])
    assert solve(d, method="dpop").status.value == "infeasible"
    assert solve(d, method="highs").status.value == "infeasible"
    h = solve(d, method="maxsum", options={"max_iter": 20})
    assert h.status.value == "time_limit" and "hard constraint" in h.message and h.answer is None
    with pytest.raises(OptionError, match="does not take option"):
        solve(d, method="maxsum", options={"dampening": 0.5})
    with pytest.raises(OptionError, match="does not take option"):
        solve(d, method="dpop", options={"width": 3})
    with pytest.raises(SolverUnavailableError, match="does not solve"):
        from allotment.models import LinearAssignment
        solve(LinearAssignment([[1.0]]), method="maxsum")
