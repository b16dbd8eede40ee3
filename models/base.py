"""What every model is: validated data that compiles to a Program and checks answers.

A model never imports a solver. It knows

- its formulation: :meth:`Model.to_program` (or a specialised backend reads its arrays);
- its answer type: :meth:`Model.decode` turns a solver's vector into a typed answer;
- how to judge any answer independently: :meth:`Model.check` recomputes feasibility and
  the objective from the model's own data, whoever produced the answer;
- its instance-file form: :meth:`Model.to_data` / :meth:`Model.from_data`, registered
  under its ``kind`` so that :func:`allotment.models.load` can read it back.
"""
from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ._validate import Sense
from .program import ProblemClass, Program

__all__ = ["Model", "CheckReport", "MODEL_KINDS", "register_kind", "cached_program"]

#: JSON ``"problem"`` kind -> model class, filled by :func:`register_kind`.
MODEL_KINDS: dict[str, type["Model"]] = {}


def register_kind(cls: type["Model"]) -> type["Model"]:
    """Class decorator: make ``cls`` loadable from instance files of ``cls.kind``."""
    if cls.kind in MODEL_KINDS and MODEL_KINDS[cls.kind] is not cls:
        raise ValueError(f"model kind {cls.kind!r} registered twice")
    MODEL_KINDS[cls.kind] = cls
    return cls


def cached_program(method: Callable[[Any], Program]) -> Callable[[Any], Program]:
    """Decorator for ``to_program``: models are immutable, so compile once per model."""

    @functools.wraps(method)
    def wrapper(self: Any) -> Program:
        cached = self.__dict__.get("_cached_program")
        if cached is None:
            cached = method(self)
            self.__dict__["_cached_program"] = cached
        return cached

    return wrapper


@dataclass(frozen=True)
class CheckReport:
    """An independent verdict on an answer: feasible or not, and its recomputed objective.

    ``bool(report)`` is ``report.feasible``; ``violations`` says what is wrong and where.
    """

    feasible: bool
    objective: float
    violations: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.feasible

    def raise_if_infeasible(self) -> "CheckReport":
        if not self.feasible:
            raise AssertionError("answer fails the model's check: " + "; ".join(self.violations))
        return self


class Model(ABC):
    """Base class of all allocation models (see the module docstring)."""

    #: the instance-file ``"problem"`` kind
    kind: ClassVar[str] = ""
    #: extra capability tags a specialised backend may look for (e.g. ``"LAP"``)
    tags: ClassVar[frozenset[str]] = frozenset()
    #: method name -> options that method should use on this model unless the caller sets
    #: them (measured solver pathologies of a formulation; data, no solver import)
    solver_defaults: ClassVar[dict[str, dict[str, Any]]] = {}
    sense: Sense
    name: str

    @property
    def problem_class(self) -> ProblemClass | str:
        """``LP``, ``MILP``, ``QP`` or ``MIQP`` (as compiled), or a special class like ``DCOP``."""
        return self.to_program().problem_class

    @abstractmethod
    def to_program(self) -> Program:
        """Compile to the canonical :class:`Program` (vectorised)."""

    def default_start(self, program: Program) -> np.ndarray | None:
        """A cheap feasible vector of ``program`` to start a MIP from, or None (the default).

        Backends use it when the caller gives no ``warm_start``; a model with a good
        constructive heuristic (a list-scheduling rule, say) returns its vector here.
        """
        return None

    def program_classes(self) -> tuple[str, ...]:
        """Problem classes this model can be compiled to, natural form first.

        A model with an exact reformulation (say a MIQP with an exact MILP form) lists
        both, and returns the right one from :meth:`program_for`.
        """
        return (self.problem_class,)

    def program_for(self, accepted: frozenset[str] | set[str]) -> Program:
        """The Program in the first of :meth:`program_classes` that a backend accepts.

        Its first variable block must be the one :meth:`decode` reads, whatever the form.
        """
        program = self.to_program()
        if program.problem_class in accepted:
            return program
        raise ValueError(f"{type(self).__name__} compiles to {program.problem_class}, "
                         f"not to any of {sorted(accepted)}")

    @abstractmethod
    def decode(self, x: np.ndarray) -> Any:
        """Turn a Program solution vector into this model's typed answer."""

    @abstractmethod
    def check(self, answer: Any, tol: float = 1e-6) -> CheckReport:
        """Recompute feasibility and objective of ``answer`` from the model's data."""

    @abstractmethod
    def to_data(self) -> dict[str, Any]:
        """JSON-ready dict (without ``problem``/``version``) that :meth:`from_data` reads."""

    @classmethod
    @abstractmethod
    def from_data(cls, data: dict[str, Any]) -> "Model":
        """Build from a validated instance-file dict (the inverse of :meth:`to_data`)."""

    def size_summary(self) -> dict[str, int]:
        """A few numbers that describe the model's size, for ``allot info``."""
        prog = self.to_program()
        return {"variables": prog.n_cols, "constraints": prog.n_rows, "nonzeros": int(prog.A.nnz)}

    def better(self, a: float, b: float) -> bool:
        """True when objective ``a`` is strictly better than ``b`` under this model's sense."""
        return a < b if self.sense == "min" else a > b
