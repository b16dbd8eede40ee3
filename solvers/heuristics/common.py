"""What the GA and the PSO share: options, the LP-relaxation bound, seeds, the incumbent, the Result.

The bound is the optimum of the model's Program with integrality dropped, solved by HiGHS
(a convex QP relaxation for a quadratic objective). It is a valid bound only when HiGHS
proves the relaxation optimal; otherwise the result carries no bound. A heuristic answer is
``feasible``; it is ``optimal`` only when its objective meets that bound (rounded to a
whole number first when every answer has a whole-number objective).

>>> from allotment.models import GeneralizedAssignment
>>> from allotment.solvers.heuristics.adapters import encode
>>> gap = GeneralizedAssignment(cost=[[1, 5], [4, 2]], weight=[[3, 3], [3, 3]], capacity=[3, 3])
>>> relax = lp_relaxation(gap, encode(gap), None)
>>> relax.bound, relax.status
(3.0, 'optimal')
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from allotment.models import Model, OptionError

from ..backend import SolveOptions
from ..result import Result, Status
from .adapters import encode
from .encoding import EPS, Encoding, Population

__all__ = ["Relaxation", "lp_relaxation", "read_options", "Incumbent", "HeuristicRun", "start_run"]


@dataclass
class Relaxation:
    """LP (or convex QP) relaxation: bound in the model's sense, LP scores for seeding."""

    bound: float | None = None
    scores: np.ndarray | None = None
    status: str = "not run"
    seconds: float = 0.0
    infeasible: bool = False

    def internal_bound(self, enc: Encoding) -> float | None:
        """The bound on ``f`` (minimisation form), rounded up when objectives are whole."""
        if self.bound is None:
            return None
        b = enc.sign * self.bound
        return float(math.ceil(b - 1e-6)) if enc.integral else b


def lp_relaxation(model: Model, enc: Encoding, time_limit: float | None) -> Relaxation:
    """Solve the continuous relaxation of ``model`` with HiGHS within ``time_limit`` seconds."""
    from ..highs import build_highs, run_highs

    started = time.perf_counter()
    tried: list[str] = []
    programs = [model.to_program()]
    try:
        alt = model.program_for(frozenset({"MILP", "LP"}))
        if alt is not programs[0]:
            programs.append(alt)
    except ValueError:
        pass
    for program in programs:
        relaxed = program.with_changes(integrality=np.zeros(program.n_cols, dtype=bool))
        left = None if time_limit is None else max(time_limit - (time.perf_counter() - started), 0.01)
        try:
            res = run_highs(build_highs(relaxed, SolveOptions(time_limit=left)), relaxed, started, "highs-lp")
        except Exception as exc:  # noqa: BLE001 - no relaxation is no bound, not a failure
            tried.append(f"{type(exc).__name__}: {exc}")
            continue
        if res.status is Status.INFEASIBLE:
            return Relaxation(status="infeasible", seconds=time.perf_counter() - started, infeasible=True)
        if res.status is Status.OPTIMAL and res.objective is not None:
            score_fn = enc.info.get("lp_scores")
            scores = score_fn(res.x) if score_fn is not None and res.x is not None else None
            return Relaxation(float(res.objective), scores, "optimal", time.perf_counter() - started)
        tried.append(res.status.value)
    return Relaxation(status="not solved: " + "; ".join(tried), seconds=time.perf_counter() - started)


def read_options(opts: SolveOptions, defaults: dict[str, Any], method: str) -> dict[str, Any]:
    """``defaults`` updated with ``opts.options``; an unknown or ill-typed option is an OptionError."""
    given = dict(opts.options or {})
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise OptionError(f"unknown option `{unknown[0]}` for method {method!r}; it takes {sorted(defaults)}")
    out = dict(defaults)
    for key, value in given.items():
        default = defaults[key]
        if key == "warm_start" or value is None:
            out[key] = value
            continue
        if isinstance(default, bool) or (default is None and isinstance(value, bool)):
            if not isinstance(value, bool):
                raise OptionError(f"option `{key}` must be True or False; got {value!r}")
        elif isinstance(default, int) or default is None:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise OptionError(f"option `{key}` must be a positive int; got {value!r}")
        elif isinstance(default, float):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or value < 0:
                raise OptionError(f"option `{key}` must be a non-negative number; got {value!r}")
            value = float(value)
        out[key] = value
    return out


@dataclass
class Incumbent:
    """The best feasible vector seen so far (minimisation form)."""

    vector: np.ndarray | None = None
    cost: float = math.inf
    found_at: float = 0.0
    improvements: int = 0

    def offer(self, pop: Population, when: float) -> bool:
        """Take the best feasible row of ``pop`` if it beats the incumbent; True if it did."""
        feasible = pop.violation <= EPS
        if not feasible.any():
            return False
        costs = np.where(feasible, pop.cost, np.inf)
        k = int(np.argmin(costs))
        if costs[k] < self.cost - EPS:
            self.vector, self.cost, self.found_at = pop.vectors[k].copy(), float(costs[k]), when
            self.improvements += 1
            return True
        return False


@dataclass
class HeuristicRun:
    """One heuristic run's context: encoding, clock, bound, seeds, incumbent."""

    model: Model
    enc: Encoding
    method: str
    started: float
    deadline: float | None
    relaxation: Relaxation
    rng: np.random.Generator
    seeds: list[np.ndarray] = field(default_factory=list)
    best: Incumbent = field(default_factory=Incumbent)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def bound(self) -> float | None:
        return self.relaxation.internal_bound(self.enc)

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.perf_counter() >= self.deadline

    def proven(self) -> bool:
        """True when the incumbent meets the bound (then it is optimal)."""
        b = self.bound
        return b is not None and self.best.vector is not None and \
            self.best.cost <= b + 1e-9 * max(1.0, abs(b))

    def lp_seeds(self, count: int) -> list[np.ndarray]:
        """Rounded LP solutions: the argmax rounding, then ``count - 1`` randomized roundings."""
        scores = self.relaxation.scores
        if scores is None or count <= 0:
            return []
        s = np.where(self.enc.allowed, np.clip(scores, 0.0, None), 0.0) + 1e-12 * self.enc.allowed
        out = [np.argmax(s, axis=0).astype(np.int64)]
        probs = s / s.sum(axis=0, keepdims=True)
        cum = np.cumsum(probs, axis=0)
        for _ in range(count - 1):
            u = self.rng.random(self.enc.n_tasks)
            out.append(np.minimum((cum < u[None, :]).sum(axis=0), self.enc.n_agents - 1).astype(np.int64))
        return out

    def result(self, stopped_by_clock: bool, **info: Any) -> Result:
        """The Result of the run: the incumbent with the relaxation bound, honestly labelled."""
        self.info.update(info)
        self.info.update(lp_status=self.relaxation.status, lp_seconds=round(self.relaxation.seconds, 4),
                         improvements=self.best.improvements, best_found_at=round(self.best.found_at, 4))
        runtime = time.perf_counter() - self.started
        bound = self.relaxation.bound
        if self.enc.integral and bound is not None:
            bound = self.enc.sign * self.bound  # rounded towards the optimum
        if self.best.vector is None:
            status = Status.TIME_LIMIT if stopped_by_clock else Status.ERROR
            msg = "no feasible assignment found" + (" within the time limit" if stopped_by_clock else
                                                    " before the stopping rule (more time may help)")
            res = Result(status, bound=bound, runtime=runtime, method=self.method, message=msg, sense=self.model.sense)
            res.info.update(self.info)
            return res
        objective = self.enc.model_objective(self.best.cost)
        if self.enc.integral:
            objective = float(round(objective))
        proven = self.proven()
        status = Status.OPTIMAL if proven else Status.FEASIBLE
        why = "time limit" if stopped_by_clock else ("bound reached" if proven else "stopping rule")
        source = ("bound from the LP relaxation" if bound is not None
                  else f"no bound: LP relaxation {self.relaxation.status}")
        msg = f"{self.method}: heuristic, stopped by {why}; {source}"
        res = Result(status, objective=objective, bound=bound, gap=0.0 if proven else None, runtime=runtime,
                     method=self.method, message=msg, answer=self.enc.to_answer(self.best.vector.copy()),
                     sense=self.model.sense)
        res.info.update(self.info)
        return res


def start_run(model: Model, opts: SolveOptions, options: dict[str, Any], method: str) -> HeuristicRun | Result:
    """Encode, start the clock, solve the relaxation and collect seeds; or a final Result.

    Returns a Result straight away when the model is proven infeasible (a task no agent
    may take, or an infeasible relaxation).
    """
    started = time.perf_counter()
    deadline = None if opts.time_limit is None else started + float(opts.time_limit)
    enc = encode(model)
    rng = np.random.default_rng(opts.seed)
    stranded = enc.stranded
    if stranded.size:
        return Result(Status.INFEASIBLE, method=method, runtime=time.perf_counter() - started, sense=model.sense,
                      message=f"task index {int(stranded[0])} fits no agent (its weight exceeds every capacity)")
    relaxation = Relaxation()
    if options["lp"]:
        # The relaxation may take at most half the budget; without it there is no bound.
        budget = None if opts.time_limit is None else opts.time_limit / 2
        relaxation = lp_relaxation(model, enc, budget)
        if relaxation.infeasible:
            return Result(Status.INFEASIBLE, method=method, runtime=time.perf_counter() - started, sense=model.sense,
                          message="the LP relaxation is infeasible, so is the model")
    run = HeuristicRun(model, enc, method, started, deadline, relaxation, rng)
    warm = options.get("warm_start")
    if warm is not None:
        if enc.from_answer is None:
            raise OptionError(f"{type(model).__name__} cannot take `warm_start` in method {method!r}")
        run.seeds.append(np.asarray(enc.from_answer(warm), dtype=np.int64))
    return run
