"""SCIP backend: reference programs of every class, honest statuses, options, limits."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allotment.models import GeneralizedAssignment, OptionError, ProgramBuilder
from allotment.solvers import SolveOptions, Status, solve
from allotment.solvers.highs import build_highs, run_highs
from allotment.solvers.scip import SCIP_STATUS, build_scip, run_scip, solve_program
from tests.conftest import assert_verified


def _highs(program):
    import time
    return run_highs(build_highs(program, SolveOptions()), program, time.perf_counter())


def test_lp():
    b = ProgramBuilder("max")
    x = b.add_block("x", (2,), lo=0, cost=[3.0, 2.0])
    b.add_rows(x[None, :], [[1.0, 1.0]], hi=4)
    b.add_rows(x[None, :], [[1.0, 3.0]], hi=6)
    b.add_rows(x[None, :], [[1.0, 0.0]], hi=3)
    r = solve_program(b.build())
    assert r.status is Status.OPTIMAL and r.gap == 0.0
    assert r.objective == pytest.approx(11.0) and r.x.tolist() == pytest.approx([3.0, 1.0])


def test_convex_qp_matches_highs():
    b = ProgramBuilder("min")
    x = b.add_block("x", (3,), lo=-5, hi=5, cost=[1.0, -2.0, 0.5])
    b.add_quadratic([0, 0, 1, 1, 2], [0, 1, 0, 1, 2], [2.0, 0.5, 0.5, 1.0, 3.0])
    b.add_rows(x[None, :], [[1.0, 1.0, 1.0]], lo=1.0)
    p = b.build()
    ours, ref = solve_program(p), _highs(p)
    assert ours.status is Status.OPTIMAL and ref.status is Status.OPTIMAL
    assert ours.objective == pytest.approx(ref.objective, abs=1e-5)


def test_nonconvex_max_miqp_against_enumeration():
    """Maximising a convex quadratic over integers (non-concave: SCIP's spatial branching)."""
    b = ProgramBuilder("max")
    x = b.add_block("x", (2,), lo=-2, hi=3, integer=True, cost=[1.0, -1.0])
    b.add_quadratic([0, 1], [0, 1], [2.0, 2.0])
    b.add_rows(x[None, :], [[1.0, 1.0]], hi=2, lo=-1)
    p = b.build()
    best = max(p.objective_value(np.array(v, float)) for v in itertools.product(range(-2, 4), repeat=2)
               if p.is_feasible(np.array(v, float)))
    r = solve_program(p)
    assert r.status is Status.OPTIMAL and r.objective == pytest.approx(best)


@st.composite
def miqps(draw):
    n = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    b = ProgramBuilder(draw(st.sampled_from(["min", "max"])))
    x = b.add_block("x", (n,), lo=-2, hi=2, integer=True, cost=rng.integers(-3, 4, n).astype(float))
    L = rng.integers(-2, 3, (n, n)).astype(float)
    Q = L @ L.T                                            # PSD: convex for min, non-concave for max
    if b.sense == "max":
        Q = -Q
    r, c = np.nonzero(Q)
    b.add_quadratic(r, c, Q[r, c])
    b.add_rows(x[None, :], rng.integers(-2, 3, (1, n)).astype(float), lo=-3, hi=3)
    b.c0 = float(rng.integers(-5, 5))
    return b.build()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(miqps())
def test_random_miqp_against_enumeration(program):
    points = [np.array(v, float) for v in itertools.product(range(-2, 3), repeat=program.n_cols)]
    values = [program.objective_value(v) for v in points if program.is_feasible(v)]
    best = min(values) if program.sense == "min" else max(values)
    r = solve_program(program)
    assert r.status is Status.OPTIMAL, r.message
    assert r.objective == pytest.approx(best, abs=1e-6)
    assert program.is_feasible(r.x)


@st.composite
def milps(draw):
    m, n = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    b = ProgramBuilder(draw(st.sampled_from(["min", "max"])))
    integer = rng.random(n) < 0.6
    x = b.add_block("x", (n,), lo=0, hi=rng.integers(1, 5, n).astype(float), integer=integer,
                    cost=rng.integers(-5, 6, n) / 2)
    b.add_rows(np.tile(x, (m, 1)), rng.integers(-3, 4, (m, n)).astype(float), lo=rng.integers(-6, 0, m),
               hi=rng.integers(0, 6, m))
    return b.build()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(milps())
def test_random_milp_matches_highs(program):
    ours, ref = solve_program(program), _highs(program.with_changes())
    assert ours.status == ref.status
    if ours.status is Status.OPTIMAL:
        assert ours.objective == pytest.approx(ref.objective, abs=1e-6)
        assert program.is_feasible(ours.x)


def test_infeasible_and_unbounded():
    b = ProgramBuilder("min")
    x = b.add_block("x", (2,), integer=True, lo=0, hi=3)
    b.add_rows(x[None, :], [[1.0, 1.0]], lo=7)
    r = solve_program(b.build())
    assert r.status is Status.INFEASIBLE and r.x is None and r.objective is None

    b = ProgramBuilder("max")
    x = b.add_block("x", (1,), lo=0, cost=1.0)
    r = solve_program(b.build())
    assert r.status in (Status.UNBOUNDED, Status.ERROR)             # SCIP may say inforunbd
    assert r.status is not Status.OPTIMAL


def test_time_limit_is_honoured_and_reported():
    rng = np.random.default_rng(7)
    gap = GeneralizedAssignment(rng.integers(10, 50, (10, 60)), rng.integers(5, 25, (10, 60)),
                                np.full(10, 95))
    r = solve(gap, method="scip", time_limit=0.3)
    assert r.runtime < 5.0
    assert r.status in (Status.FEASIBLE, Status.TIME_LIMIT, Status.OPTIMAL)
    if r.status is Status.FEASIBLE:
        assert r.bound is not None and r.gap is not None and r.gap > 0
        assert_verified(gap, r)
    if r.status is Status.TIME_LIMIT:
        assert r.answer is None


def test_gap_option_is_reported_not_hidden():
    rng = np.random.default_rng(1)
    gap = GeneralizedAssignment(rng.integers(10, 50, (5, 25)), rng.integers(5, 25, (5, 25)), np.full(5, 110))
    r = solve(gap, method="scip", options={"gap": 0.5})
    assert r.status is Status.OPTIMAL
    assert r.gap is not None and 0.0 <= r.gap <= 0.5
    assert "gap" in r.message
    assert_verified(gap, r)
    exact = solve(gap, method="scip")
    assert exact.gap == 0.0 and exact.objective <= r.objective
    assert exact.objective == solve(gap, method="highs").objective


def test_options_are_checked():
    gap = GeneralizedAssignment([[1, 2]], [[1, 1]], [2])
    with pytest.raises(OptionError, match="no parameter `limits/nope`"):
        solve(gap, method="scip", options={"limits/nope": 1})
    with pytest.raises(OptionError, match="`gap` must be a non-negative number"):
        solve(gap, method="scip", options={"gap": -1})
    with pytest.raises(OptionError, match="`warm_start` must have shape"):
        solve(gap, method="scip", options={"warm_start": [1.0]})
    r = solve(gap, method="scip", options={"limits/nodes": 1000, "warm_start": [1.0, 1.0]}, seed=3)
    assert_verified(gap, r, expected=3.0)


def test_status_table_covers_every_scip_status():
    # SCIP_STATUS names as pyscipopt's getStatus() spells them (SCIP 9/10 status list).
    known = {"optimal", "gaplimit", "infeasible", "unbounded", "inforunbd", "timelimit", "nodelimit",
             "totalnodelimit", "stallnodelimit", "memlimit", "sollimit", "bestsollimit", "restartlimit",
             "primallimit", "duallimit", "userinterrupt", "terminate", "unknown"}
    assert known <= set(SCIP_STATUS)
    for name, (with_x, without_x) in SCIP_STATUS.items():
        assert without_x is not Status.OPTIMAL and without_x is not Status.FEASIBLE, name


def test_build_then_run_separately():
    b = ProgramBuilder("min")
    x = b.add_block("x", (2,), lo=0, hi=1, integer=True, cost=[1.0, 2.0])
    b.add_rows(x[None, :], [[1.0, 1.0]], lo=1)
    p = b.build()
    import time
    built = build_scip(p, SolveOptions())
    assert built.model.getNVars() == 2 and built.epigraph is None
    r = run_scip(built, SolveOptions(), time.perf_counter())
    assert r.objective == 1.0 and r.x.tolist() == [1.0, 0.0]
