"""Backends and their registry.

A backend is a small class that says what it accepts and translates: a model (usually
through its :class:`~allotment.models.Program`) into one library's terms and the
library's answer back into a :class:`~allotment.solvers.Result`. It imports its library
only when it runs, so listing backends costs nothing.

>>> from allotment.solvers.backend import available_methods
>>> "highs" in available_methods()
True
"""
from __future__ import annotations

import importlib.util
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

from allotment.models import Model
from allotment.models.errors import SolverUnavailableError

from .result import Result

__all__ = ["Backend", "SolveOptions", "register_backend", "get_backend", "BACKENDS", "available_methods"]


@dataclass(frozen=True)
class SolveOptions:
    """What every method honours: wall-clock limit, seed, verbosity, method options."""

    time_limit: float | None = None
    seed: int | None = None
    verbose: bool = False
    options: dict[str, Any] | None = None

    def opt(self, key: str, default: Any = None) -> Any:
        return (self.options or {}).get(key, default)


class Backend(ABC):
    """Base class of every method (see the module docstring)."""

    #: name users pass as ``method=``
    name: ClassVar[str] = ""
    #: problem classes (``LP``, ``MILP``, ``QP``, ``MIQP``) or model tags (``LAP``, ``DCOP``) it takes
    accepts_classes: ClassVar[frozenset[str]] = frozenset()
    #: modules that must be importable for it to run
    required_modules: ClassVar[tuple[str, ...]] = ()
    #: lower is tried first by ``method="auto"``; ``None`` = never picked by auto
    auto_priority: ClassVar[int | None] = None
    #: True when a returned ``optimal`` is a proof (exact method)
    exact: ClassVar[bool] = True
    description: ClassVar[str] = ""
    #: what it solves, for ``allot methods``, when ``accepts`` is not a fixed set of classes
    solves: ClassVar[str] = ""

    @classmethod
    def is_available(cls) -> bool:
        return _modules_present(cls.required_modules)

    def accepts(self, model: Model) -> bool:
        """True when this backend can solve ``model`` (by class or tag)."""
        if self.accepts_classes & set(getattr(model, "tags", ())):
            return True
        return any(pc in self.accepts_classes for pc in model.program_classes())

    def refusal(self, model: Model) -> str | None:
        """Why this backend cannot take ``model`` (None when it can); data-level checks."""
        return None

    @abstractmethod
    def solve(self, model: Model, opts: SolveOptions) -> Result:
        """Solve ``model``; return a Result with ``x`` (Program layout) or ``answer`` set."""


@cache
def _modules_present(modules: tuple[str, ...]) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in modules)


#: name -> backend instance
BACKENDS: dict[str, Backend] = {}


def register_backend(cls: type[Backend]) -> type[Backend]:
    """Class decorator adding a backend to the registry under ``cls.name``."""
    if not cls.name:
        raise ValueError("a backend needs a name")
    BACKENDS[cls.name] = cls()
    return cls


def get_backend(name: str) -> Backend:
    _load_builtin_backends()
    if name not in BACKENDS:
        raise SolverUnavailableError(f"unknown method {name!r}; known methods: {sorted(BACKENDS)}")
    return BACKENDS[name]


def available_methods() -> dict[str, Backend]:
    """Installed backends by name."""
    _load_builtin_backends()
    return {name: b for name, b in sorted(BACKENDS.items()) if b.is_available()}


# Modules whose import registers built-in backends (they import their libraries lazily).
_BUILTIN_MODULES = [
    "allotment.solvers.highs",
    "allotment.solvers.cpsat",
    "allotment.solvers.lsa",
    "allotment.solvers.pyomo_backend",
    "allotment.solvers.dcop.backends",
    "allotment.solvers.scheduling",
    "allotment.solvers.shares",
    "allotment.solvers.cvxpy_backend",
    "allotment.solvers.scip", "allotment.solvers.guidance_cpsat",
    "allotment.solvers.heuristics.backends",
    "allotment.solvers.allocators",
    "allotment.solvers.baselines", "allotment.solvers.scheduling_bounds",
    "allotment.solvers.guidance_colgen",
]


_loaded: set[str] = set()


def _load_builtin_backends() -> None:
    for module in list(_BUILTIN_MODULES):
        if module not in _loaded:
            _loaded.add(module)
            if importlib.util.find_spec(module) is not None:
                importlib.import_module(module)
