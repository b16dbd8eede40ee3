"""Market-based task allocators: sequential single-item auctions, CBBA and contract net.

Each takes an assignment-style model (:class:`~allotment.models.LinearAssignment`,
:class:`~allotment.models.GeneralizedAssignment`, or any model with the same arrays:
``cost (n_agents, n_tasks)``, ``sense``, and ``weight``/``capacity`` or
``demand (n_agents, n_tasks, n_resources)``/``capacity (n_agents, n_resources)``, such as
``MultiResourceAssignment``) and returns the model's own :class:`~allotment.models.Assignment`
in a :class:`~allotment.solvers.Result`, so ``model.check`` and the exact optimum
(``solve(model, "highs")``) judge it unchanged. Status is ``feasible`` (never ``optimal``:
these are heuristics) or ``error`` when the market leaves a required task unassigned.

Every agent bids its *marginal score* for a task: with costs additive per task, agent
``i``'s score for task ``j`` is ``score[i, j] = C + 1 - cost[i, j]`` for ``sense="min"``
(``C`` the largest cost; ``cost - c_min + 1`` for ``"max"``), positive so that every
required task is wanted; with ``unassigned_penalty`` a task is worth ``penalty[j] - cost[i, j]``
(``cost + penalty`` for ``"max"``) and is only taken when that is positive. A bid is
eligible when the pair is allowed and the task still fits in the agent's capacity.

- :func:`sequential_auction` - sequential single-item auctions: each round every agent
  bids on every open task, and the one task whose best bid raises team cost least (team
  score most) is awarded. Koenig, Tovey, Lagoudakis et al., "The power of sequential
  single-item auctions for agent coordination", AAAI 2006; Lagoudakis et al.,
  "Auction-based multi-robot routing", RSS 2005.
- :func:`cbba` - the consensus-based bundle algorithm: each agent greedily builds a bundle
  from marginal path scores (best insertion position), then agents exchange winning bids
  ``y``, winners ``z`` and timestamps ``s`` with their neighbours in a communication graph
  (synchronous rounds) and apply the update / reset / leave rules of the paper's Table 1;
  an agent outbid on a task releases it and every task added after it. On a connected
  graph with scores of diminishing marginal gain it converges to a conflict-free
  assignment equal to the centralised sequential greedy one, at least 50% of the optimal
  score. H.-L. Choi, L. Brunet and J. P. How, "Consensus-based decentralized auctions for
  robust task allocation", IEEE Trans. Robotics 25(4) (2009).
- :func:`contract_net` - the contract net protocol: a manager announces the tasks one by
  one, eligible agents (a bid-eligibility filter: allowed, fits, and an optional user
  filter) bid, and the manager awards the best bid. R. G. Smith, "The contract net
  protocol: high-level communication and control in a distributed problem solver", IEEE
  Trans. Computers C-29(12) (1980).

Ties go to the lower agent index, then the lower task index, so every method is
deterministic (contract net takes ``seed`` only to shuffle the announcement order).

>>> from allotment.models import GeneralizedAssignment
>>> from allotment.solvers import solve
>>> gap = GeneralizedAssignment(cost=[[1, 5, 3], [4, 2, 1]], weight=[[3, 3, 2], [3, 3, 2]], capacity=[5, 5])
>>> r = solve(gap, method="cbba")
>>> r.status.value, r.answer.assignment.tolist(), r.objective, r.info["conflict_free"]
('feasible', [0, 1, 1], 4.0, True)
>>> solve(gap, method="ssi").objective, solve(gap, method="contract_net").objective
(4.0, 4.0)
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from allotment.models import Model, OptionError

from .backend import Backend, SolveOptions, register_backend
from .result import Result, Status

__all__ = [
    "Market", "market_of", "sequential_auction", "contract_net", "cbba",
    "PathScore", "AdditiveScore", "TimeDiscountedReward", "cbba_bundles", "CBBAOutcome",
]

_TOL = 1e-9


# ------------------------------------------------------------------ the market view
@dataclass(frozen=True)
class Market:
    """An assignment-style model as a market: scores, resource use, capacities, allowed pairs.

    ``score[i, j]``: what agent ``i`` gains by doing task ``j`` (higher is better);
    ``usage[i, j, k]`` of resource ``k`` within ``capacity[i, k]``; ``allowed[i, j]``;
    ``optional``: tasks may stay unassigned (only positive scores are taken).
    """

    score: np.ndarray
    usage: np.ndarray
    capacity: np.ndarray
    allowed: np.ndarray
    optional: bool

    @property
    def n_agents(self) -> int:
        return int(self.score.shape[0])

    @property
    def n_tasks(self) -> int:
        return int(self.score.shape[1])

    def fits(self, load: np.ndarray) -> np.ndarray:
        """``(n_agents, n_tasks)``: task j still fits agent i given ``load (n_agents, n_resources)``."""
        room = self.capacity - load
        return self.allowed & np.all(self.usage <= room[:, None, :] + _TOL * np.maximum(1.0, self.capacity[:, None, :]),
                                     axis=2)


def market_of(model: Any) -> Market:
    """The :class:`Market` of an assignment-style model (duck-typed on its arrays).

    >>> from allotment.models import LinearAssignment
    >>> market_of(LinearAssignment([[4, 1], [2, 3]])).score.tolist()
    [[1.0, 4.0], [3.0, 2.0]]
    """
    cost = np.asarray(getattr(model, "cost", None), dtype=float)
    if cost.ndim != 2:
        raise ValueError(f"`model` must be an assignment-style model with `cost` (n_agents, n_tasks); "
                         f"got {type(model).__name__}")
    m, n = cost.shape
    allowed = getattr(model, "allowed", None)
    allowed = np.ones((m, n), dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool).copy()
    if hasattr(model, "demand"):
        usage = np.asarray(model.demand, dtype=float)
        capacity = np.asarray(model.capacity, dtype=float).reshape(m, -1)
    elif hasattr(model, "weight"):
        usage = np.asarray(model.weight, dtype=float)[:, :, None]
        capacity = np.asarray(model.capacity, dtype=float).reshape(m, 1)
    elif "LAP" in getattr(model, "tags", ()):
        usage = np.ones((m, n, 1))
        capacity = np.ones((m, 1))
    else:
        raise ValueError(f"`model` {type(model).__name__} has neither `weight`/`capacity` nor `demand`/`capacity` "
                         "nor the LAP tag; the market allocators cannot read it")
    if usage.shape[:2] != (m, n) or capacity.shape != (m, usage.shape[2]):
        raise ValueError(f"`model` arrays disagree: cost {cost.shape}, usage {usage.shape}, capacity {capacity.shape}")
    allowed &= np.all(usage <= capacity[:, None, :], axis=2)
    penalty = getattr(model, "unassigned_penalty", None)
    maximize = getattr(model, "sense", "min") == "max"
    if penalty is not None:
        pen = np.asarray(penalty, dtype=float)
        score = (cost + pen[None, :]) if maximize else (pen[None, :] - cost)
        optional = True
    else:
        vals = cost[allowed] if allowed.any() else cost.ravel()
        score = (cost - vals.min() + 1.0) if maximize else (vals.max() + 1.0 - cost)
        optional = False
    return Market(score, usage, capacity, allowed, optional)


def _deadline(time_limit: float | None, started: float) -> float | None:
    if time_limit is None:
        return None
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or not math.isfinite(time_limit) \
            or time_limit <= 0:
        raise ValueError(f"`time_limit` must be a positive number of seconds or None; got {time_limit!r}")
    return started + float(time_limit)


def _finish(model: Model, assignment: np.ndarray, method: str, started: float, info: dict[str, Any],
            timed_out: bool = False, message: str = "") -> Result:
    """A Result whose objective comes from the model's own check; feasible or error, never optimal."""
    answer = model.answer(assignment)
    report = model.check(answer)
    runtime = time.perf_counter() - started
    if report.feasible:
        note = "heuristic: no optimality claim" + ("; stopped by the time limit" if timed_out else "")
        return Result(Status.FEASIBLE, objective=report.objective, method=method, runtime=runtime, answer=answer,
                      message=f"{message}; {note}" if message else note, sense=model.sense, info=info)
    status = Status.TIME_LIMIT if timed_out else Status.ERROR
    why = "; ".join(report.violations)
    info["partial_assignment"] = assignment
    return Result(status, method=method, runtime=runtime, sense=model.sense, info=info,
                  message=f"{method} found no feasible assignment: {why}" + (f" ({message})" if message else ""))


# -------------------------------------------------------- sequential single-item
def sequential_auction(model: Model, *, time_limit: float | None = None) -> Result:
    """Sequential single-item auctions (see the module docstring); ``O(n_tasks)`` rounds.

    >>> from allotment.models import LinearAssignment
    >>> sequential_auction(LinearAssignment([[4, 1], [2, 3]])).answer.assignment.tolist()
    [1, 0]
    """
    started = time.perf_counter()
    deadline = _deadline(time_limit, started)
    mk = market_of(model)
    n = mk.n_tasks
    load = np.zeros_like(mk.capacity)
    assignment = np.full(n, -1, dtype=np.int64)
    open_ = np.ones(n, dtype=bool)
    rounds = 0
    timed_out = False
    while open_.any():
        if deadline is not None and time.perf_counter() > deadline:
            timed_out = True
            break
        ok = mk.fits(load) & open_[None, :]
        if mk.optional:
            ok &= mk.score > 0
        bids = np.where(ok, mk.score, -np.inf)
        best_agent = np.argmax(bids, axis=0)           # lowest agent index on ties
        best = bids[best_agent, np.arange(n)]
        if not np.isfinite(best).any():
            break
        j = int(np.argmax(best))                         # lowest task index on ties
        i = int(best_agent[j])
        assignment[j] = i
        load[i] += mk.usage[i, j]
        open_[j] = False
        rounds += 1
    return _finish(model, assignment, "ssi", started, {"rounds": rounds}, timed_out)


# ------------------------------------------------------------------ contract net
def contract_net(
    model: Model,
    *,
    eligible: np.ndarray | Callable[[int, int], bool] | None = None,
    order: Any | None = None,
    seed: int | None = None,
    time_limit: float | None = None,
) -> Result:
    """Contract net: announce each task, collect bids from eligible agents, award the best.

    Parameters
    ----------
    eligible : bool array (n_agents, n_tasks) or ``f(agent, task) -> bool``, optional
        The bid-eligibility filter, on top of "allowed and fits".
    order : announcement order (task indices); default task order, or shuffled by ``seed``
    """
    started = time.perf_counter()
    deadline = _deadline(time_limit, started)
    mk = market_of(model)
    m, n = mk.n_agents, mk.n_tasks
    if eligible is None:
        filt = np.ones((m, n), dtype=bool)
    elif callable(eligible):
        filt = np.array([[bool(eligible(i, j)) for j in range(n)] for i in range(m)], dtype=bool).reshape(m, n)
    else:
        filt = np.asarray(eligible)
        if filt.shape != (m, n) or filt.dtype != bool:
            raise ValueError(f"`eligible` must be a bool array of shape (n_agents, n_tasks) = {(m, n)} or a callable; "
                             f"got {filt.dtype} {filt.shape}")
    if order is None:
        seq = np.arange(n) if seed is None else np.random.default_rng(seed).permutation(n)
    else:
        seq = np.asarray(order, dtype=np.int64)
        if seq.ndim != 1 or sorted(seq.tolist()) != list(range(n)):
            raise ValueError(f"`order` must be a permutation of the {n} task indices")
    load = np.zeros_like(mk.capacity)
    assignment = np.full(n, -1, dtype=np.int64)
    bids_sent = 0
    timed_out = False
    for j in seq.tolist():
        if deadline is not None and time.perf_counter() > deadline:
            timed_out = True
            break
        room = mk.capacity - load
        ok = filt[:, j] & mk.allowed[:, j] & np.all(mk.usage[:, j, :] <= room + _TOL * np.maximum(1.0, mk.capacity),
                                                     axis=1)
        if mk.optional:
            ok &= mk.score[:, j] > 0
        bids_sent += int(ok.sum())
        if not ok.any():
            continue
        i = int(np.argmax(np.where(ok, mk.score[:, j], -np.inf)))
        assignment[j] = i
        load[i] += mk.usage[i, j]
    return _finish(model, assignment, "contract_net", started, {"bids": bids_sent, "announcements": n}, timed_out)


# ---------------------------------------------------------------------- CBBA
class PathScore(Protocol):
    """What CBBA needs of a scoring scheme: marginal gains of inserting each task in a path."""

    n_agents: int
    n_tasks: int

    def marginals(self, agent: int, path: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """``(gain, position)`` per task: best marginal score of inserting it into ``path``
        (``-inf`` where not allowed) and where."""

    def path_score(self, agent: int, path: list[int]) -> float:
        """Score of the whole path."""


@dataclass
class AdditiveScore:
    """Order-free scores ``S_i(path) = sum_j score[i, j]`` with capacity-feasible bundles.

    The marginal gain of a task does not depend on the bundle (until it no longer fits),
    so the scores have diminishing marginal gain and CBBA's guarantee applies.
    """

    market: Market

    @property
    def n_agents(self) -> int:
        return self.market.n_agents

    @property
    def n_tasks(self) -> int:
        return self.market.n_tasks

    def marginals(self, agent: int, path: list[int]) -> tuple[np.ndarray, np.ndarray]:
        mk = self.market
        load = mk.usage[agent, path, :].sum(axis=0) if path else np.zeros(mk.capacity.shape[1])
        room = mk.capacity[agent] - load
        ok = mk.allowed[agent] & np.all(mk.usage[agent] <= room[None, :] + _TOL * np.maximum(1.0, mk.capacity[agent]),
                                        axis=1)
        ok[path] = False
        gain = np.where(ok, mk.score[agent], -np.inf)
        return gain, np.full(mk.n_tasks, len(path), dtype=np.int64)

    def path_score(self, agent: int, path: list[int]) -> float:
        return float(self.market.score[agent, path].sum())


@dataclass
class TimeDiscountedReward:
    """The paper's time-discounted reward: ``S_i(p) = sum_k discount**t_k reward[p_k]``.

    Agent ``i`` starts at ``agent_pos[i]`` and travels at ``speed`` through its path
    ``p``; ``t_k`` is its arrival time at the k-th task (after ``duration`` at each
    earlier one). Marginals try every insertion position; at most ``bundle_limit`` tasks.

    >>> s = TimeDiscountedReward([[0, 0]], [[1, 0], [2, 0]], reward=[1, 1], discount=0.5)
    >>> s.path_score(0, [0, 1]), s.marginals(0, [1])[1].tolist()
    (0.75, [0, 0])
    """

    agent_pos: Any
    task_pos: Any
    reward: Any
    speed: float = 1.0
    discount: float = 0.9
    duration: Any = 0.0
    bundle_limit: int | None = None
    allowed: Any = None

    def __post_init__(self) -> None:
        self.agent_pos = np.asarray(self.agent_pos, dtype=float)
        self.task_pos = np.asarray(self.task_pos, dtype=float)
        self.reward = np.asarray(self.reward, dtype=float)
        if self.agent_pos.ndim != 2 or self.task_pos.ndim != 2 or self.agent_pos.shape[1] != self.task_pos.shape[1]:
            raise ValueError("`agent_pos` and `task_pos` must be (count, dims) arrays with the same dims")
        if self.reward.shape != (self.task_pos.shape[0],) or np.any(self.reward < 0):
            raise ValueError(f"`reward` must be non-negative with shape ({self.task_pos.shape[0]},)")
        if not (0 < self.discount <= 1) or self.speed <= 0:
            raise ValueError("`discount` must be in (0, 1] and `speed` positive")
        self.duration = np.broadcast_to(np.asarray(self.duration, dtype=float), self.reward.shape)
        self.allowed = (np.ones((self.n_agents, self.n_tasks), dtype=bool) if self.allowed is None
                        else np.asarray(self.allowed, dtype=bool))
        self._d_task = np.linalg.norm(self.task_pos[:, None, :] - self.task_pos[None, :, :], axis=2) / self.speed
        self._d_agent = np.linalg.norm(self.agent_pos[:, None, :] - self.task_pos[None, :, :], axis=2) / self.speed

    @property
    def n_agents(self) -> int:
        return int(self.agent_pos.shape[0])

    @property
    def n_tasks(self) -> int:
        return int(self.task_pos.shape[0])

    def _times(self, agent: int, path: list[int]) -> np.ndarray:
        t = np.zeros(len(path))
        now, prev = 0.0, None
        for k, j in enumerate(path):
            now += self._d_agent[agent, j] if prev is None else self.duration[prev] + self._d_task[prev, j]
            t[k] = now
            prev = j
        return t

    def path_score(self, agent: int, path: list[int]) -> float:
        if not path:
            return 0.0
        return float(np.sum(self.discount ** self._times(agent, path) * self.reward[path]))

    def marginals(self, agent: int, path: list[int]) -> tuple[np.ndarray, np.ndarray]:
        n = self.n_tasks
        gain = np.full(n, -np.inf)
        pos = np.zeros(n, dtype=np.int64)
        if self.bundle_limit is not None and len(path) >= self.bundle_limit:
            return gain, pos
        times = self._times(agent, path)
        lam = self.discount
        terms = lam ** times * self.reward[path] if path else np.zeros(0)
        tail = np.concatenate([np.cumsum(terms[::-1])[::-1], [0.0]])  # tail[l] = sum_{k >= l} terms[k]
        for l in range(len(path) + 1):
            if l == 0:
                t_prev_end, leg_in = 0.0, self._d_agent[agent]
            else:
                p = path[l - 1]
                t_prev_end, leg_in = times[l - 1] + self.duration[p], self._d_task[p]
            arrive = t_prev_end + leg_in
            g = lam ** arrive * self.reward
            if l < len(path):
                nxt = path[l]
                old_leg = (self._d_agent[agent, nxt] if l == 0 else self._d_task[path[l - 1], nxt])
                delay = leg_in + self.duration + self._d_task[:, nxt] - old_leg
                g = g + (lam ** delay - 1.0) * tail[l]
            better = g > gain + 1e-15
            gain = np.where(better, g, gain)
            pos = np.where(better, l, pos)
        ok = self.allowed[agent].copy()
        ok[path] = False
        return np.where(ok, gain, -np.inf), pos


@dataclass
class CBBAOutcome:
    """Result of :func:`cbba_bundles`: per-agent bundles and paths, and how the run went."""

    bundles: list[list[int]]
    paths: list[list[int]]
    winners: np.ndarray          # (n_agents, n_tasks): each agent's belief z
    bids: np.ndarray             # (n_agents, n_tasks): each agent's belief y
    rounds: int
    converged: bool
    conflict_free: bool
    agreed: bool
    messages: int
    timed_out: bool = False
    scores: list[float] = field(default_factory=list)

    def assignment(self, n_tasks: int) -> np.ndarray:
        """``(n_tasks,)`` agent index per task from the bundles (-1 = none; last bundle wins a conflict)."""
        out = np.full(n_tasks, -1, dtype=np.int64)
        for i, bundle in enumerate(self.bundles):
            out[bundle] = i
        return out

    @property
    def total_score(self) -> float:
        return float(sum(self.scores))


def _better(y1: np.ndarray, z1: np.ndarray, y2: np.ndarray, z2: np.ndarray, eps: float) -> np.ndarray:
    """Bid (y1 by z1) beats (y2 by z2): higher, or equal and from a lower agent index."""
    tie = np.abs(y1 - y2) <= eps
    return (y1 > y2 + eps) | (tie & (z1 >= 0) & ((z2 < 0) | (z1 < z2)))


def _consensus(i: int, k: int, Y: np.ndarray, Z: np.ndarray, Yk: np.ndarray, Zk: np.ndarray,
               Si: np.ndarray, Sk: np.ndarray, eps: float) -> None:
    """Receiver ``i`` applies Table 1 of Choi et al. (2009) to sender ``k``'s ``(Yk, Zk, Sk)``, in place."""
    yi, zi = Y[i], Z[i]
    zk_k, zk_i, zk_none = Zk == k, Zk == i, Zk < 0
    zk_m = ~(zk_k | zk_i | zk_none)
    zi_i, zi_k, zi_none = zi == i, zi == k, zi < 0
    zi_m = ~(zi_i | zi_k | zi_none)
    zk_idx = np.where(Zk >= 0, Zk, 0)
    zi_idx = np.where(zi >= 0, zi, 0)
    newer_zk = Sk[zk_idx] > Si[zk_idx]      # sender has fresher news of the agent it names
    newer_zi = Sk[zi_idx] > Si[zi_idx]      # ... of the agent the receiver names
    older_zk = Si[zk_idx] > Sk[zk_idx]
    better = _better(Yk, Zk, yi, zi, eps)
    update = (zk_k & zi_i & better) | (zk_k & zi_k) | (zk_k & zi_m & (newer_zi | better)) | (zk_k & zi_none)
    reset = (zk_i & zi_k) | (zk_i & zi_m & newer_zi)
    same = Zk == zi
    third = zk_m & zi_m & ~same
    update |= (zk_m & zi_i & newer_zk & better) | (zk_m & zi_k & newer_zk) | (zk_m & zi_m & same & newer_zk)
    update |= (third & newer_zk & newer_zi) | (third & newer_zk & better) | (zk_m & zi_none & newer_zk)
    reset |= (zk_m & zi_k & ~newer_zk) | (third & newer_zi & older_zk)
    update |= (zk_none & zi_k) | (zk_none & zi_m & newer_zi)
    reset &= ~update
    yi[update] = Yk[update]
    zi[update] = Zk[update]
    yi[reset] = 0.0
    zi[reset] = -1


def _build_bundle(i: int, score: PathScore, bundle: list[int], path: list[int], Y: np.ndarray, Z: np.ndarray,
                  limit: int | None, eps: float) -> bool:
    """Phase 1: add tasks by best marginal path score while agent ``i`` can outbid; True if it bid."""
    changed = False
    while limit is None or len(bundle) < limit:
        gain, pos = score.marginals(i, path)
        can = (gain > 0) & _better(gain, np.full(gain.shape, i), Y[i], Z[i], eps)
        if not can.any():
            break
        j = int(np.argmax(np.where(can, gain, -np.inf)))
        bundle.append(j)
        path.insert(int(pos[j]), j)
        Y[i, j] = gain[j]
        Z[i, j] = i
        changed = True
    return changed


def _release(i: int, bundle: list[int], path: list[int], Y: np.ndarray, Z: np.ndarray) -> None:
    """Drop the first task agent ``i`` was outbid on and every task added after it."""
    for n_bar, j in enumerate(bundle):
        if Z[i, j] != i:
            for later in bundle[n_bar + 1:]:
                if Z[i, later] == i:
                    Y[i, later] = 0.0
                    Z[i, later] = -1
            dropped = set(bundle[n_bar:])
            del bundle[n_bar:]
            path[:] = [t for t in path if t not in dropped]
            return


def _neighbours(graph: Any, m: int, agent_ids: tuple[str, ...] | None) -> tuple[list[list[int]], int]:
    """Adjacency lists over agent indices and the graph's diameter (``m - 1`` if disconnected)."""
    import networkx as nx

    if graph is None:
        return [[k for k in range(m) if k != i] for i in range(m)], 1
    if not isinstance(graph, nx.Graph):
        raise ValueError(f"`graph` must be a networkx Graph over the agents; got {type(graph).__name__}")
    nodes = set(graph.nodes)
    if nodes == set(range(m)):
        index = {i: i for i in range(m)}
    elif agent_ids is not None and nodes == set(agent_ids):
        index = {a: i for i, a in enumerate(agent_ids)}
    else:
        raise ValueError(f"`graph` must have the {m} agents as nodes (indices 0..{m - 1} or agent ids); "
                         f"got {graph.number_of_nodes()} node(s)")
    adj: list[list[int]] = [[] for _ in range(m)]
    for u, v in graph.edges:
        a, b = index[u], index[v]
        if a != b:
            adj[a].append(b)
            adj[b].append(a)
    adj = [sorted(set(a)) for a in adj]
    diameter = nx.diameter(graph) if m > 1 and nx.is_connected(graph) else max(m - 1, 1)
    return adj, max(int(diameter), 1)


def cbba_bundles(
    score: PathScore,
    graph: Any | None = None,
    *,
    max_rounds: int | None = None,
    bundle_limit: int | None = None,
    time_limit: float | None = None,
    agent_ids: tuple[str, ...] | None = None,
) -> CBBAOutcome:
    """Run CBBA (synchronous rounds) on ``score`` over the communication ``graph``.

    Parameters
    ----------
    score : a :class:`PathScore` (:class:`AdditiveScore`, :class:`TimeDiscountedReward` ...)
    graph : networkx Graph over agent indices (or ``agent_ids``); default: complete graph
    max_rounds : default ``2 * (n_tasks + 1) * diameter + 10``
    bundle_limit : most tasks per agent (``L_t``); default unlimited (the score's own limits)
    time_limit : wall-clock seconds

    Convergence: no agent changed its bids, winners or bundle for ``diameter + 1`` rounds.
    """
    started = time.perf_counter()
    deadline = _deadline(time_limit, started)
    m, n = score.n_agents, score.n_tasks
    adj, diameter = _neighbours(graph, m, agent_ids)
    if max_rounds is None:
        max_rounds = 2 * (n + 1) * diameter + 10
    elif isinstance(max_rounds, bool) or not isinstance(max_rounds, (int, np.integer)) or max_rounds < 1:
        raise ValueError(f"`max_rounds` must be a positive whole number; got {max_rounds!r}")
    if bundle_limit is not None and (isinstance(bundle_limit, bool) or not isinstance(bundle_limit, (int, np.integer))
                                     or bundle_limit < 1):
        raise ValueError(f"`bundle_limit` must be a positive whole number or None; got {bundle_limit!r}")
    Y = np.zeros((m, n))
    Z = np.full((m, n), -1, dtype=np.int64)
    S = np.zeros((m, m))
    bundles: list[list[int]] = [[] for _ in range(m)]
    paths: list[list[int]] = [[] for _ in range(m)]
    eps = 1e-12
    stable = 0
    rounds = 0
    messages = 0
    timed_out = False
    converged = False
    while rounds < max_rounds:
        if deadline is not None and time.perf_counter() > deadline:
            timed_out = True
            break
        rounds += 1
        before = (Y.copy(), Z.copy(), [list(b) for b in bundles])
        for i in range(m):
            if deadline is not None and time.perf_counter() > deadline:
                timed_out = True
                break
            _build_bundle(i, score, bundles[i], paths[i], Y, Z, bundle_limit, eps)
        if timed_out:
            break
        Y0, Z0, S0 = Y.copy(), Z.copy(), S.copy()
        for i in range(m):
            for k in adj[i]:
                _consensus(i, k, Y, Z, Y0[k], Z0[k], S0[i], S0[k], eps)
                messages += 1
            if adj[i]:
                S[i] = np.maximum(S0[i], S0[adj[i]].max(axis=0))
                S[i, adj[i]] = rounds
            S[i, i] = rounds
        for i in range(m):
            _release(i, bundles[i], paths[i], Y, Z)
        same = np.array_equal(before[0], Y) and np.array_equal(before[1], Z) and before[2] == bundles
        stable = stable + 1 if same else 0
        if stable > diameter:
            converged = True
            break
    owners = np.zeros(n, dtype=np.int64)
    for b in bundles:
        owners[b] += 1
    conflict_free = bool(np.all(owners <= 1))
    agreed = bool(np.all(Z == Z[0][None, :]))
    scores = [score.path_score(i, paths[i]) for i in range(m)]
    return CBBAOutcome(bundles, paths, Z, Y, rounds, converged, conflict_free, agreed, messages, timed_out, scores)


def cbba(
    model: Model,
    *,
    graph: Any | None = None,
    max_rounds: int | None = None,
    time_limit: float | None = None,
) -> Result:
    """CBBA on an assignment-style model with additive scores (see the module docstring).

    ``graph``: networkx communication graph over agent indices or agent ids (default
    complete). ``Result.info`` holds ``rounds``, ``converged``, ``conflict_free``,
    ``agreed`` and ``messages``; a conflict (possible only on a disconnected graph or
    without convergence) makes the result an ``error``.
    """
    started = time.perf_counter()
    _deadline(time_limit, started)
    mk = market_of(model)
    out = cbba_bundles(AdditiveScore(mk), graph, max_rounds=max_rounds, time_limit=time_limit,
                       agent_ids=getattr(model, "agent_ids", None))
    info = {"rounds": out.rounds, "converged": out.converged, "conflict_free": out.conflict_free,
            "agreed": out.agreed, "messages": out.messages}
    if not out.conflict_free:
        return Result(Status.TIME_LIMIT if out.timed_out else Status.ERROR, method="cbba", runtime=time.perf_counter() - started, sense=model.sense,
                      info=info, message="CBBA ended with a task in two bundles ("
                      + ("stopped by the time limit)" if out.timed_out else "disconnected graph or no convergence)"))
    note = "" if out.converged else f"not converged after {out.rounds} rounds"
    return _finish(model, out.assignment(mk.n_tasks), "cbba", started, info, out.timed_out, note)


# ------------------------------------------------------------------- backends
class _MarketBackend(Backend):
    accepts_classes = frozenset({"LAP", "GAP", "MRGAP"})
    required_modules = ("numpy",)
    auto_priority = None
    exact = False
    _options: frozenset[str] = frozenset()

    def refusal(self, model: Model) -> str | None:
        try:
            market_of(model)
        except ValueError as exc:
            return str(exc)
        return None

    def _opts(self, opts: SolveOptions) -> dict[str, Any]:
        given = dict(opts.options or {})
        unknown = sorted(set(given) - self._options)
        if unknown:
            raise OptionError(f"method {self.name!r} takes options {sorted(self._options)}; got {unknown}")
        return given


@register_backend
class SequentialAuctionBackend(_MarketBackend):
    """Sequential single-item auctions (heuristic)."""

    name = "ssi"
    description = "sequential single-item auctions (Koenig et al. 2006): market heuristic, not exact"

    def solve(self, model: Model, opts: SolveOptions) -> Result:
        self._opts(opts)
        return sequential_auction(model, time_limit=opts.time_limit)


@register_backend
class CBBABackend(_MarketBackend):
    """Consensus-based bundle algorithm (heuristic, decentralised)."""

    name = "cbba"
    description = "consensus-based bundle algorithm (Choi, Brunet, How 2009): options graph, max_rounds"
    _options = frozenset({"graph", "max_rounds"})

    def solve(self, model: Model, opts: SolveOptions) -> Result:
        o = self._opts(opts)
        return cbba(model, graph=o.get("graph"), max_rounds=o.get("max_rounds"), time_limit=opts.time_limit)


@register_backend
class ContractNetBackend(_MarketBackend):
    """Contract net protocol (heuristic)."""

    name = "contract_net"
    description = "contract net protocol (Smith 1980): options eligible, order; seed shuffles the order"
    _options = frozenset({"eligible", "order"})

    def solve(self, model: Model, opts: SolveOptions) -> Result:
        o = self._opts(opts)
        return contract_net(model, eligible=o.get("eligible"), order=o.get("order"), seed=opts.seed,
                            time_limit=opts.time_limit)
