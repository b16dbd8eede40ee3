"""Benchmark: allotment's GA and PSO against pymoo's GA, DEAP's GA and pyswarms on OR-Library GAP.

Every method gets the same wall-clock budget per problem, one after the other in this one
process. Measured on gapa..gapd (24 minimisation problems, best known values from
``shared/instances/gap/known.csv``), then how often our GA reaches the optimum of gap1..gap12
(60 problems, minimisation and the published maximisation).

- ``ga``, ``pso``: ``solve(model, method="ga" | "pso", time_limit=T, seed=0)``;
- ``ga-nolp``: our GA without rounded LP solutions in its first population (bound still LP);
- ``highs``: ``solve(model, method="highs", time_limit=T)`` for reference (exact MIP);
- ``pymoo-ga``: pymoo's ``GA`` (integer vector task -> agent, rounded SBX crossover and
  polynomial mutation, duplicates eliminated, population 100);
- ``deap-ga``: DEAP, integer vector, uniform crossover, uniform-integer mutation, tournament
  of 3, ``(mu + lambda)``-style elitist loop, population 100;
- ``pyswarms``: ``GlobalBestPSO`` on random keys (``n_agents * n_tasks`` reals, argmax decode),
  30 particles, c1 = c2 = 1.5, w = 0.7.

The peers minimise ``cost + lam * overload`` with ``lam`` = the largest cost (a plain penalty
encoding); each is credited with the best *feasible* vector it ever evaluated. Gaps are to
the best known value, in percent; "feasible" counts problems where a method found any
feasible answer (a method with none gets no gap on that problem and the mean is over the
problems it solved, so look at both columns).

The peers are not dependencies of allotment::

    .venv/bin/pip install pymoo deap pyswarms

Run (full: ~35 min on 2 cores; quick: ~1 min)::

    .venv/bin/python benchmarks/heuristics.py [--quick] [--time 10] [--methods ga,pso,...]
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from allotment.models import GeneralizedAssignment, read_orlib_gap
from allotment.solvers import solve

SHARED = Path(os.environ.get("ALLOTMENT_SHARED", Path(__file__).resolve().parents[2] / "shared"))
GAP_DIR = SHARED / "instances" / "gap"


class _Timeout(Exception):
    pass


class Tracker:
    """Penalised objective for the peers, keeping the best feasible vector they evaluate."""

    def __init__(self, model: GeneralizedAssignment, deadline: float) -> None:
        self.model, self.deadline = model, deadline
        self.C, self.W, self.cap = model.cost, model.weight, model.capacity
        self.lam = float(np.abs(self.C).max()) or 1.0
        self.best = np.inf
        self.best_vec: np.ndarray | None = None
        self.evaluations = 0

    def __call__(self, X: np.ndarray, *, stop: bool = False) -> np.ndarray:
        """Penalised cost of every row of ``X`` (task -> agent vectors)."""
        if stop and time.perf_counter() > self.deadline:
            raise _Timeout
        X = np.asarray(X, dtype=np.int64).reshape(-1, self.C.shape[1])
        m, n = self.C.shape
        P = X.shape[0]
        cols = np.arange(n)[None, :]
        cost = self.C[X, cols].sum(axis=1)
        flat = (np.arange(P)[:, None] * m + X).ravel()
        loads = np.bincount(flat, weights=self.W[X, cols].ravel(), minlength=P * m).reshape(P, m)
        over = np.maximum(loads - self.cap[None], 0).sum(axis=1)
        feasible = over <= 1e-9
        if feasible.any():
            k = int(np.argmin(np.where(feasible, cost, np.inf)))
            if cost[k] < self.best:
                self.best, self.best_vec = float(cost[k]), X[k].copy()
        self.evaluations += P
        return cost + self.lam * over

    def objective(self) -> float | None:
        if self.best_vec is None:
            return None
        report = self.model.check(self.best_vec)  # independent check of the peer's answer
        assert report.feasible, report.violations
        return report.objective


def run_ours(method: str, **options: object) -> Callable[[GeneralizedAssignment, float, int], float | None]:
    def run(model: GeneralizedAssignment, limit: float, seed: int) -> float | None:
        r = solve(model, method=method, time_limit=limit, seed=seed, options=options or None)
        if not r.ok:
            return None
        report = model.check(r.answer)
        assert report.feasible and abs(report.objective - r.objective) < 1e-6, (report, r)
        return r.objective

    return run


def run_highs(model: GeneralizedAssignment, limit: float, seed: int) -> float | None:
    return run_ours("highs")(model, limit, seed)


def run_pymoo(model: GeneralizedAssignment, limit: float, seed: int) -> float | None:
    from pymoo.algorithms.soo.nonconvex.ga import GA
    from pymoo.core.problem import Problem
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.mutation.pm import PM
    from pymoo.operators.repair.rounding import RoundingRepair
    from pymoo.operators.sampling.rnd import IntegerRandomSampling
    from pymoo.optimize import minimize
    from pymoo.termination import get_termination

    m, n = model.cost.shape
    track = Tracker(model, time.perf_counter() + limit)

    class GapProblem(Problem):
        def __init__(self) -> None:
            super().__init__(n_var=n, n_obj=1, xl=0, xu=m - 1, vtype=int)

        def _evaluate(self, X, out, *args, **kwargs):  # noqa: ANN001 - pymoo's signature
            out["F"] = track(np.clip(np.round(X), 0, m - 1))

    algorithm = GA(pop_size=100, sampling=IntegerRandomSampling(),
                   crossover=SBX(prob=0.9, eta=15, vtype=float, repair=RoundingRepair()),
                   mutation=PM(eta=20, vtype=float, repair=RoundingRepair()), eliminate_duplicates=True)
    secs = max(int(limit), 1)
    minimize(GapProblem(), algorithm, get_termination("time", f"00:00:{secs:02d}" if secs < 60 else "00:01:00"),
             seed=seed, verbose=False)
    return track.objective()


def run_deap(model: GeneralizedAssignment, limit: float, seed: int) -> float | None:
    import random

    from deap import base, creator, tools

    m, n = model.cost.shape
    track = Tracker(model, time.perf_counter() + limit)
    if not hasattr(creator, "GapFitness"):
        creator.create("GapFitness", base.Fitness, weights=(-1.0,))
        creator.create("GapIndividual", list, fitness=creator.GapFitness)
    rnd = random.Random(seed)
    tb = base.Toolbox()
    tb.register("individual", lambda: creator.GapIndividual(rnd.randrange(m) for _ in range(n)))
    tb.register("mate", tools.cxUniform, indpb=0.5)
    tb.register("mutate", tools.mutUniformInt, low=0, up=m - 1, indpb=2.0 / n)
    tb.register("select", tools.selTournament, tournsize=3)
    random.seed(seed)  # DEAP's operators draw from the module-level generator

    def evaluate(inds: list) -> None:
        fit = track(np.array(inds))
        for ind, f in zip(inds, fit):
            ind.fitness.values = (float(f),)

    pop = [tb.individual() for _ in range(100)]
    evaluate(pop)
    while time.perf_counter() < track.deadline:
        offspring = [tb.clone(ind) for ind in tb.select(pop, len(pop))]
        for a, b in zip(offspring[::2], offspring[1::2]):
            if random.random() < 0.9:
                tb.mate(a, b)
        for ind in offspring:
            tb.mutate(ind)
        evaluate(offspring)
        pop = tools.selBest(pop + offspring, len(pop))
    return track.objective()


def run_pyswarms(model: GeneralizedAssignment, limit: float, seed: int) -> float | None:
    import logging

    m, n = model.cost.shape
    track = Tracker(model, time.perf_counter() + limit)
    np.random.seed(seed)  # pyswarms draws from numpy's global generator

    def f(keys: np.ndarray) -> np.ndarray:
        return track(np.argmax(keys.reshape(-1, m, n), axis=1), stop=True)

    here = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:  # pyswarms writes report.log into the working directory
        os.chdir(tmp)
        try:
            import pyswarms as ps

            logging.getLogger("pyswarms").setLevel(logging.ERROR)
            opt = ps.single.GlobalBestPSO(n_particles=30, dimensions=m * n, bounds=(np.zeros(m * n), np.ones(m * n)),
                                          options={"c1": 1.5, "c2": 1.5, "w": 0.7})
        finally:
            os.chdir(here)
    try:
        opt.optimize(f, iters=10**9, verbose=False)
    except _Timeout:
        pass
    return track.objective()


METHODS: dict[str, Callable[[GeneralizedAssignment, float, int], float | None]] = {
    "ga": run_ours("ga"),
    "pso": run_ours("pso"),
    "ga-nolp": run_ours("ga", lp_seed=False),
    "highs": run_highs,
    "pymoo-ga": run_pymoo,
    "deap-ga": run_deap,
    "pyswarms": run_pyswarms,
}


def known_values() -> dict[tuple[str, int], dict[str, str]]:
    with open(GAP_DIR / "known.csv") as fh:
        return {(row["file"], int(row["problem"])): row for row in csv.DictReader(fh)}


def fmt(x: float | None, spec: str = ".2f") -> str:
    return "-" if x is None else format(x, spec)


def orlib_table(methods: list[str], limit: float, files: str, problems: list[int]) -> None:
    known = known_values()
    gaps: dict[str, list[float | None]] = {k: [] for k in methods}
    print(f"\n### gap{files[0]}..gap{files[-1]}: % gap to best known, {limit:g} s per method and problem\n")
    print("| problem | best known | " + " | ".join(methods) + " |")
    print("|---|---:|" + "---:|" * len(methods))
    for f in files:
        for p in problems:
            model = read_orlib_gap(GAP_DIR / "orlib" / f"gap{f}.txt", p)
            best = float(known[(f"orlib/gap{f}.txt", p)]["min_best_known"])
            cells = []
            for name in methods:
                obj = METHODS[name](model, limit, 0)
                gap = None if obj is None else 100.0 * (obj - best) / best
                gaps[name].append(gap)
                cells.append(fmt(gap))
            name = f"{f}{model.n_agents:02d}{model.n_tasks}"
            print(f"| {name} | {best:g} | " + " | ".join(cells) + " |", flush=True)
    means = {k: np.mean([g for g in v if g is not None]) if any(g is not None for g in v) else None
             for k, v in gaps.items()}
    print("| **mean gap %** | | " + " | ".join(f"**{fmt(means[k])}**" for k in methods) + " |")
    print("| feasible | | " + " | ".join(f"{sum(g is not None for g in gaps[k])}/{len(gaps[k])}" for k in methods)
          + " |")
    if "ga" in means and means["ga"] is not None:
        print("| mean gap / ga's | | " + " | ".join(
            "-" if means[k] is None else (f"{means[k] / means['ga']:.1f}x" if means["ga"] > 0 else "-")
            for k in methods) + " |")
    print(flush=True)


def small_counts(limit: float, files: list[int]) -> None:
    known = known_values()
    print(f"\n### GA on gap1..gap12: optimum reached, {limit:g} s per problem\n")
    print("| file | min: optimum reached | max: optimum reached |")
    print("|---|---:|---:|")
    total = {"min": 0, "max": 0}
    count = 0
    for f in files:
        hits = {"min": 0, "max": 0}
        k = 0
        for p in range(1, 6):
            row = known[(f"orlib/gap{f}.txt", p)]
            for sense, col in (("min", "min_best_known"), ("max", "max_optimum")):
                model = read_orlib_gap(GAP_DIR / "orlib" / f"gap{f}.txt", p, sense=sense)
                r = solve(model, method="ga", time_limit=limit, seed=0)
                assert r.ok and model.check(r.answer).feasible
                hits[sense] += int(abs(r.objective - float(row[col])) < 1e-6)
            k += 1
        count += k
        total["min"] += hits["min"]
        total["max"] += hits["max"]
        print(f"| gap{f} | {hits['min']}/{k} | {hits['max']}/{k} |", flush=True)
    print(f"| **all** | **{total['min']}/{count}** | **{total['max']}/{count}** |\n", flush=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="two problems, 2 s each, gap1 only")
    ap.add_argument("--time", type=float, default=None, help="seconds per method and problem (default 10)")
    ap.add_argument("--small-time", type=float, default=2.0, help="seconds per gap1..gap12 problem")
    ap.add_argument("--methods", default="ga,pso,ga-nolp,highs,pymoo-ga,deap-ga,pyswarms")
    args = ap.parse_args(argv)
    methods = [m for m in args.methods.split(",") if m]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        ap.error(f"unknown method(s) {unknown}; choose from {sorted(METHODS)}")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; command: {' '.join(sys.argv)}")
    if args.quick:
        orlib_table(methods, args.time or 2.0, "ad", [1])
        small_counts(min(args.small_time, 1.0), [1])
    else:
        orlib_table(methods, args.time or 10.0, "abcd", [1, 2, 3, 4, 5, 6])
        small_counts(args.small_time, list(range(1, 13)))


if __name__ == "__main__":
    main()
