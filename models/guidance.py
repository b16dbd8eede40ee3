"""Assignment guidance: the centralized MIQP expert whose answers guide learning allocators.

Agents carrying resource vectors ``supply[i]`` at ``agent_positions[i]`` go to consumers with
demand vectors ``demand[j]`` at ``consumer_positions[j]``; each agent serves at most one
consumer. The expert trades travel against the squared mismatch of supply and demand:

    minimize    alpha * sum_ij dist[i, j] x[i, j]  +  sum_jk weight[k] f(r[j, k])
    subject to  sum_j x[i, j] <= 1                                   for every agent i
                r[j, k] = demand[j, k] - sum_i supply[i, k] x[i, j]   for every consumer j, resource k
                x binary

with ``f(r) = r**2`` (two-sided: over- and undersupply cost alike) or, with
``one_sided=True``, ``f(r) = max(r, 0)**2`` (only shortfall costs). ``dist`` is the Euclidean
distance of the positions unless a ``distance`` matrix is given.

Three exact forms, all with the same optimum:

- :meth:`AssignmentGuidance.to_program`: the natural convex MIQP (``x`` binary, ``r``
  continuous, ``Q`` diagonal on ``r``); SCIP solves it (``method="scip"``).
- :meth:`AssignmentGuidance.pwl_program`: an exact MILP. When ``supply`` and ``demand`` are
  decimals with at most ``MAX_DECIMALS`` places, every residual is a whole number of units
  ``u`` (their largest common decimal unit, e.g. 1, 0.5 or 0.01), and a convex function of an integer equals its piecewise-linear
  interpolation at the integers (Hochbaum and Shanthikumar). In incremental form,
  ``r' = r / u = lo + sum_a step[a]`` with one binary ``step[a]`` per integer of ``r'``'s
  range and cost ``(2 (lo + a) + 1)`` per step: the slopes increase, so the steps fill in
  order at every optimum and the cost is ``r'**2`` exactly. HiGHS solves it
  (``method="highs"``); :meth:`~AssignmentGuidance.program_for` hands it to any backend
  that does not take MIQP.
- a CP-SAT model with integer residuals and their squares (``method="cpsat"``, in
  :mod:`allotment.solvers.guidance_cpsat`).

Residual ranges are bounded without cutting off any optimum: every term of the objective is
non-negative, so ``weight[k] * f(r[j, k]) <= OPT <= UB`` for the objective ``UB`` of the
:meth:`~AssignmentGuidance.heuristic` answer, hence ``|r[j, k]| <= sqrt(UB / weight[k])``.
This keeps the piecewise-linear form small. Pairs whose travel outweighs the most the
agent could lower the mismatch are fixed to 0 (:meth:`~AssignmentGuidance.useful_pairs`).

The answer is a :class:`~allotment.models.Dispatch`: agent -> consumer (``-1`` idle) and
the residual demand per consumer and resource, the targets a learning allocator imitates.

References: A. Prorok, M. A. Hsieh and V. Kumar, "The impact of diversity on optimal control
policies for heterogeneous robot swarms", IEEE Transactions on Robotics 33(2) (2017) 346-358,
and H. Ravichandar, K. Shaw and S. Chernova, "STRATA: unified framework for task assignments
in large teams of heterogeneous agents", Autonomous Agents and Multi-Agent Systems 34 (2020)
(squared mismatch of desired and assigned capabilities); D. S. Hochbaum and J. G.
Shanthikumar, "Convex separable optimization is not much harder than linear optimization",
Journal of the ACM 37(4) (1990) 843-862 (the exact piecewise-linear form for integer
variables).

>>> from allotment.models import AssignmentGuidance
>>> g = AssignmentGuidance(supply=[[2, 0], [0, 1], [1, 1]], demand=[[2, 1], [1, 1]],
...                        agent_positions=[[0, 0], [0, 1], [3, 0]], consumer_positions=[[0, 0], [3, 0]],
...                        alpha=0.5)
>>> g.check([0, 0, 1]).objective      # travel 0.5 * (0 + 1 + 0), no mismatch
0.5
>>> g.dispatch([0, -1, 1]).residual.tolist()
[[0.0, 1.0], [0.0, 0.0]]
>>> g.program_classes()
('MIQP', 'MILP')
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Optional

import numpy as np

from ._validate import as_array
from .base import CheckReport, Model, cached_program, register_kind
from .coalition import MAX_DECIMALS, Dispatch, FleetData, _FleetFile, _per_resource, agent_vector
from .errors import InstanceError
from .program import Program, ProgramBuilder
from .schemas import register_schema

__all__ = ["AssignmentGuidance", "IntegerResiduals", "AssignmentGuidanceFile", "MAX_PWL_STEPS"]

#: the piecewise-linear MILP is offered only up to this many step columns
MAX_PWL_STEPS = 400_000


@dataclass(frozen=True)
class IntegerResiduals:
    """The guidance data in whole ``unit`` s (the largest decimal unit dividing them all).

    ``supply``/``demand`` are integer arrays in units; every optimal solution has residuals
    ``r' = r / unit`` with ``lo <= r' <= hi`` (integer arrays ``(n_consumers, n_resources)``).
    ``weight`` is the objective weight of ``r'**2`` (``weight[k] * unit**2``).
    """

    unit: float
    supply: np.ndarray
    demand: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    weight: np.ndarray

    @property
    def n_steps(self) -> int:
        """Columns of the piecewise-linear form: one per unit step of a weighted residual's range."""
        span = (self.hi - self.lo) * (self.weight > 0)[None, :]
        return int(span.sum())


@register_kind
class AssignmentGuidance(FleetData, Model):
    """The MIQP assignment expert (see the module docstring).

    Parameters
    ----------
    supply : array (n_agents, n_resources)
        What each agent carries; finite, non-negative.
    demand : array (n_consumers, n_resources)
        What each consumer needs; finite, non-negative.
    weight : float or array (n_resources,)
        Weight of the squared mismatch of each resource type; non-negative. Default 1.
    alpha : float
        Weight of travel distance; finite, non-negative. Default 1.
    agent_positions : array (n_agents, dim), optional
    consumer_positions : array (n_consumers, dim), optional
        Points (2-D or any dimension); ``dist`` is their Euclidean distance.
    distance : array (n_agents, n_consumers), optional
        Distances to use instead (finite, non-negative); required without positions.
    one_sided : bool
        Penalize only shortfall (``max(r, 0)**2``) instead of any mismatch (``r**2``).
    agent_ids, consumer_ids, resource_ids : sequences of names, optional
    """

    kind = "assignment_guidance"
    tags = frozenset({"GUIDANCE"})
    sense = "min"
    # HiGHS 1.14's presolve returned a worse point as "optimal" on 6 of ~9,600 random
    # piecewise-linear MILPs (all-integer, so presolve_unsafe does not catch it); without
    # presolve all agreed with SCIP and colgen, at equal speed on the benchmark instances.
    solver_defaults = {"highs": {"presolve": "off"}}

    def __init__(
        self,
        supply: Any,
        demand: Any,
        weight: Any = 1.0,
        *,
        alpha: float = 1.0,
        agent_positions: Any | None = None,
        consumer_positions: Any | None = None,
        distance: Any | None = None,
        one_sided: bool = False,
        agent_ids: Sequence[object] | None = None,
        consumer_ids: Sequence[object] | None = None,
        resource_ids: Sequence[object] | None = None,
        name: str = "assignment_guidance",
    ) -> None:
        self._set_fleet(supply, demand, agent_ids, consumer_ids, resource_ids)
        m, n, r = self.n_agents, self.n_consumers, self.n_resources
        self.weight = _per_resource(weight, r, "weight")
        self.alpha = float(as_array(alpha, "alpha", shape=(), shape_text="a number", nonnegative=True))
        if not isinstance(one_sided, (bool, np.bool_)):
            raise InstanceError(f"must be true or false; got {one_sided!r}", field="one_sided")
        self.one_sided = bool(one_sided)
        self.agent_positions = self.consumer_positions = None
        if agent_positions is not None or consumer_positions is not None:
            if agent_positions is None or consumer_positions is None:
                missing = "agent_positions" if agent_positions is None else "consumer_positions"
                raise InstanceError("is needed too when positions are given", field=missing)
            self.agent_positions = as_array(agent_positions, "agent_positions", ndim=2, shape=(m, None),
                                            shape_text=f"(n_agents, dim) = ({m}, dim)")
            dim = self.agent_positions.shape[1]
            self.consumer_positions = as_array(consumer_positions, "consumer_positions", shape=(n, dim),
                                               shape_text=f"(n_consumers, dim) = ({n}, {dim})")
        if distance is not None:
            self.distance = as_array(distance, "distance", shape=(m, n),
                                     shape_text=f"(n_agents, n_consumers) = ({m}, {n})", nonnegative=True)
        elif self.agent_positions is not None:
            diff = self.agent_positions[:, None, :] - self.consumer_positions[None, :, :]
            dist = np.sqrt((diff * diff).sum(axis=2))
            dist.setflags(write=False)
            self.distance = dist
        else:
            raise InstanceError("is needed, or both `agent_positions` and `consumer_positions`", field="distance")
        self._distance_given = distance is not None
        self.name = name

    # ------------------------------------------------------------ objective
    def mismatch(self, residual: np.ndarray) -> np.ndarray:
        """``f(residual)`` elementwise: ``r**2``, or ``max(r, 0)**2`` when one-sided."""
        residual = np.asarray(residual, dtype=float)
        if self.one_sided:
            residual = np.maximum(residual, 0.0)
        return residual * residual

    def objective(self, answer: Dispatch | np.ndarray) -> float:
        return self.check(answer).objective

    def check(self, answer: Any, tol: float = 1e-6) -> CheckReport:
        vec, problems = agent_vector(answer, self.n_agents, self.n_consumers)
        if vec is None:
            return CheckReport(False, float("nan"), tuple(problems))
        busy = np.flatnonzero(vec >= 0)
        residual = self.demand - self.supplied(vec)
        travel = self.alpha * float(self.distance[busy, vec[busy]].sum())
        mismatch = float((self.mismatch(residual) * self.weight).sum())
        return CheckReport(True, travel + mismatch, (), {"travel": travel, "mismatch": mismatch,
                                                         "residual": residual})

    def heuristic(self, max_passes: int = 10) -> Dispatch:
        """A fast answer: :meth:`improve` starting with every agent idle. Deterministic."""
        return self.dispatch(self.improve(np.full(self.n_agents, -1, dtype=np.int64), max_passes))

    def improve(self, assignment: Any, max_passes: int = 10) -> np.ndarray:
        """Coordinate descent from ``assignment`` (agent -> consumer, -1 idle): each agent in turn
        moves to its best consumer given the others, until a pass changes nothing.

        Every move lowers the objective, so the result is never worse than the start.

        >>> g = AssignmentGuidance([[2, 0], [0, 1], [1, 1]], [[2, 1], [1, 1]], distance=[[0, 3], [1, 3], [3, 0]])
        >>> g.improve([-1, -1, -1]).tolist()
        [0, -1, 1]
        """
        q, w = self.supply, self.weight
        travel = self.alpha * self.distance
        assign = np.array(assignment, dtype=np.int64)
        residual = (self.demand - self.supplied(assign)).astype(float)
        for _ in range(max_passes):
            changed = False
            for i in range(self.n_agents):
                old = int(assign[i])
                if old >= 0:
                    residual[old] += q[i]
                gain = travel[i] + ((self.mismatch(residual - q[i]) - self.mismatch(residual)) * w).sum(axis=1)
                j = int(np.argmin(gain))
                new = j if gain[j] < -1e-12 * max(1.0, abs(float(gain[j]))) else -1
                if new >= 0:
                    residual[new] -= q[i]
                assign[i] = new
                changed |= new != old
            if not changed:
                break
        return assign

    # ------------------------------------------------------ residual ranges
    def _radius(self) -> np.ndarray:
        """Per resource, ``sqrt(UB / weight)``: no optimum has a larger ``|r|`` (inf if weight 0)."""
        upper = self.check(self.heuristic()).objective
        with np.errstate(divide="ignore"):
            return np.where(self.weight > 0, np.sqrt(upper / np.where(self.weight > 0, self.weight, 1.0)), np.inf)

    def integer_residuals(self) -> IntegerResiduals | None:
        """The data in whole units with valid residual ranges, or None for non-decimal data."""
        cached = self.__dict__.get("_integer_residuals", False)
        if cached is not False:
            return cached
        unit = self.unit
        out = None
        if unit is not None:
            supply = np.round(self.supply / unit).astype(np.int64)
            demand = np.round(self.demand / unit).astype(np.int64)
            radius = self._radius() / unit
            reach = np.where(np.isfinite(radius), np.floor(np.minimum(radius, 2.0**52) * (1 + 1e-9) + 1e-6),
                             2.0**52).astype(np.int64)
            hi = np.minimum(demand, reach[None, :])
            lo = np.zeros_like(hi) if self.one_sided else np.maximum(demand - supply.sum(axis=0), -reach[None, :])
            out = IntegerResiduals(unit, supply, demand, lo, hi, self.weight * unit * unit)
        self.__dict__["_integer_residuals"] = out
        return out

    def residual_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """``(lo, hi)``, each ``(n_consumers, n_resources)``: ranges of ``r`` that keep every optimum."""
        ints = self.integer_residuals()
        if ints is not None:
            return ints.lo * ints.unit, ints.hi * ints.unit
        reach = self._radius() * (1 + 1e-9) + 1e-9
        hi = np.minimum(self.demand, reach[None, :])
        lo = np.zeros_like(hi) if self.one_sided else \
            np.maximum(self.demand - self.supply.sum(axis=0), -reach[None, :])
        return lo, hi

    # ------------------------------------------------------------ programs
    def exact_milp_refusal(self) -> str | None:
        """Why there is no exact MILP form (None when there is one)."""
        ints = self.integer_residuals()
        if ints is None:
            return (f"`supply` and `demand` are not decimals with at most {MAX_DECIMALS} places, so residuals "
                    "are not whole units and no piecewise-linear form is exact; use method='scip'")
        if ints.n_steps > MAX_PWL_STEPS:
            return (f"the piecewise-linear form would need {ints.n_steps} step columns (limit {MAX_PWL_STEPS}); "
                    "use method='scip' or 'cpsat'")
        return None

    def program_classes(self) -> tuple[str, ...]:
        if self.problem_class == "MILP":
            return ("MILP",)
        return ("MIQP", "MILP") if self.exact_milp_refusal() is None else ("MIQP",)

    @property
    def problem_class(self) -> str:
        return "MIQP" if bool((self.weight > 0).any()) else "MILP"

    def program_for(self, accepted: frozenset[str] | set[str]) -> Program:
        natural = self.to_program()
        if natural.problem_class in accepted:
            return natural
        if "MILP" in accepted:
            why = self.exact_milp_refusal()
            if why is not None:
                raise InstanceError(why)
            return self.pwl_program()
        raise ValueError(f"AssignmentGuidance compiles to {list(self.program_classes())}, "
                         f"not to any of {sorted(accepted)}")

    def useful_pairs(self) -> np.ndarray:
        """``(n_agents, n_consumers)`` bool: pairs that some optimal solution may use.

        Sending agent ``i`` to consumer ``j`` lowers ``f`` of each residual by
        ``f(r) - f(r - supply[i, k])``, which grows with ``r``; the residual before it
        arrives is at most the demand, so the gain is at most
        ``sum_k weight[k] * max(0, f(demand[j, k]) - f(demand[j, k] - supply[i, k]))``. When
        the travel costs at least that, idling the agent never makes an answer worse, so
        ``x[i, j] = 0`` keeps an optimum.
        """
        q, d = self.supply[:, None, :], self.demand[None, :, :]
        gain = (np.maximum(self.mismatch(d) - self.mismatch(d - q), 0.0) * self.weight).sum(axis=2)
        return self.alpha * self.distance < gain

    def _base(self, b: ProgramBuilder) -> np.ndarray:
        m, n = self.n_agents, self.n_consumers
        x = b.add_block("x", (m, n), lo=0.0, hi=self.useful_pairs().astype(float), integer=True,
                        cost=self.alpha * self.distance)
        b.add_rows(x, 1.0, hi=1.0, name="agent")
        return x

    @cached_program
    def to_program(self) -> Program:
        """The natural convex MIQP (``x`` then ``r``; ``Q = diag(2 weight)`` on ``r``)."""
        n, k = self.n_consumers, self.n_resources
        b = ProgramBuilder("min", name=self.name)
        x = self._base(b)
        lo, hi = self.residual_bounds()
        r = b.add_block("residual", (n, k), lo=lo, hi=hi)
        # Row (j, k): r[j, k] + sum_i supply[i, k] x[i, j] = (or >=) demand[j, k]; consumer-major.
        cols = np.hstack([np.repeat(x.T, k, axis=0), r.reshape(-1, 1)])
        coef = np.hstack([np.tile(self.supply.T, (n, 1)), np.ones((n * k, 1))])
        b.add_rows(cols, coef, lo=self.demand.ravel(), hi=np.inf if self.one_sided else self.demand.ravel(),
                   name="residual")
        q = np.broadcast_to(2.0 * self.weight, (n, k)).ravel()
        keep = q > 0
        if keep.any():
            b.add_quadratic(r.ravel()[keep], r.ravel()[keep], q[keep])
        return b.build()

    def pwl_program(self) -> Program:
        """The exact MILP in incremental form: ``x`` then one unit step per integer of each range.

        With ``r' = lo + sum_a step[a]`` (binary steps, one per unit of
        ``[lo, hi]``), ``r'**2 = lo**2 + sum_a (2 (lo + a) + 1) step[a]`` whenever the steps
        fill in order, which the increasing slopes guarantee at every optimum. The row of
        ``(j, k)`` reads ``sum_i S[i, k] x[i, j] + sum_a step[a] = D[j, k] - lo[j, k]``
        (``>= D[j, k]`` when one-sided, where ``lo = 0``), all in units.
        """
        cached = self.__dict__.get("_pwl_program")
        if cached is not None:
            return cached
        why = self.exact_milp_refusal()
        if why is not None:
            raise InstanceError(why)
        ints = self.integer_residuals()
        assert ints is not None
        m, n, k = self.n_agents, self.n_consumers, self.n_resources
        b = ProgramBuilder("min", name=self.name + "-pwl")
        x = self._base(b)
        weighted = np.broadcast_to(ints.weight > 0, (n, k)).ravel()
        lo, hi, dem = ints.lo.ravel(), ints.hi.ravel(), ints.demand.ravel()
        span = np.where(weighted, hi - lo, 0)
        pair = np.repeat(np.arange(n * k), span)                          # the (j, k) of every step
        a = lo[pair] + (np.arange(pair.size) - np.repeat(np.cumsum(span) - span, span))
        w = np.broadcast_to(ints.weight, (n, k)).ravel()
        # Binary steps: exact (at integer x the filled steps are whole), and rows with only
        # integer columns steer clear of HiGHS 1.14's faulty singleton-column stuffing in MIP
        # presolve (ERGO-Code/HiGHS#2957, fixed in 1.15), which continuous steps trigger.
        step = b.add_block("step", (pair.size,), lo=0.0, hi=1.0, integer=True, cost=w[pair] * (2.0 * a + 1.0))
        b.c0 = float((w * lo.astype(float) ** 2)[weighted].sum())
        # Rows (j, k), consumer-major: agents' supplies of resource k at j, then its steps.
        jj, kk = np.divmod(np.arange(n * k), k)
        rows = np.concatenate([np.repeat(np.arange(n * k), m), pair])
        cols = np.concatenate([x[:, jj].T.ravel(), step])
        vals = np.concatenate([ints.supply[:, kk].T.ravel().astype(float), np.ones(pair.size)])
        # A resource of weight 0 costs nothing whatever it receives: its rows would only restate
        # 0 <= supply <= total supply, so they stay empty and free (HiGHS 1.14 returned non-optimal
        # points as "optimal" on small instances with such rows).
        if self.one_sided:
            row_lo = np.where(weighted, dem, -np.inf)
        else:
            row_lo = np.where(weighted, dem - lo, -np.inf)
        row_hi = np.where(weighted & ~self.one_sided, dem - lo, np.inf)
        keep = (vals != 0) & weighted[rows]
        b.add_rows_coo(rows[keep], cols[keep], vals[keep], n * k, lo=row_lo, hi=row_hi, name="residual")
        program = b.build()
        self.__dict__["_pwl_program"] = program
        return program

    def decode(self, x: np.ndarray) -> Dispatch:
        return self._decode_agents(x)

    # ------------------------------------------------------------------ files
    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, **self._fleet_data(), "weight": self.weight.tolist(),
                                "alpha": self.alpha, "one_sided": self.one_sided}
        if self.agent_positions is not None:
            data["agent_positions"] = self.agent_positions.tolist()
            data["consumer_positions"] = self.consumer_positions.tolist()
        if self._distance_given or self.agent_positions is None:
            data["distance"] = self.distance.tolist()
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "AssignmentGuidance":
        return cls(data["supply"], data["demand"], data.get("weight", 1.0), alpha=data.get("alpha", 1.0),
                   agent_positions=data.get("agent_positions"), consumer_positions=data.get("consumer_positions"),
                   distance=data.get("distance"), one_sided=data.get("one_sided", False),
                   agent_ids=data.get("agent_ids"), consumer_ids=data.get("consumer_ids"),
                   resource_ids=data.get("resource_ids"), name=data.get("name") or "assignment_guidance")

    def size_summary(self) -> dict[str, int]:
        return {"agents": self.n_agents, "consumers": self.n_consumers, "resources": self.n_resources,
                "variables": self.n_agents * self.n_consumers + self.n_consumers * self.n_resources}


@register_schema("assignment_guidance")
class AssignmentGuidanceFile(_FleetFile):
    """``supply``/``demand`` as for coalitions; ``weight`` per resource (or one number);
    ``alpha``; positions (n x dim) and/or a ``distance`` matrix (n_agents x n_consumers)."""

    problem: Literal["assignment_guidance"]
    weight: float | list[float] = 1.0
    alpha: float = 1.0
    one_sided: bool = False
    agent_positions: Optional[list[list[float]]] = None
    consumer_positions: Optional[list[list[float]]] = None
    distance: Optional[list[list[float]]] = None
