"""Backends ``ga`` and ``pso``: the heuristics as methods of :func:`~allotment.solvers.solve`.

Both take every model that has a task -> agent encoding (:mod:`.adapters`), are not exact
(``optimal`` only when the answer meets the LP bound) and are never picked by
``method="auto"`` directly; the auto fallback (:mod:`allotment.solvers.fallback`) runs the GA
when an exact method is too slow. Options are those of :data:`~.ga.GA_DEFAULTS` and
:data:`~.pso.PSO_DEFAULTS`, ``warm_start`` included.

>>> from allotment.models import GeneralizedAssignment
>>> from allotment.solvers import solve
>>> gap = GeneralizedAssignment(cost=[[1, 5, 3], [4, 2, 1]], weight=[[3, 3, 2], [3, 3, 2]], capacity=[5, 5])
>>> r = solve(gap, method="ga", seed=0, time_limit=5)
>>> r.method, r.objective, r.bound
('ga', 4.0, 4.0)
"""
from __future__ import annotations

from typing import Any, ClassVar

from allotment.models import Model

from ..backend import Backend, SolveOptions, register_backend
from ..result import Result
from .adapters import has_adapter

__all__ = ["GABackend", "PSOBackend"]


class _HeuristicBackend(Backend):
    accepts_classes = frozenset()
    required_modules = ("numpy", "scipy", "highspy")
    auto_priority = None
    exact = False
    solves = "models with a task -> agent encoding (LAP, GAP, MRGAP, coalition, guidance)"
    algorithm: ClassVar[Any] = None

    def accepts(self, model: Model) -> bool:
        return has_adapter(model)

    def solve(self, model: Model, opts: SolveOptions) -> Result:
        run = type(self).algorithm
        return run(model, time_limit=opts.time_limit, seed=opts.seed, **(opts.options or {}))


@register_backend
class GABackend(_HeuristicBackend):
    """Chu-Beasley style steady-state GA with shift/swap repair (see :mod:`.ga`)."""

    name = "ga"
    description = "genetic algorithm for assignment encodings (heuristic, LP bound)"

    @staticmethod
    def algorithm(model: Model, **kw: Any) -> Result:
        from .ga import genetic_algorithm

        return genetic_algorithm(model, **kw)


@register_backend
class PSOBackend(_HeuristicBackend):
    """Random-key particle swarm with the same repair (see :mod:`.pso`)."""

    name = "pso"
    description = "random-key particle swarm for assignment encodings (heuristic, LP bound)"

    @staticmethod
    def algorithm(model: Model, **kw: Any) -> Result:
        from .pso import particle_swarm

        return particle_swarm(model, **kw)
