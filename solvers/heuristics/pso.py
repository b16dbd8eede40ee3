"""Random-key particle swarm for task -> agent encodings, with the GA's repair and improvement.

Each particle holds a key matrix ``X`` of shape ``(M, n)``; it decodes to the vector
``v[j] = argmax_i X[i, j]`` over allowed agents, which the shift and swap moves of
:mod:`.encoding` then repair and improve. Personal and global bests are kept as repaired
vectors and attract the keys through their one-hot matrices ``B``:

    vel <- w vel + c1 r1 (B_personal - X) + c2 r2 (B_global - X),   |vel| <= vmax
    X   <- clip(X + vel, 0, 1)

with ``r1, r2`` uniform per entry. A ``turbulence`` share of the keys is redrawn at random
each iteration to keep the swarm from collapsing. The whole swarm is one ``(S, M, n)``
array, updated and decoded at once.

It stops like the GA: time limit, ``max_iter`` iterations, ``stall`` iterations without a
better incumbent, or the LP bound met (then it is ``optimal``).

>>> from allotment.models import GeneralizedAssignment
>>> gap = GeneralizedAssignment(cost=[[1, 5, 3], [4, 2, 1]], weight=[[3, 3, 2], [3, 3, 2]], capacity=[5, 5])
>>> r = particle_swarm(gap, seed=1, max_iter=20)
>>> r.status.value, r.objective
('optimal', 4.0)

References: J. Kennedy and R. Eberhart, "Particle swarm optimization", Proc. ICNN (1995);
J. C. Bean, "Genetics and random keys for sequencing and optimization", ORSA Journal on
Computing 6(2) (1994) (random keys); P. C. Chu and J. E. Beasley (1997) (the repair).
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from allotment.models import Model

from ..backend import SolveOptions
from ..result import Result
from .common import read_options, start_run
from .encoding import EPS, Encoding, Population, greedy_vectors, local_search

__all__ = ["particle_swarm", "PSO_DEFAULTS"]

#: options of :func:`particle_swarm` (``method="pso"``) and their defaults
PSO_DEFAULTS: dict[str, Any] = {
    "swarm": 20,          # particles
    "inertia": 0.7,       # w
    "cognitive": 1.5,     # c1, pull towards the particle's own best
    "social": 1.5,        # c2, pull towards the swarm's best
    "vmax": 0.5,          # largest velocity per key
    "turbulence": 0.02,   # share of keys redrawn each iteration
    "max_iter": None,     # stop after this many iterations
    "stall": None,        # stop after this many iterations without a better incumbent
    "lp": True,           # solve the LP relaxation for a bound
    "lp_seed": True,      # start some particles at rounded LP solutions
    "swaps": True,        # swap moves in the local search (shift moves always)
    "warm_start": None,   # an answer (or vector) to start from
}


def _one_hot(enc: Encoding, vectors: np.ndarray) -> np.ndarray:
    out = np.zeros((vectors.shape[0], enc.n_agents, enc.n_tasks))
    np.put_along_axis(out, vectors[:, None, :], 1.0, axis=1)
    return out


def _decode(enc: Encoding, keys: np.ndarray) -> np.ndarray:
    return np.argmax(np.where(enc.allowed[None], keys, -np.inf), axis=1).astype(np.int64)


def _better(va: np.ndarray, ca: np.ndarray, vb: np.ndarray, cb: np.ndarray) -> np.ndarray:
    """Elementwise: (violation, cost) ``a`` strictly better than ``b``."""
    va, vb = np.where(va <= EPS, 0.0, va), np.where(vb <= EPS, 0.0, vb)
    return (va < vb - EPS) | ((np.abs(va - vb) <= EPS) & (ca < cb - EPS))


def particle_swarm(model: Model, *, time_limit: float | None = None, seed: int | None = None,
                   **options: Any) -> Result:
    """Solve an assignment-style ``model`` with the PSO (options: :data:`PSO_DEFAULTS`)."""
    opts = SolveOptions(time_limit=time_limit, seed=seed, options=options)
    o = read_options(opts, PSO_DEFAULTS, "pso")
    run = start_run(model, opts, o, "pso")
    if isinstance(run, Result):
        return run
    enc, rng = run.enc, run.rng
    S = int(o["swarm"])
    stall = o["stall"] if o["stall"] is not None else (100 if time_limit is None else None)
    seeds = list(run.seeds) + (run.lp_seeds(max(1, S // 5)) if o["lp_seed"] else [])
    seeds = seeds[:S]
    starts = np.vstack(seeds + [greedy_vectors(enc, S - len(seeds), rng, run.deadline)])
    keys = 0.5 * rng.random((S, enc.n_agents, enc.n_tasks)) + 0.5 * _one_hot(enc, starts)
    vel = rng.uniform(-o["vmax"], o["vmax"], keys.shape)
    pop = Population.start(enc, _decode(enc, keys))
    local_search(enc, pop, rng, deadline=run.deadline, swaps=o["swaps"])
    run.best.offer(pop, time.perf_counter() - run.started)
    best_vec, best_viol, best_cost = pop.vectors.copy(), pop.violation.copy(), pop.cost.copy()
    iterations = since_best = 0
    stopped_by_clock = False
    while True:
        if run.out_of_time():
            stopped_by_clock = True
            break
        if run.proven() or (o["max_iter"] is not None and iterations >= o["max_iter"]) \
                or (stall is not None and since_best >= stall):
            break
        g = int(np.lexsort((best_cost, np.where(best_viol <= EPS, 0.0, best_viol)))[0])
        r1, r2 = rng.random(keys.shape), rng.random(keys.shape)
        vel = (o["inertia"] * vel + o["cognitive"] * r1 * (_one_hot(enc, best_vec) - keys)
               + o["social"] * r2 * (_one_hot(enc, best_vec[g:g + 1]) - keys))
        np.clip(vel, -o["vmax"], o["vmax"], out=vel)
        keys = np.clip(keys + vel, 0.0, 1.0)
        if o["turbulence"] > 0:
            mask = rng.random(keys.shape) < o["turbulence"]
            keys[mask] = rng.random(int(mask.sum()))
        pop = Population.start(enc, _decode(enc, keys))
        local_search(enc, pop, rng, deadline=run.deadline, swaps=o["swaps"])
        iterations += 1
        since_best = 0 if run.best.offer(pop, time.perf_counter() - run.started) else since_best + 1
        improved = _better(pop.violation, pop.cost, best_viol, best_cost)
        best_vec[improved] = pop.vectors[improved]
        best_viol[improved], best_cost[improved] = pop.violation[improved], pop.cost[improved]
    return run.result(stopped_by_clock, iterations=iterations, swarm=S)
