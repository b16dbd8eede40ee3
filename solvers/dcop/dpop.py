"""DPOP: exact DCOP solving by UTIL/VALUE message passing on a pseudo-tree.

A pseudo-tree orders the variables so that every table's scope lies on one root-to-leaf
path. Processing the variables leaves first, variable ``x`` with separator ``sep(x)``
(the ancestors linked to ``x`` or its subtree) sends its parent the UTIL message

    U_x(sep(x)) = min_{x}  [ sum_{F owned by x} F  +  sum_{c child of x} U_c ]

(``max`` when maximizing), then, roots first, each variable picks the value that attains
that minimum for its ancestors' chosen values (VALUE propagation). The UTIL table of
``x`` has ``prod_{s in sep(x)} |D_s|`` entries: DPOP is linear in the number of
messages and exponential only in the induced width ``max |sep(x)|``.

Here a pseudo-tree is built from an elimination order (``min-fill``, ``min-degree``, or a
DFS traversal visiting high-degree variables first as in the original DPOP, ``dfs``);
``"auto"`` builds all three and keeps the one with the least UTIL work. Before any table
is built, :func:`plan_dpop` computes the peak memory of the run; :func:`dpop` refuses
with :class:`~allotment.models.SolverUnavailableError` (and a suggestion) when it exceeds
``memory_limit``. UTIL messages are computed one value of ``x`` at a time with in-place
numpy additions over broadcast views and a running minimum, so the working memory is a
few tables of the separator's size; whole-number costs use float32 when that is exact.

>>> from allotment.models import DCOP
>>> d = DCOP([2, 2, 2], [((0, 1), [[0, 3], [3, 0]]), ((1, 2), [[5, 0], [0, 5]]), ((0,), [1, 0])])
>>> r = dpop(d)
>>> r.values.tolist(), r.cost, r.plan.induced_width
([1, 1, 0], 0.0, 1)

Notes
-----
Time ``O(sum_x |D_x| prod_{s in sep(x)} |D_s| * inputs(x))``, memory
``O(max_x prod_{s in sep(x)} |D_s|)`` plus the stored argmin tables used by VALUE.

References
----------
A. Petcu and B. Faltings, "A scalable method for multiagent constraint optimization",
IJCAI 2005. R. Dechter, "Bucket elimination: a unifying framework for reasoning",
Artificial Intelligence 113 (1999) (elimination orders, induced width). U. Kjaerulff,
"Triangulation of graphs: algorithms giving small total state space" (1990) (min-fill).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from allotment.models import DCOP
from allotment.models.errors import SolverUnavailableError

__all__ = ["PseudoTree", "DPOPPlan", "DPOPResult", "pseudo_tree", "elimination_order", "plan_dpop", "dpop",
           "DEFAULT_MEMORY_LIMIT", "HEURISTICS"]

#: bytes DPOP may use by default (working tables, pending messages, stored argmin tables)
DEFAULT_MEMORY_LIMIT = 4 * 2**30
HEURISTICS = ("min-fill", "min-degree", "dfs")
_EXACT_F32 = 2**24


# ----------------------------------------------------------------- pseudo-trees
@dataclass(frozen=True)
class PseudoTree:
    """A pseudo-tree given by an elimination order (leaves first).

    ``pos[v]`` is ``v``'s place in ``order``; ``separators[v]`` lists ``sep(v)`` in
    increasing ``pos``; ``parent[v]`` is the first of them (``-1`` for a root).
    """

    order: np.ndarray
    pos: np.ndarray
    parent: np.ndarray
    separators: tuple[tuple[int, ...], ...]
    heuristic: str

    @property
    def induced_width(self) -> int:
        return max((len(s) for s in self.separators), default=0)

    def children(self) -> list[list[int]]:
        out: list[list[int]] = [[] for _ in self.separators]
        for v in self.order.tolist():
            if self.parent[v] >= 0:
                out[self.parent[v]].append(v)
        return out


def _bitsets(dcop: DCOP) -> list[int]:
    adj = [0] * dcop.n_vars
    for f in dcop.factors:
        mask = 0
        for i in f.scope:
            mask |= 1 << i
        for i in f.scope:
            adj[i] |= mask & ~(1 << i)
    return adj


def _bits(mask: int) -> list[int]:
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def _greedy_order(adj: list[int], score: str, weights: np.ndarray) -> list[int]:
    """Greedy elimination by min-fill or min-degree (ties: smaller weighted degree, index)."""
    n = len(adj)
    adj = list(adj)
    alive = (1 << n) - 1
    logw = np.log(weights).tolist()

    def cost(v: int) -> tuple[float, float, int]:
        nb = adj[v]
        width = sum(logw[u] for u in _bits(nb))
        if score == "min-degree":
            return (width, 0.0, v)
        fill = 0
        for u in _bits(nb):
            fill += (nb & ~adj[u] & ~(1 << u)).bit_count()
        return (fill / 2, width, v)

    scores = [cost(v) for v in range(n)]
    order = []
    for _ in range(n):
        v = min(_bits(alive), key=scores.__getitem__)
        order.append(v)
        alive &= ~(1 << v)
        nb = adj[v]
        touched = nb
        for u in _bits(nb):
            adj[u] = (adj[u] | nb) & ~(1 << u) & ~(1 << v)
        for u in _bits(nb):
            touched |= adj[u]
        touched &= alive
        for u in _bits(touched):
            scores[u] = cost(u)
    return order


def _dfs_order(adj: list[int]) -> list[int]:
    """Post-order of a DFS that starts at, and always descends into, the highest-degree variable."""
    n = len(adj)
    degree = [m.bit_count() for m in adj]
    seen = [False] * n
    post: list[int] = []
    for root in sorted(range(n), key=lambda v: (-degree[v], v)):
        if seen[root]:
            continue
        seen[root] = True
        stack = [(root, iter(sorted(_bits(adj[root]), key=lambda u: (-degree[u], u))))]
        while stack:
            v, it = stack[-1]
            nxt = next((u for u in it if not seen[u]), None)
            if nxt is None:
                post.append(v)
                stack.pop()
            else:
                seen[nxt] = True
                stack.append((nxt, iter(sorted(_bits(adj[nxt]), key=lambda u: (-degree[u], u)))))
    return post


def elimination_order(dcop: DCOP, heuristic: str = "min-fill") -> list[int]:
    """Variables in elimination order (leaves of the pseudo-tree first) by ``heuristic``."""
    if heuristic not in HEURISTICS:
        raise ValueError(f"`heuristic` must be one of {HEURISTICS} or 'auto'; got {heuristic!r}")
    adj = _bitsets(dcop)
    if heuristic == "dfs":
        return _dfs_order(adj)
    return _greedy_order(adj, heuristic, dcop.domain_sizes.astype(float))


def pseudo_tree(dcop: DCOP, heuristic: str = "auto") -> PseudoTree:
    """The pseudo-tree of ``dcop`` from ``heuristic`` (``"auto"``: least total UTIL work)."""
    if heuristic == "auto":
        trees = [pseudo_tree(dcop, h) for h in HEURISTICS]
        return min(trees, key=lambda t: (_work(t, dcop.domain_sizes), t.induced_width))
    order = elimination_order(dcop, heuristic)
    n = dcop.n_vars
    pos = np.empty(n, dtype=np.int64)
    pos[np.array(order, dtype=np.int64)] = np.arange(n)
    adj = _bitsets(dcop)
    seps: list[tuple[int, ...]] = [()] * n
    parent = np.full(n, -1, dtype=np.int64)
    for v in order:
        nb = _bits(adj[v])
        sep = tuple(sorted(nb, key=lambda u: pos[u]))
        seps[v] = sep
        mask = adj[v]
        for u in nb:
            adj[u] = (adj[u] | mask) & ~(1 << u) & ~(1 << v)
        if sep:
            parent[v] = sep[0]
    order_arr = np.array(order, dtype=np.int64)
    return PseudoTree(order_arr, pos, parent, tuple(seps), heuristic)


def _work(tree: PseudoTree, sizes: np.ndarray) -> float:
    return float(sum(float(sizes[v]) * math.prod(float(sizes[s]) for s in tree.separators[v])
                     for v in range(len(sizes))))


# ------------------------------------------------------------------- planning
@dataclass(frozen=True)
class DPOPPlan:
    """What a DPOP run will cost, known before any table is built."""

    tree: PseudoTree
    dtype: np.dtype
    largest_util: int
    largest_util_vars: int
    peak_bytes: int
    work: float

    @property
    def induced_width(self) -> int:
        return self.tree.induced_width

    def describe(self) -> str:
        return (f"pseudo-tree by {self.tree.heuristic}, induced width {self.induced_width}, largest UTIL table "
                f"{self.largest_util:.3g} entries over {self.largest_util_vars} variables, peak memory about "
                f"{_fmt_bytes(self.peak_bytes)} ({np.dtype(self.dtype).name})")


def _fmt_bytes(b: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if b < 1024 or unit == "TB":
            return f"{b:.3g} {unit}"
        b /= 1024
    return f"{b:.3g} TB"  # pragma: no cover


def _min_space_tables(dcop: DCOP) -> tuple[list[np.ndarray], float]:
    sign = 1.0 if dcop.sense == "min" else -1.0
    tables = [sign * f.table for f in dcop.factors]
    bound = sum(float(np.abs(t[np.isfinite(t)]).max(initial=0.0)) for t in tables)
    return tables, bound


def _pick_dtype(dcop: DCOP) -> np.dtype:
    integral = all(np.array_equal(f.table[np.isfinite(f.table)], np.round(f.table[np.isfinite(f.table)]))
                   for f in dcop.factors)
    _, bound = _min_space_tables(dcop)
    return np.dtype(np.float32) if integral and bound < _EXACT_F32 else np.dtype(np.float64)


def plan_dpop(dcop: DCOP, heuristic: str = "auto", dtype: str | np.dtype = "auto") -> DPOPPlan:
    """Pseudo-tree, table sizes and peak memory of a DPOP run on ``dcop`` (cached per model)."""
    key = ("_dpop_plan", heuristic, str(dtype))
    cached = dcop.__dict__.get(key)
    if cached is not None:
        return cached
    tree = pseudo_tree(dcop, heuristic)
    dt = _pick_dtype(dcop) if str(dtype) == "auto" else np.dtype(dtype)
    sizes = dcop.domain_sizes
    util = [math.prod(int(sizes[s]) for s in tree.separators[v]) for v in range(dcop.n_vars)]
    # Every UTIL message is kept for the VALUE phase; one scratch table of the largest size.
    peak = (sum(util) + max(util)) * dt.itemsize
    big = int(np.argmax(util))
    plan = DPOPPlan(tree, dt, int(util[big]), len(tree.separators[big]), int(peak), _work(tree, sizes))
    dcop.__dict__[key] = plan
    return plan


# ------------------------------------------------------------------- solving
@dataclass
class DPOPResult:
    """Values (indices), their cost, and how the run went."""

    values: np.ndarray | None
    cost: float
    status: str  # "optimal", "infeasible" or "time_limit"
    plan: DPOPPlan
    runtime: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)


def _owned_factors(dcop: DCOP, tree: PseudoTree, tables: list[np.ndarray],
                   rank: np.ndarray) -> list[list[tuple[tuple[int, ...], np.ndarray]]]:
    """Each table goes to the scope variable eliminated first, axes sorted by ``rank``."""
    owned: list[list[tuple[tuple[int, ...], np.ndarray]]] = [[] for _ in range(dcop.n_vars)]
    constant = 0.0
    for f, t in zip(dcop.factors, tables):
        if not f.scope:
            constant += float(t)
            continue
        perm = sorted(range(f.arity), key=lambda p: rank[f.scope[p]])
        scope = tuple(f.scope[p] for p in perm)
        first = min(f.scope, key=lambda u: tree.pos[u])
        owned[first].append((scope, np.transpose(t, perm)))
    owned[int(tree.order[-1])].append(((), np.asarray(constant)))
    return owned


def _join_small(inputs: list[tuple[tuple[int, ...], np.ndarray]], rank: np.ndarray, sizes: np.ndarray,
                limit: int, dtype: np.dtype) -> list[tuple[tuple[int, ...], np.ndarray]]:
    """Sum the small inputs into one table over their joint scope when that table is small."""
    small = [it for it in inputs if it[1].size <= limit]
    if len(small) < 2:
        return inputs
    scope = tuple(sorted({v for s, _ in small for v in s}, key=lambda v: rank[v]))
    if math.prod(int(sizes[v]) for v in scope) > limit:
        return inputs
    joined = np.zeros(tuple(int(sizes[v]) for v in scope), dtype=dtype)
    for s, t in small:
        joined += t.reshape([int(sizes[v]) if v in s else 1 for v in scope])
    return [it for it in inputs if it[1].size > limit] + [(scope, joined)]


def _axis_rank(tree: PseudoTree, sizes: np.ndarray) -> np.ndarray:
    """A global order of table axes: variables found in the most UTIL work last (innermost).

    numpy's broadcast additions run fast when the axes an input lacks come first; putting
    the variables that most tables share at the end makes most inputs' axes a suffix.
    """
    n = len(sizes)
    weight = np.zeros(n)
    for v in range(n):
        joint = (v,) + tree.separators[v]
        work = float(sizes[v]) * math.prod(float(sizes[s]) for s in tree.separators[v])
        weight[list(joint)] += work
    order = np.lexsort((tree.pos, weight))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    return rank


def _util(v: int, sep: tuple[int, ...], inputs: list[tuple[tuple[int, ...], np.ndarray]], sizes: np.ndarray,
          dt: np.dtype, scratch: np.ndarray, rank: np.ndarray) -> tuple[tuple[int, ...], np.ndarray]:
    """``min_v sum(inputs)`` over the separator, one value of ``v`` at a time, in place.

    Returns the separator in ``rank`` order (the message's axes) and the message.
    """
    joint = tuple(sorted((v,) + sep, key=lambda u: rank[u]))
    j = joint.index(v)
    out_axes = joint[:j] + joint[j + 1:]
    sep_shape = tuple(int(sizes[s]) for s in out_axes)
    views = []
    for scope, table in inputs:
        if v in scope:
            views.append((True, table.reshape([int(sizes[u]) if u in scope else 1 for u in joint])))
        else:  # the constant table
            views.append((False, table.reshape([int(sizes[u]) if u in scope else 1 for u in out_axes])))
    views.sort(key=lambda it: -it[1].size)
    best = np.empty(sep_shape, dtype=dt)
    acc = scratch[: best.size].reshape(sep_shape)
    lead = (slice(None),) * j
    for k in range(int(sizes[v])):
        target = best if k == 0 else acc
        parts = [view[lead + (k,)] if has_v else view for has_v, view in views]
        if not parts:
            target.fill(0)
        elif len(parts) == 1 or parts[0].shape != sep_shape:
            np.copyto(target, np.broadcast_to(parts[0], sep_shape))
            parts = parts[1:]
        else:
            np.add(parts[0], parts[1], out=target)
            parts = parts[2:]
        for part in parts:
            np.add(target, part, out=target)
        if k:
            np.minimum(best, acc, out=best)
    return out_axes, best


def dpop(
    dcop: DCOP,
    *,
    heuristic: str = "auto",
    memory_limit: float = DEFAULT_MEMORY_LIMIT,
    time_limit: float | None = None,
    dtype: str | np.dtype = "auto",
) -> DPOPResult:
    """Solve ``dcop`` exactly by DPOP (see the module docstring).

    Parameters
    ----------
    heuristic : ``"auto"``, ``"min-fill"``, ``"min-degree"`` or ``"dfs"`` (pseudo-tree)
    memory_limit : bytes; a run whose planned peak exceeds it is refused before it starts
    time_limit : wall-clock seconds; when reached the result has status ``"time_limit"``
    dtype : ``"auto"`` (float32 when whole-number costs keep it exact, else float64),
        ``"float32"`` or ``"float64"``

    Raises
    ------
    SolverUnavailableError
        when the planned memory exceeds ``memory_limit`` (the message says how much and
        what to use instead).
    """
    started = time.perf_counter()
    if not (isinstance(memory_limit, (int, float)) and memory_limit > 0):
        raise ValueError(f"`memory_limit` must be a positive number of bytes; got {memory_limit!r}")
    if str(dtype) not in ("auto", "float32", "float64"):
        raise ValueError(f"`dtype` must be 'auto', 'float32' or 'float64'; got {dtype!r}")
    plan = plan_dpop(dcop, heuristic, dtype)
    if plan.peak_bytes > memory_limit:
        raise SolverUnavailableError(
            f"DPOP would need about {_fmt_bytes(plan.peak_bytes)} (> memory_limit {_fmt_bytes(memory_limit)}): "
            f"{plan.describe()}. Use method='highs' or 'auto' (the exact ILP), 'maxsum' (approximate), or raise "
            f"`memory_limit` in allotment.solvers.dcop.dpop(model, memory_limit=...)")
    deadline = None if time_limit is None else started + float(time_limit)
    tree, dt = plan.tree, plan.dtype
    sizes = dcop.domain_sizes
    tables, _ = _min_space_tables(dcop)
    rank = _axis_rank(tree, sizes)
    owned = _owned_factors(dcop, tree, [t.astype(dt) for t in tables], rank)
    children = tree.children()
    messages: list[tuple[tuple[int, ...], np.ndarray] | None] = [None] * dcop.n_vars
    kept: list[list[tuple[tuple[int, ...], np.ndarray]]] = [[] for _ in range(dcop.n_vars)]
    scratch = np.empty(max(1, plan.largest_util), dtype=dt)
    total = 0.0
    for v in tree.order.tolist():
        if deadline is not None and time.perf_counter() > deadline:
            return DPOPResult(None, math.nan, "time_limit", plan, time.perf_counter() - started,
                              {"message": "time limit reached during UTIL propagation"})
        sep = tree.separators[v]
        inputs = owned[v] + [messages[c] for c in children[v]]  # type: ignore[misc]
        sep_shape = tuple(int(sizes[s]) for s in sep)
        inputs = _join_small(inputs, rank, sizes, max(1, math.prod(sep_shape) // 8), dt)
        kept[v] = inputs
        axes, best = _util(v, sep, inputs, sizes, dt, scratch, rank)
        if sep:
            messages[v] = (axes, best)
        else:
            total += float(best)
    values = np.zeros(dcop.n_vars, dtype=np.int64)
    for v in tree.order[::-1].tolist():
        local = np.zeros(int(sizes[v]))
        for scope, table in kept[v]:
            if v in scope:
                local += table[tuple(slice(None) if u == v else int(values[u]) for u in scope)]
            else:
                local += float(table[tuple(int(values[u]) for u in scope)])
        values[v] = int(np.argmin(local))
    runtime = time.perf_counter() - started
    info = {"induced_width": plan.induced_width, "heuristic": tree.heuristic, "largest_util": plan.largest_util,
            "peak_bytes": plan.peak_bytes, "dtype": np.dtype(dt).name, "messages": int((tree.parent >= 0).sum()) * 2}
    if not math.isfinite(total):
        return DPOPResult(None, math.inf if dcop.sense == "min" else -math.inf, "infeasible", plan, runtime, info)
    cost = dcop.evaluate(values)
    return DPOPResult(values, cost, "optimal", plan, runtime, info)
