"""Methods for :class:`~allotment.models.ShareAllocation`: closed forms, LP sequence, cvxpy form.

- ``closed_form`` (exact): water-filling for ``demand_proportional`` / ``max_min_fair`` /
  ``equal``, Kleinrock's square-root rule for ``min_latency`` and the fractional knapsack
  for ``max_throughput`` (:meth:`ShareAllocation.rule_shares` and friends);
- ``lp_sequence`` (exact): the proportional rules as lexicographic max-min of ``g_i / a_i``
  by progressive filling, one LP per level and one per agent test, each solved by HiGHS
  (Bertsekas and Gallager, *Data Networks*, 1992, sec. 6.5.2);
- the cvxpy form of ``min_latency``: minimize ``(1/Lambda) sum_i lambda_i inv_pos(mu_i g_i - lambda_i)``
  (registered with :func:`~allotment.solvers.cvxpy_backend.register_cvxpy_formulation`;
  the other objectives go to cvxpy as their LP / QP).

>>> from allotment.models import ShareAllocation
>>> from allotment.solvers import solve
>>> m = ShareAllocation([1.0, 3.0], [10.0, 10.0], objective="min_latency")
>>> a, b = solve(m, "closed_form"), solve(m, "cvxpy")
>>> a.answer.shares.round(4).tolist(), round(a.objective, 5), abs(a.objective - b.objective) < 1e-6
([0.3196, 0.6804], 0.311, True)
"""
from __future__ import annotations

import time

import numpy as np

from allotment.models import Model, ProgramBuilder
from allotment.models.shares import RULES, ShareAllocation

from .backend import Backend, SolveOptions, register_backend
from .cvxpy_backend import CvxpyForm, register_cvxpy_formulation
from .highs import build_highs, run_highs
from .result import Result, Status

__all__ = ["ClosedFormBackend", "LpSequenceBackend", "progressive_filling", "share_cvxpy_form"]


def _infeasible(model: ShareAllocation, method: str, started: float) -> Result | None:
    reason = model.infeasibility_reason()
    if reason:
        return Result(Status.INFEASIBLE, method=method, message=reason, runtime=time.perf_counter() - started)
    return None


@register_backend
class ClosedFormBackend(Backend):
    """Exact closed forms of every ShareAllocation objective (no solver)."""

    name = "closed_form"
    accepts_classes = frozenset({"SHARES"})
    required_modules = ("numpy",)
    auto_priority = 0
    description = "share allocation closed forms: water-filling, square-root rule, fractional knapsack"

    def solve(self, model: Model, opts: SolveOptions) -> Result:
        assert isinstance(model, ShareAllocation)
        started = time.perf_counter()
        bad = _infeasible(model, self.name, started)
        if bad is not None:
            return bad
        if model.objective == "min_latency":
            g, how = model.square_root_shares(), "square-root rule (Kleinrock)"
        elif model.objective == "max_throughput":
            g, how = model.greedy_throughput_shares(), "fractional knapsack by w*mu"
        else:
            g, how = model.rule_shares(), "water-filling"
        objective = model.objective_value(g)
        return Result(Status.OPTIMAL, objective=objective, bound=objective, gap=0.0, method=self.name,
                      answer=model.answer(g), runtime=time.perf_counter() - started, message=f"closed form: {how}")


def _lp(model: ShareAllocation, lo: np.ndarray, grow: np.ndarray, target: int | None, t_fixed: float | None,
        opts: SolveOptions) -> Result:
    """One LP of the progressive filling: maximize t (or g[target] with t fixed) subject to
    ``g_i >= a_i t`` for the growing agents, bounds and capacity."""
    n = model.n_agents
    a = model.rule_weights()
    b = ProgramBuilder("max", name="progressive_filling")
    g = b.add_block("g", (n,), lo=lo, hi=np.maximum(model.upper_bounds(), lo),
                    cost=np.eye(n)[target] if target is not None else 0.0)
    t_lo = 0.0 if t_fixed is None else t_fixed
    t_hi = np.inf if t_fixed is None else t_fixed
    t = b.add_block("t", (1,), lo=t_lo, hi=t_hi, cost=1.0 if target is None else 0.0)
    rows = np.flatnonzero(grow)
    if rows.size:
        b.add_rows(np.stack([g[rows], np.repeat(t, rows.size)], axis=1),
                   np.stack([np.ones(rows.size), -a[rows]], axis=1), lo=0.0, name="level")
    b.add_rows(g[None, :], 1.0, hi=model.capacity, name="capacity")
    program = b.build()
    return run_highs(build_highs(program, opts), program, time.perf_counter())


def progressive_filling(model: ShareAllocation, opts: SolveOptions | None = None, rtol: float = 1e-7
                        ) -> tuple[np.ndarray | None, int, str]:
    """Lexicographic max-min of ``g_i / a_i`` by a sequence of HiGHS LPs.

    Each round maximizes the common level ``t`` of the agents not yet frozen, then freezes
    every agent that cannot exceed ``t`` while the others keep their levels. Returns
    ``(shares or None, number of LPs, message)``.
    """
    opts = opts or SolveOptions()
    started = time.perf_counter()
    a = model.rule_weights()
    lo = model.min_share.astype(float).copy()
    level = np.full(model.n_agents, np.nan)
    grow = a > 0
    n_lp = 0

    def sub_opts() -> SolveOptions | None:
        if opts.time_limit is None:
            return SolveOptions(seed=opts.seed)
        left = opts.time_limit - (time.perf_counter() - started)
        return None if left <= 0 else SolveOptions(time_limit=left, seed=opts.seed)

    while grow.any():
        so = sub_opts()
        if so is None:
            return None, n_lp, "time limit reached during progressive filling"
        res = _lp(model, lo, grow, None, None, so)
        n_lp += 1
        if res.status is not Status.OPTIMAL:
            return None, n_lp, f"level LP {res.status.value}: {res.message}"
        t_star = float(res.x[-1])
        t_fix = max(t_star * (1 - 1e-9) - 1e-12, 0.0)
        best: dict[int, float] = {}
        for i in np.flatnonzero(grow):
            so = sub_opts()
            if so is None:
                return None, n_lp, "time limit reached during progressive filling"
            r = _lp(model, lo, grow, int(i), t_fix, so)
            n_lp += 1
            if r.status is not Status.OPTIMAL:
                return None, n_lp, f"agent LP {r.status.value}: {r.message}"
            best[int(i)] = float(r.x[i]) / a[i]
        stuck = [i for i, v in best.items() if v <= t_star * (1 + rtol) + rtol]
        if not stuck:  # numerically every agent could still grow: freeze the tightest one
            stuck = [min(best, key=best.get)]
        for i in stuck:
            level[i] = t_star
            grow[i] = False
            lo[i] = max(lo[i], a[i] * t_star)
    shares = np.where(a > 0, np.clip(a * np.nan_to_num(level), model.min_share, model.upper_bounds()),
                      model.min_share)
    return shares, n_lp, f"progressive filling: {n_lp} HiGHS LPs"


@register_backend
class LpSequenceBackend(Backend):
    """The proportional share rules as lexicographic max-min, by a sequence of HiGHS LPs."""

    name = "lp_sequence"
    accepts_classes = frozenset({"SHARES"})
    required_modules = ("highspy",)
    auto_priority = None
    description = "share allocation rules as max-min fairness by progressive filling (HiGHS LPs)"

    def accepts(self, model: Model) -> bool:
        return isinstance(model, ShareAllocation) and model.objective in RULES

    def refusal(self, model: Model) -> str | None:
        if isinstance(model, ShareAllocation) and model.objective not in RULES:
            return f"it solves the objectives {list(RULES)} only; this model has {model.objective!r}"
        return None

    def solve(self, model: Model, opts: SolveOptions) -> Result:
        assert isinstance(model, ShareAllocation)
        started = time.perf_counter()
        bad = _infeasible(model, self.name, started)
        if bad is not None:
            return bad
        shares, n_lp, message = progressive_filling(model, opts)
        if shares is None:
            status = Status.TIME_LIMIT if "time limit" in message else Status.ERROR
            return Result(status, method=self.name, message=message, runtime=time.perf_counter() - started)
        objective = model.objective_value(shares)
        result = Result(Status.OPTIMAL, objective=objective, bound=objective, gap=0.0, method=self.name,
                        answer=model.answer(shares), runtime=time.perf_counter() - started,
                        message=message + " (LP tolerance 1e-7)")
        result.info["lps"] = n_lp
        return result


def share_cvxpy_form(model: ShareAllocation) -> CvxpyForm | None:
    """The convex program of ``min_latency`` (None for the other objectives: their LP/QP is used)."""
    if model.objective != "min_latency":
        return None
    import cvxpy as cp

    reason = model.infeasibility_reason()
    if reason:
        return CvxpyForm(None, infeasible=reason)
    n = model.n_agents
    g = cp.Variable(n)
    hi = model.upper_bounds()
    fin = np.flatnonzero(np.isfinite(hi))
    cons = [g >= model.min_share, cp.sum(g) <= model.capacity]
    if fin.size:
        cons.append(g[fin] <= hi[fin])
    lam, mu = model.arrival_rate, model.service_rate
    loaded = np.flatnonzero(lam > 0)
    if loaded.size:
        delay = cp.multiply(lam[loaded], cp.inv_pos(cp.multiply(mu[loaded], g[loaded]) - lam[loaded]))
        objective = cp.sum(delay) / float(lam.sum())
    else:
        objective = cp.Constant(0.0)
    problem = cp.Problem(cp.Minimize(objective), cons)

    def decode() -> object:
        return model.answer(np.clip(np.asarray(g.value, dtype=float), model.min_share, hi))

    return CvxpyForm(problem, decode=decode, objective=lambda ans: model.objective_value(ans.shares))


register_cvxpy_formulation(ShareAllocation, share_cvxpy_form)
