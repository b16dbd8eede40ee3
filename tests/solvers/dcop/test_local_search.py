"""DSA and MGM: seeded, anytime, MGM monotone and stops at a local optimum."""
from __future__ import annotations

import numpy as np
import pytest

from allotment.models import DCOP
from allotment.models.generators_dcop import graph_coloring, meeting_scheduling
from allotment.solvers.dcop import dpop, dsa, mgm
from allotment.solvers.dcop.local_search import local_costs
from allotment.solvers.dcop.maxsum import build_graph


def test_mgm_is_monotone_and_stops_at_a_local_optimum() -> None:
    d = graph_coloring(80, graph="scale_free", soft=True, seed=2)
    r = mgm(d, seed=4)
    assert r.converged and np.all(np.diff(r.trace) <= 1e-9)
    assert r.cost == r.trace.min() == d.check(r.values).objective >= dpop(d).cost
    local = local_costs(build_graph(d), r.values)  # no single variable can improve
    assert np.all(local[np.arange(d.n_vars), r.values] <= local.min(axis=1) + 1e-9)


@pytest.mark.parametrize("variant", ["A", "B", "C"])
def test_dsa_variants_are_seeded_and_anytime(variant) -> None:
    d = graph_coloring(60, graph="random", soft=True, seed=3)
    a = dsa(d, variant=variant, max_iter=60, seed=9)
    b = dsa(d, variant=variant, max_iter=60, seed=9)
    assert np.array_equal(a.values, b.values) and np.array_equal(a.trace, b.trace)
    assert a.cost == a.trace.min() == d.check(a.values).objective


def test_local_costs_match_the_model() -> None:
    d = meeting_scheduling(5, 4, slots=4, seed=1)
    g = build_graph(d)
    vals = np.zeros(d.n_vars, dtype=np.int64)
    exact = local_costs(g, vals, exact=True)
    for i in range(d.n_vars):
        for v in range(d.domain_sizes[i]):
            other = vals.copy()
            other[i] = v
            touching = [k for k, f in enumerate(d.factors) if i in f.scope]
            want = sum(d.factors[k].table[tuple(other[j] for j in d.factors[k].scope)] for k in touching)
            assert exact[i, v] == want


def test_initial_values_and_errors() -> None:
    d = DCOP([2, 2], [((0, 1), [[0, 1], [1, 0]])])
    assert mgm(d, initial=np.array([0, 0])).cost == 0
    with pytest.raises(ValueError, match="`initial`"):
        mgm(d, initial=np.array([5, 0]))
    with pytest.raises(ValueError, match="`variant`"):
        dsa(d, variant="D")
    with pytest.raises(ValueError, match="`probability`"):
        dsa(d, probability=0)
    with pytest.raises(ValueError, match="`max_iter`"):
        mgm(d, max_iter=0)
