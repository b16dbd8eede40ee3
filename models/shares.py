"""Share allocation: a divisible resource (GPU fraction, bandwidth, token budget) split among agents.

Agent ``i`` receives requests at rate ``lambda_i`` (``arrival_rate``) and serves them at rate
``mu_i * g_i`` when it holds share ``g_i`` of the resource (``service_rate`` is per unit
share). Shares respect ``min_share <= g <= max_share`` and ``sum_i g_i <= capacity``. Each
agent is modelled as an M/M/1 queue, so its mean time in system is

    W_i = 1 / (mu_i g_i - lambda_i)       (finite only when mu_i g_i > lambda_i)

and ``rho_i = lambda_i / (mu_i g_i)`` is its utilization. The ``objective`` field picks the rule:

- ``min_latency``: minimize the arrival-weighted mean delay
  ``(1/Lambda) sum_i lambda_i / (mu_i g_i - lambda_i)`` with ``Lambda = sum_i lambda_i``
  (convex; its optimum is Kleinrock's square-root assignment
  ``g_i = lambda_i/mu_i + sqrt(lambda_i/mu_i) u`` clipped to the bounds);
- ``max_throughput``: maximize the priority-weighted served rate
  ``sum_i w_i min(lambda_i, mu_i g_i)`` (an LP);
- ``demand_proportional``: shares proportional to demand ``d_i = lambda_i w_i``, floored at
  the minimum guarantee, capped, and scaled so that the whole capacity is used:
  ``g_i = clip(t d_i, min_i, max_i)`` with ``sum_i g_i = capacity`` (the rule of adaptive
  multi-agent GPU schedulers; agents without demand get their minimum);
- ``max_min_fair``: lexicographic max-min of the normalized service ``mu_i g_i / (w_i lambda_i)``
  (with unit priorities: equal utilizations), i.e. ``g_i = clip(t w_i lambda_i/mu_i, min_i, max_i)``;
- ``equal``: the naive round-robin baseline ``g_i = clip(t, min_i, max_i)``.

The three rules ``g = clip(t a, lo, hi), sum g = target`` are the unique minimizers of the
convex quadratic ``sum_i g_i^2 / (2 a_i)`` over the same constraints (the KKT conditions of
that QP are the clipped proportional form), so they compile to a QP whose value is their
objective; ``max_min_fair`` is also solved as a sequence of LPs (progressive filling).
Capacities below the sum of minimum shares make every objective infeasible (a status, with
the reason); a load that no allocation can serve stably is reported as ``overloaded``.

References: L. Kleinrock, *Communication Nets: Stochastic Message Flow and Delay* (1964),
the square-root capacity assignment; L. Kleinrock, *Queueing Systems, Vol. 1* (1975), the
M/M/1 delay ``1/(mu - lambda)``; D. Bertsekas and R. Gallager, *Data Networks* (1992),
sec. 6.5, max-min fairness by progressive filling.

>>> from allotment.models import ShareAllocation
>>> m = ShareAllocation([1.0, 3.0], [10.0, 10.0], objective="equal")
>>> m.rule_shares().tolist()
[0.5, 0.5]
>>> ans = m.answer([0.5, 0.5])
>>> [round(w, 4) for w in ans.latency.tolist()], round(ans.mean_latency, 4), ans.overloaded
([0.25, 0.5], 0.4375, False)
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Optional

import numpy as np
from pydantic import BaseModel, ConfigDict

from ._validate import as_array, as_ids
from .base import CheckReport, Model, cached_program, register_kind
from .errors import InstanceError
from .program import Program, ProgramBuilder
from .schemas import register_schema

__all__ = ["ShareAllocation", "ShareAnswer", "SHARE_OBJECTIVES", "affine_fill", "mm1_latency"]

#: objective name -> optimization sense
SHARE_OBJECTIVES: dict[str, str] = {
    "min_latency": "min",
    "max_throughput": "max",
    "demand_proportional": "min",
    "max_min_fair": "min",
    "equal": "min",
}
#: objectives that are a clipped proportional rule (a water-filling closed form / a QP)
RULES = ("demand_proportional", "max_min_fair", "equal")


def mm1_latency(arrival: np.ndarray, service: np.ndarray) -> np.ndarray:
    """M/M/1 mean time in system ``1/(service - arrival)``; ``inf`` where ``service <= arrival``.

    >>> mm1_latency(np.array([1.0, 2.0]), np.array([3.0, 2.0])).tolist()
    [0.5, inf]
    """
    arrival, service = np.asarray(arrival, float), np.asarray(service, float)
    slack = service - arrival
    with np.errstate(divide="ignore"):
        return np.where(slack > 0, 1.0 / np.where(slack > 0, slack, 1.0), np.inf)


def affine_fill(base: np.ndarray, slope: np.ndarray, lo: np.ndarray, hi: np.ndarray, total: float) -> np.ndarray:
    """Exact solution of ``sum_i clip(base_i + slope_i u, lo_i, hi_i) = total`` over ``u >= 0``.

    Water-filling with an offset: the sum is piecewise linear and non-decreasing in ``u``,
    so the breakpoints ``(lo_i - base_i)/slope_i`` and ``(hi_i - base_i)/slope_i`` bracket
    the answer and one linear interpolation finds it. Agents with ``slope_i = 0`` stay at
    ``clip(base_i, lo_i, hi_i)``. ``total`` beyond the reachable range is clamped to it.

    >>> affine_fill(np.zeros(3), np.array([1.0, 2.0, 1.0]), np.array([0.3, 0, 0]),
    ...             np.full(3, np.inf), 1.0).round(6).tolist()
    [0.3, 0.466667, 0.233333]
    """
    base, slope = np.asarray(base, float), np.asarray(slope, float)
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    moving = slope > 0
    if not moving.any():
        return np.clip(base, lo, hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        bp = np.concatenate([(lo[moving] - base[moving]) / slope[moving], (hi[moving] - base[moving]) / slope[moving]])
    bp = np.unique(np.clip(bp[np.isfinite(bp)], 0.0, None))
    bp = np.union1d(bp, [0.0])

    def level(u: np.ndarray) -> np.ndarray:
        return np.clip(base[None, :] + slope[None, :] * u[:, None], lo, hi).sum(axis=1)

    sums = level(bp)
    if total <= sums[0]:
        return np.clip(base, lo, hi)
    k = int(np.searchsorted(sums, total, side="left"))
    if k >= bp.size:  # beyond the last breakpoint only uncapped agents still grow
        u0 = bp[-1]
        rate = float(slope[moving & np.isinf(hi)].sum())
        if rate <= 0:
            return np.clip(base + slope * u0, lo, hi)
        u = u0 + (total - sums[-1]) / rate
    else:
        u0, u1 = bp[k - 1], bp[k]
        u = u0 + (total - sums[k - 1]) * (u1 - u0) / (sums[k] - sums[k - 1]) if sums[k] > sums[k - 1] else u1
    return np.clip(base + slope * u, lo, hi)


@dataclass(frozen=True, eq=False)
class ShareAnswer:
    """Shares and what they predict: per-agent latency and utilization, overload.

    ``latency[i]`` is the M/M/1 mean time in system (``inf`` for an unstable queue),
    ``utilization[i] = lambda_i / (mu_i g_i)`` (above 1 means the queue grows without
    bound), ``mean_latency`` the arrival-weighted mean (``inf`` if any loaded agent is
    unstable, 0 without arrivals), ``overloaded`` whether the demand exceeds what any
    allocation can serve stably, ``unallocated`` the capacity left idle.
    """

    shares: np.ndarray
    latency: np.ndarray
    utilization: np.ndarray
    mean_latency: float
    overloaded: bool
    load_factor: float
    unallocated: float
    agent_ids: tuple[str, ...] = ()

    @property
    def unstable(self) -> list[str]:
        """Ids of agents whose queue is unstable under these shares."""
        return [self.agent_ids[i] for i in np.flatnonzero(np.isinf(self.latency) & (self.utilization > 0))]

    def to_dict(self) -> dict[str, object]:
        def fin(v: np.ndarray) -> list[float | None]:
            return [None if not np.isfinite(x) else float(x) for x in v]

        return {
            "shares": self.shares.tolist(), "latency": fin(self.latency), "utilization": fin(self.utilization),
            "mean_latency": None if not np.isfinite(self.mean_latency) else self.mean_latency,
            "overloaded": self.overloaded, "load_factor": self.load_factor, "unallocated": self.unallocated,
            "unstable": self.unstable, "agent_ids": list(self.agent_ids),
        }


@register_kind
class ShareAllocation(Model):
    """A divisible resource shared by queueing agents (see the module docstring).

    Parameters
    ----------
    arrival_rate : array (n_agents,)
        Request arrival rate ``lambda_i``; finite, non-negative.
    service_rate : array (n_agents,)
        Service rate per unit share ``mu_i``; finite, positive.
    priority : array (n_agents,), optional
        Priority weight ``w_i`` (non-negative, default 1): scales demand, fairness and throughput.
    min_share : array (n_agents,), optional
        Guaranteed minimum share (default 0).
    max_share : array (n_agents,), optional
        Cap per agent (default none; ``inf`` = no cap); at least ``min_share``.
    capacity : float
        Total amount of the resource (default 1: shares are fractions).
    objective : one of ``SHARE_OBJECTIVES``
    agent_ids : names, optional
    """

    kind = "share_allocation"
    tags = frozenset({"SHARES"})
    # HiGHS 1.14's presolve is pathological on these programs: the max_throughput LP with
    # n = 1000 agents took 9.1 s with presolve against 0.05 s without (20000: 7.6 s vs 0.19 s).
    solver_defaults = {"highs": {"presolve": "off"}}

    def __init__(
        self,
        arrival_rate: Any,
        service_rate: Any,
        *,
        priority: Any | None = None,
        min_share: Any | None = None,
        max_share: Any | None = None,
        capacity: float = 1.0,
        objective: str = "min_latency",
        agent_ids: Sequence[object] | None = None,
        name: str = "share_allocation",
    ) -> None:
        self.arrival_rate = as_array(arrival_rate, "arrival_rate", ndim=1, shape_text="(n_agents,)", nonnegative=True)
        n = self.arrival_rate.shape[0]
        if n == 0:
            raise InstanceError("must have at least one agent", field="arrival_rate")
        text = f"(n_agents,) = ({n},)"
        self.service_rate = as_array(service_rate, "service_rate", shape=(n,), shape_text=text, positive=True)
        self.priority = as_array(np.ones(n) if priority is None else priority, "priority", shape=(n,),
                                 shape_text=text, nonnegative=True)
        self.min_share = as_array(np.zeros(n) if min_share is None else min_share, "min_share", shape=(n,),
                                  shape_text=text, nonnegative=True)
        if max_share is None:
            cap: Any = np.full(n, np.inf)
        elif isinstance(max_share, (list, tuple)):
            cap = [np.inf if v is None else v for v in max_share]  # null in a file = no cap
        else:
            cap = max_share
        self.max_share = as_array(cap, "max_share", shape=(n,), shape_text=text, finite=False, nonnegative=True)
        low = np.flatnonzero(self.max_share < self.min_share)
        if low.size:
            i = int(low[0])
            raise InstanceError(f"must be at least `min_share[{i}]` = {self.min_share[i]:g}; got {self.max_share[i]:g}",
                                field="max_share", index=i)
        if isinstance(capacity, bool) or not np.isscalar(capacity) or not np.isfinite(float(capacity)) \
                or float(capacity) <= 0:
            raise InstanceError(f"must be a positive finite number; got {capacity!r}", field="capacity")
        self.capacity = float(capacity)
        if objective not in SHARE_OBJECTIVES:
            raise InstanceError(f"must be one of {sorted(SHARE_OBJECTIVES)}; got {objective!r}", field="objective")
        self.objective = objective
        self.sense = SHARE_OBJECTIVES[objective]  # type: ignore[assignment]
        self.agent_ids = as_ids(agent_ids, n, "agent_ids", "agent")
        self.name = name

    # ------------------------------------------------------------------ data
    @property
    def n_agents(self) -> int:
        return int(self.arrival_rate.shape[0])

    @property
    def needed_share(self) -> np.ndarray:
        """``lambda_i / mu_i``: the share at which agent ``i``'s queue is exactly saturated."""
        return self.arrival_rate / self.service_rate

    @property
    def load_factor(self) -> float:
        """``sum_i lambda_i / mu_i`` over the capacity (1 or more: no allocation keeps up)."""
        return float(self.needed_share.sum() / self.capacity)

    @property
    def overloaded(self) -> bool:
        """True when no allocation within the bounds keeps every loaded agent's queue stable."""
        loaded = self.arrival_rate > 0
        need = self.needed_share
        if np.any(loaded & (self.max_share <= need)):
            return True
        floor = np.where(loaded, np.maximum(self.min_share, need), self.min_share)
        strict = bool(np.any(loaded & (need >= self.min_share)))
        total = float(floor.sum())
        return total >= self.capacity if strict else total > self.capacity

    def infeasibility_reason(self) -> str | None:
        """Why no allocation exists (for this objective), or None."""
        floor = float(self.min_share.sum())
        if floor > self.capacity * (1 + 1e-12):
            return (f"capacity {self.capacity:g} is below the sum of the minimum shares {floor:g}: "
                    f"the guarantees cannot all be met")
        if self.objective == "min_latency" and self.overloaded:
            need, loaded = self.needed_share, self.arrival_rate > 0
            capped = np.flatnonzero(loaded & (self.max_share <= need))
            if capped.size:
                i = int(capped[0])
                why = (f"agent {self.agent_ids[i]!r} (index {i}) needs a share above {need[i]:g} but is capped "
                       f"at {self.max_share[i]:g}")
            else:
                floor = np.where(loaded, np.maximum(self.min_share, need), self.min_share).sum()
                why = (f"the shares needed for stability, sum_i max(min_share_i, lambda_i/mu_i) = {floor:g}, "
                       f"reach the capacity {self.capacity:g} (demand sum(lambda/mu) = {need.sum():g}, load "
                       f"factor {self.load_factor:.3g})")
            return f"overloaded: {why}; no allocation keeps every queue stable, the mean latency is infinite"
        return None

    def rule_weights(self) -> np.ndarray:
        """``a_i`` of the clipped proportional rule ``g = clip(t a, lo, hi)`` of this objective."""
        if self.objective == "equal":
            return np.ones(self.n_agents)
        if self.objective == "demand_proportional":
            return self.arrival_rate * self.priority
        if self.objective == "max_min_fair":
            return self.priority * self.needed_share
        raise ValueError(f"objective {self.objective!r} is not a proportional rule; rules: {list(RULES)}")

    def _growing(self) -> np.ndarray:
        """Agents whose share the objective grows (the others sit at their minimum)."""
        if self.objective in RULES:
            return self.rule_weights() > 0
        return self.arrival_rate > 0

    def target_total(self) -> float:
        """Total share a rule (or the latency optimum) hands out: the capacity, unless every growing agent is capped."""
        grow = self._growing()
        return float(min(self.capacity, self.max_share[grow].sum() + self.min_share[~grow].sum()))

    def upper_bounds(self) -> np.ndarray:
        """Upper bounds actually used by rules: agents that do not grow are fixed at their minimum."""
        return np.where(self._growing(), self.max_share, self.min_share)

    # ------------------------------------------------------------ closed forms
    def rule_shares(self) -> np.ndarray:
        """Closed form of ``demand_proportional`` / ``max_min_fair`` / ``equal`` (exact water-filling)."""
        a = self.rule_weights()
        return affine_fill(np.zeros(self.n_agents), a, self.min_share, self.upper_bounds(), self.target_total())

    def square_root_shares(self) -> np.ndarray:
        """Closed form of ``min_latency`` (Kleinrock's square-root rule, exact water-filling).

        Stationarity gives ``mu_i g_i - lambda_i = sqrt(lambda_i mu_i / nu)``, that is
        ``g_i = b_i + sqrt(b_i) u`` with ``b_i = lambda_i/mu_i``, clipped to the bounds.
        """
        b = self.needed_share
        return affine_fill(b, np.sqrt(b), self.min_share, self.upper_bounds(), self.target_total())

    def greedy_throughput_shares(self) -> np.ndarray:
        """Closed form of ``max_throughput``: fractional knapsack by value ``w_i mu_i`` per unit share."""
        lo = self.min_share
        room = np.maximum(np.minimum(self.max_share, self.needed_share) - lo, 0.0)
        room[self.priority * self.arrival_rate <= 0] = 0.0
        left = max(self.capacity - float(lo.sum()), 0.0)
        order = np.argsort(-(self.priority * self.service_rate), kind="stable")
        before = np.cumsum(room[order]) - room[order]
        give = np.zeros(self.n_agents)
        give[order] = np.clip(left - before, 0.0, room[order])
        return lo + give

    # ----------------------------------------------------------------- program
    @property
    def problem_class(self) -> str:
        if self.objective == "min_latency":
            return "CONVEX"
        return "LP" if self.objective == "max_throughput" else "QP"

    @cached_program
    def to_program(self) -> Program:
        """The LP (``max_throughput``) or QP (rules); ``min_latency`` is not a Program (use cvxpy)."""
        n = self.n_agents
        if self.objective == "min_latency":
            raise ValueError("objective 'min_latency' (sum of lambda/(mu g - lambda)) is convex but not quadratic, "
                             "so it does not compile to a Program; solve it with method='cvxpy' or 'closed_form'")
        b = ProgramBuilder(self.sense, name=self.name)
        if self.objective == "max_throughput":
            g = b.add_block("g", (n,), lo=self.min_share, hi=self.max_share)
            s = b.add_block("served", (n,), lo=0.0, hi=self.arrival_rate, cost=self.priority)
            b.add_rows(np.stack([s, g], axis=1), np.stack([np.ones(n), -self.service_rate], axis=1), hi=0.0,
                       name="service")
            b.add_rows(g[None, :], 1.0, hi=self.capacity, name="capacity")
            return b.build()
        a = self.rule_weights()
        g = b.add_block("g", (n,), lo=self.min_share, hi=self.upper_bounds())
        grow = np.flatnonzero(a > 0)
        b.add_quadratic(g[grow], g[grow], 1.0 / a[grow])
        b.add_rows(g[None, :], 1.0, lo=self.target_total(), hi=self.target_total(), name="capacity")
        return b.build()

    def decode(self, x: np.ndarray) -> ShareAnswer:
        return self.answer(np.asarray(x, dtype=float)[: self.n_agents])

    def answer(self, shares: Any) -> ShareAnswer:
        """Wrap a share vector with its predicted latency, utilization and overload flag."""
        g = np.asarray(shares, dtype=float).copy()
        g.setflags(write=False)
        lam = self.arrival_rate
        service = self.service_rate * g
        latency = mm1_latency(lam, service)
        with np.errstate(divide="ignore", invalid="ignore"):
            util = np.where(lam > 0, np.where(service > 0, lam / np.where(service > 0, service, 1.0), np.inf), 0.0)
        return ShareAnswer(g, latency, util, self.mean_latency(g), self.overloaded, self.load_factor,
                           float(self.capacity - g.sum()), self.agent_ids)

    def mean_latency(self, shares: np.ndarray) -> float:
        """Arrival-weighted mean M/M/1 delay ``sum_i lambda_i W_i / sum_i lambda_i`` (0 without arrivals)."""
        lam = self.arrival_rate
        total = float(lam.sum())
        if total == 0:
            return 0.0
        loaded = lam > 0
        w = mm1_latency(lam[loaded], self.service_rate[loaded] * np.asarray(shares, float)[loaded])
        return float((lam[loaded] * w).sum() / total) if np.all(np.isfinite(w)) else float("inf")

    def objective_value(self, shares: np.ndarray) -> float:
        """The objective of ``shares`` under this model's ``objective`` (see the module docstring)."""
        g = np.asarray(shares, dtype=float)
        if self.objective == "min_latency":
            return self.mean_latency(g)
        if self.objective == "max_throughput":
            return float((self.priority * np.minimum(self.arrival_rate, self.service_rate * g)).sum())
        a = self.rule_weights()
        grow = a > 0
        return float((g[grow] ** 2 / (2.0 * a[grow])).sum())

    def check(self, answer: Any, tol: float = 1e-6) -> CheckReport:
        n = self.n_agents
        g = answer.shares if isinstance(answer, ShareAnswer) else answer
        try:
            g = np.asarray(g, dtype=float)
        except (TypeError, ValueError):
            return CheckReport(False, float("nan"), ("answer is not an array of shares",))
        if g.shape != (n,):
            return CheckReport(False, float("nan"), (f"shares must have shape ({n},); got {g.shape}",))
        if not np.all(np.isfinite(g)):
            return CheckReport(False, float("nan"), ("shares must be finite",))
        problems: list[str] = []
        scale = max(1.0, self.capacity)
        for i in np.flatnonzero(g < self.min_share - tol * scale)[:5]:
            problems.append(f"agent {self.agent_ids[i]!r} (index {i}) share {g[i]:g} is below its minimum "
                            f"{self.min_share[i]:g}")
        for i in np.flatnonzero(g > self.max_share + tol * scale)[:5]:
            problems.append(f"agent {self.agent_ids[i]!r} (index {i}) share {g[i]:g} exceeds its cap "
                            f"{self.max_share[i]:g}")
        if g.sum() > self.capacity + tol * scale:
            problems.append(f"shares sum to {g.sum():g}, above the capacity {self.capacity:g}")
        if self.objective in RULES:
            if abs(g.sum() - self.target_total()) > tol * scale:
                problems.append(f"rule {self.objective!r} hands out {self.target_total():g} in total; "
                                f"the shares sum to {g.sum():g}")
            idle = np.flatnonzero((self.rule_weights() <= 0) & (np.abs(g - self.min_share) > tol * scale))
            for i in idle[:5]:
                problems.append(f"agent {self.agent_ids[i]!r} (index {i}) has no weight under {self.objective!r} "
                                f"and must get its minimum {self.min_share[i]:g}; got {g[i]:g}")
        ans = self.answer(g)
        return CheckReport(not problems, self.objective_value(g), tuple(problems),
                           {"mean_latency": ans.mean_latency, "utilization": ans.utilization})

    # ------------------------------------------------------------------ files
    def to_data(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "objective": self.objective,
            "arrival_rate": self.arrival_rate.tolist(),
            "service_rate": self.service_rate.tolist(),
            "priority": self.priority.tolist(),
            "min_share": self.min_share.tolist(),
            "max_share": [None if np.isinf(v) else float(v) for v in self.max_share],
            "capacity": self.capacity,
            "agent_ids": list(self.agent_ids),
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "ShareAllocation":
        return cls(
            data["arrival_rate"], data["service_rate"], priority=data.get("priority"),
            min_share=data.get("min_share"), max_share=data.get("max_share"),
            capacity=data.get("capacity", 1.0), objective=data.get("objective", "min_latency"),
            agent_ids=data.get("agent_ids"), name=data.get("name") or "share_allocation",
        )

    def size_summary(self) -> dict[str, int]:
        return {"agents": self.n_agents, "variables": self.n_agents}


@register_schema("share_allocation")
class ShareAllocationFile(BaseModel):
    """Per-agent arrays of n_agents entries; ``max_share`` entries may be null (no cap)."""

    model_config = ConfigDict(extra="forbid")
    problem: Literal["share_allocation"]
    version: Literal[1] = 1
    name: Optional[str] = None
    objective: Literal["min_latency", "max_throughput", "demand_proportional", "max_min_fair", "equal"] = \
        "min_latency"
    arrival_rate: list[float]
    service_rate: list[float]
    priority: Optional[list[float]] = None
    min_share: Optional[list[float]] = None
    max_share: Optional[list[Optional[float]]] = None
    capacity: float = 1.0
    agent_ids: Optional[list[str]] = None
