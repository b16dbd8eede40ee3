"""allotment.solvers.dcop: DCOP algorithms (DPOP, Max-Sum, DSA, MGM) on :class:`~allotment.models.DCOP`.

Use them through ``allotment.solvers.solve(model, method="dpop" | "maxsum" | "dsa" | "mgm")``
or call the functions directly for their full results (traces, pseudo-trees, plans).

>>> from allotment.models import DCOP
>>> from allotment.solvers.dcop import dpop, max_sum
>>> d = DCOP([2, 2], [((0, 1), [[1, 0], [0, 1]])])
>>> dpop(d).cost, max_sum(d, seed=0).cost
(0.0, 0.0)
"""
from .dpop import DPOPPlan, DPOPResult, PseudoTree, dpop, elimination_order, plan_dpop, pseudo_tree
from .local_search import LocalSearchResult, dsa, mgm
from .maxsum import MaxSumResult, max_sum

__all__ = [
    "DPOPPlan", "DPOPResult", "LocalSearchResult", "MaxSumResult", "PseudoTree", "dpop", "dsa",
    "elimination_order", "max_sum", "mgm", "plan_dpop", "pseudo_tree",
]
