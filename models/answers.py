"""Typed answers shared by the assignment-style models."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Assignment", "assignment_from_matrix"]


@dataclass(frozen=True, eq=False)
class Assignment:
    """Who does what: ``assignment[j]`` is the agent index of task ``j``, ``-1`` = unassigned.

    >>> a = Assignment(np.array([1, -1, 0]), agent_ids=("a", "b"), task_ids=("t0", "t1", "t2"))
    >>> a.pairs()
    [('b', 't0'), ('a', 't2')]
    """

    assignment: np.ndarray
    agent_ids: tuple[str, ...] = ()
    task_ids: tuple[str, ...] = ()

    def pairs(self) -> list[tuple[str, str]]:
        """``(agent_id, task_id)`` for every assigned task, in task order."""
        return [
            (self.agent_ids[a] if self.agent_ids else str(a), self.task_ids[j] if self.task_ids else str(j))
            for j, a in enumerate(self.assignment.tolist())
            if a >= 0
        ]

    def tasks_of(self, agent: int) -> np.ndarray:
        """Indices of the tasks given to agent index ``agent``."""
        return np.flatnonzero(self.assignment == agent)

    def to_dict(self) -> dict[str, object]:
        return {"assignment": self.assignment.tolist(), "pairs": self.pairs()}


def assignment_from_matrix(x: np.ndarray) -> np.ndarray:
    """``(n_agents, n_tasks)`` 0/1 matrix (solver values) -> ``(n_tasks,)`` agent index or -1."""
    x = np.asarray(x, dtype=float)
    best = np.argmax(x, axis=0)
    taken = x[best, np.arange(x.shape[1])] > 0.5
    return np.where(taken, best, -1).astype(np.int64)


def as_assignment_vector(answer: object, n_agents: int, n_tasks: int) -> tuple[np.ndarray | None, list[str]]:
    """Accept an :class:`Assignment` or a plain vector; return it as int array or the reasons not."""
    vec = answer.assignment if isinstance(answer, Assignment) else answer
    try:
        arr = np.asarray(vec)
    except Exception:  # noqa: BLE001 - any unconvertible object is simply not an answer
        return None, ["answer is not an array"]
    if arr.shape != (n_tasks,):
        return None, [f"assignment must have shape ({n_tasks},); got {arr.shape}"]
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            return None, ["assignment must hold whole agent indices"]
    elif arr.dtype.kind not in "iu":
        return None, [f"assignment must hold integers; got dtype {arr.dtype}"]
    arr = arr.astype(np.int64)
    bad = np.flatnonzero((arr < -1) | (arr >= n_agents))
    if bad.size:
        j = int(bad[0])
        return None, [f"assignment[{j}] = {arr[j]} is not an agent index in [-1, {n_agents})"]
    return arr, []
