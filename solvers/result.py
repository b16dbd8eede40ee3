"""The one result type every method returns.

A :class:`Result` never claims more than was proven:

- ``optimal``: proven optimal (``gap`` says to what tolerance; 0 for exact methods);
- ``feasible``: an incumbent without a proof (time limit, heuristic), with ``bound`` and
  ``gap`` when a bound is known;
- ``time_limit``: the limit came and there is no incumbent;
- ``infeasible``, ``unbounded``: proven;
- ``error``: the method failed; ``message`` says why.

>>> r = Result(Status.FEASIBLE, objective=10.0, bound=9.0, sense="min")
>>> r.ok, r.gap
(True, 0.1)
"""
from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from allotment.models.errors import ModelNotSolvedError

__all__ = ["Status", "Result", "relative_gap"]


class Status(str, enum.Enum):
    """Outcome of a solve (see the module docstring)."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    TIME_LIMIT = "time_limit"
    ERROR = "error"

    def __str__(self) -> str:
        return self.value


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """``|objective - bound| / max(1, |objective|)``, or None if either is unknown."""
    if objective is None or bound is None or not math.isfinite(objective) or not math.isfinite(bound):
        return None
    return abs(objective - bound) / max(1.0, abs(objective))


@dataclass
class Result:
    """Outcome of ``solve``: status, numbers, the raw vector and the decoded answer.

    Attributes
    ----------
    status : Status
    objective : float or None
        Objective of the returned answer in the model's own sense (None without one).
    bound : float or None
        Best proven bound on the optimum (lower for ``min``, upper for ``max``).
    gap : float or None
        Relative gap between objective and bound (computed when not given).
    runtime : float
        Wall-clock seconds spent in the method, compile included.
    method : str
        The method that produced the answer (``auto`` reports its pick here).
    message : str
        Human-readable detail: the tolerance of an optimum, why a method failed.
    x : numpy array or None
        The raw solution vector in the model's Program layout (None for model-level methods).
    answer : Any
        The typed answer (``model.decode(x)``), None without a solution.
    stages : list of (method, seconds, status)
        Every method that ran, when more than one did (fallbacks).
    info : dict
        Method-specific figures (iterations, nodes, messages ...).
    """

    status: Status
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    runtime: float = 0.0
    method: str = ""
    message: str = ""
    x: np.ndarray | None = None
    answer: Any = None
    sense: str = "min"
    stages: list[tuple[str, float, str]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.status = Status(self.status)
        if self.gap is None and self.status in (Status.OPTIMAL, Status.FEASIBLE):
            self.gap = relative_gap(self.objective, self.bound)

    @property
    def ok(self) -> bool:
        """True when there is an answer (optimal or feasible)."""
        return self.status in (Status.OPTIMAL, Status.FEASIBLE)

    def require_answer(self) -> Any:
        """The answer, or a clear error saying why there is none."""
        if self.answer is None:
            raise ModelNotSolvedError(f"no answer: status {self.status.value}" +
                                      (f" ({self.message})" if self.message else ""))
        return self.answer

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form printed by ``allot solve --json`` (see the README)."""
        answer = self.answer
        if answer is not None and hasattr(answer, "to_dict"):
            answer = answer.to_dict()
        elif isinstance(answer, np.ndarray):
            answer = answer.tolist()
        return {
            "status": self.status.value,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "runtime": round(self.runtime, 6),
            "method": self.method,
            "message": self.message,
            "stages": [{"method": m, "seconds": round(s, 6), "status": st} for m, s, st in self.stages],
            "answer": answer,
        }

    def __repr__(self) -> str:
        parts = [f"status={self.status.value}", f"objective={self.objective}", f"method={self.method!r}"]
        if self.bound is not None:
            parts.append(f"bound={self.bound}")
        if self.gap is not None:
            parts.append(f"gap={self.gap:.3g}")
        parts.append(f"runtime={self.runtime:.3f}s")
        return f"Result({', '.join(parts)})"
