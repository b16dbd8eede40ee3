"""OR-Tools CP-SAT backend: integer programs with exactly scaled rational data.

CP-SAT takes integer variables and integer coefficients only. Each row and the objective
are scaled by their own smallest power of ten (up to 10^9) that makes every coefficient
and bound a whole number; scaling a row does not change its solutions, so the optimum is
exact. Data that no such power makes integral (a continuous variable, 1/3, pi ...) are
refused with a message that says where, never rounded silently.

A model whose Program CP-SAT cannot take (a MIQP, say) may register a formulation of its
own with :func:`register_cpsat_formulation`; the backend then builds that instead.

>>> from allotment.models import GeneralizedAssignment
>>> from allotment.solvers import solve
>>> gap = GeneralizedAssignment(cost=[[1.5, 5], [4, 2.25]], weight=[[3, 3], [3, 3]], capacity=[3, 3])
>>> solve(gap, method="cpsat").objective
3.75
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from allotment.models import Model, OptionError, Program

from .backend import Backend, SolveOptions, register_backend
from .result import Result, Status

__all__ = ["CpsatBackend", "CpsatProgram", "build_cpsat", "run_cpsat", "integer_scale_powers",
           "CpsatFormulation", "register_cpsat_formulation", "formulation_for"]

MAX_POWER = 9
_LIMIT = 2**53  # largest magnitude kept exactly after scaling


def integer_scale_powers(values: np.ndarray, max_power: int = MAX_POWER) -> np.ndarray:
    """Per value, the smallest k in 0..max_power with ``value * 10**k`` whole; -1 if none.

    >>> integer_scale_powers(np.array([3.0, 0.25, 1 / 3])).tolist()
    [0, 2, -1]
    """
    values = np.asarray(values, dtype=float)
    power = np.full(values.shape, -1, dtype=np.int64)
    for k in range(max_power + 1):
        scaled = values * 10.0**k
        # Whole up to float noise relative to the integer it rounds to (never rounds a tiny value to 0).
        near = np.round(scaled)
        whole = (np.abs(scaled - near) <= 1e-12 * np.maximum(np.abs(near), 1.0)) & (power < 0)
        power[whole] = k
    return power


@dataclass
class CpsatProgram:
    """A CP-SAT model built from a Program, with what is needed to read the answer back."""

    model: Any
    variables: list[Any]
    objective_scale: float
    program: Program
    #: model-specific builds whose variables are not the Program's: values -> the typed answer
    decode: Callable[[np.ndarray], Any] | None = None


def _refuse(msg: str) -> None:
    raise OptionError(f"cpsat cannot take this program exactly: {msg}")


def _row_powers(program: Program) -> np.ndarray:
    A = program.A
    entry_pow = integer_scale_powers(A.data)
    if (entry_pow < 0).any():
        k = int(np.flatnonzero(entry_pow < 0)[0])
        row = int(np.searchsorted(A.indptr, k, side="right") - 1)
        _refuse(f"row {row} has coefficient {A.data[k]!r}, not a decimal with at most {MAX_POWER} places")
    rows = np.zeros(program.n_rows, dtype=np.int64)
    nonempty = np.diff(A.indptr) > 0
    if A.nnz:
        rows[nonempty] = np.maximum.reduceat(entry_pow, A.indptr[:-1][nonempty])
    for name in ("row_lo", "row_hi"):
        bound = getattr(program, name)
        finite = np.isfinite(bound)
        bp = np.zeros(program.n_rows, dtype=np.int64)
        bp[finite] = integer_scale_powers(bound[finite])
        if (bp < 0).any():
            r = int(np.flatnonzero(bp < 0)[0])
            _refuse(f"`{name}[{r}]` = {bound[r]!r} is not a decimal with at most {MAX_POWER} places")
        rows = np.maximum(rows, bp)
    return rows


def build_cpsat(program: Program) -> CpsatProgram:
    """Translate ``program`` into a ``CpModel`` (all columns must be integer)."""
    from ortools.sat.python import cp_model

    if program.Q is not None and program.Q.nnz:
        _refuse("it has a quadratic objective; use a model-specific CP-SAT formulation")
    if not program.integrality.all():
        j = int(np.flatnonzero(~program.integrality)[0])
        _refuse(f"column {j} is continuous; CP-SAT needs every variable integer")
    lo, hi = np.ceil(program.col_lo - 1e-9), np.floor(program.col_hi + 1e-9)
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        j = int(np.flatnonzero(~(np.isfinite(lo) & np.isfinite(hi)))[0])
        _refuse(f"column {j} has an infinite bound; CP-SAT needs finite domains")
    row_pow = _row_powers(program)
    obj_pow = integer_scale_powers(np.append(program.c, program.c0))
    if (obj_pow < 0).any():
        j = int(np.flatnonzero(obj_pow < 0)[0])
        _refuse(f"objective coefficient {j} = {np.append(program.c, program.c0)[j]!r} is not a short decimal")
    obj_scale = 10.0 ** int(obj_pow.max(initial=0))

    model = cp_model.CpModel()
    variables = [model.new_int_var(int(a), int(b), f"x{j}") for j, (a, b) in enumerate(zip(lo, hi))]
    A = program.A
    row_scale = 10.0**row_pow
    scaled = np.round(A.data * np.repeat(row_scale, np.diff(A.indptr))).astype(np.int64)
    if np.abs(A.data * np.repeat(row_scale, np.diff(A.indptr))).max(initial=0) > _LIMIT:
        _refuse("a scaled coefficient exceeds 2**53")
    # Integer arrays from the start: INT_MAX as a float rounds up to 2**63, which CP-SAT rejects.
    row_lo = np.full(program.n_rows, cp_model.INT_MIN, dtype=np.int64)
    row_hi = np.full(program.n_rows, cp_model.INT_MAX, dtype=np.int64)
    fin_lo, fin_hi = np.isfinite(program.row_lo), np.isfinite(program.row_hi)
    row_lo[fin_lo] = np.ceil(program.row_lo[fin_lo] * row_scale[fin_lo] - 1e-9)
    row_hi[fin_hi] = np.floor(program.row_hi[fin_hi] * row_scale[fin_hi] + 1e-9)
    indptr, indices = A.indptr, A.indices
    weighted_sum = cp_model.LinearExpr.weighted_sum
    for r in range(program.n_rows):
        s, e = indptr[r], indptr[r + 1]
        expr = weighted_sum([variables[j] for j in indices[s:e]], scaled[s:e].tolist())
        model.add_linear_constraint(expr, int(row_lo[r]), int(row_hi[r]))
    c = np.round(program.c * obj_scale).astype(np.int64)
    nz = np.flatnonzero(c)
    objective = weighted_sum([variables[j] for j in nz], c[nz].tolist()) + int(round(program.c0 * obj_scale))
    if program.sense == "max":
        model.maximize(objective)
    else:
        model.minimize(objective)
    return CpsatProgram(model, variables, obj_scale, program)


_STATUS = {
    "OPTIMAL": Status.OPTIMAL,
    "FEASIBLE": Status.FEASIBLE,
    "INFEASIBLE": Status.INFEASIBLE,
    "MODEL_INVALID": Status.ERROR,
    "UNKNOWN": Status.TIME_LIMIT,
}


def run_cpsat(built: CpsatProgram, opts: SolveOptions, started: float, method: str = "cpsat") -> Result:
    """Solve a built CP-SAT model under ``opts`` (time limit, seed, workers, hints)."""
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    params = solver.parameters
    params.num_workers = int(opts.opt("num_workers", min(8, os.cpu_count() or 1)))
    params.log_search_progress = bool(opts.verbose)
    if opts.time_limit is not None:
        remaining = opts.time_limit - (time.perf_counter() - started)
        if remaining <= 0:
            return Result(Status.TIME_LIMIT, runtime=time.perf_counter() - started, method=method,
                          message="time limit reached while building the CP-SAT model", sense=built.program.sense)
        params.max_time_in_seconds = float(remaining)
    if opts.seed is not None:
        params.random_seed = int(opts.seed)
    warm = opts.opt("warm_start")
    if warm is not None:
        built.model.clear_hints()  # a variable hinted twice makes the model invalid
        for var, val in zip(built.variables, np.round(np.asarray(warm, dtype=float)).astype(np.int64).tolist()):
            built.model.add_hint(var, val)
    code = solver.solve(built.model)
    name = solver.status_name(code)
    status = _STATUS.get(name, Status.ERROR)
    if name == "UNKNOWN" and opts.time_limit is None:
        status = Status.ERROR
    x = objective = bound = None
    if status in (Status.OPTIMAL, Status.FEASIBLE):
        x = np.array([solver.value(v) for v in built.variables], dtype=float)
        objective = solver.objective_value / built.objective_scale
        bound = solver.best_objective_bound / built.objective_scale
    message = f"CP-SAT: {name}"
    if name == "MODEL_INVALID":
        message += f" ({built.model.validate()})"
    result = Result(status, objective=objective, bound=bound, gap=0.0 if status is Status.OPTIMAL else None,
                    runtime=time.perf_counter() - started, method=method, message=message, x=x,
                    sense=built.program.sense)
    result.info.update(branches=int(solver.num_branches), conflicts=int(solver.num_conflicts))
    return result


@dataclass(frozen=True)
class CpsatFormulation:
    """A model-specific CP-SAT formulation (for models whose Program CP-SAT cannot take).

    ``build(model)`` returns a :class:`CpsatProgram` whose ``variables`` start with the
    model's ``x`` block (what ``model.decode`` reads); ``refusal(model)`` says why it cannot
    take a model (None when it can).
    """

    build: Callable[[Any], CpsatProgram]
    refusal: Callable[[Any], str | None] | None = None

    def refuses(self, model: Model) -> str | None:
        return None if self.refusal is None else self.refusal(model)


#: model class -> its own CP-SAT formulation; the cpsat backend uses it instead of the Program
CPSAT_FORMULATIONS: dict[type, CpsatFormulation] = {}


def register_cpsat_formulation(model_cls: type, build: Callable[[Any], CpsatProgram],
                               refusal: Callable[[Any], str | None] | None = None) -> None:
    """Make ``method="cpsat"`` solve ``model_cls`` (and subclasses) with ``build``."""
    CPSAT_FORMULATIONS[model_cls] = CpsatFormulation(build, refusal)


def formulation_for(model: Model) -> CpsatFormulation | None:
    """The model-specific formulation registered for ``model``'s class, if any."""
    for cls in type(model).__mro__:
        if cls in CPSAT_FORMULATIONS:
            return CPSAT_FORMULATIONS[cls]
    return None


@register_backend
class CpsatBackend(Backend):
    """CP-SAT on the compiled Program (integer programs; exact decimal scaling)."""

    name = "cpsat"
    accepts_classes = frozenset({"MILP"})
    required_modules = ("ortools",)
    auto_priority = 20
    description = "OR-Tools CP-SAT: integer programs with decimal data scaled exactly"

    def accepts(self, model: Model) -> bool:
        return formulation_for(model) is not None or super().accepts(model)

    def refusal(self, model: Model) -> str | None:
        own = formulation_for(model)
        if own is not None:
            return own.refuses(model)
        program = model.program_for(self.accepts_classes)
        if not program.integrality.all():
            return "it has continuous variables; CP-SAT needs every variable integer"
        return None

    def solve(self, model: Model, opts: SolveOptions) -> Result:
        started = time.perf_counter()
        own = formulation_for(model)
        if own is not None:
            why = own.refuses(model)
            if why is not None:
                _refuse(why)
            built = own.build(model)
        else:
            built = build_cpsat(model.program_for(self.accepts_classes))
        result = run_cpsat(built, opts, started, self.name)
        if built.decode is not None and result.x is not None:
            result.answer, result.x = built.decode(result.x), None
        return result
