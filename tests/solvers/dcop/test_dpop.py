"""DPOP is exact: the pyDCOP optima, brute force on random DCOPs, every heuristic, memory refusal."""
from __future__ import annotations

import csv
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allotment.models import DCOP, Factor, SolverUnavailableError, load
from allotment.models.generators_dcop import graph_coloring, meeting_scheduling, random_binary, sensor_coverage
from allotment.solvers import solve
from allotment.solvers.dcop import dpop, plan_dpop, pseudo_tree
from tests.conftest import assert_verified


def brute_force(d: DCOP) -> float:
    costs = [d.evaluate(v) for v in itertools.product(*(range(s) for s in d.domain_sizes))]
    return min(costs) if d.sense == "min" else max(costs)


def known_rows(shared_instances):
    folder = shared_instances / "dcop" / "pydcop"
    with open(folder / "known.csv") as fh:
        return [(folder / r["instance"], r["objective"], float(r["optimum"])) for r in csv.DictReader(fh)]


@pytest.mark.parametrize("method", ["dpop", "highs", "cpsat"])
def test_pydcop_optima_reproduced(shared_instances, method) -> None:
    rows = known_rows(shared_instances)
    assert len(rows) == 13
    for path, sense, optimum in rows:
        d = load(path)
        assert d.sense == sense, path.name
        r = solve(d, method=method, time_limit=30)
        assert r.status.value == "optimal", (path.name, r)
        assert_verified(d, r, expected=optimum, rel=1e-9)


def random_dcop(seed: int, sense: str, hard: bool) -> DCOP:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 7))
    sizes = rng.integers(1, 4, size=n).tolist()
    factors = []
    for _ in range(int(rng.integers(1, 8))):
        k = int(rng.integers(0, min(3, n) + 1))
        scope = tuple(rng.choice(n, size=k, replace=False).tolist())
        table = np.round(rng.normal(size=[sizes[i] for i in scope]) * 10, 1)
        if hard and k >= 1:
            table[rng.random(table.shape) < 0.15] = np.inf if sense == "min" else -np.inf
        factors.append(Factor(scope, table))
    return DCOP(sizes, factors, sense=sense)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), sense=st.sampled_from(["min", "max"]), hard=st.booleans(),
       heuristic=st.sampled_from(["auto", "min-fill", "min-degree", "dfs"]))
def test_dpop_equals_brute_force(seed: int, sense: str, hard: bool, heuristic: str) -> None:
    d = random_dcop(seed, sense, hard)
    best = brute_force(d)
    r = dpop(d, heuristic=heuristic)
    if np.isinf(best):
        assert r.status == "infeasible" and r.values is None
    else:
        assert r.status == "optimal"
        assert d.check(r.values).feasible
        assert r.cost == pytest.approx(best, abs=1e-9)


@pytest.mark.parametrize("make", [
    lambda: graph_coloring(40, graph="scale_free", soft=True, seed=4),
    lambda: graph_coloring(36, graph="grid", soft=True, seed=4),
    lambda: random_binary(18, density=0.25, seed=2),
    lambda: meeting_scheduling(8, 7, slots=5, seed=3),
    lambda: sensor_coverage(14, 8, seed=5),
])
def test_dpop_agrees_with_ilp(make) -> None:
    d = make()
    exact = solve(d, method="highs")
    for h in ("min-fill", "min-degree", "dfs"):
        r = dpop(d, heuristic=h)
        assert r.status == "optimal" and r.cost == pytest.approx(exact.objective, abs=1e-6), h
        assert d.check(r.values).objective == pytest.approx(r.cost)


def test_pseudo_tree_is_valid() -> None:
    d = graph_coloring(50, graph="scale_free", soft=True, seed=9)
    for h in ("min-fill", "min-degree", "dfs"):
        t = pseudo_tree(d, h)
        assert sorted(t.order.tolist()) == list(range(50))

        def ancestors(v):
            out = set()
            while t.parent[v] >= 0:
                v = int(t.parent[v])
                out.add(v)
            return out
        for f in d.factors:  # every table lies on one root path
            a, b = f.scope
            assert a in ancestors(b) or b in ancestors(a), h
        for v in range(50):
            assert set(t.separators[v]) <= ancestors(v)


def test_memory_refusal_says_what_to_do() -> None:
    d = graph_coloring(120, graph="random", p_edge=0.2, soft=True, seed=1)
    plan = plan_dpop(d)
    assert plan.induced_width > 25
    with pytest.raises(SolverUnavailableError, match="memory_limit.*method='highs'"):
        dpop(d)
    with pytest.raises(SolverUnavailableError, match="cannot take this model.*induced width"):
        solve(d, method="dpop")
    small = graph_coloring(30, graph="scale_free", soft=True, seed=1)
    with pytest.raises(SolverUnavailableError, match="would need"):
        dpop(small, memory_limit=10)
    with pytest.raises(ValueError, match="`memory_limit`"):
        dpop(small, memory_limit=-1)
    with pytest.raises(ValueError, match="`heuristic`"):
        dpop(small, heuristic="best")


def test_float32_only_when_exact() -> None:
    ints = graph_coloring(20, graph="scale_free", soft=True, seed=1)
    assert plan_dpop(ints).dtype == np.float32
    frac = DCOP([2, 2], [((0, 1), [[0.1, 0.2], [0.3, 0.4]])])
    assert plan_dpop(frac).dtype == np.float64
    r64 = dpop(ints, dtype="float64")
    assert r64.cost == dpop(ints).cost


def test_scale_free_100_is_fast() -> None:
    d = graph_coloring(100, graph="scale_free", m_edge=2, soft=True, seed=100)
    r = dpop(d)
    assert r.status == "optimal" and r.runtime < 10
    assert d.check(r.values).objective == r.cost


def test_time_limit_is_honoured() -> None:
    d = graph_coloring(100, graph="scale_free", m_edge=2, soft=True, seed=100)
    r = dpop(d, heuristic="dfs", time_limit=0.05)
    assert r.status == "time_limit" and r.values is None and r.runtime < 5
