"""What the task -> agent models share: a cost matrix, ids, an optional penalty, the answer.

LinearAssignment, GeneralizedAssignment and MultiResourceAssignment all state a cost
``(n_agents, n_tasks)``, compile an ``x`` block of that shape first, and answer with an
:class:`~allotment.models.Assignment`; this base class holds those parts once.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._validate import as_array, as_ids
from .answers import Assignment, as_assignment_vector, assignment_from_matrix
from .base import Model
from .errors import InstanceError
from .program import VariableBlock

__all__ = ["AgentTaskModel"]


class AgentTaskModel(Model):
    """Base of models whose answer is a task -> agent :class:`Assignment` over ``cost``."""

    cost: np.ndarray
    agent_ids: tuple[str, ...]
    task_ids: tuple[str, ...]

    def _set_cost(self, cost: Any, copy: bool = True) -> tuple[int, int]:
        """Validate and store ``cost`` (n_agents, n_tasks), at least one of each; returns the shape."""
        self.cost = as_array(cost, "cost", ndim=2, shape_text="(n_agents, n_tasks)", copy=copy)
        m, n = self.cost.shape
        if m == 0 or n == 0:
            raise InstanceError(f"must have at least one agent and one task; got shape {(m, n)}", field="cost")
        return m, n

    def _set_ids(self, agent_ids: Sequence[object] | None, task_ids: Sequence[object] | None) -> None:
        m, n = self.cost.shape
        self.agent_ids = as_ids(agent_ids, m, "agent_ids", "agent")
        self.task_ids = as_ids(task_ids, n, "task_ids", "task")

    def _set_unassigned_penalty(self, penalty: float | Any | None) -> None:
        """``None`` (every task must be assigned), or a non-negative scalar or (n_tasks,) penalty."""
        n = self.cost.shape[1]
        if penalty is None:
            self.unassigned_penalty = None
            return
        if np.ndim(penalty) == 0:
            penalty = np.broadcast_to(np.asarray(penalty, dtype=float), (n,))
        self.unassigned_penalty = as_array(penalty, "unassigned_penalty", shape=(n,),
                                           shape_text=f"(n_tasks,) = ({n},) or a scalar", nonnegative=True)

    @property
    def n_agents(self) -> int:
        return int(self.cost.shape[0])

    @property
    def n_tasks(self) -> int:
        return int(self.cost.shape[1])

    @property
    def problem_class(self) -> str:
        return "MILP"

    def decode(self, x: np.ndarray) -> Assignment:
        # Every such model compiles its (n_agents, n_tasks) x block first.
        return self.answer(assignment_from_matrix(VariableBlock("x", 0, self.cost.shape).take(x)))

    def answer(self, assignment: np.ndarray) -> Assignment:
        """Wrap an ``(n_tasks,)`` agent-index vector as this model's answer type."""
        return Assignment(np.asarray(assignment, dtype=np.int64), self.agent_ids, self.task_ids)

    def _data(self, **fields: Any) -> dict[str, Any]:
        """The instance-file dict: the shared fields plus ``fields`` (arrays as lists, None left out)."""
        data: dict[str, Any] = {"name": self.name, "sense": self.sense, "cost": self.cost.tolist(),
                                "agent_ids": list(self.agent_ids), "task_ids": list(self.task_ids)}
        fields.setdefault("unassigned_penalty", getattr(self, "unassigned_penalty", None))
        for key, value in fields.items():
            if value is not None:
                data[key] = value.tolist() if isinstance(value, np.ndarray) else value
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "AgentTaskModel":
        """Build from a validated instance-file dict: its keys are the constructor's parameters."""
        return cls(**{key: value for key, value in data.items() if value is not None})

    def objective(self, answer: Assignment | np.ndarray) -> float:
        """The objective of ``answer`` as :meth:`check` recomputes it."""
        return self.check(answer).objective

    def _cost_with_penalty(self, answer: Any) -> tuple[np.ndarray | None, float, list[str]]:
        """``(vector, objective, problems)`` of an answer: the cost of the assigned pairs plus
        (min) or minus (max) the penalty of unassigned tasks; unassigned tasks are a problem
        when the model has no ``unassigned_penalty``. ``vector`` is None if not an answer."""
        m, n = self.cost.shape
        vec, problems = as_assignment_vector(answer, m, n)
        if vec is None:
            return None, float("nan"), problems
        done = np.flatnonzero(vec >= 0)
        objective = float(self.cost[vec[done], done].sum())
        missing = np.flatnonzero(vec < 0)
        penalty = getattr(self, "unassigned_penalty", None)
        if missing.size:
            if penalty is None:
                problems.append(f"{missing.size} task(s) unassigned, e.g. {self.task_ids[missing[0]]!r} "
                                f"(index {missing[0]}); every task must be assigned")
            else:
                pen = float(penalty[missing].sum())
                objective += pen if self.sense == "min" else -pen
        return vec, objective, problems
