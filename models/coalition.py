"""Coalition allocation: agents carrying resource vectors are sent to consumers with demand
vectors; unmet demand is penalized linearly per resource type, travel per agent-consumer pair.

    minimize    sum_ij travel_cost[i, j] x[i, j]  +  sum_jk penalty[k] s[j, k]
    subject to  sum_j x[i, j] <= 1                                   for every agent i
                s[j, k] + sum_i supply[i, k] x[i, j] >= demand[j, k]   for every consumer j, resource k
                x binary,  0 <= s[j, k] <= demand[j, k]

``s`` is the shortfall: at an optimum ``s[j, k] = max(0, demand[j, k] - supplied[j, k])``
whenever ``penalty[k] > 0``. Several agents may serve one consumer (a coalition); an agent
serves at most one consumer (single-task agents, multi-agent tasks: ST-MR in the taxonomy of
Gerkey and Mataric). When ``supply`` and ``demand`` are decimals with at most
:data:`MAX_DECIMALS` places, ``s`` is an integer count of their largest common unit
(:func:`decimal_unit`; exact: the shortfall is then a multiple of the unit), so every
variable is integer and CP-SAT takes the program too; otherwise ``s`` is continuous and only
LP-based backends (HiGHS, SCIP) take it.

References: O. Shehory and S. Kraus, "Methods for task allocation via agent coalition
formation", Artificial Intelligence 101 (1998) 165-200; B. P. Gerkey and M. J. Mataric, "A
formal analysis and taxonomy of task allocation in multi-robot systems", International
Journal of Robotics Research 23(9) (2004) 939-954 (the ST-MR class this model belongs to).

>>> from allotment.models import CoalitionAllocation
>>> ca = CoalitionAllocation(supply=[[2, 0], [1, 1], [0, 2]], demand=[[3, 1], [0, 2]],
...                          penalty=[1, 1], travel_cost=[[1, 1], [1, 1], [1, 1]])
>>> report = ca.check([0, 0, 1])
>>> report.objective                      # travel 3, nothing unmet
3.0
>>> ca.dispatch([0, -1, 1]).unmet.tolist()  # agent 1 idle: consumer 0 lacks one unit of each
[[1.0, 1.0], [0.0, 0.0]]
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Optional

import numpy as np
from pydantic import BaseModel, ConfigDict

from ._validate import as_array, as_ids
from .answers import assignment_from_matrix
from .base import CheckReport, Model, cached_program, register_kind
from .errors import InstanceError
from .program import Program, ProgramBuilder, VariableBlock
from .schemas import register_schema

__all__ = ["CoalitionAllocation", "Dispatch", "CoalitionAllocationFile", "MAX_DECIMALS", "decimal_unit"]

#: most decimal places of ``supply``/``demand`` for which residuals are counted in exact units
MAX_DECIMALS = 6


def decimal_unit(values: np.ndarray, max_places: int = MAX_DECIMALS) -> float | None:
    """The largest ``unit = g * 10**-p`` (``p <= max_places``) that divides every value; None if none.

    Sums and differences of the values are then whole multiples of ``unit``.

    >>> decimal_unit(np.array([3.0, 0.25])), decimal_unit(np.array([2.0, 4.0])), decimal_unit(np.array([1 / 3]))
    (0.25, 2.0, None)
    """
    values = np.asarray(values, dtype=float).ravel()
    for p in range(max_places + 1):
        scaled = values * 10.0**p
        whole = np.round(scaled)
        if np.all(np.abs(scaled - whole) <= np.maximum(1e-9, 4e-16 * np.abs(scaled))):
            g = int(np.gcd.reduce(np.abs(whole).astype(np.int64))) if values.size else 0
            return max(g, 1) / 10.0**p
    return None


@dataclass(frozen=True, eq=False)
class Dispatch:
    """Agents sent to consumers: the form a learning allocator consumes.

    ``assignment[i]`` is the consumer index agent ``i`` serves (``-1`` = idle);
    ``residual[j, k] = demand[j, k] - supplied[j, k]`` (negative = oversupply).

    >>> d = Dispatch(np.array([1, -1]), np.array([[2.0], [-1.0]]))
    >>> d.unmet.tolist(), d.surplus.tolist(), d.one_hot().tolist()
    ([[2.0], [0.0]], [[0.0], [1.0]], [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    """

    assignment: np.ndarray
    residual: np.ndarray
    agent_ids: tuple[str, ...] = ()
    consumer_ids: tuple[str, ...] = ()
    resource_ids: tuple[str, ...] = ()

    @property
    def unmet(self) -> np.ndarray:
        """``(n_consumers, n_resources)``: demand left uncovered, ``max(residual, 0)``."""
        return np.maximum(self.residual, 0.0)

    @property
    def surplus(self) -> np.ndarray:
        """``(n_consumers, n_resources)``: supply beyond demand, ``max(-residual, 0)``."""
        return np.maximum(-self.residual, 0.0)

    def coalitions(self) -> dict[str, list[str]]:
        """Consumer id -> ids of the agents serving it (every consumer listed)."""
        n = self.residual.shape[0]
        cids = self.consumer_ids or tuple(str(j) for j in range(n))
        aids = self.agent_ids or tuple(str(i) for i in range(self.assignment.shape[0]))
        return {cids[j]: [aids[i] for i in np.flatnonzero(self.assignment == j)] for j in range(n)}

    def one_hot(self) -> np.ndarray:
        """``(n_agents, n_consumers + 1)`` 0/1 matrix; the last column means idle (a class target)."""
        n = self.residual.shape[0]
        out = np.zeros((self.assignment.shape[0], n + 1))
        out[np.arange(self.assignment.shape[0]), np.where(self.assignment >= 0, self.assignment, n)] = 1.0
        return out

    def to_dict(self) -> dict[str, object]:
        return {"assignment": self.assignment.tolist(), "residual": self.residual.tolist(),
                "coalitions": self.coalitions()}


def agent_vector(answer: object, n_agents: int, n_consumers: int) -> tuple[np.ndarray | None, list[str]]:
    """A :class:`Dispatch` or a plain ``(n_agents,)`` vector as int array, or the reasons not."""
    vec = answer.assignment if isinstance(answer, Dispatch) else answer
    try:
        arr = np.asarray(vec)
    except Exception:  # noqa: BLE001 - any unconvertible object is simply not an answer
        return None, ["answer is not an array"]
    if arr.shape != (n_agents,):
        return None, [f"assignment must have shape (n_agents,) = ({n_agents},); got {arr.shape}"]
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            return None, ["assignment must hold whole consumer indices"]
    elif arr.dtype.kind not in "iu":
        return None, [f"assignment must hold integers; got dtype {arr.dtype}"]
    arr = arr.astype(np.int64)
    bad = np.flatnonzero((arr < -1) | (arr >= n_consumers))
    if bad.size:
        i = int(bad[0])
        return None, [f"assignment[{i}] = {arr[i]} is not a consumer index in [-1, {n_consumers})"]
    return arr, []


class FleetData:
    """Validated supply/demand data shared by the coalition-style models (a mixin)."""

    supply: np.ndarray
    demand: np.ndarray
    agent_ids: tuple[str, ...]
    consumer_ids: tuple[str, ...]
    resource_ids: tuple[str, ...]

    def _set_fleet(self, supply: Any, demand: Any, agent_ids: Sequence[object] | None,
                   consumer_ids: Sequence[object] | None, resource_ids: Sequence[object] | None) -> None:
        self.supply = as_array(supply, "supply", ndim=2, shape_text="(n_agents, n_resources)", nonnegative=True)
        m, r = self.supply.shape
        if m == 0 or r == 0:
            raise InstanceError(f"must have at least one agent and one resource type; got shape {(m, r)}",
                                field="supply")
        self.demand = as_array(demand, "demand", ndim=2, shape=(None, r),
                               shape_text=f"(n_consumers, n_resources) = (n_consumers, {r})", nonnegative=True)
        if self.demand.shape[0] == 0:
            raise InstanceError("must have at least one consumer; got 0 rows", field="demand")
        self.agent_ids = as_ids(agent_ids, m, "agent_ids", "agent")
        self.consumer_ids = as_ids(consumer_ids, self.demand.shape[0], "consumer_ids", "consumer")
        self.resource_ids = as_ids(resource_ids, r, "resource_ids", "resource")

    @property
    def n_agents(self) -> int:
        return int(self.supply.shape[0])

    @property
    def n_consumers(self) -> int:
        return int(self.demand.shape[0])

    @property
    def n_resources(self) -> int:
        return int(self.supply.shape[1])

    @property
    def unit(self) -> float | None:
        """Largest decimal unit dividing every supply and demand (residuals are whole multiples), or None."""
        return decimal_unit(np.concatenate([self.supply.ravel(), self.demand.ravel()]))

    def supplied(self, assignment: np.ndarray) -> np.ndarray:
        """``(n_consumers, n_resources)``: what the agents sent to each consumer carry."""
        assignment = np.asarray(assignment, dtype=np.int64)
        busy = np.flatnonzero(assignment >= 0)
        out = np.zeros(self.demand.shape)
        np.add.at(out, assignment[busy], self.supply[busy])
        return out

    def dispatch(self, assignment: Any) -> Dispatch:
        """The :class:`Dispatch` (agent -> consumer, residual demand) of an assignment vector."""
        vec, problems = agent_vector(assignment, self.n_agents, self.n_consumers)
        if vec is None:
            raise InstanceError(problems[0], field="assignment")
        return Dispatch(vec, self.demand - self.supplied(vec), self.agent_ids, self.consumer_ids,
                        self.resource_ids)

    def _decode_agents(self, x: np.ndarray) -> Dispatch:
        xm = VariableBlock("x", 0, (self.n_agents, self.n_consumers)).take(x)
        return self.dispatch(assignment_from_matrix(xm.T))

    @staticmethod
    def _in_units(values: np.ndarray, unit: float) -> np.ndarray:
        """``values / unit``, rounded to the whole numbers they are when ``unit`` is exact."""
        return values if unit == 1.0 else np.round(values / unit)

    def _fleet_data(self) -> dict[str, Any]:
        return {"supply": self.supply.tolist(), "demand": self.demand.tolist(), "agent_ids": list(self.agent_ids),
                "consumer_ids": list(self.consumer_ids), "resource_ids": list(self.resource_ids)}


def _per_resource(value: Any, r: int, field: str) -> np.ndarray:
    arr = np.broadcast_to(np.asarray(value, dtype=float), (r,)) if np.ndim(value) == 0 else value
    return as_array(arr, field, shape=(r,), shape_text=f"(n_resources,) = ({r},) or a scalar", nonnegative=True)


@register_kind
class CoalitionAllocation(FleetData, Model):
    """Agents with resource vectors to consumers with demand vectors (see the module docstring).

    Parameters
    ----------
    supply : array (n_agents, n_resources)
        What each agent carries; finite, non-negative.
    demand : array (n_consumers, n_resources)
        What each consumer needs; finite, non-negative.
    penalty : float or array (n_resources,)
        Cost per unit of unmet demand of each resource type; non-negative.
    travel_cost : array (n_agents, n_consumers), optional
        Cost of sending agent ``i`` to consumer ``j``; finite. Default: zero.
    agent_ids, consumer_ids, resource_ids : sequences of names, optional
    """

    kind = "coalition_allocation"
    tags = frozenset({"COALITION"})
    sense = "min"

    def __init__(
        self,
        supply: Any,
        demand: Any,
        penalty: Any,
        travel_cost: Any | None = None,
        *,
        agent_ids: Sequence[object] | None = None,
        consumer_ids: Sequence[object] | None = None,
        resource_ids: Sequence[object] | None = None,
        name: str = "coalition_allocation",
    ) -> None:
        self._set_fleet(supply, demand, agent_ids, consumer_ids, resource_ids)
        m, n, r = self.n_agents, self.n_consumers, self.n_resources
        self.penalty = _per_resource(penalty, r, "penalty")
        if travel_cost is None:
            travel_cost = np.zeros((m, n))
        self.travel_cost = as_array(travel_cost, "travel_cost", shape=(m, n),
                                    shape_text=f"(n_agents, n_consumers) = ({m}, {n})")
        self.name = name

    @property
    def problem_class(self) -> str:
        return "MILP"

    @cached_program
    def to_program(self) -> Program:
        m, n, r = self.n_agents, self.n_consumers, self.n_resources
        b = ProgramBuilder("min", name=self.name)
        x = b.add_block("x", (m, n), lo=0.0, hi=1.0, integer=True, cost=self.travel_cost)
        exact = self.unit is not None
        unit = self.unit if exact else 1.0
        hi = self._in_units(self.demand, unit)
        s = b.add_block("shortfall", (n, r), lo=0.0, hi=hi, integer=exact,
                        cost=np.broadcast_to(self.penalty * unit, (n, r)))
        b.add_rows(x, 1.0, hi=1.0, name="agent")
        # Row (j, k), in units: s[j, k] + sum_i supply[i, k] / unit x[i, j] >= demand[j, k] / unit.
        cols = np.hstack([np.repeat(x.T, r, axis=0), s.reshape(-1, 1)])          # consumer-major
        coef = np.hstack([np.tile(self._in_units(self.supply.T, unit), (n, 1)), np.ones((n * r, 1))])
        b.add_rows(cols, coef, lo=self._in_units(self.demand, unit).ravel(), name="cover")
        return b.build()

    def decode(self, x: np.ndarray) -> Dispatch:
        return self._decode_agents(x)

    def objective(self, answer: Dispatch | np.ndarray) -> float:
        return self.check(answer).objective

    def check(self, answer: Any, tol: float = 1e-6) -> CheckReport:
        vec, problems = agent_vector(answer, self.n_agents, self.n_consumers)
        if vec is None:
            return CheckReport(False, float("nan"), tuple(problems))
        busy = np.flatnonzero(vec >= 0)
        unmet = np.maximum(self.demand - self.supplied(vec), 0.0)
        objective = float(self.travel_cost[busy, vec[busy]].sum() + (unmet * self.penalty).sum())
        return CheckReport(True, objective, (), {"unmet": unmet})

    def to_data(self) -> dict[str, Any]:
        return {"name": self.name, **self._fleet_data(), "penalty": self.penalty.tolist(),
                "travel_cost": self.travel_cost.tolist()}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "CoalitionAllocation":
        return cls(data["supply"], data["demand"], data["penalty"], data.get("travel_cost"),
                   agent_ids=data.get("agent_ids"), consumer_ids=data.get("consumer_ids"),
                   resource_ids=data.get("resource_ids"), name=data.get("name") or "coalition_allocation")

    def size_summary(self) -> dict[str, int]:
        return {"agents": self.n_agents, "consumers": self.n_consumers, "resources": self.n_resources,
                "variables": self.to_program().n_cols}


class _FleetFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: Literal[1] = 1
    name: Optional[str] = None
    supply: list[list[float]]
    demand: list[list[float]]
    agent_ids: Optional[list[str]] = None
    consumer_ids: Optional[list[str]] = None
    resource_ids: Optional[list[str]] = None


@register_schema("coalition_allocation")
class CoalitionAllocationFile(_FleetFile):
    """``supply`` n_agents x n_resources, ``demand`` n_consumers x n_resources, ``penalty`` per
    resource (or one number), ``travel_cost`` n_agents x n_consumers (default zero)."""

    problem: Literal["coalition_allocation"]
    penalty: float | list[float]
    travel_cost: Optional[list[list[float]]] = None
