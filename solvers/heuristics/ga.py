"""Genetic algorithm for task -> agent encodings, in the manner of Chu and Beasley (1997).

A steady-state GA on vectors ``v`` (task ``j`` -> agent ``v[j]``) ranked by violation
first, cost second (see :mod:`.encoding`):

1. the population (one ``(P, n)`` array, no two members equal) starts from the warm
   start, rounded LP-relaxation solutions and randomized greedy vectors, each repaired
   and improved;
2. each generation breeds a batch of children: binary tournament selection, uniform
   crossover, a mutation that sets ``mutation`` random tasks to random allowed agents;
3. every child is repaired and improved by shift and swap sweeps
   (:func:`~.encoding.local_search`);
4. a child that is no duplicate and no worse than the worst member replaces it.

It stops at the time limit, after ``max_children`` children, after ``stall`` children
without a better incumbent, or when the incumbent meets the LP bound (then it is
``optimal``). Without a time limit ``stall`` defaults to ``20 * population``.

The same seed gives the same answer when the run ends by a count (``max_children`` or
``stall``) or by the bound; a run cut by the clock ends wherever the clock cut it.

>>> from allotment.models import GeneralizedAssignment
>>> gap = GeneralizedAssignment(cost=[[1, 5, 3], [4, 2, 1]], weight=[[3, 3, 2], [3, 3, 2]], capacity=[5, 5])
>>> r = genetic_algorithm(gap, seed=1, max_children=200)
>>> r.status.value, r.objective, r.bound, r.answer.assignment.tolist()
('optimal', 4.0, 4.0, [0, 1, 1])

References: P. C. Chu and J. E. Beasley, "A genetic algorithm for the generalised
assignment problem", Computers & Operations Research 24(1) (1997) 17-23.
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from allotment.models import Model

from ..backend import SolveOptions
from ..result import Result
from .common import HeuristicRun, read_options, start_run
from .encoding import EPS, Encoding, Population, greedy_vectors, local_search

__all__ = ["genetic_algorithm", "GA_DEFAULTS"]

#: options of :func:`genetic_algorithm` (``method="ga"``) and their defaults
GA_DEFAULTS: dict[str, Any] = {
    "population": 40,      # members, all distinct
    "batch": 8,            # children bred and improved together per generation
    "mutation": 2,         # tasks set to a random agent in each child
    "max_children": None,  # stop after this many children
    "stall": None,         # stop after this many children without a better incumbent
    "lp": True,            # solve the LP relaxation for a bound
    "lp_seed": True,       # seed the population with rounded LP solutions
    "swaps": True,         # swap moves in the local search (shift moves always)
    "warm_start": None,    # an answer (or vector) to start from
}


def _rank_key(pop: Population) -> tuple[np.ndarray, np.ndarray]:
    """Sort keys: violation (0 when feasible) first, cost second."""
    viol = np.where(pop.violation <= EPS, 0.0, pop.violation)
    return viol, pop.cost


def _worse(va: float, ca: float, vb: float, cb: float) -> bool:
    return va > vb + EPS or (abs(va - vb) <= EPS and ca > cb + EPS)


def _tournament(pop: Population, rng: np.random.Generator, count: int) -> np.ndarray:
    viol, cost = _rank_key(pop)
    a, b = rng.integers(len(pop), size=(2, count))
    a_better = (viol[a] < viol[b] - EPS) | ((np.abs(viol[a] - viol[b]) <= EPS) & (cost[a] <= cost[b]))
    return np.where(a_better, a, b)


def _breed(enc: Encoding, pop: Population, rng: np.random.Generator, count: int, mutation: int) -> np.ndarray:
    """``count`` children: tournament parents, uniform crossover, random-agent mutation."""
    mother = pop.vectors[_tournament(pop, rng, count)]
    father = pop.vectors[_tournament(pop, rng, count)]
    children = np.where(rng.random(mother.shape) < 0.5, mother, father)
    if mutation:
        rows = np.repeat(np.arange(count), mutation)
        tasks = rng.integers(enc.n_tasks, size=rows.size)
        keys = rng.random((rows.size, enc.n_agents)) * enc.allowed[:, tasks].T
        children[rows, tasks] = np.argmax(keys, axis=1)
    return children


def _initial_population(run: HeuristicRun, size: int, lp_seed: bool, swaps: bool) -> Population:
    enc, rng = run.enc, run.rng
    seeds = list(run.seeds)
    if lp_seed:
        seeds += run.lp_seeds(max(1, size // 5))
    seeds = seeds[:size]
    vectors = np.vstack(seeds + [greedy_vectors(enc, size - len(seeds), rng, run.deadline)])
    pop = Population.start(enc, vectors)
    # Seeds first, so that an incumbent exists early even under a short limit.
    for part in (np.arange(len(seeds)), np.arange(len(seeds), size)):
        local_search(enc, pop, rng, part, deadline=run.deadline, swaps=swaps)
        run.best.offer(pop, time.perf_counter() - run.started)
    # No duplicates: redraw repeated members (a few rounds at most).
    for _ in range(3):
        _, first = np.unique(pop.vectors, axis=0, return_index=True)
        dup = np.setdiff1d(np.arange(size), first)
        if dup.size == 0 or run.out_of_time():
            break
        fresh = Population.start(enc, greedy_vectors(enc, dup.size, rng, run.deadline))
        local_search(enc, fresh, rng, deadline=run.deadline, swaps=swaps)
        pop.vectors[dup], pop.loads[dup] = fresh.vectors, fresh.loads
        pop.cost[dup], pop.violation[dup] = fresh.cost, fresh.violation
        if pop.grad is not None:
            pop.grad[dup] = fresh.grad
        run.best.offer(pop, time.perf_counter() - run.started)
    return pop


def genetic_algorithm(model: Model, *, time_limit: float | None = None, seed: int | None = None,
                      **options: Any) -> Result:
    """Solve an assignment-style ``model`` with the GA (options: :data:`GA_DEFAULTS`).

    Returns a :class:`~allotment.solvers.Result` whose ``bound`` is the LP relaxation's and
    whose ``info`` counts generations and children.
    """
    opts = SolveOptions(time_limit=time_limit, seed=seed, options=options)
    o = read_options(opts, GA_DEFAULTS, "ga")
    run = start_run(model, opts, o, "ga")
    if isinstance(run, Result):
        return run
    size, batch = int(o["population"]), int(o["batch"])
    stall = o["stall"] if o["stall"] is not None else (20 * size if time_limit is None else None)
    enc, rng = run.enc, run.rng
    pop = _initial_population(run, size, o["lp_seed"], o["swaps"])
    seen = {row.tobytes() for row in pop.vectors}
    children = since_best = generations = inserted = 0
    stopped_by_clock = False
    while True:
        if run.out_of_time():
            stopped_by_clock = True
            break
        if run.proven() or (o["max_children"] is not None and children >= o["max_children"]) \
                or (stall is not None and since_best >= stall):
            break
        count = batch if o["max_children"] is None else min(batch, o["max_children"] - children)
        kids = Population.start(enc, _breed(enc, pop, rng, count, int(o["mutation"])))
        local_search(enc, kids, rng, deadline=run.deadline, swaps=o["swaps"])
        generations += 1
        children += count
        since_best = 0 if run.best.offer(kids, time.perf_counter() - run.started) else since_best + count
        viol, cost = _rank_key(pop)
        kv, kc = _rank_key(kids)
        for c in range(count):
            key = kids.vectors[c].tobytes()
            if key in seen:
                continue
            worst = int(np.lexsort((cost, viol))[-1])
            if _worse(kv[c], kc[c], viol[worst], cost[worst]):
                continue
            seen.discard(pop.vectors[worst].tobytes())
            seen.add(key)
            pop.vectors[worst], pop.loads[worst] = kids.vectors[c], kids.loads[c]
            pop.cost[worst], pop.violation[worst] = kids.cost[c], kids.violation[c]
            if pop.grad is not None:
                pop.grad[worst] = kids.grad[c]
            viol[worst], cost[worst] = kv[c], kc[c]
            inserted += 1
    return run.result(stopped_by_clock, generations=generations, children=children, inserted=inserted,
                      population=size)
