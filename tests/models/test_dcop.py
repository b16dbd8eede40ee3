"""The DCOP model: validation, checking, graph views, JSON files and the exact ILP."""
from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allotment.models import DCOP, Factor, InstanceError, load, save
from allotment.models.generators_dcop import (graph_coloring, meeting_scheduling, random_binary,
                                              sensor_coverage)
from allotment.solvers import solve
from tests.conftest import assert_verified


def brute_force(d: DCOP) -> float:
    costs = [d.evaluate(v) for v in itertools.product(*(range(s) for s in d.domain_sizes))]
    return min(costs) if d.sense == "min" else max(costs)


def small() -> DCOP:
    return DCOP([["R", "G"], ["R", "G"], [0, 1, 2]],
                [(("v1", "v2"), [[1, 0], [0, 1]]), ((0,), [0.5, 0]), ((0, 1, 2), np.arange(12.0).reshape(2, 2, 3))],
                variable_ids=["v1", "v2", "v3"], agent_ids=["a", "b"], owner=["a", "b", None])


def test_basic_fields_and_check() -> None:
    d = small()
    assert d.n_vars == 3 and d.n_factors == 3 and d.domain_sizes.tolist() == [2, 2, 3]
    assert d.owner.tolist() == [0, 1, -1] and d.factor_ids == ("f0", "f1", "f2")
    rep = d.check([1, 0, 2])
    assert rep.feasible and rep.objective == 0 + 0 + 8
    assert d.answer([1, 0, 2]).as_dict() == {"v1": "G", "v2": "R", "v3": 2}
    assert d.answer_from_labels({"v1": "G", "v2": "R", "v3": 2}).values.tolist() == [1, 0, 2]


@pytest.mark.parametrize("answer, match", [
    ([0, 0], "shape"), ([0, 0, 3], "not in \\[0, 3\\)"), ([0.5, 0, 0], "whole"), (["a", "b", "c"], "value indices"),
])
def test_check_rejects_malformed_answers(answer, match) -> None:
    rep = small().check(answer)
    assert not rep.feasible and any(re.search(match, v) for v in rep.violations)


def test_hard_constraints_are_infinite_costs() -> None:
    d = DCOP([2, 2], [((0, 1), [[np.inf, 0], [0, np.inf]])], factor_ids=["neq"])
    bad = d.check([1, 1])
    assert not bad.feasible and bad.objective == np.inf and "'neq'" in bad.violations[0]
    assert d.check([0, 1]).feasible
    dmax = DCOP([2, 2], [((0, 1), [[-np.inf, 1], [2, -np.inf]])], sense="max")
    assert dmax.check([1, 0]).objective == 2
    r = solve(dmax, method="highs")
    assert_verified(dmax, r, expected=2.0)


@pytest.mark.parametrize("kwargs, match", [
    (dict(domains=[], factors=[]), "at least one variable"),
    (dict(domains=[0], factors=[]), "at least 1"),
    (dict(domains=[["a", "a"]], factors=[]), "distinct"),
    (dict(domains=[2, 2], factors=[((0, 5), [[0, 0], [0, 0]])]), "not a variable index"),
    (dict(domains=[2, 2], factors=[((0, 0), [[0, 0], [0, 0]])]), "repeats a variable"),
    (dict(domains=[2, 2], factors=[((0, 1), [[0, 0, 0], [0, 0, 0]])]), "must have shape \\(2, 2\\)"),
    (dict(domains=[2], factors=[((0,), [np.nan, 0])]), "NaN"),
    (dict(domains=[2], factors=[((0,), [-np.inf, 0])]), "unbounded"),
    (dict(domains=[2], factors=[(("zz",), [0, 0])]), "unknown variable 'zz'"),
    (dict(domains=[2], factors=[((0,), [0, 0])], owner=[7], agent_ids=["a"]), "not an agent index"),
])
def test_every_validation_error(kwargs, match) -> None:
    with pytest.raises(InstanceError, match=match):
        DCOP(**kwargs)


def test_graph_views() -> None:
    d = small()
    cg = d.constraint_graph()
    assert sorted(cg.edges) == [(0, 1), (0, 2), (1, 2)] and cg.edges[0, 1]["factors"] == [0, 2]
    fg = d.factor_graph()
    assert fg.number_of_nodes() == 6 and fg.degree[("factor", 2)] == 3 and fg.nodes[("var", 0)]["id"] == "v1"


def test_json_round_trip(tmp_path) -> None:
    d = DCOP([["R", "G"], [1, 2]], [((0, 1), [[np.inf, 0], [0, 3]]), ((1,), [0.5, 0])], variable_ids=["a", "b"],
             agent_ids=["x"], owner=["x", None], name="tiny")
    path = tmp_path / "d.json"
    save(d, path)
    back = load(path)
    assert isinstance(back, DCOP) and back.to_data() == d.to_data()
    assert back.domains == (("R", "G"), (1, 2)) and np.isinf(back.factors[0].table[0, 0])


@pytest.mark.parametrize("make", [
    lambda: small(),
    lambda: random_binary(7, density=0.5, tightness=0.4, seed=3),
    lambda: random_binary(6, domain=2, density=0.6, hard=True, seed=5),
    lambda: graph_coloring(9, graph="grid", soft=True, seed=2),
    lambda: meeting_scheduling(4, 3, slots=3, seed=1),
    lambda: sensor_coverage(6, 3, seed=4),
])
def test_ilp_is_exact_against_brute_force(make) -> None:
    d = make()
    opt = brute_force(d)
    r = solve(d, method="highs")
    if np.isinf(opt):
        assert r.status.value == "infeasible"
    else:
        assert_verified(d, r, expected=opt)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10**6), sense=st.sampled_from(["min", "max"]))
def test_ilp_matches_brute_force_random(seed: int, sense: str) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 6))
    sizes = rng.integers(1, 4, size=n).tolist()
    factors = []
    for _ in range(int(rng.integers(1, 6))):
        k = int(rng.integers(1, min(3, n) + 1))
        scope = tuple(rng.choice(n, size=k, replace=False).tolist())
        table = rng.integers(-5, 6, size=[sizes[i] for i in scope]).astype(float)
        factors.append(Factor(scope, table))
    d = DCOP(sizes, factors, sense=sense)
    assert_verified(d, solve(d, method="highs"), expected=brute_force(d))


def test_generators_are_seeded() -> None:
    a = graph_coloring(30, graph="scale_free", soft=True, seed=7)
    b = graph_coloring(30, graph="scale_free", soft=True, seed=7)
    c = graph_coloring(30, graph="scale_free", soft=True, seed=8)
    assert a.to_data() == b.to_data() and a.to_data() != c.to_data()
    assert len(graph_coloring(30, graph="random", seed=1).factors) > 0
    hard = graph_coloring(10, graph="random", p_edge=0.4, hard_cost=np.inf, seed=1)
    assert np.isinf(hard.factors[0].table[0, 0])
    with pytest.raises(ValueError, match="`graph`"):
        graph_coloring(10, graph="ring")
    with pytest.raises(ValueError, match="square"):
        graph_coloring(10, graph="grid")
