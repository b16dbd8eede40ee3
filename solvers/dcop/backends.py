"""The DCOP methods as backends: ``dpop`` (exact), ``maxsum``, ``dsa``, ``mgm`` (anytime heuristics).

``highs`` and ``cpsat`` solve a DCOP too, through its exact ILP (:meth:`DCOP.to_program`).
``method="auto"`` tries ``dpop`` first (priority 5, before ``highs`` at 10): DPOP's
:meth:`~DpopBackend.refusal` plans the pseudo-tree and declines when the UTIL tables would
not fit in :data:`~allotment.solvers.dcop.dpop.DEFAULT_MEMORY_LIMIT`, and ``auto`` then
takes the exact ILP; ``Result.method`` says which ran and ``Result.message`` why.

Options (``options={...}``), each checked:

- ``dpop``: ``heuristic`` (auto, min-fill, min-degree, dfs), ``memory_limit`` (bytes), ``dtype``;
- ``maxsum``: ``max_iter``, ``damping``, ``noise``, ``stable_iters``, ``tol``;
- ``dsa``: ``max_iter``, ``variant`` (A, B, C), ``probability``, ``initial``;
- ``mgm``: ``max_iter``, ``initial``.

With a ``time_limit`` and no ``max_iter`` the heuristics run until the limit (or until
they converge). Heuristic results are ``feasible`` (never ``optimal``: no proof).

>>> from allotment.models import DCOP
>>> from allotment.solvers import solve
>>> d = DCOP([2, 2], [((0, 1), [[1, 0], [0, 1]]), ((0,), [0.5, 0])])
>>> r = solve(d)
>>> r.method, r.status.value, r.objective, r.answer.values.tolist()
('dpop', 'optimal', 0.0, [1, 0])
>>> solve(d, method="maxsum", seed=1).objective
0.0
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from allotment.models import DCOP, Model, OptionError

from ..backend import Backend, SolveOptions, register_backend
from ..result import Result, Status

__all__ = ["DpopBackend", "MaxSumBackend", "DsaBackend", "MgmBackend"]

_UNBOUNDED_ITER = 10**9


def _options(opts: SolveOptions, allowed: tuple[str, ...], method: str) -> dict[str, Any]:
    given = dict(opts.options or {})
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise OptionError(f"method {method!r} does not take option(s) {unknown}; it takes {list(allowed)}")
    return given


def _heuristic_result(model: DCOP, method: str, values: np.ndarray, cost: float, info: dict[str, Any],
                      note: str) -> Result:
    if math.isfinite(cost):
        return Result(Status.FEASIBLE, objective=float(cost), method=method, answer=model.answer(values),
                      message=note, info=info)
    return Result(Status.TIME_LIMIT, method=method, info=info,
                  message=f"{note}; no assignment satisfying every hard constraint was found")


class _DcopBackend(Backend):
    accepts_classes = frozenset({"DCOP"})
    required_modules = ("numpy", "scipy")

    def accepts(self, model: Model) -> bool:
        return isinstance(model, DCOP)


@register_backend
class DpopBackend(_DcopBackend):
    """Exact DPOP (UTIL/VALUE propagation on a pseudo-tree), refused when the tables are too large."""

    name = "dpop"
    auto_priority = 5
    exact = True
    description = "DPOP: exact dynamic programming on a pseudo-tree (min-fill / min-degree / DFS)"

    def refusal(self, model: Model) -> str | None:
        from .dpop import DEFAULT_MEMORY_LIMIT, _fmt_bytes, plan_dpop

        assert isinstance(model, DCOP)
        plan = plan_dpop(model)
        if plan.peak_bytes > DEFAULT_MEMORY_LIMIT:
            return (f"DPOP would need about {_fmt_bytes(plan.peak_bytes)} (limit {_fmt_bytes(DEFAULT_MEMORY_LIMIT)}): "
                    f"{plan.describe()}; use method='auto' or 'highs' (exact ILP), 'maxsum' (approximate), or "
                    f"allotment.solvers.dcop.dpop(model, memory_limit=...)")
        return None

    def solve(self, model: Model, opts: SolveOptions) -> Result:
        from .dpop import dpop

        assert isinstance(model, DCOP)
        given = _options(opts, ("heuristic", "memory_limit", "dtype"), self.name)
        r = dpop(model, time_limit=opts.time_limit, **given)
        info = dict(r.info, induced_width=r.plan.induced_width, largest_util=r.plan.largest_util)
        if r.status == "optimal":
            return Result(Status.OPTIMAL, objective=r.cost, bound=r.cost, gap=0.0, method=self.name,
                          answer=model.answer(r.values), message=f"DPOP exact: {r.plan.describe()}", info=info)
        if r.status == "infeasible":
            return Result(Status.INFEASIBLE, method=self.name, info=info,
                          message="DPOP: every assignment violates a hard constraint")
        return Result(Status.TIME_LIMIT, method=self.name, info=info, message=f"DPOP: {r.info.get('message', '')}")


def _iter_limit(given: dict[str, Any], opts: SolveOptions, default: int) -> int:
    if "max_iter" in given:
        return given.pop("max_iter")
    return _UNBOUNDED_ITER if opts.time_limit is not None else default


@register_backend
class MaxSumBackend(_DcopBackend):
    """Max-Sum (min-sum) message passing; anytime, returns the best assignment seen."""

    name = "maxsum"
    exact = False
    description = "Max-Sum message passing on the factor graph (vectorized, damping, anytime)"

    def solve(self, model: Model, opts: SolveOptions) -> Result:
        from .maxsum import max_sum

        assert isinstance(model, DCOP)
        given = _options(opts, ("max_iter", "damping", "noise", "stable_iters", "tol"), self.name)
        max_iter = _iter_limit(given, opts, 1000)
        r = max_sum(model, max_iter=max_iter, time_limit=opts.time_limit, seed=opts.seed, **given)
        info = {"iterations": r.iterations, "messages": r.messages, "converged": r.converged,
                "best_iteration": r.best_iteration, "stop_reason": r.stop_reason,
                "iterations_per_second": r.iterations_per_second, "trace": r.trace, "best_trace": r.best_trace}
        note = (f"Max-Sum: {r.iterations} rounds ({r.stop_reason}), best in round {r.best_iteration}; "
                f"heuristic, no optimality proof")
        return _heuristic_result(model, self.name, r.values, r.cost, info, note)


@register_backend
class DsaBackend(_DcopBackend):
    """Distributed stochastic algorithm (seeded, vectorized)."""

    name = "dsa"
    exact = False
    description = "DSA local search (variants A/B/C), seeded, anytime"

    def solve(self, model: Model, opts: SolveOptions) -> Result:
        from .local_search import dsa

        assert isinstance(model, DCOP)
        given = _options(opts, ("max_iter", "variant", "probability", "initial"), self.name)
        max_iter = _iter_limit(given, opts, 1000)
        r = dsa(model, max_iter=max_iter, time_limit=opts.time_limit, seed=opts.seed, **given)
        info = {"iterations": r.iterations, "best_iteration": r.best_iteration, "stop_reason": r.stop_reason,
                "trace": r.trace}
        return _heuristic_result(model, self.name, r.values, r.cost, info,
                                 f"DSA: {r.iterations} rounds ({r.stop_reason}); heuristic, no optimality proof")


@register_backend
class MgmBackend(_DcopBackend):
    """Maximum gain message local search (monotone, stops at a local optimum)."""

    name = "mgm"
    exact = False
    description = "MGM local search, seeded, anytime, monotone"

    def solve(self, model: Model, opts: SolveOptions) -> Result:
        from .local_search import mgm

        assert isinstance(model, DCOP)
        given = _options(opts, ("max_iter", "initial"), self.name)
        max_iter = _iter_limit(given, opts, 1000)
        r = mgm(model, max_iter=max_iter, time_limit=opts.time_limit, seed=opts.seed, **given)
        info = {"iterations": r.iterations, "best_iteration": r.best_iteration, "stop_reason": r.stop_reason,
                "converged": r.converged, "trace": r.trace}
        return _heuristic_result(model, self.name, r.values, r.cost, info,
                                 f"MGM: {r.iterations} rounds ({r.stop_reason}); heuristic, no optimality proof")
