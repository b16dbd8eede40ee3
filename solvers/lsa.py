"""Linear assignment fast path: the model's cost matrix straight to an assignment algorithm.

- dense (every pair allowed): ``scipy.optimize.linear_sum_assignment`` (shortest
  augmenting path, Crouse 2016), rectangular included;
- sparse (forbidden pairs): OR-Tools ``SimpleLinearSumAssignment`` (cost scaling, Goldberg
  and Kennedy 1995) when the problem is square and the costs are whole numbers, otherwise
  ``scipy.sparse.csgraph.min_weight_full_bipartite_matching`` (LAPJVsp).

All three are exact: ``optimal`` means optimal, with gap 0. No Program is built.

>>> from allotment.models import LinearAssignment
>>> from allotment.solvers import solve
>>> solve(LinearAssignment([[4, 1], [2, 3]], sense="max"), method="lsa").objective
7.0
"""
from __future__ import annotations

import time

import numpy as np

from allotment.models import LinearAssignment, Model

from .backend import Backend, SolveOptions, register_backend
from .result import Result, Status

__all__ = ["LsaBackend", "solve_lap_arrays"]

# OR-Tools takes int64 costs; keep well inside so sums cannot overflow.
_ORTOOLS_MAX_COST = 2**40


def _unlocked(cost: np.ndarray) -> np.ndarray:
    """The writable owner of a model's read-only array view (see ``as_array``), else ``cost``.

    scipy's ``linear_sum_assignment`` copies read-only input (128 MB at n = 4000); it only
    reads the matrix, so it may have the owner instead.
    """
    base = cost.base
    if (isinstance(base, np.ndarray) and base.flags.writeable and base.shape == cost.shape
            and base.dtype == cost.dtype and base.strides == cost.strides
            and base.__array_interface__["data"][0] == cost.__array_interface__["data"][0]):
        return base
    return cost


def _dense(cost: np.ndarray, maximize: bool) -> tuple[np.ndarray, np.ndarray] | None:
    from scipy.optimize import linear_sum_assignment

    try:
        return linear_sum_assignment(_unlocked(cost), maximize=maximize)
    except ValueError:
        return None


def _sparse_ortools(cost: np.ndarray, allowed: np.ndarray, maximize: bool) -> tuple[np.ndarray, np.ndarray] | None:
    from ortools.graph.python import linear_sum_assignment as ortools_lsa

    n = cost.shape[0]
    rows, cols = np.nonzero(allowed)
    c = cost[rows, cols]
    c = -c if maximize else c
    solver = ortools_lsa.SimpleLinearSumAssignment()
    solver.add_arcs_with_cost(rows, cols, c.astype(np.int64))
    if solver.solve() != solver.OPTIMAL:
        return None
    agents = np.arange(n)
    tasks = np.array([solver.right_mate(i) for i in range(n)], dtype=np.int64)
    return agents, tasks


def _sparse_scipy(cost: np.ndarray, allowed: np.ndarray, maximize: bool) -> tuple[np.ndarray, np.ndarray] | None:
    import scipy.sparse as sp
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    m, n = cost.shape
    rows, cols = np.nonzero(allowed)
    c = cost[rows, cols]
    c = -c if maximize else c
    # Stored zeros count as missing edges there: shift every weight to be positive.
    w = c - c.min() + 1.0 if c.size else c
    transpose = m > n  # the algorithm matches every row: put the smaller side on the rows
    if transpose:
        rows, cols, (m, n) = cols, rows, (n, m)
    graph = sp.csr_array((w, (rows, cols)), shape=(m, n))
    try:
        r, k = min_weight_full_bipartite_matching(graph)
    except ValueError:
        return None
    return (k, r) if transpose else (r, k)


def solve_lap_arrays(cost: np.ndarray, allowed: np.ndarray | None, maximize: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """Matched ``(agent_indices, task_indices)`` of an optimal assignment, or None if none exists."""
    if allowed is None or allowed.all():
        return _dense(cost, maximize)
    m, n = cost.shape
    whole = np.all(cost == np.round(cost)) and np.abs(cost).max(initial=0) < _ORTOOLS_MAX_COST
    if m == n and whole:
        return _sparse_ortools(cost, allowed, maximize)
    return _sparse_scipy(cost, allowed, maximize)


@register_backend
class LsaBackend(Backend):
    """Exact linear assignment algorithms on the cost matrix (no Program)."""

    name = "lsa"
    accepts_classes = frozenset({"LAP"})
    required_modules = ("scipy", "ortools")
    auto_priority = 0
    description = "linear assignment: scipy (dense), OR-Tools / scipy csgraph (sparse)"

    def solve(self, model: Model, opts: SolveOptions) -> Result:
        assert isinstance(model, LinearAssignment)
        started = time.perf_counter()
        match = solve_lap_arrays(model.cost, model.allowed, model.sense == "max")
        if match is None:
            return Result(Status.INFEASIBLE, method=self.name, runtime=time.perf_counter() - started,
                          message="no full matching exists over the allowed pairs")
        agents, tasks = match
        assignment = np.full(model.n_tasks, -1, dtype=np.int64)
        assignment[tasks] = agents
        objective = float(model.cost[agents, tasks].sum())
        return Result(Status.OPTIMAL, objective=objective, bound=objective, gap=0.0, method=self.name,
                      runtime=time.perf_counter() - started, answer=model.answer(assignment),
                      message="exact assignment algorithm")
