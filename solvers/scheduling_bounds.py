"""Large unrelated-resource scheduling with a proof of quality: a positional matching and a lower bound.

For :class:`~allotment.models.UnrelatedScheduling` (``R | r_j | sum w_j C_j``) beyond the
reach of the exact time-indexed MILP and CP-SAT (hundreds of resources, thousands of tasks):

- :func:`parallel_machine_bound`, a lower bound. Shortening every task to its fastest time
  ``q_j = min_i p_ij`` on ``m`` identical resources is a relaxation (a left-shifted
  schedule stays feasible and no completion grows). With no release dates and all ``q_j``
  equal to ``q`` that relaxation is solved exactly by putting the heaviest tasks first,
  ``m`` at a time:

      LB = q * sum_r w_(r) * (floor(r / m) + 1),   w_(0) >= w_(1) >= ...

  otherwise Eastman, Even and Isaacs' bound
  ``LB = OPT_1(q) / m + (m - 1) / (2m) * sum_j w_j q_j`` holds (``OPT_1``: one resource, by
  Smith's rule); with release dates, ``LB = sum_j w_j (r_j + q_j)``.
- :func:`positional_schedule`, an upper bound: each task may only use its fastest
  resources; task ``j`` in position ``k`` (0-based) of resource ``i`` costs
  ``w_j (k + 1) q_j``, exact when the tasks of a resource all take the same time; a
  minimum-weight bipartite matching (``scipy.sparse.csgraph``) of tasks to positions, then
  each resource's tasks in Smith's order ``w_j / p_ij`` (optimal for a fixed assignment
  without release dates).
- method ``positional``: that schedule with the bound; status ``optimal`` when the bound
  (rounded up, for whole data) meets the objective, ``feasible`` with the bound and gap
  otherwise. The matching is one scipy call that cannot be interrupted: a ``time_limit``
  is not honoured inside it (2000 tasks on 100 resources: about 4 s on a shared 2-core
  machine).

References: W. L. Eastman, S. Even and I. M. Isaacs, "Bounds for the optimal scheduling of n
jobs on m processors", Management Science 11 (1964); W. E. Smith, "Various optimizers for
single-stage production", Naval Research Logistics Quarterly 3 (1956); W. A. Horn,
"Minimizing average flow time with parallel machines", Operations Research 21 (1973) (the
positional assignment for unit weights).

>>> from allotment.models.generators import typed_scheduling
>>> from allotment.solvers import solve
>>> s = typed_scheduling(100, n_resources=100, seed=0)    # 100 types-weighted tasks, 100 resources
>>> r = solve(s, "positional")
>>> r.status.value, r.objective, r.bound, s.check(r.answer).feasible
('optimal', 26117.0, 26117.0, True)
>>> r = solve(typed_scheduling(500, n_resources=100, seed=0), "positional")
>>> r.status.value, r.objective, r.bound, round(100 * r.gap, 3)
('feasible', 270240.0, 270221.0, 0.007)
"""
from __future__ import annotations

import math
import time

import numpy as np

from allotment.models import Model
from allotment.models.scheduling import Schedule, UnrelatedScheduling

from .backend import Backend, SolveOptions, register_backend
from .result import Result, Status

__all__ = ["parallel_machine_bound", "positional_schedule", "PositionalBackend"]


def _fastest(model: UnrelatedScheduling) -> np.ndarray:
    p = np.where(model.allowed, model.processing_time, np.inf)
    return p.min(axis=0)


def parallel_machine_bound(model: UnrelatedScheduling) -> float:
    """A lower bound on the optimal ``sum_j w_j C_j`` (see the module docstring).

    >>> from allotment.models import UnrelatedScheduling
    >>> parallel_machine_bound(UnrelatedScheduling([[1, 1, 1], [2, 1, 1]], weight=[3, 2, 1]))
    7.0
    """
    if model.infeasibility_reason():
        raise ValueError(f"`model` is infeasible: {model.infeasibility_reason()}")
    q, w, m = _fastest(model), model.weight, model.n_resources
    if np.any(model.release > 0):
        return float(w @ (model.release + q))
    if np.all(q == q[0]):
        ws = np.sort(w)[::-1]
        return float(q[0] * (ws * (np.arange(ws.size) // m + 1)).sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(q > 0, w / np.where(q > 0, q, 1.0), np.inf)
    order = np.argsort(-ratio, kind="stable")
    one = float((w[order] * np.cumsum(q[order])).sum())
    return max(one / m + (m - 1) / (2 * m) * float(w @ q), float(w @ q))


def positional_schedule(model: UnrelatedScheduling, *, slack: int = 2) -> Schedule:
    """The positional-matching schedule on the fastest resources (see the module docstring).

    >>> from allotment.models import UnrelatedScheduling
    >>> positional_schedule(UnrelatedScheduling([[1, 1, 1], [2, 1, 1]], weight=[3, 2, 1])).sequences()
    [[0, 2], [1]]
    """
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    if model.infeasibility_reason():
        raise ValueError(f"`model` is infeasible: {model.infeasibility_reason()}")
    if isinstance(slack, bool) or not isinstance(slack, int) or slack < 0:
        raise ValueError(f"`slack` must be a non-negative whole number; got {slack!r}")
    m, n = model.n_resources, model.n_tasks
    q, w = _fastest(model), model.weight
    fast = model.allowed & (np.where(model.allowed, model.processing_time, np.inf) == q[None, :])
    task, res = np.nonzero(fast.T)  # eligible (task, resource) pairs
    depth = int(math.ceil(n / m)) + slack
    while True:
        k = np.arange(depth)
        rows = np.repeat(task, depth)
        cols = np.repeat(res, depth) * depth + np.tile(k, task.size)
        # cost w q (k + 1); a small tie-break keeps the weights of the matching strictly positive
        cost = np.repeat(w[task] * q[task], depth) * np.tile(k + 1, task.size) + 1e-9 * np.tile(k + 1, task.size)
        graph = csr_array((cost + 1e-12, (rows, cols)), shape=(n, m * depth))
        try:
            _, col = min_weight_full_bipartite_matching(graph)
            break
        except ValueError:  # too few eligible positions for a full matching: go deeper
            if depth >= n:
                raise
            depth = min(n, 2 * depth)
    resource = (col // depth).astype(np.int64)
    start = np.zeros(n)
    p = model.processing_time
    for i in range(m):
        mine = np.flatnonzero(resource == i)
        if mine.size == 0:
            continue
        pj = p[i, mine]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(pj > 0, w[mine] / np.where(pj > 0, pj, 1.0), np.inf)
        order = mine[np.lexsort((mine, -ratio))]
        free = 0.0
        for j in order.tolist():
            start[j] = max(free, model.release[j])
            free = start[j] + p[i, j]
    return model.schedule(resource, start)


@register_backend
class PositionalBackend(Backend):
    """Positional matching + list schedules with the parallel-machine lower bound."""

    name = "positional"
    accepts_classes = frozenset({"SCHEDULING"})
    required_modules = ("numpy", "scipy")
    auto_priority = None
    exact = False
    description = ("large scheduling: positional matching on the fastest resources with a lower bound "
                   "(optimal when they meet)")

    def solve(self, model: Model, opts: SolveOptions) -> Result:
        assert isinstance(model, UnrelatedScheduling)
        started = time.perf_counter()
        if opts.options:
            raise ValueError(f"method 'positional' takes no options; got {sorted(opts.options)}")
        reason = model.infeasibility_reason()
        if reason:
            return Result(Status.INFEASIBLE, method=self.name, message=reason, runtime=time.perf_counter() - started)
        schedule = positional_schedule(model)
        objective = model.check(schedule).objective
        bound = parallel_machine_bound(model)
        whole = bool(np.all(model.weight == np.round(model.weight))
                     and np.all(model.processing_time[model.allowed] == np.round(model.processing_time[model.allowed]))
                     and np.all(model.release == np.round(model.release)))
        if whole:
            bound = float(math.ceil(bound - 1e-9 * max(1.0, abs(bound))))
        proven = objective <= bound + 1e-9 * max(1.0, abs(bound))
        if proven:
            return Result(Status.OPTIMAL, objective=objective, bound=objective, gap=0.0, answer=schedule,
                          method=self.name, runtime=time.perf_counter() - started,
                          message="positional schedule meets the parallel-machine lower bound: optimal")
        return Result(Status.FEASIBLE, objective=objective, bound=bound, answer=schedule, method=self.name,
                      runtime=time.perf_counter() - started,
                      message="positional schedule; lower bound from the parallel-machine relaxation")
