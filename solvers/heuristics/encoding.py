"""Task -> agent vector encoding shared by the GA and the PSO, with its evaluation and moves.

An individual is a vector ``v`` of length ``n`` (tasks) holding agent indices ``0..M-1``.
Models where a task may stay unassigned get a *dummy agent* ``M-1`` without capacity
limits whose cost row is the unassigned penalty. In minimisation form the individual costs

    f(v) = offset + sum_j C[v_j, j] + 1/2 x(v)' Q x(v)
           + sum_{r,i} price[r, i] phi(target[r, i] - L[r, i])

and violates capacities by

    u(v) = sum_r sum_i max(0, L[r, i] - cap[r, i])        (Chu and Beasley's *unfitness*)

with ``x(v)`` the one-hot ``(M, n)`` matrix and ``L[r, i] = sum_{j: v_j = i} W[r, i, j]``
the load of agent ``i`` in resource ``r``. ``Q`` is optional, and so is the *soft load*
term, whose ``phi`` is ``max(0, .)`` (a shortfall penalty), ``(.)**2`` or ``max(0, .)**2``:
it prices how far loads miss targets (coalition and guidance models). A model's
objective is ``sign * f(v)``.

Two moves, evaluated for a whole population at once as numpy tensors:

- a **shift** moves task ``j`` to another agent: all ``(P, M, n)`` of them per round;
- a **swap** exchanges the agents of tasks ``j`` and ``k``: ``(P, K, n)`` per round for
  ``K`` sampled tasks ``j``.

Each round every individual takes its best move under a two-level rule: if some move
lowers the violation, the one with least cost increase per unit of violation removed (the
repair of Chu and Beasley, phase 1); otherwise the cheapest move that keeps the violation
where it is (their improvement phase 2, extended to swaps). Under a linear ``f`` several
moves that touch disjoint agents are made in one round (their changes add up exactly).
:func:`local_search` repeats rounds until no row moves.

>>> import numpy as np
>>> enc = Encoding(cost=np.array([[1., 5.], [4., 2.]]), weight=np.full((1, 2, 2), 3.),
...                capacity=np.array([[3., 3.]]))
>>> pop = Population.start(enc, np.array([[0, 0], [1, 0]]))
>>> pop.cost.tolist(), pop.violation.tolist()
([6.0, 9.0], [3.0, 0.0])
>>> local_search(enc, pop, np.random.default_rng(0))
>>> pop.vectors.tolist(), pop.cost.tolist(), pop.violation.tolist()
([[0, 1], [0, 1]], [3.0, 3.0], [0.0, 0.0])

References: P. C. Chu and J. E. Beasley, "A genetic algorithm for the generalised
assignment problem", Computers & Operations Research 24(1) (1997) 17-23; M. Yagiura,
T. Ibaraki and F. Glover, "An ejection chain approach for the generalized assignment
problem", INFORMS Journal on Computing 16(2) (2004) (shift and swap neighbourhoods).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["Encoding", "Population", "evaluate", "local_search", "shift_moves", "shift_step", "swap_step",
           "random_vectors", "greedy_vectors", "EPS"]

#: tolerance on cost and violation changes (a move must gain more than this)
EPS = 1e-9


@dataclass(frozen=True, eq=False)
class Encoding:
    """A model seen as a task -> agent vector problem (see the module docstring).

    Parameters
    ----------
    cost : (M, n) minimisation-form cost of agent ``i`` doing task ``j`` (dummy row included)
    weight : (R, M, n) resource use; capacity : (R, M) (``inf`` = unlimited)
    allowed : (M, n) bool, pairs a vector may use (default: all)
    quadratic : (M*n, M*n) sparse symmetric ``Q`` on the flattened one-hot ``x[i * n + j]``
    sign : +1 (model minimises) or -1 (model maximises): model objective = ``sign * f``
    offset : constant added to ``f``
    integral : True when every vector has a whole-number objective (bounds may be rounded)
    soft_target, soft_price : (R, M) and soft_kind ``"shortfall" | "square" | "shortfall_square"``:
        the optional soft load term (see the module docstring)
    to_answer : vector -> the model's answer;  from_answer : any answer -> vector
    """

    cost: np.ndarray
    weight: np.ndarray
    capacity: np.ndarray
    allowed: np.ndarray | None = None
    quadratic: sp.csr_array | None = None
    sign: float = 1.0
    offset: float = 0.0
    integral: bool = False
    soft_target: np.ndarray | None = None
    soft_price: np.ndarray | None = None
    soft_kind: str = "shortfall"
    to_answer: Callable[[np.ndarray], Any] | None = None
    from_answer: Callable[[Any], np.ndarray] | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        cost = np.asarray(self.cost, dtype=float)
        M, n = cost.shape
        weight = np.asarray(self.weight, dtype=float)
        if weight.ndim == 2:
            weight = weight[None]
        capacity = np.asarray(self.capacity, dtype=float).reshape(weight.shape[0], M)
        if weight.shape[1:] != (M, n):
            raise ValueError(f"`weight` must have shape (R, {M}, {n}); got {weight.shape}")
        allowed = np.ones((M, n), bool) if self.allowed is None else np.asarray(self.allowed, bool)
        # A pair that alone exceeds a capacity can never be part of a feasible vector.
        allowed = allowed & np.all(weight <= capacity[:, :, None], axis=0)
        object.__setattr__(self, "cost", np.where(allowed, cost, 0.0))
        object.__setattr__(self, "weight", weight)
        object.__setattr__(self, "capacity", capacity)
        object.__setattr__(self, "allowed", allowed)
        if self.quadratic is not None:
            object.__setattr__(self, "quadratic", sp.csr_array(self.quadratic))
        if self.soft_target is not None:
            if self.soft_kind not in _SOFT:
                raise ValueError(f"`soft_kind` must be one of {sorted(_SOFT)}; got {self.soft_kind!r}")
            shape = capacity.shape
            object.__setattr__(self, "soft_target", np.broadcast_to(np.asarray(self.soft_target, float), shape))
            object.__setattr__(self, "soft_price", np.broadcast_to(np.asarray(self.soft_price, float), shape))

    @property
    def linear(self) -> bool:
        """True when ``f`` is linear in the one-hot matrix (no quadratic, no soft load term)."""
        return self.quadratic is None and self.soft_target is None

    @property
    def n_tasks(self) -> int:
        return int(self.cost.shape[1])

    @property
    def n_agents(self) -> int:
        """Agents in the encoding (a dummy agent included)."""
        return int(self.cost.shape[0])

    @property
    def n_resources(self) -> int:
        return int(self.weight.shape[0])

    @property
    def stranded(self) -> np.ndarray:
        """Tasks that no agent may take (then no vector is feasible)."""
        return np.flatnonzero(~self.allowed.any(axis=0))

    def model_objective(self, f: float) -> float:
        """The model's objective for internal (minimisation-form) cost ``f``."""
        return float(self.sign * f)


_SOFT: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "shortfall": lambda d: np.maximum(d, 0.0),
    "square": lambda d: d * d,
    "shortfall_square": lambda d: np.maximum(d, 0.0) ** 2,
}


def _soft(enc: Encoding, r: int, agents: np.ndarray, loads: np.ndarray) -> np.ndarray:
    """Soft load cost of resource ``r`` at ``agents`` carrying ``loads`` (broadcast)."""
    return enc.soft_price[r][agents] * _SOFT[enc.soft_kind](enc.soft_target[r][agents] - loads)


def random_vectors(enc: Encoding, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` vectors with every task on a uniformly random allowed agent."""
    keys = rng.random((count, enc.n_agents, enc.n_tasks))
    keys[:, ~enc.allowed] = -1.0
    return np.argmax(keys, axis=1).astype(np.int64)


def greedy_vectors(enc: Encoding, count: int, rng: np.random.Generator, deadline: float | None = None) -> np.ndarray:
    """``count`` randomized greedy vectors: tasks in random order, each to the agent that fits
    and scores best on a random mix of cost and resource use (with noise); to the agent
    that overflows least when none fits. Past ``deadline`` the tasks left go to their
    best-scoring agent regardless of capacity (the repair deals with them).
    """
    M, n = enc.n_agents, enc.n_tasks
    if count == 0:
        return np.zeros((0, n), dtype=np.int64)
    C = np.where(enc.allowed, enc.cost, np.nan)
    span = np.nanmax(C, axis=0) - np.nanmin(C, axis=0)
    c_rel = (C - np.nanmin(C, axis=0)) / np.where(span > 0, span, 1.0)
    w_rel = (enc.weight / np.maximum(enc.capacity[:, :, None], EPS)).sum(axis=0)
    w_rel = np.where(np.isfinite(w_rel), w_rel, 0.0)
    mix = rng.random(count)[:, None, None]
    score = mix * np.nan_to_num(c_rel, nan=np.inf) + (1 - mix) * w_rel[None] \
        + 0.2 * rng.random((count, M, n))
    score[:, ~enc.allowed] = np.inf
    order = np.argsort(rng.random((count, n)), axis=1)
    loads = np.zeros((count, enc.n_resources, M))
    out = np.zeros((count, n), dtype=np.int64)
    rows = np.arange(count)
    for t in range(n):
        if deadline is not None and t % 32 == 31 and time.perf_counter() > deadline:
            rest = order[:, t:]
            out[rows[:, None], rest] = np.argmin(np.take_along_axis(score, rest[:, None, :], axis=2), axis=1)
            break
        j = order[:, t]
        wj = enc.weight[:, :, j].transpose(2, 0, 1)  # (count, R, M)
        after = loads + wj
        fits = np.all(after <= enc.capacity[None], axis=1)
        s = score[rows, :, j]
        choice = np.argmin(np.where(fits, s, np.inf), axis=1)
        none = ~np.any(fits & np.isfinite(s), axis=1)
        if none.any():
            spill = np.maximum(after - enc.capacity[None], 0.0).sum(axis=1) + np.where(np.isfinite(s), 0.0, np.inf)
            choice[none] = np.argmin(spill[none], axis=1)
        out[rows, j] = choice
        loads[rows, :, choice] += wj[rows, :, choice]
    return out


def _loads(enc: Encoding, vectors: np.ndarray) -> np.ndarray:
    """``(P, R, M)`` resource use of every agent in every vector."""
    P, n = vectors.shape
    M, R = enc.n_agents, enc.n_resources
    flat = (np.arange(P)[:, None] * M + vectors).ravel()
    out = np.empty((P, R, M))
    cols = np.arange(n)
    for r in range(R):
        w = enc.weight[r][vectors, cols[None, :]].ravel()
        out[:, r, :] = np.bincount(flat, weights=w, minlength=P * M).reshape(P, M)
    return out


def _over(enc: Encoding, loads: np.ndarray) -> np.ndarray:
    return np.maximum(loads - enc.capacity[None], 0.0)


def _quad_values(enc: Encoding, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(1/2 x'Qx per vector, gradient Q x per vector (P, M*n))``."""
    P, n = vectors.shape
    flat = vectors * n + np.arange(n)[None, :]
    X = sp.csr_array((np.ones(P * n), flat.ravel(), np.arange(0, P * n + 1, n)), shape=(P, enc.n_agents * n))
    G = np.asarray((X @ enc.quadratic).todense()) if P else np.zeros((0, enc.n_agents * n))
    val = 0.5 * np.take_along_axis(G, flat, axis=1).sum(axis=1)
    return val, G


def evaluate(enc: Encoding, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minimisation-form cost ``f`` and violation ``u`` of every vector (rows of ``vectors``).

    A vector using a forbidden pair gets infinite violation.
    """
    vectors = np.asarray(vectors, dtype=np.int64)
    cols = np.arange(enc.n_tasks)[None, :]
    cost = enc.offset + enc.cost[vectors, cols].sum(axis=1)
    if enc.quadratic is not None:
        cost = cost + _quad_values(enc, vectors)[0]
    loads = _loads(enc, vectors)
    if enc.soft_target is not None:
        agents = np.arange(enc.n_agents)
        cost = cost + sum(_soft(enc, r, agents, loads[:, r, :]).sum(axis=1) for r in range(enc.n_resources))
    violation = _over(enc, loads).sum(axis=(1, 2))
    bad = ~enc.allowed[vectors, cols].all(axis=1)
    violation = np.where(bad, np.inf, violation)
    return cost, violation


@dataclass
class Population:
    """Vectors with the running state the moves update in place: loads, costs, violation."""

    vectors: np.ndarray
    loads: np.ndarray
    cost: np.ndarray
    violation: np.ndarray
    grad: np.ndarray | None = None  # Q x per vector, only for a quadratic objective

    @classmethod
    def start(cls, enc: Encoding, vectors: np.ndarray) -> "Population":
        vectors = np.array(vectors, dtype=np.int64, copy=True)
        cost, _ = evaluate(enc, vectors)
        loads = _loads(enc, vectors)
        violation = _over(enc, loads).sum(axis=(1, 2))
        grad = _quad_values(enc, vectors)[1] if enc.quadratic is not None else None
        return cls(vectors, loads, cost, violation, grad)

    def __len__(self) -> int:
        return int(self.vectors.shape[0])


def _choose(dv: np.ndarray, dc: np.ndarray, clean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row the move to take (column index) and whether to take it.

    ``dv``, ``dc``: violation and cost changes ``(p, K)`` (``inf`` = not allowed); ``clean``:
    moves that raise no agent's overload. The rule, first match wins:

    1. a clean move lowers the violation: the least cost increase per unit removed;
    2. some move lowers the violation: the largest decrease (then the cheapest);
    3. the cheapest move that leaves the violation as it is, if it gains.
    """
    reduce = dv < -EPS
    tidy = reduce & clean
    rows = np.arange(dv.shape[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(tidy, dc / np.where(tidy, -dv, 1.0), np.inf)
    lowest = dv.min(axis=1, keepdims=True)
    biggest = np.where(reduce & (dv <= lowest + EPS), dc, np.inf)
    keep = np.where(np.abs(dv) <= EPS, dc, np.inf)
    has_tidy, has_reduce = tidy.any(axis=1), reduce.any(axis=1)
    score = np.where(has_tidy[:, None], ratio, np.where(has_reduce[:, None], biggest, keep))
    best = np.argmin(score, axis=1)
    take = has_reduce | (keep[rows, best] < -EPS)
    return best, take


def _same_task_q(enc: Encoding) -> np.ndarray:
    """``(M, M, n)`` entries ``Q[(a, j), (i, j)]`` of the quadratic term (cached)."""
    cached = enc.info.get("_q_same_task")
    if cached is None:
        M, n = enc.n_agents, enc.n_tasks
        a, i, j = np.meshgrid(np.arange(M), np.arange(M), np.arange(n), indexing="ij")
        cached = np.asarray(enc.quadratic[(a * n + j).ravel(), (i * n + j).ravel()]).reshape(M, M, n)
        enc.info["_q_same_task"] = cached
    return cached


def shift_moves(enc: Encoding, pop: Population, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cost and violation change ``(p, M, n)`` of moving task ``j`` to agent ``i`` in each row,
    and whether the move is clean (the destination ends within its capacity).

    Moves that are not allowed (same agent, forbidden pair) hold ``inf`` in both changes.
    """
    M, n = enc.n_agents, enc.n_tasks
    C, W, cap = enc.cost, enc.weight, enc.capacity
    V, L = pop.vectors[rows], pop.loads[rows]
    cols = np.arange(n)[None, :]
    p = rows.size
    dc = C[None, :, :] - C[V, cols][:, None, :]
    if enc.quadratic is not None:
        G = pop.grad[rows].reshape(p, M, n)
        g_old = np.take_along_axis(G, V[:, None, :], axis=1)[:, 0, :]
        diag = enc.quadratic.diagonal().reshape(M, n)
        same = _same_task_q(enc).transpose(0, 2, 1)[V, cols].transpose(0, 2, 1)  # (p, M, n): Q[(v_j,j),(i,j)]
        dc = dc + G - g_old[:, None, :] + 0.5 * (diag[None] + diag[V, cols][:, None, :]) - same
    over_now = np.maximum(L - cap[None], 0.0)  # (p, R, M)
    dst = np.zeros((p, M, n))
    src = np.zeros((p, n))
    for r in range(enc.n_resources):
        dst += np.maximum(L[:, r, :, None] + W[r][None] - cap[r][None, :, None], 0.0) - over_now[:, r, :, None]
        left = np.take_along_axis(L[:, r, :], V, axis=1) - W[r][V, cols]
        src += np.maximum(left - cap[r][V], 0.0) - np.take_along_axis(over_now[:, r, :], V, axis=1)
    dv = dst + src[:, None, :]
    if enc.soft_target is not None:
        agents = np.arange(M)[None, :, None]
        for r in range(enc.n_resources):
            here = L[:, r, :, None]
            dc = dc + _soft(enc, r, agents, here + W[r][None]) - _soft(enc, r, agents, here)
            held = np.take_along_axis(L[:, r, :], V, axis=1)
            dc = dc + (_soft(enc, r, V, held - W[r][V, cols]) - _soft(enc, r, V, held))[:, None, :]
    blocked = ~enc.allowed[None] | (np.arange(M)[None, :, None] == V[:, None, :])
    return np.where(blocked, np.inf, dc), np.where(blocked, np.inf, dv), dst <= EPS


def _apply_shifts(enc: Encoding, pop: Population, prow: np.ndarray, task: np.ndarray, dst: np.ndarray,
                  dcost: np.ndarray) -> None:
    """Move ``task[t]`` to agent ``dst[t]`` in row ``prow[t]`` (several moves per row allowed)."""
    src = pop.vectors[prow, task]
    pop.vectors[prow, task] = dst
    for r in range(enc.n_resources):
        loads = pop.loads[:, r, :]
        np.add.at(loads, (prow, src), -enc.weight[r][src, task])
        np.add.at(loads, (prow, dst), enc.weight[r][dst, task])
    np.add.at(pop.cost, prow, dcost)
    touched = np.unique(prow)
    pop.violation[touched] = _over(enc, pop.loads[touched]).sum(axis=(1, 2))
    if pop.grad is not None:
        n = enc.n_tasks
        Q = enc.quadratic
        change = np.asarray(Q[dst * n + task].todense()) - np.asarray(Q[src * n + task].todense())
        np.add.at(pop.grad, prow, change)


def shift_step(enc: Encoding, pop: Population, rows: np.ndarray, *, multi: bool = True) -> np.ndarray:
    """One round of shift moves for ``rows``; a bool mask over ``rows``: True where one was made.

    An infeasible row (any row when ``f`` is not linear) takes its single best move.
    A feasible row takes, for every agent, the best improving move into it, as long as no
    task moves twice: moves into distinct agents that each fit are jointly feasible, and
    their linear cost changes add up.
    """
    n = enc.n_tasks
    p = rows.size
    moved = np.zeros(p, bool)
    if p == 0:
        return moved
    dc, dv, clean = shift_moves(enc, pop, rows)
    infeasible = pop.violation[rows] > EPS
    single = infeasible | (not enc.linear) | (not multi)
    f = np.flatnonzero(~single)
    if multi and enc.linear and infeasible.any():
        done = _repair_moves(enc, pop, rows, np.flatnonzero(infeasible), dc, dv, clean)
        moved[done] = True
        single &= ~moved
    s = np.flatnonzero(single)
    if s.size:
        best, take = _choose(dv[s].reshape(s.size, -1), dc[s].reshape(s.size, -1), clean[s].reshape(s.size, -1))
        t = s[take]
        if t.size:
            i, j = np.divmod(best[take], n)
            _apply_shifts(enc, pop, rows[t], j, i, dc[t, i, j])
            moved[t] = True
    if f.size:
        score = np.where(np.abs(dv[f]) <= EPS, dc[f], np.inf)  # (q, M, n)
        jbest = np.argmin(score, axis=2)  # best task into each agent
        sbest = np.take_along_axis(score, jbest[:, :, None], axis=2)[:, :, 0]
        q_idx = np.broadcast_to(np.arange(f.size)[:, None], jbest.shape)
        ok = sbest < -EPS
        qi, ai, ji, si = q_idx[ok], np.nonzero(ok)[1], jbest[ok], sbest[ok]
        if qi.size:
            # One destination per task: the best; ties go to the lowest agent index.
            order = np.lexsort((ai, si, qi * n + ji))
            key = (qi * n + ji)[order]
            first = order[np.r_[True, key[1:] != key[:-1]]]
            qi, ai, ji, si = qi[first], ai[first], ji[first], si[first]
            _apply_shifts(enc, pop, rows[f[qi]], ji, ai, si)
            moved[f[qi]] = True
    return moved


def _first_per_group(group: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Index of the lowest ``score`` within each value of ``group`` (ties: lowest index)."""
    order = np.lexsort((np.arange(group.size), score, group))
    key = group[order]
    return order[np.r_[True, key[1:] != key[:-1]]]


def _repair_moves(enc: Encoding, pop: Population, rows: np.ndarray, sel: np.ndarray, dc: np.ndarray,
                  dv: np.ndarray, clean: np.ndarray) -> np.ndarray:
    """Several independent repair shifts per infeasible row; returns the positions (in ``rows``) moved.

    Each overloaded agent sends out its best task by rule 1 of :func:`_choose`, each to an
    agent where it fits, no agent receiving twice: sources and destinations are then all
    distinct, so the violation and cost changes of the moves add up exactly.
    """
    M = enc.n_agents
    V = pop.vectors[rows[sel]]
    over = np.any(pop.loads[rows[sel]] > enc.capacity[None] + EPS, axis=1)  # (q, M)
    src_over = np.take_along_axis(over, V, axis=1)  # (q, n)
    d_v, d_c = dv[sel], dc[sel]
    cand = (d_v < -EPS) & clean[sel] & ~over[:, :, None] & src_over[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(cand, d_c / np.where(cand, -d_v, 1.0), np.inf)
    dest = np.argmin(ratio, axis=1)  # (q, n) best destination per task
    score = np.take_along_axis(ratio, dest[:, None, :], axis=1)[:, 0, :]
    qi, ji = np.nonzero(np.isfinite(score))
    if qi.size == 0:
        return np.zeros(0, dtype=np.int64)
    src, dst, sc = V[qi, ji], dest[qi, ji], score[qi, ji]
    keep = _first_per_group(qi * M + src, sc)
    qi, ji, src, dst, sc = qi[keep], ji[keep], src[keep], dst[keep], sc[keep]
    keep = _first_per_group(qi * M + dst, sc)
    qi, ji, dst = qi[keep], ji[keep], dst[keep]
    _apply_shifts(enc, pop, rows[sel[qi]], ji, dst, d_c[qi, dst, ji])
    return np.unique(sel[qi])


def _quad_swap_exact(enc: Encoding, pop: Population, prow: np.ndarray, j: np.ndarray, k: np.ndarray,
                     a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact change of ``1/2 x'Qx`` when tasks ``j`` (on ``a``) and ``k`` (on ``b``) swap agents."""
    n, Q = enc.n_tasks, enc.quadratic
    idx = np.stack([b * n + j, a * n + k, a * n + j, b * n + k], axis=1)  # (t, 4)
    d = np.array([1.0, 1.0, -1.0, -1.0])
    g = np.take_along_axis(pop.grad[prow], idx, axis=1)
    q = np.asarray(Q[np.repeat(idx, 4, axis=1).ravel(), np.tile(idx, (1, 4)).ravel()]).reshape(-1, 4, 4)
    return g @ d + 0.5 * np.einsum("a,tab,b->t", d, q, d)


def swap_step(enc: Encoding, pop: Population, rows: np.ndarray, rng: np.random.Generator,
              width: int = 32, *, multi: bool = True) -> np.ndarray:
    """Swap moves for ``rows`` among ``width`` sampled tasks ``j`` against every ``k``.

    Under a linear objective an improving swap needs a task that some agent would do more
    cheaply, so ``j`` is sampled among those tasks. A feasible row under a linear objective
    takes every improving swap on agents untouched by a better one (:func:`_disjoint_swaps`);
    other rows take their single best swap. Returns a mask over ``rows``.
    """
    n = enc.n_tasks
    C, W, cap = enc.cost, enc.weight, enc.capacity
    p = rows.size
    swapped = np.zeros(p, bool)
    if p == 0 or n < 2:
        return swapped
    V, L = pop.vectors[rows], pop.loads[rows]
    cols = np.arange(n)
    cur = C[V, cols[None, :]]
    if enc.linear:
        cheapest = enc.info.get("_cheapest")
        if cheapest is None:
            cheapest = enc.info["_cheapest"] = np.where(enc.allowed, C, np.inf).min(axis=0)
        wanted = (cheapest[None, :] < cur - EPS) | (pop.violation[rows] > EPS)[:, None]
    else:
        wanted = np.ones((p, n), bool)
    K = min(width, n)
    priority = np.where(wanted, rng.random((p, n)), np.inf)
    sel = np.argpartition(priority, K - 1, axis=1)[:, :K]  # (p, K)
    valid = np.take_along_axis(priority, sel, axis=1) < np.inf
    a = np.take_along_axis(V, sel, axis=1)  # (p, K)
    b = V  # (p, n)
    dc = (C[b[:, None, :], sel[:, :, None]] + C[a[:, :, None], cols[None, None, :]]
          - np.take_along_axis(cur, sel, axis=1)[:, :, None] - cur[:, None, :])
    dv = np.zeros(dc.shape)
    clean = np.ones(dc.shape, bool)
    over = np.maximum(L - cap[None], 0.0)
    for r in range(enc.n_resources):
        la = np.take_along_axis(L[:, r, :], a, axis=1)
        lb = np.take_along_axis(L[:, r, :], b, axis=1)
        oa = np.take_along_axis(over[:, r, :], a, axis=1)
        ob = np.take_along_axis(over[:, r, :], b, axis=1)
        Wr = W[r]
        new_a = (la - Wr[a, sel])[:, :, None] + Wr[a[:, :, None], cols[None, None, :]]
        new_b = (lb - Wr[b, cols[None, :]])[:, None, :] + Wr[b[:, None, :], sel[:, :, None]]
        term_a = np.maximum(new_a - cap[r][a][:, :, None], 0.0) - oa[:, :, None]
        term_b = np.maximum(new_b - cap[r][b][:, None, :], 0.0) - ob[:, None, :]
        dv += term_a + term_b
        clean &= (term_a <= EPS) & (term_b <= EPS)
        if enc.soft_target is not None:
            dc = dc + (_soft(enc, r, a[:, :, None], new_a) - _soft(enc, r, a, la)[:, :, None]
                       + _soft(enc, r, b[:, None, :], new_b) - _soft(enc, r, b, lb)[:, None, :])
    blocked = ((b[:, None, :] == a[:, :, None]) | ~enc.allowed[a[:, :, None], cols[None, None, :]]
               | ~enc.allowed[b[:, None, :], sel[:, :, None]] | ~valid[:, :, None])
    base = dc
    if enc.quadratic is not None:
        # First-order screen (the gradient part); the chosen swap is priced exactly below.
        G = pop.grad[rows]
        dc = dc + (np.take_along_axis(G, (b[:, None, :] * n + sel[:, :, None]).reshape(p, -1), axis=1).reshape(dc.shape)
                   - np.take_along_axis(G, a * n + sel, axis=1)[:, :, None]
                   + np.take_along_axis(G, (a[:, :, None] * n + cols).reshape(p, -1), axis=1).reshape(dc.shape)
                   - np.take_along_axis(G, b * n + cols, axis=1)[:, None, :])
    dc = np.where(blocked, np.inf, dc)
    dv = np.where(blocked, np.inf, dv)
    feasible = pop.violation[rows] <= EPS
    if multi and enc.linear and feasible.any():
        f = np.flatnonzero(feasible)
        swapped[f] = _disjoint_swaps(enc, pop, rows[f], sel[f], a[f], V[f], cur[f],
                                     np.where(np.abs(dv[f]) <= EPS, dc[f], np.inf))
        keep = np.flatnonzero(~feasible)
        if keep.size == 0:
            return swapped
        dv, dc, clean, sel, V, cur, base = (arr[keep] for arr in (dv, dc, clean, sel, V, cur, base))
        rows, p = rows[keep], keep.size
        swapped_rest = np.zeros(p, bool)
    else:
        keep, swapped_rest = None, swapped
    best, take = _choose(dv.reshape(p, -1), dc.reshape(p, -1), clean.reshape(p, -1))
    t = np.flatnonzero(take)
    if t.size == 0:
        return swapped
    swapped_rest[t] = True
    if keep is not None:
        swapped[keep] = swapped_rest
    jj, kk = np.divmod(best[t], n)
    j = sel[t, jj]
    k = kk
    src, dst = V[t, j], V[t, k]
    dct = dc[t, jj, kk]
    if enc.quadratic is not None:
        dct = base[t, jj, kk] + _quad_swap_exact(enc, pop, rows[t], j, k, src, dst)
        ok = (dv[t, jj, kk] < -EPS) | (dct < -EPS)
        swapped[t[~ok]] = False
        t, j, k, src, dst, dct = t[ok], j[ok], k[ok], src[ok], dst[ok], dct[ok]
        if t.size == 0:
            return swapped
    # Two shifts in a row; the first carries the whole cost change of the swap.
    _apply_shifts(enc, pop, rows[t], j, dst, dct)
    _apply_shifts(enc, pop, rows[t], k, src, np.zeros(t.size))
    return swapped


def _disjoint_swaps(enc: Encoding, pop: Population, rows: np.ndarray, sel: np.ndarray, a: np.ndarray,
                    V: np.ndarray, cur: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Improving swaps on pairwise distinct agents, best first, in feasible rows (linear ``f``).

    Swaps that share no agent change disjoint loads, so each stays feasible and their cost
    changes add up. ``score``: ``(q, K, n)`` cost change of swapping ``sel[:, s]`` with task
    ``k`` (``inf`` where not allowed or not clean). Returns a mask over ``rows``.
    """
    q, K = sel.shape
    kbest = np.argmin(score, axis=2)
    sbest = np.take_along_axis(score, kbest[:, :, None], axis=2)[:, :, 0]
    order = np.argsort(sbest, axis=1)
    used = np.zeros((q, enc.n_agents), bool)
    r_idx = np.arange(q)
    picked: list[tuple[np.ndarray, ...]] = []
    for c in range(K):
        s = order[:, c]
        gain = sbest[r_idx, s]
        if not np.any(gain < -EPS):
            break
        ka = a[r_idx, s]
        kb = V[r_idx, kbest[r_idx, s]]
        ok = (gain < -EPS) & ~used[r_idx, ka] & ~used[r_idx, kb]
        rr = r_idx[ok]
        used[rr, ka[ok]] = True
        used[rr, kb[ok]] = True
        picked.append((rr, sel[rr, s[ok]], kbest[rr, s[ok]], ka[ok], kb[ok]))
    done = np.zeros(q, bool)
    if not picked:
        return done
    rr, j, k, src, dst = (np.concatenate(parts) for parts in zip(*picked))
    if rr.size:
        C = enc.cost
        _apply_shifts(enc, pop, rows[rr], j, dst, C[dst, j] - cur[rr, j])
        _apply_shifts(enc, pop, rows[rr], k, src, C[src, k] - cur[rr, k])
        done[rr] = True
    return done


def local_search(enc: Encoding, pop: Population, rng: np.random.Generator, rows: np.ndarray | None = None,
                 *, deadline: float | None = None, swaps: bool = True, max_rounds: int | None = None) -> None:
    """Repair and improve ``rows`` of ``pop`` in place with shift and swap moves until stable.

    Each round makes shift moves in every active row; a row without one tries a swap; a row
    with neither is done. Stops early at ``deadline`` (``time.perf_counter()`` seconds);
    the state is consistent whenever it stops (loads, costs, violations match the vectors).
    """
    active = np.arange(len(pop)) if rows is None else np.asarray(rows, dtype=np.int64)
    touched = active
    limit = max_rounds if max_rounds is not None else 20 * enc.n_tasks + 100
    for _ in range(limit):
        if active.size == 0 or (deadline is not None and time.perf_counter() > deadline):
            break
        moved = shift_step(enc, pop, active)
        still = active[~moved]
        swapped = swap_step(enc, pop, still, rng) if swaps and still.size else np.zeros(still.size, bool)
        active = np.concatenate([active[moved], still[swapped]])
    # Float drift from many small updates: recompute the numbers once.
    vectors = pop.vectors[touched]
    pop.cost[touched], pop.violation[touched] = evaluate(enc, vectors)
    pop.loads[touched] = _loads(enc, vectors)
    if pop.grad is not None:
        pop.grad[touched] = _quad_values(enc, vectors)[1]
