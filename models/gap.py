"""Generalized assignment: every task to one agent, within each agent's capacity.

    minimize (or maximize)  sum_ij cost[i, j] x[i, j]  (+/-)  sum_j penalty[j] u[j]
    subject to              sum_i x[i, j] + u[j] = 1          for every task j
                            sum_j weight[i, j] x[i, j] <= capacity[i]   for every agent i
                            x, u binary;  u = 0 unless ``unassigned_penalty`` is given

With ``sense="max"`` ``cost`` is a profit and the penalty is subtracted.

References: G. T. Ross and R. M. Soland, "A branch and bound algorithm for the generalized
assignment problem", Mathematical Programming 8 (1975); P. C. Chu and J. E. Beasley, "A
genetic algorithm for the generalised assignment problem", Computers & Operations
Research 24 (1997) (the OR-Library instances).

>>> from allotment.models import GeneralizedAssignment
>>> gap = GeneralizedAssignment(cost=[[1, 5], [4, 2]], weight=[[3, 3], [3, 3]], capacity=[3, 3])
>>> gap.check([0, 1]).objective
3.0
>>> gap.check([0, 0]).feasible
False
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._assignment_base import AgentTaskModel
from ._validate import Sense, as_array, as_sense
from .base import CheckReport, cached_program, register_kind
from .program import Program, ProgramBuilder

__all__ = ["GeneralizedAssignment"]


@register_kind
class GeneralizedAssignment(AgentTaskModel):
    """Tasks to capacitated agents (see the module docstring).

    Parameters
    ----------
    cost : array (n_agents, n_tasks)
        Cost (profit with ``sense="max"``) of agent ``i`` doing task ``j``; finite.
    weight : array (n_agents, n_tasks)
        Capacity agent ``i`` uses for task ``j``; finite, non-negative.
    capacity : array (n_agents,)
        Finite, non-negative.
    sense : "min" or "max"
    unassigned_penalty : float or array (n_tasks,), optional
        If given, a task may stay unassigned at this (non-negative) penalty.
    agent_ids, task_ids : sequences of names, optional
    """

    kind = "generalized_assignment"
    tags = frozenset({"GAP", "ASSIGNMENT"})

    def __init__(
        self,
        cost: Any,
        weight: Any,
        capacity: Any,
        *,
        sense: Sense | str = "min",
        unassigned_penalty: float | Any | None = None,
        agent_ids: Sequence[object] | None = None,
        task_ids: Sequence[object] | None = None,
        name: str = "generalized_assignment",
    ) -> None:
        m, n = self._set_cost(cost)
        shape_text = f"(n_agents, n_tasks) = {(m, n)}"
        self.weight = as_array(weight, "weight", shape=(m, n), shape_text=shape_text, nonnegative=True)
        self.capacity = as_array(capacity, "capacity", shape=(m,), shape_text=f"(n_agents,) = ({m},)",
                                 nonnegative=True)
        self.sense = as_sense(sense)
        self._set_unassigned_penalty(unassigned_penalty)
        self._set_ids(agent_ids, task_ids)
        self.name = name

    @cached_program
    def to_program(self) -> Program:
        m, n = self.cost.shape
        b = ProgramBuilder(self.sense, name=self.name)
        # A pair whose weight exceeds the capacity can never be used: bound it to 0 up front.
        fits = (self.weight <= self.capacity[:, None]).astype(float)
        x = b.add_block("x", (m, n), lo=0.0, hi=fits, integer=True, cost=self.cost)
        if self.unassigned_penalty is None:
            b.add_rows(x.T, 1.0, lo=1.0, hi=1.0, name="task")
        else:
            sign = 1.0 if self.sense == "min" else -1.0
            u = b.add_block("u", (n,), lo=0.0, hi=1.0, integer=True, cost=sign * self.unassigned_penalty)
            b.add_rows(np.hstack([x.T, u[:, None]]), 1.0, lo=1.0, hi=1.0, name="task")
        b.add_rows(x, self.weight, hi=self.capacity, name="capacity")
        return b.build()

    def loads(self, assignment: np.ndarray) -> np.ndarray:
        """Capacity used by each agent under ``assignment``."""
        done = np.flatnonzero(assignment >= 0)
        return np.bincount(assignment[done], weights=self.weight[assignment[done], done], minlength=self.n_agents)

    def check(self, answer: Any, tol: float = 1e-6) -> CheckReport:
        vec, objective, problems = self._cost_with_penalty(answer)
        if vec is None:
            return CheckReport(False, objective, tuple(problems))
        load = self.loads(vec)
        over = np.flatnonzero(load > self.capacity + tol * np.maximum(1.0, self.capacity))
        for i in over[:5]:
            problems.append(f"agent {self.agent_ids[i]!r} (index {i}) load {load[i]:g} exceeds capacity "
                            f"{self.capacity[i]:g}")
        return CheckReport(not problems, objective, tuple(problems), {"load": load})

    def to_data(self) -> dict[str, Any]:
        return self._data(weight=self.weight, capacity=self.capacity)

    def size_summary(self) -> dict[str, int]:
        return {"agents": self.n_agents, "tasks": self.n_tasks, "variables": self.n_agents * self.n_tasks}
