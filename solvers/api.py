"""``solve``: one call from a model to a verified-shape Result, whatever the method.

>>> from allotment.models import GeneralizedAssignment
>>> from allotment.solvers import solve
>>> gap = GeneralizedAssignment(cost=[[1, 5], [4, 2]], weight=[[3, 3], [3, 3]], capacity=[3, 3])
>>> r = solve(gap)
>>> r.status.value, r.objective, r.answer.assignment.tolist()
('optimal', 3.0, [0, 1])
"""
from __future__ import annotations

import logging
import math
import time
from typing import Any

from allotment.models import Model
from allotment.models.errors import InstanceError, OptionError, SolverUnavailableError

from .backend import BACKENDS, Backend, SolveOptions, _load_builtin_backends, get_backend
from .result import Result, Status

__all__ = ["solve", "pick_method", "methods_for"]

log = logging.getLogger("allotment")


def _check_args(model: Any, time_limit: float | None, seed: int | None) -> None:
    if not isinstance(model, Model):
        raise TypeError(f"`model` must be an allotment model; got {type(model).__name__}")
    if time_limit is not None:
        if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) \
                or not math.isfinite(time_limit) or time_limit <= 0:
            raise ValueError(f"`time_limit` must be a positive number of seconds or None; got {time_limit!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError(f"`seed` must be an int or None; got {seed!r}")


def methods_for(model: Model, *, installed_only: bool = True) -> list[Backend]:
    """Backends that accept ``model``, in ``auto`` order (preferred first)."""
    _load_builtin_backends()
    found = [b for b in BACKENDS.values() if b.accepts(model) and (b.is_available() or not installed_only)]
    return sorted(found, key=lambda b: (b.auto_priority is None, b.auto_priority or 0, b.name))


def pick_method(model: Model) -> Backend:
    """The backend ``method="auto"`` uses for ``model``: the preferred installed one that takes it."""
    # Lazily: the first that does not refuse wins, so later candidates' (possibly costly)
    # refusal checks, such as compiling the model, never run.
    for backend in methods_for(model):
        if backend.auto_priority is not None and backend.refusal(model) is None:
            return backend
    raise SolverUnavailableError(
        f"no installed method solves this {type(model).__name__} ({model.problem_class}); "
        f"methods that would: {[b.name for b in methods_for(model, installed_only=False)] or 'none'}")


def _resolve(model: Model, method: str | Backend | None) -> tuple[Backend, bool]:
    if method is None or method == "auto":
        return pick_method(model), True
    backend = method if isinstance(method, Backend) else get_backend(str(method))
    if not backend.is_available():
        raise SolverUnavailableError(
            f"method {backend.name!r} is not installed: it needs {', '.join(backend.required_modules)} "
            f"(pip install 'allotment[dev]' installs every optional backend)")
    if not backend.accepts(model):
        others = [b.name for b in methods_for(model)]
        raise SolverUnavailableError(
            f"method {backend.name!r} does not solve {type(model).__name__} ({model.problem_class}); "
            f"installed methods that do: {others}")
    why = backend.refusal(model)
    if why:
        raise SolverUnavailableError(f"method {backend.name!r} cannot take this model: {why}")
    return backend, False


def _run(backend: Backend, model: Model, opts: SolveOptions) -> Result:
    """``backend.solve`` with a failing library turned into an ``error`` Result."""
    try:
        return backend.solve(model, opts)
    except (InstanceError, OptionError, SolverUnavailableError):
        raise  # the user's to fix: data, options, or a method that cannot take this model
    except MemoryError:
        return Result(Status.ERROR, method=backend.name, message="out of memory")
    except Exception as exc:  # noqa: BLE001 - a failing library is reported as a status, not a traceback
        log.debug("method %s failed", backend.name, exc_info=True)
        return Result(Status.ERROR, method=backend.name, message=f"{type(exc).__name__}: {exc}")


def solve(
    model: Model,
    method: str | Backend | None = "auto",
    *,
    time_limit: float | None = None,
    seed: int | None = None,
    verbose: bool = False,
    options: dict[str, Any] | None = None,
) -> Result:
    """Solve ``model`` with ``method`` and return a :class:`Result` with the decoded answer.

    Parameters
    ----------
    model : an allotment model
    method : a method name (``allot methods`` lists them), a Backend, or ``"auto"``
        (the preferred installed method that accepts the model; ``Result.method`` names it;
        when it runs short, the GA continues: see :mod:`allotment.solvers.fallback`)
    time_limit : wall-clock seconds, or None for no limit
    seed : for randomized methods and solver tie-breaking; same seed, same answer
    verbose : print the solver's own log
    options : method-specific options, passed on and checked by the backend

    Infeasible and time-limited runs are results (``status``), not exceptions; a method
    that cannot run raises :class:`~allotment.models.SolverUnavailableError`.
    """
    _check_args(model, time_limit, seed)
    started = time.perf_counter()
    backend, auto = _resolve(model, method)
    defaults = model.solver_defaults.get(backend.name)
    if defaults:  # the model's measured defaults for this method; the caller's options win
        options = {**defaults, **(options or {})}
    opts = SolveOptions(time_limit=time_limit, seed=seed, verbose=verbose, options=options)
    if auto:
        from .fallback import solve_with_fallback  # exact first, the GA when that runs short

        result = solve_with_fallback(model, backend, opts, _run)
    else:
        result = _run(backend, model, opts)
    if result.answer is None and result.x is not None and result.ok:
        result.answer = model.decode(result.x)
    reason = getattr(model, "infeasibility_reason", None)  # models that can say why they are infeasible
    if result.status is Status.INFEASIBLE and callable(reason) and (why := reason()) and why not in result.message:
        result.message = f"{result.message}; {why}" if result.message else why
    result.method = result.method or backend.name
    result.sense = model.sense
    result.runtime = time.perf_counter() - started
    if auto:
        result.message = f"auto picked {backend.name}" + (f"; {result.message}" if result.message else "")
    if not result.stages:
        result.stages = [(result.method, result.runtime, result.status.value)]
    return result
