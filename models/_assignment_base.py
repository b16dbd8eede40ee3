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
from .answers import Assignment, assignment_from_matrix
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

    def objective(self, answer: Assignment | np.ndarray) -> float:
        """The objective of ``answer`` as :meth:`check` recomputes it."""
        return self.check(answer).objective
