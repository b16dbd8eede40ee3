"""Exact column generation (Dantzig-Wolfe) for :class:`~allotment.models.AssignmentGuidance`.

The guidance MIQP, rewritten with one column per consumer ``j`` and coalition ``S`` (a set
of agents, the empty set included):

    minimize    sum_{j, S} cost_j(S) y[j, S]
    subject to  sum_{(j, S): i in S} y[j, S] <= 1      for every agent i     (duals pi_i <= 0)
                sum_S y[j, S] = 1                      for every consumer j  (duals mu_j)
                y binary
    cost_j(S) = alpha sum_{i in S} dist[i, j] + sum_k weight[k] f(demand[j, k] - sum_{i in S} supply[i, k])

with the model's own ``f`` (:meth:`~allotment.models.AssignmentGuidance.mismatch`). Its LP
relaxation is much tighter than the compact form's: a coalition is priced as a whole, so a
fraction of an agent can no longer fill a lumpy demand exactly.

- *Pricing.* For integer data (in the model's whole units,
  :meth:`~allotment.models.AssignmentGuidance.integer_residuals`),
  ``v_j(pi) = min_S cost_j(S) - sum_{i in S} pi_i`` is a dynamic programme over the summed
  supply vector: ``W_t(s) = min(W_{t+1}(s), c_t + W_{t+1}(s + supply_t))`` over the agents
  ``t`` of ``j``, ``c_t = alpha dist[t, j] - pi_t``, with ``W_T(s)`` the mismatch cost of
  supplying ``s`` (:class:`CoalitionPricer`, one numpy operation per agent).
- *Bound.* For any ``pi <= 0``, ``LB(pi) = sum_i pi_i + sum_j v_j(pi)`` is a lower bound
  (the Lagrangian relaxation of the agent rows), whatever state the LP is in; at the
  column generation's end it equals the LP optimum.
- *Closing the gap exactly.* With ``rc_j(S) = cost_j(S) - pi(S) - v_j(pi) >= 0``, an answer
  of objective ``z`` has ``sum_j rc_j(S_j) <= z - LB(pi)``. So when a set-partitioning MIP
  over every column with ``rc <= tau`` (enumerated by a breadth-first search that prunes
  with the tables ``W``) returns ``z`` with ``z - LB <= tau`` (``z - LB - grain <= tau``
  when every objective value is a multiple of ``grain``, :func:`objective_grain`), no
  better answer exists and ``z`` is optimal. HiGHS solves that MIP, in stages: the first
  takes at most ``mip_columns`` columns of smallest reduced cost, each later one four times
  more and a larger ``tau`` (HiGHS's time grows faster than linearly with the columns).
- *Interchangeable agents* (same supply and travel, :func:`agent_types`) share averaged
  duals (the bound can only rise), the enumeration lists one column per multiset of types
  and the MIP counts agents per type, so copies of an agent cause no symmetry.
- *Restrictions that keep every optimum*, which shrink the tables: pairs the model rules
  out (:meth:`~allotment.models.AssignmentGuidance.useful_pairs`), the model's residual
  ranges, and, from any bound, ``weight[k] f(r[j, k]) <= cost_j(S_j) <= UB - LB(pi) + v_j(pi)``
  for an optimum's columns (``UB``: the best answer's objective; incumbents come from the
  model's heuristic and from rounding each master LP followed by :meth:`~allotment.models.AssignmentGuidance.improve`).

The status is ``optimal`` only with that proof; when the enumeration would exceed
``max_columns`` or the time runs out, the best answer comes back ``feasible`` with the
bound. Data that is not a whole number of decimal units is refused (the pricing would not
be exact), and so are demands so large that the tables would exceed ``MAX_TABLE_ENTRIES``.
It is slow when travel hardly matters (``alpha`` near 0): then many coalitions tie, the
columns within the gap run into the hundreds of thousands, and ``highs`` is faster.

``method="colgen"``; options ``max_columns`` (enumeration limit, default 200000),
``mip_columns`` (first MIP stage, default 1000), ``beam`` (columns added per consumer and
round, default 25) and ``warm`` (start from the duals of the compact MILP's LP relaxation,
default True).

References: G. B. Dantzig and P. Wolfe, "Decomposition principle for linear programs",
Operations Research 8 (1960) 101-111; M. Savelsbergh, "A branch-and-price algorithm for the
generalized assignment problem", Operations Research 45(6) (1997) 831-841 (column generation
for assignment); R. Baldacci, N. Christofides and A. Mingozzi, "An exact algorithm for the
vehicle routing problem based on the set partitioning formulation with additional cuts",
Mathematical Programming 115 (2008) 351-385 (closing the gap by enumerating the columns of
small reduced cost).

>>> from allotment.models import AssignmentGuidance
>>> from allotment.solvers import solve
>>> g = AssignmentGuidance([[2, 0], [0, 1], [1, 1]], [[2, 1], [1, 1]],
...                        distance=[[0, 3], [1, 3], [3, 0]], alpha=0.5)
>>> r = solve(g, method="colgen")
>>> r.status.value, r.objective, r.answer.assignment.tolist()
('optimal', 0.5, [0, 0, 1])
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from allotment.models import AssignmentGuidance, Model, OptionError
from allotment.models.coalition import MAX_DECIMALS

from .backend import Backend, SolveOptions, register_backend
from .cpsat import MAX_POWER, integer_scale_powers
from .result import Result, Status

__all__ = ["CoalitionPricer", "agent_types", "objective_grain", "table_entries", "colgen_solve",
           "colgen_refusal", "ColgenBackend", "MAX_TABLE_ENTRIES"]

#: refuse models whose largest pricing table (agents + 1) x states exceeds this (8 bytes each)
MAX_TABLE_ENTRIES = 10_000_000
#: HiGHS presolve on the set-partitioning MIP (off: it took seconds on columns a root LP solves in ms)
PRESOLVE = "off"
_HUGE = float(np.finfo(float).max)  # a finite limit: infinite table entries never pass it

#: options the method takes, with their defaults
DEFAULTS = {"max_columns": 200_000, "mip_columns": 1000, "beam": 25, "warm": True}


def table_entries(model: AssignmentGuidance) -> int:
    """Entries of the largest pricing table: ``(agents + 1) * states`` of the biggest consumer.

    >>> table_entries(AssignmentGuidance([[2, 0], [0, 1], [1, 1]], [[2, 1], [1, 1]], distance=[[0, 3], [1, 3], [3, 0]]))
    24
    """
    ints = model.integer_residuals()
    if ints is None:
        raise ValueError(colgen_refusal(model))
    keep = model.weight > 0
    useful = model.useful_pairs()
    total = np.stack([ints.supply[useful[:, j]][:, keep].sum(axis=0) for j in range(model.n_consumers)])
    d = ints.demand[:, keep].astype(float)
    cap = np.minimum(d if model.one_sided else d - ints.lo[:, keep], total)
    entries = (useful.sum(axis=0) + 1.0) * np.prod(cap + 1.0, axis=1)
    return int(min(entries.max(initial=0.0), 2.0**62))


def colgen_refusal(model: AssignmentGuidance) -> str | None:
    """Why column generation cannot solve ``model`` exactly (None when it can)."""
    if model.integer_residuals() is None:
        return (f"`supply` and `demand` must be decimals with at most {MAX_DECIMALS} places (whole residual "
                "units) for exact pricing; use method='scip'")
    entries = table_entries(model)
    if entries > MAX_TABLE_ENTRIES:
        return (f"the pricing tables would need {entries} entries (limit {MAX_TABLE_ENTRIES}): demands are too "
                "many units; use method='highs'")
    return None


def objective_grain(model: AssignmentGuidance) -> float | None:
    """A ``g`` such that every answer on useful pairs has an objective that is a whole multiple of ``g``.

    Travel ``alpha * dist`` (of the pairs :meth:`~allotment.models.AssignmentGuidance.useful_pairs`
    keeps, which some optimum uses alone) and ``weight * unit**2`` times a power of ten are
    whole numbers ``C``, ``W`` (residuals are whole units), so such an objective is a multiple
    of ``gcd(C, W) / 10**p``; in particular the optimum is. None when no power of ten up to
    ``10**9`` makes them whole (Euclidean distances, say).

    >>> objective_grain(AssignmentGuidance([[1]], [[2]], distance=[[3]], alpha=0.1))
    0.1
    """
    ints = model.integer_residuals()
    if ints is None:
        return None
    travel = (model.alpha * model.distance)[model.useful_pairs()]
    values = np.concatenate([travel, ints.weight[ints.weight > 0]])
    values = values[values != 0]
    if values.size == 0:
        return None
    powers = integer_scale_powers(values, MAX_POWER)
    if (powers < 0).any():
        return None
    p = int(powers.max())
    scaled = np.round(values * 10.0**p)
    if scaled.max() >= 2.0**52:
        return None
    return float(np.gcd.reduce(scaled.astype(np.int64))) / 10.0**p


def agent_types(model: AssignmentGuidance) -> np.ndarray:
    """``(n_agents,)`` type ids: agents with the same supply (resources of positive weight) and travel rows.

    Agents of one type are interchangeable in every answer. Ids follow first appearance.

    >>> agent_types(AssignmentGuidance([[1], [2], [1]], [[3]], distance=[[1], [1], [1]])).tolist()
    [0, 1, 0]
    """
    rows = np.hstack([model.supply[:, model.weight > 0], model.alpha * model.distance])
    _, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
    relabel = np.empty(first.size, dtype=np.int64)
    relabel[np.argsort(first, kind="stable")] = np.arange(first.size)
    return relabel[np.asarray(inverse).ravel()]


def _finite(value: float, j: int) -> float:
    """A pricing minimum, which is finite: some optimum's column always lies in the ranges."""
    if not math.isfinite(value):
        raise RuntimeError(f"no coalition of consumer {j} lies in its residual ranges (a bug: refusing to "
                           "report a bound)")
    return float(value)


def _row_sums(member: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``member @ values`` for a bool matrix, without BLAS (its idle threads spin on a shared machine)."""
    return np.where(member, values, 0.0).sum(axis=1)


class _Scratch:
    """One growing float buffer shared by every consumer's tables (they are used one at a time)."""

    def __init__(self) -> None:
        self.buffer = np.empty(0)

    def array(self, shape: tuple[int, ...]) -> np.ndarray:
        size = int(np.prod(shape))
        if self.buffer.size < size:
            self.buffer = np.empty(size)
        return self.buffer[:size].reshape(shape)


class CoalitionPricer:
    """The pricing dynamic programme of one consumer (see the module docstring).

    States are summed supply vectors ``s`` (in whole units, resources of positive weight
    only) in a box ``0 <= s <= cap``: two-sided, ``cap = demand - lo`` (more supply leaves
    the residual range, so such states are dropped); one-sided, ``cap = demand`` and supply
    beyond the demand is counted as the demand (it costs nothing more). The final state's
    cost is the model's mismatch, infinite outside the residual range ``[lo, hi]``.

    >>> g = AssignmentGuidance([[2, 0], [0, 1], [1, 1]], [[2, 1], [1, 1]], distance=[[0, 3], [1, 3], [3, 0]])
    >>> p = CoalitionPricer(g, 0)
    >>> W, c = p.tables(np.zeros(3))
    >>> p.agents.tolist()                 # agent 1's travel outweighs what it can add here
    [0, 2]
    >>> float(W[0, 0])                    # agent 0 alone: residual (0, 1)
    1.0
    >>> member, state = p.columns(W, c, limit=5.0)   # every coalition of cost <= 5 in the ranges
    >>> [p.agents[row].tolist() for row in member], p.column_costs(member, state).tolist()
    ([[0], [2], [0, 2]], [1.0, 4.0, 4.0])
    """

    def __init__(self, model: AssignmentGuidance, j: int, scratch: _Scratch | None = None,
                 types: np.ndarray | None = None) -> None:
        ints = model.integer_residuals()
        if ints is None:
            raise ValueError(colgen_refusal(model))
        self.model, self.j = model, int(j)
        self.keep = np.flatnonzero(model.weight > 0)
        agents = np.flatnonzero(model.useful_pairs()[:, j])
        types = np.arange(model.n_agents) if types is None else np.asarray(types)
        # Agents of one type side by side (a run), so canonical columns take a run's first ones.
        self.agents = agents[np.lexsort((agents, types[agents]))]
        run_type = types[self.agents]
        self.run_start = np.ones(self.agents.size, dtype=bool)
        self.run_start[1:] = run_type[1:] != run_type[:-1]
        self.supply = ints.supply[np.ix_(self.agents, self.keep)]
        self.demand = ints.demand[j, self.keep]
        self.unit = ints.unit
        self.travel = model.alpha * model.distance[self.agents, j]
        self.lo = ints.lo[j, self.keep].copy()
        self.hi = ints.hi[j, self.keep].copy()
        self._scratch = scratch or _Scratch()
        self._build()

    @property
    def n_states(self) -> int:
        return int(np.prod(self.shape))

    def _build(self) -> None:
        """Box, final costs and one shift per agent, for the current residual ranges."""
        d, model = self.demand, self.model
        total = self.supply.sum(axis=0)
        self.cap = np.minimum(d if model.one_sided else d - self.lo, total)
        self.shape = tuple(int(c) + 1 for c in self.cap)
        self.strides = np.array([int(np.prod(self.shape[k + 1:])) for k in range(len(self.shape))], dtype=np.int64)
        term = np.zeros(self.shape)
        for k, n_k in enumerate(self.shape):
            s = np.arange(n_k)
            residual = np.zeros((n_k, model.n_resources))
            residual[:, self.keep[k]] = (d[k] - s) * self.unit
            f = (model.mismatch(residual) * model.weight).sum(axis=1)
            f[s < d[k] - self.hi[k]] = np.inf                # shortfall above the range
            term = term + f.reshape([-1 if a == k else 1 for a in range(len(self.shape))])
        self.term = term.ravel()
        self.steps: list[object] = []
        gathers: dict[tuple[int, ...], np.ndarray] = {}
        grid = None
        for q in self.supply:
            if not q.any():
                self.steps.append(None)
            elif model.one_sided:                          # saturating shift: a gather
                key = tuple(q.tolist())
                if key not in gathers:
                    if grid is None:
                        grid = np.indices(self.shape).reshape(len(self.shape), -1).T
                    gathers[key] = np.minimum(grid + q, self.cap) @ self.strides
                self.steps.append(gathers[key])
            elif (q > self.cap).any():
                self.steps.append(None)
            else:                                           # two-sided: slices of the box
                self.steps.append((tuple(slice(0, n - int(a)) for n, a in zip(self.shape, q)),
                                   tuple(slice(int(a), n) for n, a in zip(self.shape, q))))

    def restrict(self, lo: np.ndarray, hi: np.ndarray) -> bool:
        """Narrow the residual ranges (whole units, resources of positive weight); True if they changed."""
        lo, hi = np.maximum(self.lo, lo), np.minimum(self.hi, hi)
        if np.array_equal(lo, self.lo) and np.array_equal(hi, self.hi):
            return False
        self.lo, self.hi = lo, hi
        self._build()
        return True

    def restrict_cost(self, budget: float) -> bool:
        """Keep residuals with ``weight[k] f(r) <= budget`` (a bound on this consumer's column cost)."""
        w = (self.model.weight * self.unit * self.unit)[self.keep]
        reach = np.floor(np.sqrt(max(budget, 0.0) / w) * (1 + 1e-9) + 1e-6)
        reach = np.minimum(reach, 2.0**40).astype(np.int64)
        lo = np.zeros_like(self.lo) if self.model.one_sided else -reach
        return self.restrict(lo, reach)

    def tables(self, pi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(W, c)``: ``W[t, s]`` = cheapest completion from state ``s`` with agents ``t..``; ``c`` per agent.

        ``W`` (flat states) lives in a shared buffer: it is valid until the next call of
        any pricer sharing it.
        """
        c = self.travel - np.asarray(pi, dtype=float)[self.agents]
        n_agents, shape = self.agents.size, self.shape
        W = self._scratch.array((n_agents + 1, self.n_states))
        W[n_agents] = self.term
        box = W.reshape((n_agents + 1,) + shape)
        for t in range(n_agents - 1, -1, -1):
            step = self.steps[t]
            if step is None:
                W[t] = W[t + 1]
            elif isinstance(step, np.ndarray):
                np.minimum(W[t + 1], c[t] + W[t + 1][step], out=W[t])
            else:
                dst, src = step
                W[t] = W[t + 1]
                np.minimum(box[t][dst], c[t] + box[t + 1][src], out=box[t][dst])
        return W, c

    def columns(self, W: np.ndarray, c: np.ndarray, limit: float, *, beam: int | None = None,
                cap: int | None = None, canonical: bool = False) -> tuple[np.ndarray, np.ndarray] | None:
        """Every coalition with ``sum_{t in S} c_t + W_T(final state) <= limit``, or the ``beam`` best.

        Returns ``(member, state)``: a bool matrix (coalitions x this consumer's agents) and
        each coalition's final state; None when more than ``cap`` partial coalitions would
        be kept (the search stops there). ``canonical``: one coalition per multiset of agent
        types, taking the first agents of each run (exact when agents of a type have equal
        ``c``).
        """
        n_agents, dims = self.agents.size, len(self.shape)
        coords = np.zeros((1, dims), dtype=np.int64)
        state = np.zeros(1, dtype=np.int64)
        cost = np.zeros(1)
        last = np.zeros(1, dtype=bool)                  # took the previous agent
        parents: list[np.ndarray] = []
        takes: list[np.ndarray] = []
        if not cost[0] + W[0, 0] <= limit:
            return np.zeros((0, n_agents), dtype=bool), np.zeros(0, dtype=np.int64)
        for t in range(n_agents):
            after = W[t + 1]
            skip = np.flatnonzero(cost + after[state] <= limit)
            take = np.zeros(0, dtype=np.int64)
            if self.steps[t] is not None:
                moved = coords + self.supply[t]
                if self.model.one_sided:
                    moved = np.minimum(moved, self.cap)
                    inside = np.ones(state.size, dtype=bool)
                else:
                    inside = (moved <= self.cap).all(axis=1)
                nxt = np.where(inside, moved @ self.strides, 0)
                allowed = inside if not canonical or self.run_start[t] else inside & last
                take = np.flatnonzero(allowed & (cost + c[t] + after[nxt] <= limit))
            parent = np.concatenate([skip, take])
            took = np.zeros(parent.size, dtype=bool)
            took[skip.size:] = True
            state = np.concatenate([state[skip], nxt[take]]) if take.size else state[skip]
            coords = np.concatenate([coords[skip], moved[take]]) if take.size else coords[skip]
            cost = np.concatenate([cost[skip], cost[take] + c[t]])
            if beam is not None and state.size > beam:
                keep = np.argpartition(cost + after[state], beam - 1)[:beam]
                parent, took, state, coords, cost = parent[keep], took[keep], state[keep], coords[keep], cost[keep]
            last = took
            if cap is not None and state.size > cap:
                return None
            parents.append(parent)
            takes.append(took)
        member = np.zeros((state.size, n_agents), dtype=bool)
        node = np.arange(state.size)
        for t in range(n_agents - 1, -1, -1):
            member[:, t] = takes[t][node]
            node = parents[t][node]
        return member, state

    def column_costs(self, member: np.ndarray, state: np.ndarray) -> np.ndarray:
        """The model's cost of each coalition: travel plus the mismatch of its final state."""
        return _row_sums(member, self.travel) + self.term[state]


@dataclass
class _Master:
    """The restricted master LP in a live HiGHS object (agent rows, then consumer rows)."""

    n_agents: int
    n_consumers: int
    highs: object = None
    consumer: list[int] = field(default_factory=list)
    agents: list[np.ndarray] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    seen: set = field(default_factory=set)
    y: np.ndarray = field(default_factory=lambda: np.zeros(0))     # the last LP solution

    def __post_init__(self) -> None:
        import highspy

        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        m, n = self.n_agents, self.n_consumers
        empty_i, empty_v = np.zeros(0, dtype=np.int32), np.zeros(0)
        h.addRows(m, np.full(m, -np.inf), np.ones(m), 0, empty_i, empty_i, empty_v)
        h.addRows(n, np.ones(n), np.ones(n), 0, empty_i, empty_i, empty_v)
        self.highs = h

    def add(self, j: int, agents_list: list[np.ndarray], costs: np.ndarray) -> int:
        """Add the new ones among the columns ``(j, agents)``; returns how many were new."""
        starts, index, new_cost = [], [], []
        nnz = 0
        for agents, cost in zip(agents_list, costs.tolist()):
            key = (j, agents.tobytes())
            if key in self.seen:
                continue
            self.seen.add(key)
            self.consumer.append(j)
            self.agents.append(agents)
            self.cost.append(cost)
            starts.append(nnz)
            index.append(np.append(agents, self.n_agents + j))
            nnz += agents.size + 1
            new_cost.append(cost)
        if not new_cost:
            return 0
        k = len(new_cost)
        idx = np.concatenate(index).astype(np.int32)
        self.highs.addCols(k, np.array(new_cost), np.zeros(k), np.full(k, np.inf), nnz,
                           np.array(starts, dtype=np.int32), idx, np.ones(nnz))
        return k

    def solve_lp(self) -> tuple[float, np.ndarray, np.ndarray]:
        """LP value, agent duals (clipped to <= 0) and consumer duals."""
        h = self.highs
        h.run()
        status = h.getModelStatus().name
        if status != "kOptimal":
            raise RuntimeError(f"the restricted master LP ended with HiGHS status {status}")
        solution = h.getSolution()
        y = np.asarray(solution.row_dual, dtype=float)
        self.y = np.asarray(solution.col_value, dtype=float)
        return float(h.getInfo().objective_function_value), np.minimum(y[:self.n_agents], 0.0), y[self.n_agents:]

    def rounded(self) -> np.ndarray:
        """An assignment from the LP solution: columns by decreasing value, skipping any that clash."""
        vec = np.full(self.n_agents, -1, dtype=np.int64)
        served = np.zeros(self.n_consumers, dtype=bool)
        for k in np.argsort(-self.y, kind="stable"):
            if self.y[k] <= 1e-6:
                break
            j, members = self.consumer[k], self.agents[k]
            if not served[j] and (vec[members] < 0).all():
                vec[members] = j
                served[j] = True
        return vec


def _column_cost(model: AssignmentGuidance, j: int, members: np.ndarray) -> float:
    """``cost_j(S)``: travel of the members plus the weighted mismatch of consumer ``j``."""
    residual = model.demand[j] - model.supply[members].sum(axis=0)
    return float(model.alpha * model.distance[members, j].sum() + model.mismatch(residual) @ model.weight)


def _columns_of(vec: np.ndarray, n_consumers: int) -> list[np.ndarray]:
    return [np.flatnonzero(vec == j) for j in range(n_consumers)]


def _partition_mip(columns: "_Columns", supply: np.ndarray, n_consumers: int, start: np.ndarray | None,
                   gap_abs: float, time_limit: float | None, verbose: bool) -> tuple[str, np.ndarray | None]:
    """The set-partitioning MIP over ``columns``: (HiGHS model status, indices of the chosen columns).

    Rows: each type's agents used at most ``supply[t]`` times, then each consumer exactly once.
    """
    import highspy
    import scipy.sparse as sp

    k, n_types = columns.counts.shape
    h = highspy.Highs()
    settings = {"output_flag": bool(verbose), "threads": 1, "mip_rel_gap": 0.0, "mip_abs_gap": gap_abs,
                "presolve": PRESOLVE}
    if time_limit is not None:
        settings["time_limit"] = max(float(time_limit), 1e-3)
    for key, value in settings.items():
        h.setOptionValue(key, value)
    serve = sp.csr_array((np.ones(k), (columns.consumer, np.arange(k))), shape=(n_consumers, k))
    A = sp.csc_array(sp.vstack([columns.counts.T, serve]))
    A.sort_indices()
    empty_i, empty_v = np.zeros(0, dtype=np.int32), np.zeros(0)
    h.addRows(n_types, np.full(n_types, -np.inf), np.asarray(supply, dtype=float), 0, empty_i, empty_i, empty_v)
    h.addRows(n_consumers, np.ones(n_consumers), np.ones(n_consumers), 0, empty_i, empty_i, empty_v)
    h.addCols(k, np.asarray(columns.cost, dtype=float), np.zeros(k), np.ones(k), int(A.nnz),
              A.indptr[:-1].astype(np.int32), A.indices.astype(np.int32), A.data.astype(float))
    h.changeColsIntegrality(k, np.arange(k, dtype=np.int32), np.ones(k, dtype=np.uint8))
    if start is not None:
        x0 = np.zeros(k)
        x0[start] = 1.0
        h.setSolution(k, np.arange(k, dtype=np.int32), x0)
    h.run()
    info = h.getInfo()
    status = h.getModelStatus().name
    if info.primal_solution_status != 2:
        return status, None
    x = np.asarray(h.getSolution().col_value)
    return status, np.flatnonzero(x > 0.5)


@dataclass
class _Columns:
    """Columns by agent type: consumer, count of each type (sparse rows), the model's cost, reduced cost."""

    consumer: np.ndarray
    counts: Any                 # scipy.sparse.csr_array (columns x types)
    cost: np.ndarray
    rc: np.ndarray

    def take(self, keep: np.ndarray) -> "_Columns":
        return _Columns(self.consumer[keep], self.counts[keep], self.cost[keep], self.rc[keep])

    @staticmethod
    def join(parts: list["_Columns"], n_types: int) -> "_Columns":
        import scipy.sparse as sp

        if not parts:
            return _Columns(np.zeros(0, dtype=np.int64), sp.csr_array((0, n_types)), np.zeros(0), np.zeros(0))
        return _Columns(np.concatenate([p.consumer for p in parts]), sp.csr_array(sp.vstack([p.counts for p in parts])),
                        np.concatenate([p.cost for p in parts]), np.concatenate([p.rc for p in parts]))


class _Search:
    """State of one column-generation solve: pricers, master, incumbent, best bound, clock."""

    def __init__(self, model: AssignmentGuidance, time_limit: float | None, verbose: bool) -> None:
        self.started = time.perf_counter()
        self.deadline = None if time_limit is None else self.started + float(time_limit)
        self.model, self.verbose = model, verbose
        m, n = model.n_agents, model.n_consumers
        self.grain = objective_grain(model)
        self.step = self.grain or 0.0
        scratch = _Scratch()
        self.types = agent_types(model)
        self.n_types = int(self.types.max(initial=-1)) + 1
        self.pricers = [CoalitionPricer(model, j, scratch, self.types) for j in range(n)]
        self.master = _Master(m, n)
        self.info: dict[str, object] = {"rounds": 0, "grain": self.grain}
        # Incumbent: the model's heuristic answer; its columns and the empty ones start the master.
        self.best_vec = model.heuristic().assignment
        self.best = model.check(self.best_vec).objective
        empty = np.zeros(0, dtype=np.int64)
        for j, members in enumerate(_columns_of(self.best_vec, n)):
            self.master.add(j, [members, empty], np.array([_column_cost(model, j, members),
                                                           _column_cost(model, j, empty)]))
        self.best_lb, self.best_pi = -np.inf, np.zeros(m)

    # ---------------------------------------------------------------- clock
    def left(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.perf_counter()

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.perf_counter() >= self.deadline

    # --------------------------------------------------------------- bounds
    @staticmethod
    def tol(value: float) -> float:
        return 1e-9 * max(1.0, abs(value))

    def lattice(self, lb: float) -> float:
        """The smallest objective value an answer can have at or above ``lb``."""
        if self.grain and math.isfinite(lb):
            return self.grain * math.ceil(lb / self.grain - 1e-6)
        return lb

    def proven(self) -> bool:
        return self.best <= self.lattice(self.best_lb) + self.tol(self.best)

    def offer(self, vec: np.ndarray) -> None:
        value = self.model.check(vec).objective
        if value < self.best:
            self.best, self.best_vec = value, vec

    def price(self, pi: np.ndarray, mu: np.ndarray | None, beam: int) -> tuple[float, np.ndarray, int] | None:
        """Price every consumer at ``pi``: (Lagrangian bound, the v_j, columns added), None if time ran out.

        With ``mu`` (LP duals), up to ``beam`` columns of negative reduced cost per consumer join
        the master; without, the ``beam`` cheapest.
        """
        values = np.empty(len(self.pricers))
        added = 0
        for j, p in enumerate(self.pricers):
            if self.out_of_time():
                return None
            W, c = p.tables(pi)
            values[j] = _finite(W[0, 0], j)
            limit = _HUGE if mu is None else mu[j] - self.tol(mu[j])
            if values[j] <= limit:
                member, state = p.columns(W, c, limit, beam=beam)
                added += self.master.add(j, [p.agents[row] for row in member], p.column_costs(member, state))
        lb = float(pi.sum() + values.sum())
        if lb > self.best_lb:
            self.best_lb, self.best_pi = lb, pi
        for j, p in enumerate(self.pricers):       # every optimum's columns cost at most this
            p.restrict_cost(self.best - lb + values[j] + self.tol(self.best))
        return lb, values, added

    # ------------------------------------------------------------ the phases
    def generate(self, beam: int, warm: bool) -> None:
        """Column generation until the LP is optimal (the bound meets it) or time runs out."""
        if warm and self.model.exact_milp_refusal() is None and not self.out_of_time():
            left = self.left()
            relaxed = _compact_relaxation(self.model, None if left is None else max(left, 1e-3))
            if relaxed is not None:
                self.offer(self.model.improve(relaxed[1]))
                self.price(relaxed[0], None, beam)
        lp_value = np.inf
        while not self.out_of_time():
            self.info["rounds"] = int(self.info["rounds"]) + 1
            lp_value, pi, mu = self.master.solve_lp()
            self.offer(self.model.improve(self.master.rounded()))
            priced = self.price(pi, mu, beam)
            if priced is None:
                break
            lb, _, added = priced
            if self.verbose:
                print(f"round {self.info['rounds']}: LP {lp_value:.6f}, bound {lb:.6f}, {added} columns "
                      f"({len(self.master.cost)} in all), best {self.best:.6f}")
            if added == 0 or self.best_lb >= lp_value - self.tol(lp_value):
                break
        self.info["columns"] = len(self.master.cost)
        self.info["lp"] = lp_value

    def type_columns(self, j: int, agent_rows: list[np.ndarray], cost: np.ndarray, rc: np.ndarray) -> _Columns:
        """Columns of consumer ``j`` given by their agents, as counts per type."""
        import scipy.sparse as sp

        rows = np.repeat(np.arange(len(agent_rows)), [a.size for a in agent_rows])
        agents = np.concatenate(agent_rows) if agent_rows else np.zeros(0, dtype=np.int64)
        counts = sp.csr_array((np.ones(agents.size), (rows, self.types[agents])), shape=(len(agent_rows), self.n_types))
        counts.sum_duplicates()
        return _Columns(np.full(len(agent_rows), j, dtype=np.int64), counts, np.asarray(cost, dtype=float),
                        np.asarray(rc, dtype=float))

    def enumerate(self, tau: float, max_columns: int, beam: int | None = None) -> _Columns | str:
        """Every column of reduced cost <= ``tau`` at the best duals, one per multiset of agent types.

        With ``beam``, only the ``beam`` cheapest of each consumer (no cap; for incumbents only).

        The duals are first averaged over each type: the bound can only rise (the Lagrangian
        function is concave and the same under swaps of interchangeable agents), and agents
        of one type then price alike, so one canonical coalition stands for all its copies.
        """
        sums = np.bincount(self.types, weights=self.best_pi, minlength=self.n_types)
        self.best_pi = (sums / np.bincount(self.types, minlength=self.n_types))[self.types]
        parts: list[_Columns] = []
        values = np.empty(len(self.pricers))
        count = 0
        for j, p in enumerate(self.pricers):
            if self.out_of_time():
                return "time limit while enumerating columns"
            W, c = p.tables(self.best_pi)
            values[j] = _finite(W[0, 0], j)
            found = p.columns(W, c, values[j] + tau + self.tol(values[j] + tau), canonical=True,
                              cap=None if beam else max_columns - count, beam=beam)
            if found is None or count + found[0].shape[0] > max_columns:
                return f"more than {max_columns} columns within the gap"
            member, state = found
            count += member.shape[0]
            parts.append(self.type_columns(j, [p.agents[row] for row in member], p.column_costs(member, state),
                                           _row_sums(member, c) + p.term[state] - values[j]))
        # The ranges may have narrowed since the bound was taken, and the duals were averaged: v_j only grew.
        self.lb_pi = float(self.best_pi.sum() + values.sum())
        self.best_lb = max(self.best_lb, self.lb_pi)
        self.values = values
        return _Columns.join(parts, self.n_types)

    def decode(self, columns: _Columns, chosen: np.ndarray) -> np.ndarray:
        """The assignment of chosen type columns: each takes free agents of its types."""
        pools = [list(np.flatnonzero(self.types == t)) for t in range(self.n_types)]
        vec = np.full(self.model.n_agents, -1, dtype=np.int64)
        rows = columns.counts[chosen]
        for r, k in enumerate(chosen.tolist()):
            start, stop = rows.indptr[r], rows.indptr[r + 1]
            for t, times in zip(rows.indices[start:stop].tolist(), rows.data[start:stop].tolist()):
                for _ in range(int(round(times))):
                    vec[pools[t].pop()] = columns.consumer[k]
        return vec

    def close(self, max_columns: int, mip_columns: int) -> tuple[Status, str]:
        """Solve set-partitioning MIPs over the columns within a growing gap ``tau`` of the bound.

        Optimal once the MIP's answer ``z`` satisfies ``z - LB - grain <= tau``: an answer
        better than ``z`` would have every column within ``tau`` of the bound. A stage's MIP
        takes at most ``mip_columns`` columns (the smallest reduced costs; HiGHS's time grows
        faster than linearly with them), four times more each stage.
        """
        self.lb_pi = self.best_lb
        tau_try = max(5e-3 * max(1.0, abs(self.lb_pi)), 3.0 * self.step)
        tau_cap = np.inf                                # the enumeration exceeded max_columns here
        budget = mip_columns
        least = max(self.step, 1e-4 * max(1.0, abs(self.lb_pi)))    # the smallest growth of tau
        while True:
            if self.proven():
                return Status.OPTIMAL, "column generation bound meets the incumbent"
            tau = min(tau_try, self.best - self.lb_pi - self.step)
            if tau >= tau_cap:
                return Status.FEASIBLE, (f"more than {max_columns} columns within the gap; "
                                         "bound from the column generation")
            found = self.enumerate(tau, max_columns)
            if isinstance(found, str):
                if self.out_of_time():
                    return Status.FEASIBLE, found + "; bound from the column generation"
                if tau_cap == np.inf:                    # once: the cheapest columns, for an incumbent
                    cheapest = self.enumerate(tau, max_columns, beam=max(budget // len(self.pricers), 25))
                    if not isinstance(cheapest, str) and self.partition(cheapest) != "kOptimal":
                        return Status.FEASIBLE, "set-partitioning MIP stopped; bound from the column generation"
                    if self.proven():
                        return Status.OPTIMAL, "column generation bound meets the incumbent"
                if tau <= 1e-2 * least:
                    return Status.FEASIBLE, found + "; bound from the column generation"
                tau_cap, tau_try = tau, tau / 4.0
                continue
            if self.proven():
                return Status.OPTIMAL, "column generation bound meets the incumbent"
            keep = np.flatnonzero(found.rc <= tau + self.tol(tau))
            complete = tau                               # every column within this of the bound is kept
            if keep.size > budget:                       # the cheapest columns, whole levels of rc if possible
                order = np.sort(found.rc)
                first = int(np.searchsorted(order, order[budget - 1] - self.tol(order[budget - 1])))
                if first > 0:
                    complete = tau = float(order[first - 1])
                    keep = np.flatnonzero(found.rc <= tau + self.tol(tau))
                else:                                    # the cheapest level alone is too big: part of it
                    keep, complete = np.argsort(found.rc, kind="stable")[:budget], -np.inf
            self.info["enumerated"], self.info["tau"] = int(keep.size), complete
            status = self.partition(found.take(keep))
            if status != "kOptimal":
                return Status.FEASIBLE, f"set-partitioning MIP ended with HiGHS status {status}"
            if self.best - self.lb_pi - self.step <= complete + self.tol(self.best):
                return Status.OPTIMAL, (f"column generation bound {self.lattice(self.best_lb):.9g} closed by "
                                        f"{len(keep)} columns within {complete:.6g} of it")
            if self.proven():
                return Status.OPTIMAL, "column generation bound meets the incumbent"
            for j, p in enumerate(self.pricers):
                p.restrict_cost(self.best - self.lb_pi + self.values[j] + self.tol(self.best))
            if math.isfinite(complete):
                tau_try = max(2.0 * tau, tau + least)
            budget *= 4

    def partition(self, found: _Columns) -> str:
        """The set-partitioning MIP over ``found`` and the incumbent's columns; offers its answer."""
        n = self.model.n_consumers
        incumbent = _columns_of(self.best_vec, n)            # its columns: a MIP start
        columns = _Columns.join([found] + [
            self.type_columns(j, [incumbent[j]], [_column_cost(self.model, j, incumbent[j])], [0.0])
            for j in range(n)], self.n_types)
        gap_abs = 0.999 * self.grain if self.grain else self.tol(self.best)
        k = found.rc.size
        status, chosen = _partition_mip(columns, np.bincount(self.types, minlength=self.n_types), n,
                                        np.arange(k, k + n), gap_abs, self.left(), self.verbose)
        if chosen is not None:
            self.offer(self.decode(columns, chosen))
        return status

    def result(self, status: Status, message: str) -> Result:
        answer = self.model.dispatch(self.best_vec)
        objective = self.model.check(answer).objective
        if status is Status.OPTIMAL:
            bound = objective
        else:
            bound = min(self.lattice(self.best_lb), objective) if math.isfinite(self.best_lb) else None
        self.info["bound"] = self.best_lb
        return Result(status, objective=objective, bound=bound, answer=answer, method="colgen",
                      runtime=time.perf_counter() - self.started, message=message, info=self.info)


def colgen_solve(model: AssignmentGuidance, *, time_limit: float | None = None, max_columns: int = 200_000,
                 mip_columns: int = 1000, beam: int = 25, warm: bool = True, verbose: bool = False) -> Result:
    """Solve ``model`` by column generation with an exact gap closing (see the module docstring)."""
    why = colgen_refusal(model)
    if why is not None:
        raise ValueError(why)
    search = _Search(model, time_limit, verbose)
    search.generate(beam, warm)
    if search.proven():
        return search.result(Status.OPTIMAL, "column generation bound meets the incumbent")
    if search.out_of_time():
        return search.result(Status.FEASIBLE, "time limit during column generation; bound from the Lagrangian")
    return search.result(*search.close(max_columns, mip_columns))


def _compact_relaxation(model: AssignmentGuidance,
                        time_limit: float | None) -> tuple[np.ndarray, np.ndarray] | None:
    """The piecewise-linear MILP's LP relaxation: agent-row duals (<= 0) and a rounded assignment, or None."""
    from .highs import build_highs

    program = model.pwl_program()
    lp = program.with_changes(integrality=np.zeros(program.n_cols, dtype=bool))
    h = build_highs(lp, SolveOptions(time_limit=time_limit))
    h.setOptionValue("threads", 1)
    h.run()
    if h.getModelStatus().name != "kOptimal":
        return None
    rows = next((start, stop) for name, start, stop in program.row_groups if name == "agent")
    solution = h.getSolution()
    y = np.asarray(solution.row_dual, dtype=float)[rows[0]:rows[1]]
    x = program.block("x").take(np.asarray(solution.col_value, dtype=float))
    vec = np.where(x.max(axis=1) > 0.5, x.argmax(axis=1), -1)
    return np.minimum(y, 0.0), vec


@register_backend
class ColgenBackend(Backend):
    """Column generation with an exact gap closing, for AssignmentGuidance with whole-unit data."""

    name = "colgen"
    accepts_classes = frozenset({"GUIDANCE"})
    required_modules = ("highspy",)
    auto_priority = None
    exact = True
    description = ("AssignmentGuidance: Dantzig-Wolfe column generation (coalition pricing by dynamic "
                   "programming) and an exact set-partitioning MIP over the columns within the gap")
    solves = "AssignmentGuidance with supplies and demands in whole decimal units"

    def accepts(self, model: Model) -> bool:
        return isinstance(model, AssignmentGuidance)

    def refusal(self, model: Model) -> str | None:
        assert isinstance(model, AssignmentGuidance)
        return colgen_refusal(model)

    def solve(self, model: Model, opts: SolveOptions) -> Result:
        assert isinstance(model, AssignmentGuidance)
        options = dict(DEFAULTS)
        for key, value in (opts.options or {}).items():
            if key not in DEFAULTS:
                raise OptionError(f"method 'colgen' has no option `{key}`; it takes {sorted(DEFAULTS)}")
            options[key] = value
        for key in ("max_columns", "mip_columns", "beam"):
            value = options[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise OptionError(f"`{key}` must be a positive whole number; got {value!r}")
        if not isinstance(options["warm"], bool):
            raise OptionError(f"`warm` must be true or false; got {options['warm']!r}")
        return colgen_solve(model, time_limit=opts.time_limit, max_columns=options["max_columns"],
                            mip_columns=options["mip_columns"], beam=options["beam"], warm=options["warm"],
                            verbose=opts.verbose)
