"""The method="auto" fallback: exact first, the GA when the exact method runs short."""
import time

import numpy as np
import pytest

from allotment.models import GeneralizedAssignment, read_orlib_gap
from allotment.solvers import Backend, Result, SolveOptions, Status, solve
from allotment.solvers import fallback
from allotment.solvers.api import _run
from tests.conftest import assert_verified


class Fake(Backend):
    """An exact method that returns a fixed outcome (or fails) after a short while."""

    name = "fake"
    accepts_classes = frozenset({"MILP"})
    exact = True

    def __init__(self, outcome):
        self.outcome = outcome

    def solve(self, model, opts):
        time.sleep(0.05)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome(model) if callable(self.outcome) else self.outcome


def small_gap():
    rng = np.random.default_rng(0)
    return GeneralizedAssignment(rng.integers(1, 20, (4, 12)), rng.integers(1, 9, (4, 12)), [14, 14, 14, 14])


def test_small_model_runs_the_exact_method_only():
    model = small_gap()
    r = solve(model, time_limit=5)
    assert r.status is Status.OPTIMAL and [s[0] for s in r.stages] == ["highs"]
    assert_verified(model, r)


def test_large_model_probes_then_hands_over_to_the_ga(shared_instances):
    model = read_orlib_gap(shared_instances / "gap" / "orlib" / "gapd.txt", 6)  # 20 x 200, hard
    limit = 2.0
    assert fallback.estimated_exact_seconds(model) > limit
    started = time.perf_counter()
    r = solve(model, time_limit=limit, seed=0)
    assert time.perf_counter() - started <= 1.1 * limit + 0.2
    assert [s[0] for s in r.stages] == ["highs", "ga"]
    assert r.stages[0][1] <= fallback.PROBE_SHARE * limit + 0.2
    assert_verified(model, r)
    assert r.status is Status.FEASIBLE and r.bound <= 12238 and r.gap > 0
    assert "then ga" in r.message


def test_no_incumbent_then_the_ga_finds_one():
    model = small_gap()
    fake = Fake(Result(Status.TIME_LIMIT, method="fake", message="stopped"))
    r = fallback.solve_with_fallback(model, fake, SolveOptions(time_limit=1.0, seed=0), _run)
    assert [s[0] for s in r.stages] == ["fake", "ga"] and r.stages[0][2] == "time_limit"
    assert r.method == "ga"
    assert_verified(model, r)


def test_failing_exact_method_without_time_limit():
    model = small_gap()
    r = fallback.solve_with_fallback(model, Fake(RuntimeError("boom")), SolveOptions(seed=0), _run)
    assert [s[:1] + s[2:] for s in r.stages] == [("fake", "error"), ("ga", r.status.value)]
    assert_verified(model, r)


def test_incumbent_seeds_the_ga_and_the_better_answer_wins():
    model = small_gap()
    exact = solve(model, method="highs")
    worst = GeneralizedAssignment(model.cost, model.weight, model.capacity, sense="max")
    poor = solve(worst, method="highs").answer.assignment  # feasible, and as costly as can be
    incumbent = model.check(poor).objective
    assert incumbent > exact.objective

    def outcome(m):
        return Result(Status.FEASIBLE, objective=incumbent, bound=exact.objective - 5, method="fake",
                      answer=m.answer(poor))

    r = fallback.solve_with_fallback(model, Fake(outcome), SolveOptions(time_limit=1.0, seed=0), _run)
    assert_verified(model, r)
    assert r.objective <= incumbent
    assert r.bound >= exact.objective - 5  # the tighter of the stages' bounds
    assert [s[0] for s in r.stages] == ["fake", "ga"]


@pytest.mark.parametrize("status", [Status.INFEASIBLE, Status.OPTIMAL])
def test_proofs_end_the_run(status):
    model = small_gap()
    fake = Fake(lambda m: solve(m, method="highs") if status is Status.OPTIMAL else Result(status, method="fake"))
    r = fallback.solve_with_fallback(model, fake, SolveOptions(time_limit=1.0), _run)
    assert r.status is status and len(r.stages) <= 1


def test_without_a_heuristic_nothing_changes(monkeypatch):
    monkeypatch.setattr(fallback, "FALLBACK_METHOD", "no-such-method")
    fake = Fake(Result(Status.TIME_LIMIT, method="fake"))
    r = fallback.solve_with_fallback(small_gap(), fake, SolveOptions(time_limit=0.5), _run)
    assert r.status is Status.TIME_LIMIT and not r.stages


def test_estimate_grows_with_size():
    sizes = [GeneralizedAssignment(np.ones((m, 10 * m)), np.ones((m, 10 * m)), np.full(m, 10.0)) for m in (2, 5, 20)]
    est = [fallback.estimated_exact_seconds(g) for g in sizes]
    assert est == sorted(est) and est[0] < 0.1 < 10 < est[-1]
