"""Clique, odd-cycle and zero-half cuts of packing programs: valid for every binary feasible point."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from allotment.models import load
from allotment.models.generators import random_auction
from allotment.solvers.highs import build_highs
from allotment.solvers.backend import SolveOptions
from allotment.solvers.packing_cuts import ConflictGraph, PackingCut, packing_rows


def feasible_points(A: np.ndarray, hi: np.ndarray) -> np.ndarray:
    n = A.shape[1]
    pts = np.array(list(itertools.product([0, 1], repeat=n)), dtype=float)
    return pts[np.all(pts @ A.T <= hi + 1e-9, axis=1)]


@st.composite
def packing_programs(draw):
    n_rows = draw(st.integers(1, 6))
    n_cols = draw(st.integers(2, 10))
    A = np.array([[draw(st.integers(0, 2)) for _ in range(n_cols)] for _ in range(n_rows)], dtype=float)
    hi = np.array([draw(st.integers(1, 3)) for _ in range(n_rows)], dtype=float)
    x = np.array([draw(st.integers(0, 8)) / 8 for _ in range(n_cols)])
    return A, hi, x


@settings(max_examples=30, deadline=None)
@given(packing_programs())
def test_conflicts_are_exactly_the_infeasible_pairs(program):
    A, hi, _ = program
    g = ConflictGraph.from_rows(sp.csr_array(A), hi)
    adj = g.adjacency.toarray()
    alone_ok = np.all(A <= hi[:, None], axis=0)  # a column that cannot be 1 on its own needs no edges
    for u, v in itertools.combinations(np.flatnonzero(alone_ok).tolist(), 2):
        together = np.zeros(A.shape[1])
        together[[u, v]] = 1
        assert adj[u, v] == adj[v, u] == bool(np.any(A @ together > hi + 1e-9))
    assert not adj.diagonal().any()


@settings(max_examples=30, deadline=None)
@given(packing_programs())
def test_every_cut_is_valid_and_violated(program):
    A, hi, x = program
    g = ConflictGraph.from_rows(sp.csr_array(A), hi)
    points = feasible_points(A, hi)
    cuts = g.separate_cliques(x) + g.separate_odd_cycles(x)
    for cut in cuts:
        assert cut.violation(x) > 1e-6
        lhs = points[:, cut.columns] @ cut.values
        assert np.all(lhs <= cut.rhs + 1e-9), cut


def test_lp_with_cuts_on_a_five_cycle():
    # Five bids on goods (0,1), (1,2), (2,3), (3,4), (4,0): a 5-cycle; LP optimum 2.5, integer 2.
    goods = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 0)]
    A = np.zeros((5, 5))
    for j, (a, b) in enumerate(goods):
        A[[a, b], j] = 1
    g = ConflictGraph.from_rows(sp.csr_array(A), np.ones(5))
    assert g.n_edges == 5 and g.separate_cliques(np.full(5, 0.5)) == []
    (cut,) = g.separate_odd_cycles(np.full(5, 0.5))
    assert cut.kind == "zero-half" and cut.rhs == 2.0 and cut.columns.tolist() == [0, 1, 2, 3, 4]
    assert cut.violation(np.full(5, 0.5)) == pytest.approx(0.5)


def test_non_packing_rows_are_left_out():
    A = sp.csr_array(np.array([[1.0, 1.0], [1.0, -1.0], [1.0, 1.0]]))
    assert packing_rows(A, np.array([1.0, 0.0, np.inf])).tolist() == [0]
    with pytest.raises(ValueError, match="conflict graph would hold"):
        ConflictGraph.from_rows(sp.csr_array(np.ones((1, 10))), np.ones(1), max_pairs=50)


def _cut_loop(program, rounds: int = 30) -> tuple[float, float, list[PackingCut]]:
    import highspy

    relaxed = program.with_changes(integrality=np.zeros(program.n_cols, dtype=bool))
    h = build_highs(relaxed, SolveOptions(options={"threads": 1}))
    h.run()
    first = h.getInfo().objective_function_value
    g = ConflictGraph.from_rows(program.A, program.row_hi)
    pool: list[PackingCut] = []
    for _ in range(rounds):
        cuts = g.separate(np.asarray(h.getSolution().col_value))
        if not cuts:
            break
        for c in cuts:
            h.addRow(-highspy.kHighsInf, c.rhs, c.columns.size, c.columns.astype(np.int32), c.values)
        pool += cuts
        h.run()
    return first, h.getInfo().objective_function_value, pool


def test_cuts_tighten_the_lp_but_never_below_the_optimum(shared_instances):
    from allotment.solvers import solve

    ca = load(shared_instances / "cats" / "2atom" / "2atom-100-500-0000.txt")
    first, last, pool = _cut_loop(ca.to_program())
    optimum = 41878349.0  # known.csv
    assert first > optimum + 1 and optimum - 1e-6 <= last < first
    best = solve(ca, "highs").answer.accepted.astype(float)
    for cut in pool:  # the optimal allocation satisfies every cut
        assert best[cut.columns] @ cut.values <= cut.rhs + 1e-9


@settings(max_examples=5, deadline=None)
@given(st.integers(0, 10_000))
def test_cut_loop_on_random_auctions_stays_above_the_optimum(seed):
    from allotment.solvers import solve

    ca = random_auction(8, 30, max_bundle=3, seed=seed)
    first, last, pool = _cut_loop(ca.to_program())
    res = solve(ca, "highs")
    assert last <= first + 1e-6 and last >= res.objective - 1e-6
    x = res.answer.accepted.astype(float)
    for cut in pool:
        assert x[cut.columns] @ cut.values <= cut.rhs + 1e-9
