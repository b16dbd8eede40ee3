"""DSA and MGM: synchronous local search for DCOPs, every variable at once in numpy.

In each round every variable computes, for each of its values ``v``, the cost of its
tables with the neighbours' current values, ``L_i(v) = sum_{f ∋ i} F(v, x_{f \\ i})``,
and its best gain ``g_i = L_i(x_i) - min_v L_i(v)`` (minimisation form).

- **DSA** (distributed stochastic algorithm): a variable with ``g_i > 0`` (variant A),
  or also ``g_i = 0`` while it pays a cost (variant B), or ``g_i >= 0`` (variant C) moves
  to its best value with probability ``probability``.
- **MGM** (maximum gain message): a variable moves only if its gain is positive and
  larger than every neighbour's (ties to the smaller index); the cost never increases and
  MGM stops at a local optimum (``converged``).

Both are anytime: the best assignment of any round is returned. Hard constraints
(infinite costs) count as a large finite penalty in the gains.

>>> from allotment.models import DCOP
>>> d = DCOP([2, 2, 2], [((0, 1), [[0, 3], [3, 0]]), ((1, 2), [[5, 0], [0, 5]]), ((0,), [1, 0])])
>>> r = mgm(d, seed=0)
>>> r.converged, r.cost == d.check(r.values).objective
(True, True)

References
----------
W. Zhang, G. Wang, Z. Xing and L. Wittenburg, "Distributed stochastic search and
distributed breakout: properties, comparison and applications to constraint optimization
problems in sensor networks", Artificial Intelligence 161 (2005) (DSA variants).
R. T. Maheswaran, J. P. Pearce and M. Tambe, "Distributed algorithms for DCOP: a
graphical-game-based approach", PDCS 2004 (MGM).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from allotment.models import DCOP

from .maxsum import MaxSumGraph, build_graph

__all__ = ["LocalSearchResult", "local_costs", "dsa", "mgm"]


@dataclass
class LocalSearchResult:
    """Best assignment seen, its cost, and the run's figures."""

    values: np.ndarray
    cost: float
    iterations: int
    converged: bool
    best_iteration: int
    runtime: float
    stop_reason: str
    trace: np.ndarray = field(default_factory=lambda: np.zeros(0))


def local_costs(graph: MaxSumGraph, values: np.ndarray, *, exact: bool = False) -> np.ndarray:
    """``(n, dmax)``: each variable's table costs per value with its neighbours as in ``values``.

    With ``exact`` the tables keep their infinities (else hard entries are a big penalty).
    """
    parts = np.zeros((graph.edge_var.size, graph.dmax))
    for g in graph.groups:
        m, k = g.scopes.shape
        tables = g.exact if exact else g.tables
        rows = np.arange(m)[:, None]
        cur = [values[g.scopes[:, q]][:, None] for q in range(k)]
        for p in range(k):
            idx = tuple(np.arange(g.shape[p])[None, :] if q == p else cur[q] for q in range(k))
            parts[g.rows[p], : g.shape[p]] = tables[(rows,) + idx]
    return graph.unary + graph.incidence @ parts


def _neighbour_pairs(dcop: DCOP) -> tuple[np.ndarray, np.ndarray]:
    src, dst = [], []
    for g in dcop.factor_groups():
        k = g.arity
        for a in range(k):
            for b in range(k):
                if a != b:
                    src.append(g.scopes[:, a])
                    dst.append(g.scopes[:, b])
    if not src:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    pairs = np.unique(np.stack([np.concatenate(src), np.concatenate(dst)], axis=1), axis=0)
    return pairs[:, 0], pairs[:, 1]


def _check(max_iter: int, time_limit: float | None) -> None:
    if not (isinstance(max_iter, (int, np.integer)) and max_iter >= 1):
        raise ValueError(f"`max_iter` must be a positive whole number; got {max_iter!r}")
    if time_limit is not None and not time_limit > 0:
        raise ValueError(f"`time_limit` must be positive seconds or None; got {time_limit!r}")


def _exact_cost(dcop: DCOP, values: np.ndarray, sign: float) -> float:
    return sign * dcop.evaluate(values)


def _run(dcop: DCOP, step, max_iter: int, time_limit: float | None, seed: int | None,
         initial: np.ndarray | None) -> LocalSearchResult:
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    graph = build_graph(dcop)
    sign = graph.sign
    if initial is None:
        values = (rng.random(graph.n) * graph.sizes).astype(np.int64)
    else:
        values = np.asarray(initial, dtype=np.int64).copy()
        if values.shape != (graph.n,) or ((values < 0) | (values >= graph.sizes)).any():
            raise ValueError(f"`initial` must hold a value index per variable, shape ({graph.n},)")
    best_vals, best = values.copy(), _exact_cost(dcop, values, sign)
    best_it, trace = 0, [best]
    deadline = None if time_limit is None else started + float(time_limit)
    converged, reason, it = False, "max_iter", 0
    for it in range(1, int(max_iter) + 1):
        values, moved = step(graph, values, rng)
        cost = _exact_cost(dcop, values, sign)
        trace.append(cost)
        if cost < best:
            best, best_vals, best_it = cost, values.copy(), it
        if not moved:
            converged, reason = True, "local optimum"
            break
        if deadline is not None and time.perf_counter() > deadline:
            reason = "time_limit"
            break
    return LocalSearchResult(best_vals, sign * best, it, converged, best_it, time.perf_counter() - started, reason,
                             sign * np.array(trace))


def _gains(graph: MaxSumGraph, values: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    local = local_costs(graph, values)
    # A tiny random tie-break among equally good values (seeded).
    jitter = rng.random(local.shape) * 1e-9 * max(1.0, graph.big)
    best = np.argmin(local + jitter, axis=1)
    rows = np.arange(graph.n)
    cur = local[rows, values]
    gain = cur - local[rows, best]
    gain[np.abs(gain) <= 1e-12 * max(1.0, graph.big)] = 0.0
    return best, gain, cur - graph.unary[rows, values]


def dsa(
    dcop: DCOP,
    *,
    variant: str = "B",
    probability: float = 0.7,
    max_iter: int = 1000,
    time_limit: float | None = None,
    seed: int | None = None,
    initial: np.ndarray | None = None,
) -> LocalSearchResult:
    """Distributed stochastic algorithm, variants ``"A"``, ``"B"``, ``"C"`` (see the module docstring)."""
    _check(max_iter, time_limit)
    if variant not in ("A", "B", "C"):
        raise ValueError(f"`variant` must be 'A', 'B' or 'C'; got {variant!r}")
    if not 0.0 < probability <= 1.0:
        raise ValueError(f"`probability` must be in (0, 1]; got {probability!r}")

    def step(graph: MaxSumGraph, values: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
        best, gain, paid = _gains(graph, values, rng)
        if variant == "A":
            want = gain > 0
        elif variant == "B":
            want = (gain > 0) | ((gain == 0) & (paid > 0) & (best != values))
        else:
            want = (gain >= 0) & (best != values)
        move = want & (rng.random(graph.n) < probability)
        out = np.where(move, best, values)
        return out, bool(want.any())

    return _run(dcop, step, max_iter, time_limit, seed, initial)


def mgm(
    dcop: DCOP,
    *,
    max_iter: int = 1000,
    time_limit: float | None = None,
    seed: int | None = None,
    initial: np.ndarray | None = None,
) -> LocalSearchResult:
    """Maximum gain message: only a neighbourhood's best improver moves (see the module docstring)."""
    _check(max_iter, time_limit)
    src, dst = _neighbour_pairs(dcop)
    n = dcop.n_vars

    def step(graph: MaxSumGraph, values: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
        best, gain, _ = _gains(graph, values, rng)
        nmax = np.full(n, -math.inf)
        np.maximum.at(nmax, src, gain[dst])
        tied = gain[dst] == nmax[src]
        first = np.full(n, n, dtype=np.int64)
        np.minimum.at(first, src[tied], dst[tied])
        idx = np.arange(n)
        win = (gain > 0) & ((gain > nmax) | ((gain == nmax) & (idx < first)))
        return np.where(win, best, values), bool(win.any())

    return _run(dcop, step, max_iter, time_limit, seed, initial)
