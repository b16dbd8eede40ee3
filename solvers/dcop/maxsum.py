"""Max-Sum (min-sum) message passing on the factor graph of a DCOP, vectorized in numpy.

Working in minimisation form (a ``max`` problem is negated), variable ``i`` sends each of
its factors ``f`` the sum of what its other factors told it, and each factor answers with
the best it can do for every value of ``i``:

    q_{i->f}(x_i) = u_i(x_i) + sum_{g ∋ i, g != f} r_{g->i}(x_i)            (minus its mean)
    r_{f->i}(x_i) = min_{x_f \\ x_i} [ F(x_f) + sum_{j ∈ f, j != i} q_{j->f}(x_j) ]   (minus its min)

and picks ``x_i = argmin_v u_i(v) + sum_f r_{f->i}(v)``. Messages of all factors with the
same table shape are one array: a round is a handful of numpy operations whatever the
number of factors (:func:`variable_to_factor`, :func:`factor_to_variable`). Options:
damping ``m <- damping * m_old + (1 - damping) * m_new`` on both kinds of messages; a
little seeded noise on the unary costs breaks the ties of symmetric problems (graph
colouring); convergence is declared when the assignment has not changed for
``stable_iters`` rounds and no message moved more than ``tol``. The answer returned is the
best assignment seen in any round (anytime), not the last one. Hard constraints (infinite
costs) enter the messages as a large finite penalty.

On a tree (and with distinct optimal costs) Max-Sum converges to the exact optimum in a
number of rounds equal to the diameter; on loopy graphs it is a heuristic.

>>> from allotment.models import DCOP
>>> d = DCOP([2, 2, 2], [((0, 1), [[0, 3], [3, 0]]), ((1, 2), [[5, 0], [0, 5]]), ((0,), [1, 0])])
>>> r = max_sum(d, max_iter=50, stable_iters=5, seed=0)
>>> r.values.tolist(), r.cost, r.converged
([1, 1, 0], 0.0, True)

Notes
-----
One round costs ``O(sum_f |D|^{arity(f)} * arity(f))`` array work plus one sparse product
for the variable beliefs.

References
----------
A. Farinelli, A. Rogers, A. Petcu and N. R. Jennings, "Decentralised coordination of
low-power embedded devices using the max-sum algorithm", AAMAS 2008. F. R. Kschischang,
B. J. Frey and H.-A. Loeliger, "Factor graphs and the sum-product algorithm", IEEE Trans.
Information Theory 47 (2001). A. Rogers, A. Farinelli, R. Stranders and N. R. Jennings,
"Bounded approximate decentralised coordination via the max-sum algorithm", Artificial
Intelligence 175 (2011) (value propagation / damping practice).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from allotment.models import DCOP

__all__ = ["MaxSumResult", "MaxSumGraph", "build_graph", "variable_to_factor", "factor_to_variable",
           "beliefs", "max_sum"]


@dataclass
class MaxSumResult:
    """Best assignment seen, its cost, and the run's figures."""

    values: np.ndarray
    cost: float
    iterations: int
    messages: int
    converged: bool
    best_iteration: int
    runtime: float
    stop_reason: str
    trace: np.ndarray = field(default_factory=lambda: np.zeros(0))
    best_trace: np.ndarray = field(default_factory=lambda: np.zeros(0))
    times: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def iterations_per_second(self) -> float:
        return self.iterations / self.runtime if self.runtime > 0 else math.inf


@dataclass
class _Group:
    shape: tuple[int, ...]
    tables: np.ndarray  # (m, *shape), minimisation form, finite
    exact: np.ndarray  # (m, *shape), minimisation form, with infinities (for the true cost)
    scopes: np.ndarray  # (m, k)
    rows: list[slice]  # edge rows of position p in the message arrays


@dataclass
class MaxSumGraph:
    """The factor graph as arrays: message rows per (group, position), a sparse incidence."""

    n: int
    dmax: int
    sizes: np.ndarray
    unary: np.ndarray  # (n, dmax), minimisation form, padding = big
    groups: list[_Group]
    edge_var: np.ndarray  # (E,) variable of each message row
    incidence: sp.csr_array  # (n, E): sums factor->variable messages into beliefs
    valid: np.ndarray  # (E, dmax) bool: real domain values of each row
    big: float
    sign: float


def build_graph(dcop: DCOP, *, noise: float = 0.0, rng: np.random.Generator | None = None) -> MaxSumGraph:
    """Arrays for message passing on ``dcop`` (minimisation form, unary tables folded in)."""
    n = dcop.n_vars
    sizes = dcop.domain_sizes
    dmax = int(sizes.max())
    sign = 1.0 if dcop.sense == "min" else -1.0
    bound = sum(float(np.abs(f.table[np.isfinite(f.table)]).max(initial=0.0)) for f in dcop.factors)
    big = 10.0 * (bound + 1.0)
    unary = np.zeros((n, dmax))
    pad = np.arange(dmax)[None, :] >= sizes[:, None]
    groups: list[_Group] = []
    edge_var: list[np.ndarray] = []
    rows_used = 0
    for g in dcop.factor_groups():
        exact = sign * g.tables
        if g.arity == 0:
            continue
        if g.arity == 1:
            np.add.at(unary[:, : g.shape[0]], g.scopes[:, 0], np.where(np.isinf(exact), big, exact))
            continue
        m = len(g.index)
        rows = []
        for p in range(g.arity):
            rows.append(slice(rows_used, rows_used + m))
            edge_var.append(g.scopes[:, p])
            rows_used += m
        groups.append(_Group(g.shape, np.where(np.isinf(exact), big, exact), exact, g.scopes, rows))
    if noise > 0:
        scale = _cost_scale(dcop)
        unary = unary + (rng or np.random.default_rng()).uniform(0.0, noise * scale, size=unary.shape)
    unary[pad] = big
    ev = np.concatenate(edge_var) if edge_var else np.zeros(0, dtype=np.int64)
    E = ev.size
    incidence = sp.csr_array((np.ones(E), (ev, np.arange(E))), shape=(n, E))
    valid = ~pad[ev] if E else np.zeros((0, dmax), dtype=bool)
    return MaxSumGraph(n, dmax, sizes, unary, groups, ev, incidence, valid, big, sign)


def _cost_scale(dcop: DCOP) -> float:
    vals = np.concatenate([f.table[np.isfinite(f.table)].ravel() for f in dcop.factors] or [np.zeros(1)])
    spread = np.abs(vals - np.median(vals)) if vals.size else vals
    s = float(spread.mean()) if spread.size else 0.0
    return s if s > 0 else 1.0


def beliefs(graph: MaxSumGraph, R: np.ndarray) -> np.ndarray:
    """``(n, dmax)``: unary costs plus every factor->variable message, per variable value."""
    return graph.unary + graph.incidence @ R


def _lastmin(a: np.ndarray) -> np.ndarray:
    """Minimum over the last axis; a loop of element-wise minima beats numpy's reduce on short axes."""
    if a.shape[-1] > 16:
        return a.min(axis=-1)
    out = a[..., 0].copy()
    for j in range(1, a.shape[-1]):
        np.minimum(out, a[..., j], out=out)
    return out


def variable_to_factor(graph: MaxSumGraph, belief: np.ndarray, R: np.ndarray) -> np.ndarray:
    """``q`` for every message row: the variable's belief without that factor's message, centred."""
    Q = belief[graph.edge_var] - R
    Q = np.where(graph.valid, Q, 0.0)
    counts = graph.sizes[graph.edge_var][:, None]
    Q -= (Q @ np.ones(Q.shape[1]))[:, None] / counts
    return np.where(graph.valid, Q, graph.big)


def factor_to_variable(graph: MaxSumGraph, Q: np.ndarray, out: np.ndarray) -> None:
    """``r`` for every message row into ``out``, one array operation per factor group and position."""
    for g in graph.groups:
        k = len(g.shape)
        qs = [Q[g.rows[p], : g.shape[p]] for p in range(k)]
        total = g.tables.copy()
        for p, q in enumerate(qs):
            view = [q.shape[0]] + [1] * k
            view[p + 1] = g.shape[p]
            total += q.reshape(view)
        m = total.shape[0]
        for p, q in enumerate(qs):
            r = _lastmin(np.moveaxis(total, p + 1, -1).reshape(m, -1, g.shape[p]).swapaxes(1, 2)) - q
            r -= _lastmin(r)[:, None]
            out[g.rows[p], : g.shape[p]] = r


def _cost(graph: MaxSumGraph, values: np.ndarray, unary_exact: np.ndarray) -> float:
    total = float(unary_exact[np.arange(graph.n), values].sum())
    for g in graph.groups:
        idx = (np.arange(g.scopes.shape[0]),) + tuple(values[g.scopes[:, p]] for p in range(len(g.shape)))
        total += float(g.exact[idx].sum())
    return total


def max_sum(
    dcop: DCOP,
    *,
    max_iter: int = 1000,
    time_limit: float | None = None,
    damping: float = 0.5,
    noise: float = 1e-3,
    stable_iters: int = 20,
    tol: float = 1e-9,
    seed: int | None = None,
    record_trace: bool = True,
) -> MaxSumResult:
    """Run synchronous Max-Sum on ``dcop`` (see the module docstring).

    Parameters
    ----------
    max_iter : rounds at most (each round: all variable->factor, then all factor->variable messages)
    time_limit : wall-clock seconds
    damping : weight of the old message in ``[0, 1)``; 0 = no damping
    noise : seeded uniform noise on the unary costs, as a share of the typical cost spread
    stable_iters, tol : convergence (assignment unchanged that many rounds, messages moved < tol)
    seed : for the noise; same seed, same answer
    record_trace : keep the cost of every round (``trace``, ``best_trace``, ``times``)
    """
    started = time.perf_counter()
    if not (isinstance(max_iter, (int, np.integer)) and max_iter >= 1):
        raise ValueError(f"`max_iter` must be a positive whole number; got {max_iter!r}")
    if not 0.0 <= damping < 1.0:
        raise ValueError(f"`damping` must be in [0, 1); got {damping!r}")
    if noise < 0:
        raise ValueError(f"`noise` must be non-negative; got {noise!r}")
    if time_limit is not None and not time_limit > 0:
        raise ValueError(f"`time_limit` must be positive seconds or None; got {time_limit!r}")
    rng = np.random.default_rng(seed)
    graph = build_graph(dcop, noise=noise, rng=rng)
    unary_exact = np.zeros((graph.n, graph.dmax))
    for g in dcop.factor_groups():
        if g.arity == 1:
            np.add.at(unary_exact[:, : g.shape[0]], g.scopes[:, 0], graph.sign * g.tables)
        elif g.arity == 0:
            unary_exact[0] += graph.sign * float(g.tables.sum())
    E = graph.edge_var.size
    R = np.zeros((E, graph.dmax))
    R_new = np.zeros_like(R)
    Q = np.zeros_like(R)
    deadline = None if time_limit is None else started + float(time_limit)
    best_vals = np.argmin(graph.unary, axis=1)
    best_cost = _cost(graph, best_vals, unary_exact)
    best_it, prev, stable = 0, best_vals, 0
    trace, best_trace, times = [], [], []
    converged, reason, it = False, "max_iter", 0
    damp = float(damping)
    for it in range(1, int(max_iter) + 1):
        belief = beliefs(graph, R)
        Q_new = variable_to_factor(graph, belief, R)
        Q = Q_new if (damp == 0 or it == 1) else damp * Q + (1 - damp) * Q_new
        factor_to_variable(graph, Q, R_new)
        moved = float(np.abs(R_new - R).max()) if E else 0.0
        if damp and it > 1:
            R = damp * R + (1 - damp) * R_new
        else:
            R, R_new = R_new, R
        values = np.argmin(beliefs(graph, R), axis=1)
        cost = _cost(graph, values, unary_exact)
        if cost < best_cost:
            best_cost, best_vals, best_it = cost, values, it
        if record_trace:
            trace.append(cost)
            best_trace.append(best_cost)
            times.append(time.perf_counter() - started)
        stable = stable + 1 if np.array_equal(values, prev) else 0
        prev = values
        if stable >= stable_iters and moved <= tol * max(1.0, graph.big):
            converged, reason = True, "converged"
            break
        if deadline is not None and time.perf_counter() > deadline:
            reason = "time_limit"
            break
    runtime = time.perf_counter() - started
    return MaxSumResult(
        values=best_vals.astype(np.int64), cost=graph.sign * best_cost, iterations=it, messages=2 * E * it,
        converged=converged, best_iteration=best_it, runtime=runtime, stop_reason=reason,
        trace=graph.sign * np.array(trace), best_trace=graph.sign * np.array(best_trace), times=np.array(times))
