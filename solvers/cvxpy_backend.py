"""cvxpy backend: convex programs, from a Program's arrays or from a model's own convex form.

Two routes:

- a model class may register its own convex formulation with
  :func:`register_cvxpy_formulation` (for objectives a Program cannot hold, such as the
  M/M/1 delay ``lambda / (mu g - lambda)`` of :class:`~allotment.models.ShareAllocation`);
- otherwise the model's Program (LP, QP, and MILP/MIQP with a mixed-integer solver) is
  stated in vector form: ``minimize c0 + c'x + 1/2 x'Qx`` over bounds and ``row_lo <= Ax <= row_hi``.

The solver is ``options={"solver": NAME}`` (any of ``cvxpy.installed_solvers()``); the
default is CLARABEL for continuous problems and SCIP for mixed-integer ones (SCIP proves
optima to a zero gap by default). Statuses are not taken on trust: ``optimal_inaccurate``
and solutions found at a limit are ``feasible``, and a solve that stopped without values
reports no answer (cvxpy fills zeros in some of those cases; they are ignored here).

>>> from allotment.models import LinearAssignment
>>> from allotment.solvers import solve
>>> solve(LinearAssignment([[4, 1], [2, 3]]), method="cvxpy").objective
3.0

References: S. Diamond and S. Boyd, "CVXPY: A Python-embedded modeling language for convex
optimization", JMLR 17 (2016).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from allotment.models import Model, OptionError, Program

from .backend import Backend, SolveOptions, register_backend
from .result import Result, Status

__all__ = ["CvxpyBackend", "CvxpyForm", "register_cvxpy_formulation", "program_to_cvxpy", "CVXPY_FORMULATIONS"]


@dataclass
class CvxpyForm:
    """A model's own cvxpy problem: ``decode()`` reads the variables after the solve.

    ``infeasible`` set to a reason means the model knows there is no solution; the backend
    then reports ``infeasible`` with that reason without calling a solver. ``mixed_integer``
    picks the default solver.
    """

    problem: Any
    decode: Callable[[], Any] | None = None
    objective: Callable[[Any], float] | None = None
    infeasible: str | None = None
    mixed_integer: bool = False


#: model class -> build(model) returning a CvxpyForm, or None to use the Program instead
CVXPY_FORMULATIONS: dict[type, Callable[[Any], CvxpyForm | None]] = {}


def register_cvxpy_formulation(model_cls: type, build: Callable[[Any], CvxpyForm | None]) -> None:
    """Make ``method="cvxpy"`` solve ``model_cls`` (and subclasses) with ``build``."""
    CVXPY_FORMULATIONS[model_cls] = build


def _formulation(model: Model) -> Callable[[Any], CvxpyForm | None] | None:
    for cls in type(model).__mro__:
        if cls in CVXPY_FORMULATIONS:
            return CVXPY_FORMULATIONS[cls]
    return None


def program_to_cvxpy(program: Program) -> tuple[Any, Any]:
    """``(problem, x)``: the Program as a cvxpy Problem over one vector variable ``x``."""
    import cvxpy as cp

    n = program.n_cols
    ints = np.flatnonzero(program.integrality)
    x = cp.Variable(n, integer=(ints,)) if ints.size else cp.Variable(n)  # numpy-style index tuple
    cons = []
    for bound, sign in ((program.col_lo, 1), (program.col_hi, -1)):
        fin = np.flatnonzero(np.isfinite(bound))
        if fin.size:
            cons.append(sign * x[fin] >= sign * bound[fin])
    A = program.A
    eq = np.isfinite(program.row_lo) & (program.row_lo == program.row_hi)
    for mask, kind in ((eq, "eq"), (np.isfinite(program.row_lo) & ~eq, "lo"), (np.isfinite(program.row_hi) & ~eq, "hi")):
        rows = np.flatnonzero(mask)
        if not rows.size:
            continue
        sub = A[rows]
        if kind == "eq":
            cons.append(sub @ x == program.row_lo[rows])
        elif kind == "lo":
            cons.append(sub @ x >= program.row_lo[rows])
        else:
            cons.append(sub @ x <= program.row_hi[rows])
    expr = program.c @ x + float(program.c0)
    quad = program.Q is not None and program.Q.nnz > 0
    if program.sense == "max":
        if quad:
            expr = expr - 0.5 * cp.quad_form(x, -program.Q)
        problem = cp.Problem(cp.Maximize(expr), cons)
    else:
        if quad:
            expr = expr + 0.5 * cp.quad_form(x, program.Q)
        problem = cp.Problem(cp.Minimize(expr), cons)
    return problem, x


def _solver_args(solver: str, opts: SolveOptions, left: float | None) -> dict[str, Any]:
    """Time limit, seed and verbosity in the option names of ``solver``."""
    args: dict[str, Any] = {"verbose": bool(opts.verbose)}
    if solver == "SCIP":
        params: dict[str, Any] = {}
        if left is not None:
            params["limits/time"] = float(left)
        if opts.seed is not None:
            params["randomization/randomseedshift"] = int(opts.seed)
        if params:
            args["scip_params"] = params
    elif left is not None:
        key = {"CLARABEL": "time_limit", "HIGHS": "time_limit", "OSQP": "time_limit",
               "SCS": "time_limit_secs"}.get(solver)
        if key is None:
            raise OptionError(f"cvxpy solver {solver!r} takes no time limit through allotment; "
                              "use CLARABEL, SCIP, HIGHS, OSQP or SCS, or drop `time_limit`")
        args[key] = float(left)
    extra = {k: v for k, v in (opts.options or {}).items() if k != "solver"}
    args.update(extra)
    return args


@register_backend
class CvxpyBackend(Backend):
    """cvxpy on a model's convex form or its Program (see the module docstring)."""

    name = "cvxpy"
    accepts_classes = frozenset({"LP", "QP", "MILP", "MIQP", "CONVEX"})
    required_modules = ("cvxpy",)
    auto_priority = 50
    description = "cvxpy: convex models (conic solvers such as CLARABEL), MILP/MIQP through SCIP"

    def accepts(self, model: Model) -> bool:
        return _formulation(model) is not None or super().accepts(model)

    def solve(self, model: Model, opts: SolveOptions) -> Result:
        import cvxpy as cp

        started = time.perf_counter()
        build = _formulation(model)
        form = build(model) if build is not None else None
        program = None
        if form is None:
            program = model.program_for(self.accepts_classes - {"CONVEX"})
            problem, x = program_to_cvxpy(program)
            mixed = program.is_mip
        else:
            if form.infeasible:
                return Result(Status.INFEASIBLE, method=self.name, message=form.infeasible,
                              runtime=time.perf_counter() - started)
            problem, x, mixed = form.problem, None, form.mixed_integer
        installed = cp.installed_solvers()
        solver = str(opts.opt("solver", "SCIP" if mixed else "CLARABEL")).upper()
        if solver not in installed:
            raise OptionError(f"cvxpy solver {solver!r} is not installed; installed: {installed}")
        left = None if opts.time_limit is None else max(opts.time_limit - (time.perf_counter() - started), 0.01)
        try:
            problem.solve(solver=solver, **_solver_args(solver, opts, left))
        except cp.error.SolverError as exc:
            return Result(Status.ERROR, method=self.name, message=f"cvxpy/{solver}: {exc}",
                          runtime=time.perf_counter() - started)
        status = problem.status
        has_values = (x.value if x is not None else problem.value) is not None and status in (
            cp.OPTIMAL, cp.OPTIMAL_INACCURATE, cp.USER_LIMIT)
        message = f"cvxpy/{solver}: {status}"
        if status == cp.OPTIMAL:
            ours = Status.OPTIMAL
        elif status in (cp.OPTIMAL_INACCURATE, cp.USER_LIMIT) and has_values:
            ours = Status.FEASIBLE
            message += " (no proof of optimality)"
        elif status == cp.INFEASIBLE:
            ours = Status.INFEASIBLE
        elif status == cp.UNBOUNDED:
            ours = Status.UNBOUNDED
        elif status == cp.USER_LIMIT:
            ours = Status.TIME_LIMIT
        else:
            ours = Status.ERROR
        result = Result(ours, method=self.name, message=message, runtime=time.perf_counter() - started)
        if ours in (Status.OPTIMAL, Status.FEASIBLE):
            if program is not None:
                vec = np.asarray(x.value, dtype=float)
                vec[program.integrality] = np.round(vec[program.integrality])
                result.x = vec
                result.objective = program.objective_value(vec)
            else:
                result.answer = form.decode() if form.decode is not None else None
                value = float(problem.value)
                result.objective = form.objective(result.answer) if form.objective is not None else value
            if ours is Status.OPTIMAL and not mixed:
                result.bound, result.gap = result.objective, 0.0
                result.message += "; solver tolerance (interior point)"
            elif ours is Status.OPTIMAL:
                result.bound, result.gap = result.objective, 0.0
        return result
