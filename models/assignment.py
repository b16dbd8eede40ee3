"""Linear assignment: a one-to-one matching of agents to tasks of least (or most) total cost.

    minimize (or maximize)  sum_ij cost[i, j] x[i, j]
    subject to              sum_j x[i, j] = 1   for every agent   (if n_agents <= n_tasks, else <= 1)
                            sum_i x[i, j] = 1   for every task    (if n_tasks <= n_agents, else <= 1)
                            x[i, j] = 0         where allowed[i, j] is False
                            x binary

A rectangular problem matches ``min(n_agents, n_tasks)`` pairs, as
``scipy.optimize.linear_sum_assignment`` does.

References: H. W. Kuhn, "The Hungarian method for the assignment problem", Naval Research
Logistics Quarterly 2 (1955); D. F. Crouse, "On implementing 2D rectangular assignment
algorithms", IEEE Trans. Aerospace and Electronic Systems 52 (2016).

>>> from allotment.models import LinearAssignment
>>> lap = LinearAssignment([[4, 1, 3], [2, 0, 5], [3, 2, 2]])
>>> lap.check([1, 0, 2]).objective
5.0
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._assignment_base import AgentTaskModel
from ._validate import Sense, as_array, as_sense
from .answers import as_assignment_vector
from .base import CheckReport, cached_program, register_kind
from .program import Program, ProgramBuilder

__all__ = ["LinearAssignment"]


@register_kind
class LinearAssignment(AgentTaskModel):
    """One-to-one assignment of agents to tasks (see the module docstring).

    Parameters
    ----------
    cost : array (n_agents, n_tasks)
        Cost (or, with ``sense="max"``, profit) of agent ``i`` doing task ``j``; finite.
    sense : "min" or "max"
    allowed : bool array (n_agents, n_tasks), optional
        ``False`` forbids a pair. Default: every pair allowed.
    agent_ids, task_ids : sequences of names, optional
    copy : bool, default True
        ``False`` keeps a read-only view of a float64 ``cost`` instead of a private copy,
        saving the copy's time and memory on large matrices (128 MB at n = 4000); the caller
        must then not change the array while the model is in use.
    """

    kind = "linear_assignment"
    tags = frozenset({"LAP"})

    def __init__(
        self,
        cost: Any,
        *,
        sense: Sense | str = "min",
        allowed: Any | None = None,
        agent_ids: Sequence[object] | None = None,
        task_ids: Sequence[object] | None = None,
        name: str = "linear_assignment",
        copy: bool = True,
    ) -> None:
        m, n = self._set_cost(cost, copy=copy)
        self.sense = as_sense(sense)
        self.allowed = None if allowed is None else as_array(allowed, "allowed", shape=(m, n), dtype=bool,
                                                             shape_text=f"(n_agents, n_tasks) = {(m, n)}")
        self._set_ids(agent_ids, task_ids)
        self.name = name

    @property
    def is_dense(self) -> bool:
        """True when every pair is allowed."""
        return self.allowed is None or bool(self.allowed.all())

    @cached_program
    def to_program(self) -> Program:
        m, n = self.cost.shape
        b = ProgramBuilder(self.sense, name=self.name)
        hi = 1.0 if self.allowed is None else self.allowed.astype(float)
        x = b.add_block("x", (m, n), lo=0.0, hi=hi, integer=True, cost=self.cost)
        # The smaller side is matched completely, the larger side at most once.
        agent_lo = 1.0 if m <= n else 0.0
        task_lo = 1.0 if n <= m else 0.0
        b.add_rows(x, 1.0, lo=agent_lo, hi=1.0, name="agent")
        b.add_rows(x.T, 1.0, lo=task_lo, hi=1.0, name="task")
        return b.build()

    def check(self, answer: Any, tol: float = 1e-6) -> CheckReport:
        m, n = self.cost.shape
        vec, problems = as_assignment_vector(answer, m, n)
        if vec is None:
            return CheckReport(False, float("nan"), tuple(problems))
        done = np.flatnonzero(vec >= 0)
        agents = vec[done]
        objective = float(self.cost[agents, done].sum())
        counts = np.bincount(agents, minlength=m)
        for i in np.flatnonzero(counts > 1)[:5]:
            problems.append(f"agent {self.agent_ids[i]!r} (index {i}) has {counts[i]} tasks; at most 1 allowed")
        need = min(m, n)
        if done.size != need:
            problems.append(f"{done.size} pairs matched; a full matching has {need}")
        if self.allowed is not None:
            bad = ~self.allowed[agents, done]
            for j in done[bad][:5]:
                problems.append(f"task {self.task_ids[j]!r} (index {j}) given to forbidden agent index {vec[j]}")
        return CheckReport(not problems, objective, tuple(problems))

    def to_data(self) -> dict[str, Any]:
        return self._data(allowed=self.allowed)

    def size_summary(self) -> dict[str, int]:
        pairs = self.n_agents * self.n_tasks if self.allowed is None else int(self.allowed.sum())
        return {"agents": self.n_agents, "tasks": self.n_tasks, "allowed_pairs": pairs}
