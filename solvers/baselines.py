"""Simple baselines to score allocators against: greedy, round robin, demand-proportional shares.

- :func:`greedy` (method ``greedy``) on assignment-style models (the market view of
  :func:`~allotment.solvers.allocators.market_of`: ``score[i, j]`` higher is better,
  resource use within capacities). With ``rule="regret"`` (default), the construction of
  Martello and Toth's MTHG: among the open tasks, take the one whose best feasible agent
  beats its second best by the most,

      j* = argmax_j ( score[a1(j), j] - score[a2(j), j] ),   a task with one feasible agent first,

  and give it to its best agent; with ``rule="best"``, take the best remaining (agent,
  task) pair. ``O(n_tasks)`` rounds of ``O(n_agents n_tasks)``.
- :func:`round_robin` (method ``round_robin``): tasks in order, dealt to agents in turn
  (skipping an agent the task does not fit); on an
  :class:`~allotment.models.UnrelatedScheduling`, tasks in release order to resources in
  turn, each started when its resource is free; on a
  :class:`~allotment.models.ShareAllocation`, the equal split
  ``g_i = clip(t, min_i, max_i)`` (the model's ``equal`` rule: round-robin time slicing
  of a GPU gives each agent the same share).
- :func:`demand_proportional` (method ``demand_proportional``): the adaptive GPU rule,
  shares proportional to ``lambda_i w_i`` with the minimum guarantees (the model's
  ``demand_proportional`` rule), whatever the model's own objective.
- :func:`unit_assignment_dcop` / :func:`allocate_via_dcop`: an assignment where each agent
  does at most one task (no two tasks fit an agent together) as a DCOP: one variable per
  agent whose domain is the tasks it can do (plus ``idle`` when tasks are optional), a
  unary table with its cost, and a pairwise table per pair of agents that charges a large
  conflict cost when both pick the same task. Max-Sum, DSA and MGM then allocate the
  assignment model; the answer is decoded (a duplicated task stays with the agent of the
  better value) and judged by the assignment model's own ``check``.

Each returns the model's own answer type in a :class:`~allotment.solvers.Result` with
status ``feasible`` (no optimality claim) when ``model.check`` accepts it, ``error`` with
the reason when it does not. The objective is the model's, recomputed by ``check``: a
demand-proportional split scored under a ``min_latency`` model reports its mean latency.

References: S. Martello and P. Toth, "An algorithm for the generalized assignment problem",
Operational Research '81 (1981) (MTHG); A. Farinelli, A. Rogers, A. Petcu and
N. R. Jennings, "Decentralised coordination of low-power embedded devices using the
max-sum algorithm", AAMAS 2008; K. S. Macarthur, R. Stranders, S. D. Ramchurn and
N. R. Jennings, "A distributed anytime algorithm for dynamic task allocation in
multi-agent systems", AAAI 2011 (Max-Sum for task allocation).

>>> from allotment.models import GeneralizedAssignment
>>> from allotment.solvers import solve
>>> gap = GeneralizedAssignment(cost=[[1, 5, 3], [4, 2, 1]], weight=[[3, 3, 2], [3, 3, 2]], capacity=[5, 5])
>>> [(m, solve(gap, m).answer.assignment.tolist()) for m in ("greedy", "round_robin")]
[('greedy', [0, 1, 1]), ('round_robin', [0, 1, 0])]
>>> from allotment.models.generators import coordinator_specialists
>>> lat = coordinator_specialists(1.0)   # scored by mean latency
>>> [round(solve(lat, m).objective, 4) for m in ("round_robin", "demand_proportional", "closed_form")]
[0.5796, 0.8796, 0.5357]
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from allotment.models import DCOP, Model, OptionError
from allotment.models.scheduling import UnrelatedScheduling
from allotment.models.shares import ShareAllocation

from .allocators import Market, market_of
from .backend import Backend, SolveOptions, register_backend
from .result import Result, Status

__all__ = [
    "greedy", "round_robin", "demand_proportional", "UnitDCOP", "unit_assignment_dcop", "allocate_via_dcop",
    "GreedyBackend", "RoundRobinBackend", "DemandProportionalBackend", "DCOP_METHODS",
]

_TOL = 1e-9


def _deadline(time_limit: float | None, started: float) -> float | None:
    if time_limit is None:
        return None
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or not time_limit > 0:
        raise ValueError(f"`time_limit` must be a positive number of seconds or None; got {time_limit!r}")
    return started + float(time_limit)


def _judge(model: Model, answer: Any, method: str, started: float, note: str, info: dict[str, Any] | None = None,
           timed_out: bool = False) -> Result:
    """``feasible`` with the model's own objective when ``check`` accepts ``answer``; else ``error``/``time_limit``."""
    report = model.check(answer)
    runtime = time.perf_counter() - started
    if report.feasible:
        msg = f"{note}: no optimality proof" + ("; stopped by the time limit" if timed_out else "")
        return Result(Status.FEASIBLE, objective=report.objective, answer=answer, method=method, runtime=runtime,
                      message=msg, sense=model.sense, info=info or {})
    return Result(Status.TIME_LIMIT if timed_out else Status.ERROR, method=method, runtime=runtime,
                  sense=model.sense, info=info or {},
                  message=f"{method} found no feasible answer: " + "; ".join(report.violations))


def _fits_one(mk: Market, load: np.ndarray, j: int) -> np.ndarray:
    """``(n_agents,)``: task ``j`` is allowed and still fits each agent under ``load``."""
    room = mk.capacity - load
    return mk.allowed[:, j] & np.all(mk.usage[:, j, :] <= room + _TOL * np.maximum(1.0, mk.capacity), axis=1)


# ------------------------------------------------------------------------ greedy
def greedy(model: Model, *, rule: str = "regret", time_limit: float | None = None) -> Result:
    """Greedy construction on an assignment-style model (see the module docstring).

    >>> from allotment.models import LinearAssignment
    >>> greedy(LinearAssignment([[4, 1], [2, 3]])).answer.assignment.tolist()
    [1, 0]
    """
    started = time.perf_counter()
    deadline = _deadline(time_limit, started)
    if rule not in ("regret", "best"):
        raise ValueError(f"`rule` must be 'regret' or 'best'; got {rule!r}")
    mk = market_of(model)
    m, n = mk.n_agents, mk.n_tasks
    load = np.zeros_like(mk.capacity)
    assignment = np.full(n, -1, dtype=np.int64)
    open_ = np.ones(n, dtype=bool)
    timed_out = False
    cols = np.arange(n)
    while open_.any():
        if deadline is not None and time.perf_counter() > deadline:
            timed_out = True
            break
        ok = mk.fits(load) & open_[None, :]
        if mk.optional:
            ok &= mk.score > 0
        bids = np.where(ok, mk.score, -np.inf)
        dead = open_ & ~ok.any(axis=0)
        if dead.any():  # no agent can take these any more: they stay unassigned
            open_ &= ~dead
            if not mk.optional:
                break
            continue
        if rule == "best":
            flat = int(np.argmax(bids.T))  # task-major: lowest task, then lowest agent on ties
            j, i = divmod(flat, m)
        else:
            order = np.argsort(-bids, axis=0, kind="stable")
            first = bids[order[0], cols]
            second = bids[order[1], cols] if m > 1 else np.full(n, -np.inf)
            with np.errstate(invalid="ignore"):  # closed tasks: -inf - -inf, masked out below
                gain = np.where(np.isfinite(second), first - second, np.inf)
            regret = np.where(open_, gain, -np.inf)
            j = int(np.argmax(regret))
            i = int(order[0, j])
        assignment[j] = i
        load[i] += mk.usage[i, j]
        open_[j] = False
    answer = model.answer(assignment)  # type: ignore[attr-defined]
    return _judge(model, answer, "greedy", started, f"greedy ({rule})", {"rule": rule}, timed_out)


# ------------------------------------------------------------------- round robin
def round_robin(model: Model, *, time_limit: float | None = None) -> Result:
    """Round robin on an assignment-style, scheduling or share model (see the module docstring).

    >>> from allotment.models import UnrelatedScheduling
    >>> round_robin(UnrelatedScheduling([[3, 1, 2], [1, 4, 2]], weight=[1, 2, 1])).answer.sequences()
    [[0, 2], [1]]
    """
    started = time.perf_counter()
    _deadline(time_limit, started)
    if isinstance(model, ShareAllocation):
        shares = ShareAllocation.from_data({**model.to_data(), "objective": "equal"}).rule_shares()
        return _judge(model, model.answer(shares), "round_robin", started, "round robin (equal shares)")
    if isinstance(model, UnrelatedScheduling):
        reason = model.infeasibility_reason()
        if reason:
            return Result(Status.INFEASIBLE, method="round_robin", message=reason, sense=model.sense,
                          runtime=time.perf_counter() - started)
        return _judge(model, _round_robin_schedule(model), "round_robin", started, "round robin")
    mk = market_of(model)
    load = np.zeros_like(mk.capacity)
    assignment = np.full(mk.n_tasks, -1, dtype=np.int64)
    nxt = 0
    for j in range(mk.n_tasks):
        ok = _fits_one(mk, load, j)
        if mk.optional:
            ok &= mk.score[:, j] > 0
        turn = np.roll(np.arange(mk.n_agents), -nxt)  # agents from the one whose turn it is
        cand = turn[ok[turn]]
        if cand.size:
            i = int(cand[0])
            assignment[j] = i
            load[i] += mk.usage[i, j]
            nxt = (i + 1) % mk.n_agents
    return _judge(model, model.answer(assignment), "round_robin", started, "round robin")  # type: ignore[attr-defined]


def _round_robin_schedule(model: UnrelatedScheduling) -> Any:
    m, n = model.n_resources, model.n_tasks
    order = np.lexsort((np.arange(n), model.release))
    free = np.zeros(m)
    resource = np.full(n, -1, dtype=np.int64)
    start = np.zeros(n)
    nxt = 0
    for j in order.tolist():
        turn = np.roll(np.arange(m), -nxt)
        i = int(turn[model.allowed[turn, j]][0])
        resource[j], start[j] = i, max(free[i], model.release[j])
        free[i] = start[j] + model.processing_time[i, j]
        nxt = (i + 1) % m
    return model.schedule(resource, start)


def demand_proportional(model: Model, *, time_limit: float | None = None) -> Result:
    """Shares proportional to demand ``lambda_i w_i`` with minimum guarantees, scored by ``model``.

    >>> from allotment.models.generators import coordinator_specialists
    >>> demand_proportional(coordinator_specialists(1.0)).answer.shares.round(3).tolist()
    [0.4, 0.15, 0.1, 0.35]
    """
    started = time.perf_counter()
    _deadline(time_limit, started)
    if not isinstance(model, ShareAllocation):
        raise ValueError(f"`model` must be a ShareAllocation for demand_proportional; got {type(model).__name__}")
    rule = ShareAllocation.from_data({**model.to_data(), "objective": "demand_proportional"})
    return _judge(model, model.answer(rule.rule_shares()), "demand_proportional", started, "demand-proportional rule")


# ------------------------------------------------------------ assignment as DCOP
@dataclass(frozen=True)
class UnitDCOP:
    """A unit-capacity assignment as a DCOP: ``dcop`` and ``tasks[i]``, the task index of each
    value of agent ``i``'s variable (``-1`` = idle); :meth:`decode` gives the assignment vector."""

    dcop: DCOP
    tasks: tuple[np.ndarray, ...]
    unary: tuple[np.ndarray, ...]
    n_tasks: int

    def decode(self, values: np.ndarray) -> np.ndarray:
        """``(n_tasks,)`` agent per task; a task picked twice stays with the agent of the better value."""
        out = np.full(self.n_tasks, -1, dtype=np.int64)
        best = np.full(self.n_tasks, np.inf)
        sign = 1.0 if self.dcop.sense == "min" else -1.0
        for i, v in enumerate(np.asarray(values, dtype=np.int64).tolist()):
            j = int(self.tasks[i][v])
            if j >= 0 and sign * self.unary[i][v] < best[j]:
                out[j], best[j] = i, sign * self.unary[i][v]
        return out


def unit_assignment_dcop(model: Model) -> UnitDCOP:
    """The DCOP of an assignment in which no agent can do two tasks (see the module docstring).

    Refused (``ValueError``) when an agent could do two tasks together, or when tasks are
    required but agents may stay idle (covering every task is not a local constraint).

    >>> from allotment.models import LinearAssignment
    >>> u = unit_assignment_dcop(LinearAssignment([[4, 1], [2, 3]]))
    >>> u.dcop.n_vars, u.dcop.n_factors, u.decode(np.array([1, 0])).tolist()
    (2, 3, [1, 0])
    """
    mk = market_of(model)
    m, n = mk.n_agents, mk.n_tasks
    _require_unit(mk)
    cost = np.asarray(model.cost, dtype=float)  # type: ignore[attr-defined]
    maximize = model.sense == "max"
    penalty = getattr(model, "unassigned_penalty", None)
    if mk.optional:
        pen = np.asarray(penalty, dtype=float)
        value = cost + pen[None, :] if maximize else cost - pen[None, :]
        idle = True
    else:
        lap_all_agents = "LAP" in getattr(model, "tags", ()) and m <= n
        if not (lap_all_agents or m == n):
            raise ValueError(f"`model` needs every one of its {n} task(s) done by {m} agent(s) that may stay idle; "
                             "covering every task is not a local constraint of the agents' DCOP (give the tasks an "
                             "`unassigned_penalty`, or use as many agents as tasks)")
        value, idle = cost, False
    tasks, unary = [], []
    for i in range(m):
        cand = np.flatnonzero(mk.allowed[i])
        if idle:
            cand = np.append(cand, -1)
        if cand.size == 0:
            raise ValueError(f"`model` agent index {i} can do no task and may not stay idle")
        tasks.append(cand)
        unary.append(np.where(cand >= 0, value[i, np.maximum(cand, 0)], 0.0))
    spread = max(float(np.ptp(np.concatenate(unary))), 1.0)
    big = spread * (m + 1) + 1.0
    conflict = big if not maximize else -big
    factors: list[tuple[tuple[int, ...], np.ndarray]] = [((i,), unary[i]) for i in range(m)]
    for i in range(m):
        for k in range(i + 1, m):
            same = (tasks[i][:, None] == tasks[k][None, :]) & (tasks[i][:, None] >= 0)
            if same.any():
                factors.append(((i, k), np.where(same, conflict, 0.0)))
    ids = getattr(model, "agent_ids", None)
    task_ids = list(getattr(model, "task_ids", [str(j) for j in range(n)]))
    domains = [[task_ids[j] if j >= 0 else "idle" for j in t.tolist()] for t in tasks]
    dcop = DCOP(domains, factors, sense=model.sense, variable_ids=ids, name=f"{getattr(model, 'name', 'model')}_dcop")
    return UnitDCOP(dcop, tuple(tasks), tuple(unary), n)


def _require_unit(mk: Market) -> None:
    """Raise unless every agent can do at most one task (no two allowed tasks fit together)."""
    m, n, r = mk.usage.shape
    if m * n * n * r > 5e7:
        raise ValueError(f"`model` is too large ({m} agents x {n} tasks) to check that agents take one task each")
    for i in range(m):
        u = mk.usage[i][mk.allowed[i]]  # (k, r)
        if u.shape[0] < 2:
            continue
        together = np.all(u[:, None, :] + u[None, :, :] <= mk.capacity[i] + _TOL * np.maximum(1.0, mk.capacity[i]),
                          axis=2)
        np.fill_diagonal(together, False)
        if together.any():
            a, b = np.argwhere(together)[0]
            raise ValueError(f"`model` agent index {i} can do two tasks together (its allowed tasks {int(a)} and "
                             f"{int(b)} fit its capacity); the agents' DCOP needs one task per agent")


def allocate_via_dcop(model: Model, method: str, *, time_limit: float | None = None, seed: int | None = None,
                      options: dict[str, Any] | None = None) -> Result:
    """Allocate a unit-capacity assignment ``model`` with the DCOP ``method`` (``maxsum``, ``dsa``, ``mgm`` ...).

    >>> from allotment.models.generators import team_task_allocation
    >>> team = team_task_allocation(3, 3, seed=0)
    >>> r = allocate_via_dcop(team, "maxsum", seed=0, options={"max_iter": 50})
    >>> r.status.value, r.method, team.check(r.answer).feasible
    ('feasible', 'maxsum', True)
    """
    from .api import solve

    started = time.perf_counter()
    unit = unit_assignment_dcop(model)
    inner = solve(unit.dcop, method, time_limit=time_limit, seed=seed, options=options)
    info = {"dcop_status": inner.status.value, "dcop_objective": inner.objective, **inner.info}
    if inner.answer is None:
        return Result(inner.status if inner.status is not Status.OPTIMAL else Status.ERROR, method=method,
                      runtime=time.perf_counter() - started, sense=model.sense, info=info,
                      message=f"{method} on the agents' DCOP: {inner.message}")
    answer = model.answer(unit.decode(inner.answer.values))  # type: ignore[attr-defined]
    result = _judge(model, answer, method, started, f"{method} on the agents' DCOP", info)
    if result.ok and inner.status is Status.OPTIMAL:  # an exact DCOP method proves the assignment optimal
        result.status, result.bound, result.gap = Status.OPTIMAL, result.objective, 0.0
        result.message = f"{method} on the agents' DCOP: optimal"
    return result


# ---------------------------------------------------------------------- backends
def _no_options(name: str, opts: SolveOptions, allowed: tuple[str, ...] = ()) -> dict[str, Any]:
    given = dict(opts.options or {})
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise OptionError(f"method {name!r} takes options {list(allowed)}; got {unknown}")
    return given


class _BaselineBackend(Backend):
    required_modules = ("numpy",)
    auto_priority = None
    exact = False

    def refusal(self, model: Model) -> str | None:
        if isinstance(model, (ShareAllocation, UnrelatedScheduling)):
            return None
        try:
            market_of(model)
        except ValueError as exc:
            return str(exc)
        return None


@register_backend
class GreedyBackend(_BaselineBackend):
    """Regret greedy (MTHG construction) or best-pair greedy on assignment-style models."""

    name = "greedy"
    accepts_classes = frozenset({"LAP", "GAP", "MRGAP"})
    description = "greedy baseline (Martello-Toth regret, or option rule='best'): heuristic"

    def solve(self, model: Model, opts: SolveOptions) -> Result:
        given = _no_options(self.name, opts, ("rule",))
        return greedy(model, rule=given.get("rule", "regret"), time_limit=opts.time_limit)


@register_backend
class RoundRobinBackend(_BaselineBackend):
    """Round robin: tasks dealt to agents in turn; equal shares; resources in turn."""

    name = "round_robin"
    accepts_classes = frozenset({"LAP", "GAP", "MRGAP", "SHARES", "SCHEDULING"})
    description = "round-robin baseline: tasks to agents in turn, equal shares, resources in turn"

    def solve(self, model: Model, opts: SolveOptions) -> Result:
        _no_options(self.name, opts)
        return round_robin(model, time_limit=opts.time_limit)


@register_backend
class DemandProportionalBackend(_BaselineBackend):
    """The demand-proportional share rule, scored under the model's own objective."""

    name = "demand_proportional"
    accepts_classes = frozenset({"SHARES"})
    description = "share baseline: demand-proportional rule with minimum guarantees (adaptive GPU schedulers)"

    def solve(self, model: Model, opts: SolveOptions) -> Result:
        _no_options(self.name, opts)
        return demand_proportional(model, time_limit=opts.time_limit)


#: DCOP methods :func:`allocate_via_dcop` routes unit-capacity assignment models to
DCOP_METHODS: tuple[str, ...] = ("maxsum", "dsa", "mgm", "dpop")
