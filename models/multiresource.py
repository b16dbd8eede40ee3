"""Multi-resource generalized assignment: every task to one agent, within each agent's
capacity in every resource type.

    minimize (or maximize)  sum_ij cost[i, j] x[i, j]  (+/-)  sum_j penalty[j] u[j]
    subject to              sum_i x[i, j] + u[j] = 1                          for every task j
                            sum_j demand[i, j, k] x[i, j] <= capacity[i, k]   for every agent i, resource k
                            x, u binary;  u = 0 unless ``unassigned_penalty`` is given

With one resource type this is the generalized assignment problem. With ``sense="max"``
``cost`` is a utility and the penalty is subtracted.

References: B. Gavish and H. Pirkul, "Algorithms for the multi-resource generalized
assignment problem", Management Science 37(6) (1991) 695-713 (the formulation above);
M. Yagiura, S. Iwasaki, T. Ibaraki and F. Glover, "A very large-scale neighborhood search
algorithm for the multi-resource generalized assignment problem", Discrete Optimization
1(1) (2004) 87-98 (benchmark sets of the same form).

>>> from allotment.models import MultiResourceAssignment
>>> mra = MultiResourceAssignment(cost=[[1, 5], [4, 2]],
...                               demand=[[[2, 1], [2, 1]], [[1, 3], [1, 3]]],
...                               capacity=[[2, 2], [2, 3]])
>>> mra.check([0, 1]).objective
3.0
>>> mra.check([0, 0]).violations
("agent 'agent0' (index 0) resource 'resource0' (index 0) load 4 exceeds capacity 2",)
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Optional

import numpy as np
from pydantic import BaseModel, ConfigDict

from ._assignment_base import AgentTaskModel
from ._validate import Sense, as_array, as_ids, as_sense
from .base import CheckReport, cached_program, register_kind
from .errors import InstanceError
from .program import Program, ProgramBuilder
from .schemas import register_schema

__all__ = ["MultiResourceAssignment", "MultiResourceAssignmentFile"]


@register_kind
class MultiResourceAssignment(AgentTaskModel):
    """Tasks to agents with a capacity per resource type (see the module docstring).

    Parameters
    ----------
    cost : array (n_agents, n_tasks)
        Cost (utility with ``sense="max"``) of agent ``i`` doing task ``j``; finite.
    demand : array (n_agents, n_tasks, n_resources)
        Amount of resource ``k`` agent ``i`` uses for task ``j``; finite, non-negative.
    capacity : array (n_agents, n_resources)
        Amount of resource ``k`` agent ``i`` has; finite, non-negative.
    sense : "min" or "max"
    unassigned_penalty : float or array (n_tasks,), optional
        If given, a task may stay unassigned at this (non-negative) penalty.
    agent_ids, task_ids, resource_ids : sequences of names, optional
    """

    kind = "multi_resource_assignment"
    tags = frozenset({"MRGAP", "ASSIGNMENT"})

    def __init__(
        self,
        cost: Any,
        demand: Any,
        capacity: Any,
        *,
        sense: Sense | str = "min",
        unassigned_penalty: float | Any | None = None,
        agent_ids: Sequence[object] | None = None,
        task_ids: Sequence[object] | None = None,
        resource_ids: Sequence[object] | None = None,
        name: str = "multi_resource_assignment",
    ) -> None:
        m, n = self._set_cost(cost)
        self.demand = as_array(demand, "demand", ndim=3, shape=(m, n, None),
                               shape_text=f"(n_agents, n_tasks, n_resources) = ({m}, {n}, n_resources)",
                               nonnegative=True)
        r = self.demand.shape[2]
        if r == 0:
            raise InstanceError("must have at least one resource type (last axis); got 0", field="demand")
        self.capacity = as_array(capacity, "capacity", shape=(m, r),
                                 shape_text=f"(n_agents, n_resources) = ({m}, {r})", nonnegative=True)
        self.sense = as_sense(sense)
        self._set_unassigned_penalty(unassigned_penalty)
        self._set_ids(agent_ids, task_ids)
        self.resource_ids = as_ids(resource_ids, r, "resource_ids", "resource")
        self.name = name

    @property
    def n_resources(self) -> int:
        return int(self.demand.shape[2])

    @cached_program
    def to_program(self) -> Program:
        m, n, r = self.demand.shape
        b = ProgramBuilder(self.sense, name=self.name)
        # A pair whose demand exceeds the capacity in some resource can never be used.
        fits = np.all(self.demand <= self.capacity[:, None, :], axis=2).astype(float)
        x = b.add_block("x", (m, n), lo=0.0, hi=fits, integer=True, cost=self.cost)
        if self.unassigned_penalty is None:
            b.add_rows(x.T, 1.0, lo=1.0, hi=1.0, name="task")
        else:
            sign = 1.0 if self.sense == "min" else -1.0
            u = b.add_block("u", (n,), lo=0.0, hi=1.0, integer=True, cost=sign * self.unassigned_penalty)
            b.add_rows(np.hstack([x.T, u[:, None]]), 1.0, lo=1.0, hi=1.0, name="task")
        # Row (i, k): sum_j demand[i, j, k] x[i, j] <= capacity[i, k]; rows ordered agent-major.
        cols = np.repeat(x, r, axis=0)                                   # (m * r, n)
        coef = self.demand.transpose(0, 2, 1).reshape(m * r, n)          # (m * r, n)
        b.add_rows(cols, coef, hi=self.capacity.ravel(), name="capacity")
        return b.build()

    def loads(self, assignment: np.ndarray) -> np.ndarray:
        """``(n_agents, n_resources)``: resource use of each agent under ``assignment``."""
        assignment = np.asarray(assignment, dtype=np.int64)
        done = np.flatnonzero(assignment >= 0)
        load = np.zeros((self.n_agents, self.n_resources))
        np.add.at(load, assignment[done], self.demand[assignment[done], done, :])
        return load

    def check(self, answer: Any, tol: float = 1e-6) -> CheckReport:
        vec, objective, problems = self._cost_with_penalty(answer)
        if vec is None:
            return CheckReport(False, objective, tuple(problems))
        load = self.loads(vec)
        over = np.argwhere(load > self.capacity + tol * np.maximum(1.0, self.capacity))
        for i, k in over[:5]:
            problems.append(f"agent {self.agent_ids[i]!r} (index {i}) resource {self.resource_ids[k]!r} "
                            f"(index {k}) load {load[i, k]:g} exceeds capacity {self.capacity[i, k]:g}")
        return CheckReport(not problems, objective, tuple(problems), {"load": load})

    def to_data(self) -> dict[str, Any]:
        return self._data(demand=self.demand, capacity=self.capacity, resource_ids=list(self.resource_ids))

    def size_summary(self) -> dict[str, int]:
        return {"agents": self.n_agents, "tasks": self.n_tasks, "resources": self.n_resources,
                "variables": self.n_agents * self.n_tasks}


@register_schema("multi_resource_assignment")
class MultiResourceAssignmentFile(BaseModel):
    """``cost`` n_agents x n_tasks, ``demand`` n_agents x n_tasks x n_resources,
    ``capacity`` n_agents x n_resources."""

    model_config = ConfigDict(extra="forbid")
    problem: Literal["multi_resource_assignment"]
    version: Literal[1] = 1
    name: Optional[str] = None
    sense: Literal["min", "max"] = "min"
    cost: list[list[float]]
    demand: list[list[list[float]]]
    capacity: list[list[float]]
    unassigned_penalty: Optional[float | list[float]] = None
    agent_ids: Optional[list[str]] = None
    task_ids: Optional[list[str]] = None
    resource_ids: Optional[list[str]] = None
