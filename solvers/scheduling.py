"""Methods for :class:`~allotment.models.UnrelatedScheduling`: CP-SAT intervals and two baselines.

- ``cpsat`` (through :func:`~allotment.solvers.cpsat.register_cpsat_formulation`): one
  optional fixed-size interval per allowed (resource, task) pair, ``exactly_one`` presence
  per task, ``no_overlap`` per resource, ``C_j = S_ij + p_ij`` when ``j`` runs on ``i``;
  minimize ``sum_j w_j C_j``. Times and weights are scaled exactly to integers. The WSPT
  schedule is given as a hint.
- ``fifo`` and ``wspt``: the baselines :func:`~allotment.models.scheduling.fifo_schedule`
  and :func:`~allotment.models.scheduling.wspt_schedule` as methods (status ``feasible``:
  no optimality proof).

>>> from allotment.models import UnrelatedScheduling
>>> from allotment.solvers import solve
>>> m = UnrelatedScheduling([[3, 1, 2], [1, 4, 2]], weight=[1, 2, 1])
>>> [(r.method, r.status.value, r.objective) for r in (solve(m, "cpsat"), solve(m, "wspt"))]
[('cpsat', 'optimal', 6.0), ('wspt', 'feasible', 6.0)]
"""
from __future__ import annotations

import time

import numpy as np

from allotment.models import Model, ProgramBuilder
from allotment.models.scheduling import Schedule, UnrelatedScheduling, fifo_schedule, wspt_schedule

from .backend import Backend, SolveOptions, register_backend
from .cpsat import CpsatProgram, integer_scale_powers, register_cpsat_formulation
from .result import Result, Status

__all__ = ["build_scheduling_cpsat", "FifoBackend", "WsptBackend"]


def _refusal(model: UnrelatedScheduling) -> str | None:
    try:
        model.integer_times()
    except ValueError as exc:
        return str(exc)
    if (integer_scale_powers(model.weight, 6) < 0).any():
        return "cpsat needs weights that are decimals with at most 6 places"
    return None


def build_scheduling_cpsat(model: UnrelatedScheduling) -> CpsatProgram:
    """The interval model of ``model`` (module docstring); its ``decode`` returns a Schedule."""
    from ortools.sat.python import cp_model

    scale, p, r = model.integer_times()
    T = model.horizons()
    k = int(integer_scale_powers(model.weight, 6).max(initial=0))
    w = np.round(model.weight * 10**k).astype(np.int64)
    ii, jj = np.nonzero(model.allowed)
    pairs = list(zip(ii.tolist(), jj.tolist()))
    cp = cp_model.CpModel()
    presence = [cp.new_bool_var(f"on_{i}_{j}") for i, j in pairs]
    starts = [cp.new_int_var(int(r[j]), int(T[i] - p[i, j]), f"s_{i}_{j}") for i, j in pairs]
    intervals = [cp.new_optional_fixed_size_interval_var(s, int(p[i, j]), b, f"iv_{i}_{j}")
                 for s, b, (i, j) in zip(starts, presence, pairs)]
    timed = p[ii, jj] > 0  # a zero-length task occupies no time (CP-SAT would still order it)
    for i in range(model.n_resources):
        cp.add_no_overlap([intervals[q] for q in np.flatnonzero((ii == i) & timed)])
    completion = []
    for j in range(model.n_tasks):
        alts = np.flatnonzero(jj == j)
        cp.add_exactly_one([presence[q] for q in alts])
        low = int(r[j] + p[ii[alts], j].min()) if alts.size else 0
        c = cp.new_int_var(low, max(low, int(T.max(initial=0))), f"C_{j}")
        for q in alts:
            cp.add(c == starts[q] + int(p[ii[q], j])).only_enforce_if(presence[q])
        completion.append(c)
    cp.minimize(cp_model.LinearExpr.weighted_sum(completion, w.tolist()))
    hint = wspt_schedule(model)
    if hint is not None:
        for q, (i, j) in enumerate(pairs):
            on = int(hint.resource[j] == i)
            cp.add_hint(presence[q], on)
            if on:
                cp.add_hint(starts[q], int(round(hint.start[j] * scale)))
    n_pairs = len(pairs)

    def decode(values: np.ndarray) -> Schedule:
        on = values[:n_pairs] > 0.5
        resource = np.full(model.n_tasks, -1, dtype=np.int64)
        start = np.full(model.n_tasks, np.nan)
        resource[jj[on]] = ii[on]
        start[jj[on]] = values[n_pairs:][on] / scale
        return model.schedule(resource, start)

    return CpsatProgram(cp, presence + starts, float(scale * 10**k), ProgramBuilder("min").build(), decode=decode)


register_cpsat_formulation(UnrelatedScheduling, build_scheduling_cpsat, _refusal)


class _BaselineBackend(Backend):
    accepts_classes = frozenset({"SCHEDULING"})
    required_modules = ("numpy",)
    exact = False
    rule = staticmethod(fifo_schedule)

    def solve(self, model: Model, opts: SolveOptions) -> Result:
        assert isinstance(model, UnrelatedScheduling)
        started = time.perf_counter()
        reason = model.infeasibility_reason()
        if reason:
            return Result(Status.INFEASIBLE, method=self.name, message=reason, runtime=time.perf_counter() - started)
        schedule = type(self).rule(model)
        objective = float(model.weight @ schedule.end)
        return Result(Status.FEASIBLE, objective=objective, method=self.name, answer=schedule,
                      runtime=time.perf_counter() - started, message=f"{self.name} baseline: no optimality proof")


@register_backend
class FifoBackend(_BaselineBackend):
    """FIFO baseline: release order, each task to the resource where it starts first."""

    name = "fifo"
    rule = staticmethod(fifo_schedule)
    description = "scheduling baseline: first in, first out to the first free resource"


@register_backend
class WsptBackend(_BaselineBackend):
    """WSPT list scheduling baseline (Smith's ratio w_j / p_ij)."""

    name = "wspt"
    rule = staticmethod(wspt_schedule)
    description = "scheduling baseline: weighted shortest processing time list scheduling"
