"""Methods ga and pso in the registry: heuristics, never picked by auto directly."""
from allotment.models import GeneralizedAssignment, LinearAssignment
from allotment.solvers import available_methods, get_backend, methods_for, pick_method


def test_registered_as_heuristics():
    methods = available_methods()
    for name in ("ga", "pso"):
        b = methods[name]
        assert b.exact is False and b.auto_priority is None
    gap = GeneralizedAssignment([[1, 2]], [[1, 1]], [2])
    assert {"ga", "pso"} <= {b.name for b in methods_for(gap)}
    assert pick_method(gap).name not in ("ga", "pso")
    assert get_backend("ga").accepts(LinearAssignment([[1, 2], [3, 4]]))
