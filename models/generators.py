"""Seeded instance generators: one place for every family the toolkit is tested and scored on.

Every generator takes ``seed`` (same seed, same instance; ``numpy.random.default_rng``) and
returns a model (or a model plus an event trace). None of them imports a solver.

Assignment-style

- :func:`random_assignment`: :class:`~allotment.models.LinearAssignment`, costs uniform on
  whole numbers ``low..high``.
- :func:`yagiura_gap`: :class:`~allotment.models.GeneralizedAssignment` of the published
  types A to E, with ``r`` the resource use, ``c`` the cost, ``b`` the capacities and
  ``J_i = {j : argmin_h c_hj = i}``:

  ====  ==================================  ==========================  ======================================
  type  resource use ``r_ij``               cost ``c_ij``               capacity ``b_i``
  ====  ==================================  ==========================  ======================================
  A     ``U{5..25}``                        ``U{10..50}``               ``9 n/m + 0.4 max_h sum_{j in J_h} r_hj``
  B     ``U{5..25}``                        ``U{10..50}``               ``0.7`` times type A's
  C     ``U{5..25}``                        ``U{10..50}``               ``0.8 sum_j r_ij / m``
  D     ``U{1..100}``                       ``111 - r_ij + U{-10..10}`` ``0.8 sum_j r_ij / m``
  E     ``1 - 10 ln x``, ``x ~ U(0, 1]``    ``1000 / r_ij - 10 y``,     ``0.8 sum_j r_ij / m``
                                            ``y ~ U[0, 1]``
  ====  ==================================  ==========================  ======================================

  capacities rounded down (the OR-Library gapa..gapd and Yagiura's C/D files follow these
  rules exactly: ``tests/models/test_generators.py`` recomputes them from the files); type E
  values are rounded to whole numbers.
- :func:`random_multiresource`: :class:`~allotment.models.MultiResourceAssignment`, the
  type C rule per resource.
- :func:`team_task_allocation`: the dynamic-task-allocation team case: agents and tasks at
  random points of the unit square, utility ``reward_j * discount ** (dist_ij / speed)``
  (the time-discounted reward of Choi, Brunet and How 2009), each agent doing at most
  ``tasks_per_agent`` tasks, tasks optional; a maximising GAP.
- :func:`random_coalition`, :func:`random_guidance`: fleets of agents carrying resource
  vectors for :class:`~allotment.models.CoalitionAllocation` and
  :class:`~allotment.models.AssignmentGuidance` (whole-number data).
- :func:`random_auction`: a :class:`~allotment.models.CombinatorialAuction` with bundles of
  1..``max_bundle`` goods priced near the sum of the goods' values.

Scheduling and shares

- :func:`random_scheduling`, :func:`typed_scheduling`: :class:`~allotment.models.UnrelatedScheduling`;
  the typed family draws a processing time ``U{p_low..p_high}`` per (resource, task type)
  and tasks of type ``tau ~ U{1..n_types}`` with weight ``tau`` (the preemption-baseline
  study); instances of one seed are nested (the first ``n`` tasks of a larger instance are
  the smaller instance).
- :func:`coordinator_specialists`, :func:`random_shares`: :class:`~allotment.models.ShareAllocation`;
  the first is the four-agent coordinator-plus-specialists GPU case with its load scaled.

DCOP (re-exported from :mod:`allotment.models.generators_dcop`): :func:`graph_coloring`,
:func:`meeting_scheduling`, :func:`random_binary`, :func:`sensor_coverage`.

Dynamic workload

- :func:`dynamic_workload`: a GAP with unassigned penalties and a time-ordered event trace
  (task arrivals as a Poisson process, task completions, agent failures and repairs,
  demand spikes) as JSON-ready records that
  :func:`allotment.solvers.events.event_from_dict` reads and a
  :class:`~allotment.solvers.incremental.Reallocator` applies in order.

References: P. C. Chu and J. E. Beasley, "A genetic algorithm for the generalised assignment
problem", Computers & Operations Research 24 (1997) (types A-D); M. Laguna, J. P. Kelly,
J. L. Gonzalez-Velarde and F. Glover, "Tabu search for the multilevel generalized
assignment problem", European Journal of Operational Research 82 (1995) (type E);
M. Yagiura, T. Ibaraki and F. Glover, "An ejection chain approach for the generalized
assignment problem", INFORMS Journal on Computing 16 (2004) (the C, D, E sets);
H.-L. Choi, L. Brunet and J. P. How, "Consensus-based decentralized auctions for robust task
allocation", IEEE Trans. Robotics 25 (2009).

>>> from allotment.models.generators import yagiura_gap, typed_scheduling
>>> g = yagiura_gap("C", 5, 20, seed=1)
>>> g.cost.shape, bool((g.capacity == np.floor(0.8 * g.weight.sum(axis=1) / 5)).all())
((5, 20), True)
>>> typed_scheduling(30, n_resources=4, seed=2).weight[:5].tolist() == \\
...     typed_scheduling(60, n_resources=4, seed=2).weight[:5].tolist()
True
"""
from __future__ import annotations

import heapq
import math
from typing import Any

import numpy as np

from .assignment import LinearAssignment
from .auction import CombinatorialAuction
from .coalition import CoalitionAllocation
from .gap import GeneralizedAssignment
from .generators_dcop import graph_coloring, meeting_scheduling, random_binary, sensor_coverage
from .guidance import AssignmentGuidance
from .multiresource import MultiResourceAssignment
from .scheduling import UnrelatedScheduling
from .shares import ShareAllocation

__all__ = [
    "random_assignment", "yagiura_gap", "YAGIURA_TYPES", "random_multiresource", "team_task_allocation",
    "random_coalition", "random_guidance", "random_auction", "random_scheduling", "typed_scheduling",
    "coordinator_specialists", "random_shares", "dynamic_workload",
    "graph_coloring", "meeting_scheduling", "random_binary", "sensor_coverage",
]

#: the GAP types :func:`yagiura_gap` draws
YAGIURA_TYPES = ("A", "B", "C", "D", "E")


# ------------------------------------------------------------------ argument checks
def _count(value: Any, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"`{name}` must be a whole number >= {minimum}; got {value!r}")
    return int(value)


def _positive(value: Any, name: str, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"`{name}` must be a {'non-negative' if allow_zero else 'positive'} finite number; "
                         f"got {value!r}")
    return float(value)


def _range(low: Any, high: Any, name: str) -> tuple[int, int]:
    lo, hi = _count(low, f"{name}_low", 0), _count(high, f"{name}_high", 0)
    if lo > hi:
        raise ValueError(f"`{name}_low` must not exceed `{name}_high`; got {lo} > {hi}")
    return lo, hi


def _ids(prefix: str, n: int, start: int = 0) -> list[str]:
    return [f"{prefix}{k}" for k in range(start, start + n)]


# -------------------------------------------------------------------- assignment
def random_assignment(n_agents: int, n_tasks: int | None = None, *, low: int = 1, high: int = 100,
                      sense: str = "min", seed: int | None = None) -> LinearAssignment:
    """A LinearAssignment with whole costs uniform on ``low..high`` (square unless ``n_tasks``).

    >>> random_assignment(3, seed=0).cost.shape
    (3, 3)
    """
    m = _count(n_agents, "n_agents")
    n = m if n_tasks is None else _count(n_tasks, "n_tasks")
    lo, hi = _range(low, high, "cost")
    rng = np.random.default_rng(seed)
    return LinearAssignment(rng.integers(lo, hi + 1, size=(m, n)).astype(float), sense=sense,
                            name=f"random_lap_{m}x{n}")


def _type_a_capacity(r: np.ndarray, c: np.ndarray) -> float:
    m, n = r.shape
    best = np.argmin(c, axis=0)  # J_i: tasks whose cheapest agent is i (lowest index on ties)
    per_agent = np.bincount(best, weights=r[best, np.arange(n)], minlength=m)
    return 9.0 * n / m + 0.4 * float(per_agent.max())


def yagiura_gap(gap_type: str, n_agents: int, n_tasks: int, *, seed: int | None = None) -> GeneralizedAssignment:
    """A minimisation GAP of type A, B, C, D or E (formulas in the module docstring).

    >>> g = yagiura_gap("D", 4, 12, seed=3)
    >>> bool(((g.cost + g.weight >= 101) & (g.cost + g.weight <= 121)).all())
    True
    """
    kind = str(gap_type).upper()
    if kind not in YAGIURA_TYPES:
        raise ValueError(f"`gap_type` must be one of {list(YAGIURA_TYPES)}; got {gap_type!r}")
    m, n = _count(n_agents, "n_agents"), _count(n_tasks, "n_tasks")
    rng = np.random.default_rng(seed)
    if kind in "ABC":
        r = rng.integers(5, 26, size=(m, n)).astype(float)
        c = rng.integers(10, 51, size=(m, n)).astype(float)
    elif kind == "D":
        r = rng.integers(1, 101, size=(m, n)).astype(float)
        c = 111.0 - r + rng.integers(-10, 11, size=(m, n))
    else:  # E: 1 - 10 ln x with x in (0, 1]; 1000 / r - 10 y with y in [0, 1]
        x = 1.0 - rng.random(size=(m, n))
        r_real = 1.0 - 10.0 * np.log(x)
        c = np.round(1000.0 / r_real - 10.0 * rng.random(size=(m, n)))
        r = np.round(r_real)
    if kind == "A":
        b = np.full(m, np.floor(_type_a_capacity(r, c)))
    elif kind == "B":
        b = np.full(m, np.floor(0.7 * _type_a_capacity(r, c)))
    else:
        b = np.floor(0.8 * r.sum(axis=1) / m)
    return GeneralizedAssignment(c, r, b, name=f"yagiura_{kind.lower()}_{m}x{n}_seed{seed}")


def random_multiresource(n_agents: int, n_tasks: int, n_resources: int = 2, *, tightness: float = 0.8,
                         seed: int | None = None) -> MultiResourceAssignment:
    """A MultiResourceAssignment: demand ``U{1..20}``, cost ``U{10..50}``, capacity per
    resource ``floor(tightness * sum_j demand[i, j, k] / n_agents)`` (type C per resource;
    small instances at the default tightness can be infeasible).

    >>> random_multiresource(3, 8, 2, seed=0).demand.shape
    (3, 8, 2)
    """
    m, n, k = _count(n_agents, "n_agents"), _count(n_tasks, "n_tasks"), _count(n_resources, "n_resources")
    t = _positive(tightness, "tightness")
    rng = np.random.default_rng(seed)
    demand = rng.integers(1, 21, size=(m, n, k)).astype(float)
    cost = rng.integers(10, 51, size=(m, n)).astype(float)
    capacity = np.floor(t * demand.sum(axis=1) / m)
    return MultiResourceAssignment(cost, demand, capacity, name=f"random_mrgap_{m}x{n}x{k}")


def team_task_allocation(n_agents: int, n_tasks: int | None = None, *, tasks_per_agent: int = 1,
                         discount: float = 0.9, speed: float = 0.1, reward_low: float = 1.0,
                         reward_high: float = 2.0, seed: int | None = None) -> GeneralizedAssignment:
    """A team task allocation: maximise ``sum utility[i, j]`` with at most ``tasks_per_agent``
    tasks per agent and every task optional (module docstring).

    >>> g = team_task_allocation(4, 6, seed=0)
    >>> g.sense, g.cost.shape, float(g.capacity[0]), g.unassigned_penalty.tolist() == [0.0] * 6
    ('max', (4, 6), 1.0, True)
    """
    m = _count(n_agents, "n_agents")
    n = m if n_tasks is None else _count(n_tasks, "n_tasks")
    k = _count(tasks_per_agent, "tasks_per_agent")
    lam = _positive(discount, "discount")
    if lam > 1:
        raise ValueError(f"`discount` must be in (0, 1]; got {discount!r}")
    v = _positive(speed, "speed")
    lo, hi = _positive(reward_low, "reward_low"), _positive(reward_high, "reward_high")
    if lo > hi:
        raise ValueError(f"`reward_low` must not exceed `reward_high`; got {lo} > {hi}")
    rng = np.random.default_rng(seed)
    agents, tasks = rng.random((m, 2)), rng.random((n, 2))
    reward = rng.uniform(lo, hi, size=n)
    dist = np.linalg.norm(agents[:, None, :] - tasks[None, :, :], axis=2)
    utility = np.round(reward[None, :] * lam ** (dist / v), 6)
    return GeneralizedAssignment(utility, np.ones((m, n)), np.full(m, float(k)), sense="max",
                                 unassigned_penalty=0.0, agent_ids=_ids("robot", m), task_ids=_ids("task", n),
                                 name=f"team_{m}x{n}_seed{seed}")


def random_coalition(n_agents: int, n_consumers: int, n_resources: int = 3, *, penalty: float = 10.0,
                     seed: int | None = None) -> CoalitionAllocation:
    """A CoalitionAllocation: supply ``U{0..5}``, demands splitting ~80% of the total supply,
    travel cost = rounded distance of random points (scale 10).

    >>> random_coalition(6, 2, seed=1).supply.shape
    (6, 3)
    """
    m, n, r = _count(n_agents, "n_agents"), _count(n_consumers, "n_consumers"), _count(n_resources, "n_resources")
    pen = _positive(penalty, "penalty", allow_zero=True)
    rng = np.random.default_rng(seed)
    supply, demand, dist = _fleet(rng, m, n, r)
    return CoalitionAllocation(supply, demand, pen, np.round(dist), name=f"random_coalition_{m}x{n}x{r}")


def random_guidance(n_agents: int, n_consumers: int, n_resources: int = 3, *, alpha: float = 1.0,
                    one_sided: bool = False, seed: int | None = None) -> AssignmentGuidance:
    """An AssignmentGuidance on the same kind of fleet as :func:`random_coalition` (positions on a 10 x 10 square).

    >>> random_guidance(6, 2, seed=1).distance.shape
    (6, 2)
    """
    m, n, r = _count(n_agents, "n_agents"), _count(n_consumers, "n_consumers"), _count(n_resources, "n_resources")
    a = _positive(alpha, "alpha", allow_zero=True)
    rng = np.random.default_rng(seed)
    supply, demand, _ = _fleet(rng, m, n, r)
    agents, consumers = np.round(rng.random((m, 2)) * 10), np.round(rng.random((n, 2)) * 10)
    return AssignmentGuidance(supply, demand, 1.0, alpha=a, agent_positions=agents, consumer_positions=consumers,
                              one_sided=one_sided, name=f"random_guidance_{m}x{n}x{r}")


def _fleet(rng: np.random.Generator, m: int, n: int, r: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    supply = rng.integers(0, 6, size=(m, r)).astype(float)
    share = rng.dirichlet(np.ones(n), size=r).T  # (n, r): each resource's demand split among consumers
    demand = np.floor(0.8 * supply.sum(axis=0)[None, :] * share)
    dist = np.linalg.norm(rng.random((m, 1, 2)) * 10 - rng.random((1, n, 2)) * 10, axis=2)
    return supply, demand, dist


def random_auction(n_goods: int, n_bids: int, *, n_bidders: int | None = None, max_bundle: int = 3,
                   seed: int | None = None) -> CombinatorialAuction:
    """A CombinatorialAuction (OR bids): each bid asks for 1..``max_bundle`` distinct goods at
    ``round(sum of the goods' values * U[0.8, 1.2])``, goods' values ``U{1..20}``.

    >>> a = random_auction(5, 8, seed=0)
    >>> a.price.shape
    (8,)
    """
    g, b = _count(n_goods, "n_goods"), _count(n_bids, "n_bids")
    k = min(_count(max_bundle, "max_bundle"), g)
    nb = b if n_bidders is None else _count(n_bidders, "n_bidders")
    rng = np.random.default_rng(seed)
    value = rng.integers(1, 21, size=g).astype(float)
    sizes = rng.integers(1, k + 1, size=b)
    bundles = [sorted(rng.choice(g, size=int(s), replace=False).tolist()) for s in sizes]
    price = np.array([np.round(value[bd].sum() * rng.uniform(0.8, 1.2)) for bd in bundles])
    bidder = np.arange(b) if n_bidders is None else rng.integers(0, nb, size=b)
    return CombinatorialAuction(price, bundles, bidder, n_goods=g, name=f"random_auction_{g}x{b}")


# -------------------------------------------------------------------- scheduling
def random_scheduling(n_resources: int, n_tasks: int, *, p_low: int = 1, p_high: int = 10, w_low: int = 1,
                      w_high: int = 10, release_span: float = 0.0, seed: int | None = None) -> UnrelatedScheduling:
    """An UnrelatedScheduling with whole processing times and weights; release dates uniform
    on whole numbers ``0..release_span`` (all 0 by default).

    >>> random_scheduling(2, 5, seed=0).processing_time.shape
    (2, 5)
    """
    m, n = _count(n_resources, "n_resources"), _count(n_tasks, "n_tasks")
    plo, phi = _range(p_low, p_high, "p")
    wlo, whi = _range(w_low, w_high, "w")
    span = _positive(release_span, "release_span", allow_zero=True)
    rng = np.random.default_rng(seed)
    p = rng.integers(plo, phi + 1, size=(m, n)).astype(float)
    w = rng.integers(wlo, whi + 1, size=n).astype(float)
    release = rng.integers(0, int(span) + 1, size=n).astype(float) if span > 0 else None
    return UnrelatedScheduling(p, weight=w, release=release, name=f"random_scheduling_{m}x{n}")


def typed_scheduling(n_tasks: int, *, n_resources: int = 100, n_types: int = 500, p_low: int = 1,
                     p_high: int = 10, seed: int | None = None) -> UnrelatedScheduling:
    """Tasks of integer types (weight = type, ``1..n_types``) on resources whose processing
    time ``U{p_low..p_high}`` is drawn once per (resource, type); all released at time 0.

    The (resource, type) table and the task types come from two independent streams of
    ``seed``, so instances of one seed are nested as ``n_tasks`` grows.

    >>> s = typed_scheduling(6, n_resources=3, n_types=4, seed=0)
    >>> s.processing_time.shape, set(s.weight.tolist()) <= {1.0, 2.0, 3.0, 4.0}
    ((3, 6), True)
    """
    n = _count(n_tasks, "n_tasks")
    m, t = _count(n_resources, "n_resources"), _count(n_types, "n_types")
    plo, phi = _range(p_low, p_high, "p")
    table_seq, type_seq = np.random.SeedSequence(seed).spawn(2)
    table = np.random.default_rng(table_seq).integers(plo, phi + 1, size=(m, t)).astype(float)
    types = np.random.default_rng(type_seq).integers(1, t + 1, size=n)
    return UnrelatedScheduling(table[:, types - 1], weight=types.astype(float),
                               name=f"typed_scheduling_{m}x{n}_seed{seed}")


# ------------------------------------------------------------------------ shares
#: the four-agent coordinator-plus-specialists case (the data of instances/shares-coordinator.json)
_COORDINATOR = {
    "arrival_rate": [2.0, 0.75, 0.6, 0.25], "service_rate": [20.0, 8.0, 12.0, 5.0],
    "priority": [2.0, 1.0, 1.0, 1.0], "min_share": [0.2, 0.15, 0.1, 0.35],
    "agent_ids": ["coordinator", "code", "search", "math"],
}


def coordinator_specialists(load: float = 1.0, *, objective: str = "min_latency") -> ShareAllocation:
    """The coordinator-plus-three-specialists GPU case with arrival rates times ``load``.

    Deterministic (no seed): the data of ``instances/shares-coordinator.json``; minimum
    shares 10-35%, capacity 1.

    >>> m = coordinator_specialists(3.0)
    >>> m.arrival_rate.tolist(), round(m.load_factor, 4)
    ([6.0, 2.25, 1.8, 0.75], 0.8813)
    """
    factor = _positive(load, "load", allow_zero=True)
    d = _COORDINATOR
    return ShareAllocation(np.round(np.asarray(d["arrival_rate"]) * factor, 12), d["service_rate"], priority=d["priority"],
                           min_share=d["min_share"], capacity=1.0, objective=objective, agent_ids=d["agent_ids"],
                           name=f"coordinator_specialists_{factor:g}x")


def random_shares(n_agents: int, *, load: float = 0.8, objective: str = "min_latency",
                  seed: int | None = None) -> ShareAllocation:
    """A ShareAllocation whose demand ``sum_i lambda_i / mu_i`` is ``load`` times the capacity 1;
    service rates ``U[5, 20]``, priorities ``U{1..3}``, minimum shares summing to 0.3.

    >>> round(random_shares(5, load=0.5, seed=0).load_factor, 9)
    0.5
    """
    n = _count(n_agents, "n_agents")
    rho = _positive(load, "load", allow_zero=True)
    rng = np.random.default_rng(seed)
    mu = rng.uniform(5.0, 20.0, size=n)
    need = rng.dirichlet(np.ones(n)) * rho
    min_share = rng.dirichlet(np.ones(n)) * 0.3
    return ShareAllocation(need * mu, mu, priority=rng.integers(1, 4, size=n).astype(float), min_share=min_share,
                           objective=objective, name=f"random_shares_{n}")


# --------------------------------------------------------------- dynamic workload
def dynamic_workload(
    n_agents: int = 5,
    n_tasks: int = 10,
    *,
    horizon: float = 100.0,
    arrival_rate: float = 0.2,
    mean_duration: float = 30.0,
    failure_rate: float = 0.005,
    mean_repair: float = 20.0,
    spikes: int = 2,
    spike_factor: float = 2.0,
    spike_share: float = 0.5,
    seed: int | None = None,
) -> tuple[GeneralizedAssignment, list[dict[str, Any]]]:
    """A GAP and a time-ordered trace of what happens to it until ``horizon``.

    - the initial model: type C data (:func:`yagiura_gap`) with an unassigned penalty of
      twice the largest cost per task, so every state stays feasible;
    - tasks arrive as a Poisson process of ``arrival_rate`` (``task_added`` with cost and
      weight for every agent alive then) and each task, initial or new, finishes after an
      exponential time of mean ``mean_duration`` (``task_done``);
    - each agent fails at rate ``failure_rate`` (``agent_down``) and comes back after an
      exponential repair of mean ``mean_repair`` (``agent_up`` with its row for every task
      present then and its capacity);
    - ``spikes`` demand spikes at uniform times: a ``spike_share`` of the tasks present
      have their weights multiplied by ``spike_factor`` (``demand_changed``).

    The last agent and the last task are never removed (a model needs one of each).
    Records are plain dicts (``{"event": "agent_down", "agent": "a3", "time": 12.5}``), in
    the JSON-lines trace format of :mod:`allotment.solvers.events`.

    >>> model, trace = dynamic_workload(3, 4, horizon=50, seed=1)
    >>> model.n_agents, {r["event"] for r in trace} <= {
    ...     "task_added", "task_done", "agent_down", "agent_up", "demand_changed"}
    (3, True)
    >>> all(a["time"] <= b["time"] for a, b in zip(trace, trace[1:]))
    True
    """
    m, n = _count(n_agents, "n_agents"), _count(n_tasks, "n_tasks")
    end = _positive(horizon, "horizon")
    lam = _positive(arrival_rate, "arrival_rate", allow_zero=True)
    dur = _positive(mean_duration, "mean_duration")
    fail = _positive(failure_rate, "failure_rate", allow_zero=True)
    repair = _positive(mean_repair, "mean_repair")
    n_spikes = _count(spikes, "spikes", 0)
    factor = _positive(spike_factor, "spike_factor")
    share = _positive(spike_share, "spike_share", allow_zero=True)
    if share > 1:
        raise ValueError(f"`spike_share` must be in [0, 1]; got {spike_share!r}")
    rng = np.random.default_rng(seed)
    base = yagiura_gap("C", m, n, seed=int(rng.integers(2**31)))
    penalty = float(2 * base.cost.max())
    agents = _ids("a", m)
    model = GeneralizedAssignment(base.cost, base.weight, base.capacity, unassigned_penalty=penalty,
                                  agent_ids=agents, task_ids=_ids("t", n), name=f"dynamic_{m}x{n}_seed{seed}")
    capacity = dict(zip(agents, base.capacity.tolist()))
    # per agent, the (cost, weight) it would have for any task: drawn when the task appears
    alive_agents = list(agents)
    tasks: dict[str, tuple[dict[str, float], dict[str, float]]] = {
        t: ({a: float(base.cost[i, j]) for i, a in enumerate(agents)},
            {a: float(base.weight[i, j]) for i, a in enumerate(agents)})
        for j, t in enumerate(model.task_ids)}
    queue: list[tuple[float, int, str, str]] = []
    tick = 0

    def push(time: float, kind: str, who: str) -> None:
        nonlocal tick
        if time < end:
            heapq.heappush(queue, (time, tick, kind, who))
            tick += 1

    for t in tasks:
        push(float(rng.exponential(dur)), "task_done", t)
    for a in agents:
        if fail > 0:
            push(float(rng.exponential(1 / fail)), "agent_down", a)
    if lam > 0:
        push(float(rng.exponential(1 / lam)), "arrival", "")
    for k in range(n_spikes):
        push(float(rng.uniform(0, end)), "spike", str(k))
    records: list[dict[str, Any]] = []
    next_task = n
    while queue:
        time, _, kind, who = heapq.heappop(queue)
        at = round(time, 6)
        if kind == "arrival":
            t = f"t{next_task}"
            next_task += 1
            cost = {a: float(rng.integers(10, 51)) for a in agents}
            weight = {a: float(rng.integers(5, 26)) for a in agents}
            tasks[t] = (cost, weight)
            records.append({"event": "task_added", "task": t, "time": at,
                            "data": {"cost": {a: cost[a] for a in alive_agents},
                                     "weight": {a: weight[a] for a in alive_agents}, "penalty": penalty}})
            push(time + float(rng.exponential(dur)), "task_done", t)
            push(time + float(rng.exponential(1 / lam)), "arrival", "")
        elif kind == "task_done":
            if who in tasks and len(tasks) > 1:
                del tasks[who]
                records.append({"event": "task_done", "task": who, "time": at})
        elif kind == "agent_down":
            if who in alive_agents and len(alive_agents) > 1:
                alive_agents.remove(who)
                records.append({"event": "agent_down", "agent": who, "time": at})
                push(time + float(rng.exponential(repair)), "agent_up", who)
            else:  # the last agent cannot go: try again later
                push(time + float(rng.exponential(1 / fail)), "agent_down", who)
        elif kind == "agent_up":
            alive_agents.append(who)
            records.append({"event": "agent_up", "agent": who, "time": at,
                            "data": {"cost": {t: c[who] for t, (c, _) in tasks.items()},
                                     "weight": {t: w[who] for t, (_, w) in tasks.items()},
                                     "capacity": capacity[who]}})
            push(time + float(rng.exponential(1 / fail)), "agent_down", who)
        else:  # spike
            present = list(tasks)
            hit = rng.choice(len(present), size=int(round(share * len(present))), replace=False)
            for q in sorted(hit.tolist()):
                t = present[q]
                weight = tasks[t][1]
                for a in weight:
                    weight[a] = float(weight[a] * factor)
                records.append({"event": "demand_changed", "task": t, "time": at,
                                "value": {a: weight[a] for a in alive_agents}})
    return model, records
