"""The ``method="auto"`` fallback: an exact method first, the GA when exact solving runs short.

Policy, for a model that the GA can take (one with a task -> agent encoding) when ``auto``
picked an exact method:

- With a time limit ``T``: the exact method gets ``EXACT_SHARE * T`` seconds when its
  estimated time (:func:`estimated_exact_seconds`, from the model's size) fits in ``T``,
  and only ``PROBE_SHARE * T`` when it does not. If it proves optimality (or
  infeasibility) that is the result. Otherwise the GA runs for the time left, seeded with
  the exact method's incumbent if there is one.
- Without a time limit: the exact method runs to the end; the GA (with its own stopping
  rule) runs only if that ended with neither an answer nor a proof (an error).

The result holds the better answer, the tighter of the bounds (the exact method's MIP bound
or the GA's LP bound), and ``stages``: every method that ran, its seconds and its status.
Models without an encoding, and exact methods that prove their result, are untouched.

>>> from allotment.models import GeneralizedAssignment
>>> from allotment.solvers import solve
>>> gap = GeneralizedAssignment(cost=[[1, 5], [4, 2]], weight=[[3, 3], [3, 3]], capacity=[3, 3])
>>> r = solve(gap, time_limit=10)
>>> r.status.value, [s[0] for s in r.stages]
('optimal', ['highs'])
>>> round(estimated_exact_seconds(gap), 6) < 0.01
True
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace

from allotment.models import Model

from .backend import BACKENDS, Backend, SolveOptions, _load_builtin_backends
from .result import Result, Status

__all__ = ["solve_with_fallback", "estimated_exact_seconds", "EXACT_SHARE", "PROBE_SHARE", "FALLBACK_METHOD"]

#: share of the time limit an exact method gets when its estimate fits the limit
EXACT_SHARE = 0.8
#: share it gets (to find an incumbent) when the estimate does not fit
PROBE_SHARE = 0.3
#: the heuristic that takes over
FALLBACK_METHOD = "ga"
#: size model: seconds ~= BASE_SECONDS * (integer variables / 1000) ** EXPONENT
BASE_SECONDS = 2.0
EXPONENT = 1.5

Runner = Callable[[Backend, Model, SolveOptions], Result]


def estimated_exact_seconds(model: Model) -> float:
    """A rough size-based estimate of the seconds an exact MILP method needs for ``model``.

    ``BASE_SECONDS * (k / 1000) ** EXPONENT`` for ``k`` integer variables, ``1e-6 * columns``
    for a continuous program. Fitted loosely on OR-Library GAP with HiGHS on one core: it
    says which problems are *likely* too big, not how long a given one takes.
    """
    try:
        program = model.to_program()
    except Exception:  # noqa: BLE001 - a model without a Program: nothing to estimate
        return 0.0
    k = int(program.integrality.sum())
    if k == 0:
        return 1e-6 * program.n_cols
    return BASE_SECONDS * (k / 1000.0) ** EXPONENT


def _heuristic_for(model: Model) -> Backend | None:
    _load_builtin_backends()
    backend = BACKENDS.get(FALLBACK_METHOD)
    if backend is None or not backend.is_available() or not backend.accepts(model):
        return None
    return backend


def _decoded(model: Model, result: Result) -> Result:
    if result.answer is None and result.x is not None and result.ok:
        result.answer = model.decode(result.x)
    return result


def _tighter(sense: str, a: float | None, b: float | None) -> float | None:
    vals = [v for v in (a, b) if v is not None and math.isfinite(v)]
    if not vals:
        return None
    return max(vals) if sense == "min" else min(vals)


def combine(model: Model, stages: list[tuple[Result, float]]) -> Result:
    """One Result from the stages that ran: best answer, tightest bound, every stage listed."""
    sense = model.sense
    best: Result | None = None
    for res, _ in stages:
        if res.ok and res.objective is not None and (best is None or model.better(res.objective, best.objective)):
            best = res
    bound, bound_from = None, "none"
    for res, _ in stages:
        tighter = _tighter(sense, bound, res.bound)
        if tighter is not None and tighter != bound:
            bound, bound_from = tighter, res.method
    listing = [(res.method, seconds, res.status.value) for res, seconds in stages]
    text = ", then ".join(f"{m} {s:.2f} s ({st})" for m, s, st in listing)
    if best is None:
        last = stages[-1][0] if stages[-1][0].status is not Status.ERROR else stages[0][0]
        out = Result(last.status, bound=bound, method=last.method, message=f"{text}: no answer; {last.message}",
                     sense=sense)
    else:
        proven = best.status is Status.OPTIMAL or (
            bound is not None and best.objective is not None
            and (best.objective <= bound + 1e-9 * max(1.0, abs(bound)) if sense == "min"
                 else best.objective >= bound - 1e-9 * max(1.0, abs(bound))))
        out = Result(Status.OPTIMAL if proven else Status.FEASIBLE, objective=best.objective, bound=bound,
                     gap=0.0 if proven else None, method=best.method, x=best.x, answer=best.answer,
                     message=f"{text}; answer from {best.method}, bound from {bound_from}", sense=sense)
    out.stages = listing
    for res, _ in stages:
        out.info[res.method] = dict(res.info)
    return out


def solve_with_fallback(model: Model, backend: Backend, opts: SolveOptions, run: Runner) -> Result:
    """Run ``backend`` on ``model`` and, by the policy above, the GA after it."""
    heuristic = _heuristic_for(model)
    if heuristic is None or not backend.exact or backend is heuristic:
        return run(backend, model, opts)
    started = time.perf_counter()
    limit = opts.time_limit
    if limit is None:
        first = _decoded(model, run(backend, model, opts))
        if first.status is not Status.ERROR:
            return first
        seconds = time.perf_counter() - started
        tail_opts = SolveOptions(seed=opts.seed, verbose=opts.verbose)
    else:
        share = EXACT_SHARE if estimated_exact_seconds(model) <= limit else PROBE_SHARE
        first = _decoded(model, run(backend, model, replace(opts, time_limit=share * limit)))
        if first.status in (Status.OPTIMAL, Status.INFEASIBLE, Status.UNBOUNDED):
            return first
        seconds = time.perf_counter() - started
        left = limit - seconds
        if left <= 0.01:
            return first
        warm = {"warm_start": first.answer} if first.ok and first.answer is not None else None
        tail_opts = SolveOptions(time_limit=left, seed=opts.seed, verbose=opts.verbose, options=warm)
    if limit is None and first.ok and first.answer is not None:
        tail_opts = replace(tail_opts, options={"warm_start": first.answer})
    tail_start = time.perf_counter()
    second = run(heuristic, model, tail_opts)
    return combine(model, [(first, seconds), (second, time.perf_counter() - tail_start)])
