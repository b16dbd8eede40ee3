"""Pyomo backend: a Program as a Pyomo ``ConcreteModel``, solved by Pyomo's new solver interface.

Two uses: users who want to extend a compiled model with Pyomo constraints of their own
(:func:`program_to_pyomo` gives them the ``ConcreteModel``), and access to any solver
Pyomo drives (``options={"solver": "scip_direct"}``; default ``"highs"``).

It uses the new-style ``pyomo.contrib.solver`` interface: the legacy
``SolverFactory('appsi_highs')`` wrapper was measured to drop the time limit silently.
Building through Pyomo is far slower than passing arrays (one Python object per term);
this backend is for flexibility, not speed, and ``auto`` never picks it.

>>> from allotment.models import LinearAssignment
>>> from allotment.solvers import solve
>>> solve(LinearAssignment([[4, 1], [2, 3]]), method="pyomo").objective
3.0
"""
from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from allotment.models import Model, OptionError, Program

from .backend import Backend, SolveOptions, register_backend
from .result import Result, Status

__all__ = ["PyomoBackend", "program_to_pyomo"]


def program_to_pyomo(program: Program) -> Any:
    """A Pyomo ``ConcreteModel`` with variables ``x[j]``, rows ``rows[r]`` and objective ``obj``."""
    import pyomo.environ as pyo

    m = pyo.ConcreteModel(name=program.name)
    n = program.n_cols
    lo = [None if not math.isfinite(v) else float(v) for v in program.col_lo]
    hi = [None if not math.isfinite(v) else float(v) for v in program.col_hi]
    integer = program.integrality.tolist()
    m.x = pyo.Var(range(n), bounds=lambda _m, j: (lo[j], hi[j]),
                  domain=lambda _m, j: pyo.Integers if integer[j] else pyo.Reals)
    A = program.A
    indptr, indices, data = A.indptr, A.indices.tolist(), A.data.tolist()
    row_lo = [None if not math.isfinite(v) else float(v) for v in program.row_lo]
    row_hi = [None if not math.isfinite(v) else float(v) for v in program.row_hi]

    def row_rule(_m: Any, r: int) -> Any:
        s, e = indptr[r], indptr[r + 1]
        if s == e:
            return pyo.Constraint.Skip
        expr = pyo.quicksum((data[k] * m.x[indices[k]] for k in range(s, e)))
        return (row_lo[r], expr, row_hi[r])

    m.rows = pyo.Constraint(range(program.n_rows), rule=row_rule)
    nz = np.flatnonzero(program.c)
    obj = pyo.quicksum((float(program.c[j]) * m.x[int(j)] for j in nz)) + float(program.c0)
    if program.Q is not None and program.Q.nnz:
        Q = program.Q.tocoo()
        obj = obj + 0.5 * pyo.quicksum(float(v) * m.x[int(i)] * m.x[int(j)] for i, j, v in zip(Q.row, Q.col, Q.data))
    m.obj = pyo.Objective(expr=obj, sense=pyo.maximize if program.sense == "max" else pyo.minimize)
    return m


def _status(term: Any, has_solution: bool) -> Status:
    name = term.name
    if name == "convergenceCriteriaSatisfied":
        return Status.OPTIMAL if has_solution else Status.ERROR
    if name == "provenInfeasible" or name == "locallyInfeasible":
        return Status.INFEASIBLE
    if name == "unbounded":
        return Status.UNBOUNDED
    if name in ("maxTimeLimit", "iterationLimit", "interrupted", "objectiveLimit"):
        return Status.FEASIBLE if has_solution else Status.TIME_LIMIT
    return Status.ERROR


@register_backend
class PyomoBackend(Backend):
    """The Program through Pyomo (new solver interface) and a Pyomo-driven solver."""

    name = "pyomo"
    accepts_classes = frozenset({"LP", "MILP", "QP", "MIQP"})
    required_modules = ("pyomo",)
    auto_priority = None
    description = "Pyomo ConcreteModel + pyomo.contrib.solver (default HiGHS; options solver=...)"

    def solve(self, model: Model, opts: SolveOptions) -> Result:
        import pyomo.environ  # noqa: F401  (loads the plugins that register the new-style solvers)
        from pyomo.contrib.solver.common.factory import SolverFactory

        started = time.perf_counter()
        program = model.program_for(self.accepts_classes)
        solver_name = opts.opt("solver", "highs")
        try:
            solver = SolverFactory(solver_name)
        except Exception as exc:  # noqa: BLE001 - Pyomo raises several kinds here
            raise OptionError(f"Pyomo has no new-style solver {solver_name!r}: {exc}") from None
        if solver is None or not solver.available():
            raise OptionError(f"Pyomo solver {solver_name!r} is not available here")
        pm = program_to_pyomo(program)
        solver_options: dict[str, Any] = {}
        if solver_name == "highs":
            solver_options["mip_rel_gap"] = 1e-9
            if program.is_mip and program.has_integral_objective:
                solver_options["mip_abs_gap"] = 1 - 1e-6
        solver_options.update(opts.opt("solver_options", {}) or {})
        remaining = None
        if opts.time_limit is not None:
            remaining = opts.time_limit - (time.perf_counter() - started)
            if remaining <= 0:
                return Result(Status.TIME_LIMIT, runtime=time.perf_counter() - started, method=self.name,
                              message="time limit reached while building the Pyomo model", sense=program.sense)
        res = solver.solve(pm, time_limit=remaining, tee=bool(opts.verbose), load_solutions=False,
                           raise_exception_on_nonoptimal_result=False, solver_options=solver_options)
        has_solution = res.solution_status.name in ("feasible", "optimal")
        status = _status(res.termination_condition, has_solution)
        x = None
        if has_solution:
            values = res.solution_loader.get_vars()
            x = np.array([values[pm.x[j]] for j in range(program.n_cols)], dtype=float)
        objective = float(res.incumbent_objective) if has_solution and res.incumbent_objective is not None else None
        bound = res.objective_bound
        bound = float(bound) if bound is not None and math.isfinite(bound) else None
        if status is Status.OPTIMAL and program.is_mip and objective is not None and program.has_integral_objective:
            objective = float(round(objective))
        return Result(status, objective=objective, bound=bound, runtime=time.perf_counter() - started,
                      method=self.name, message=f"Pyomo {solver_name}: {res.termination_condition.name}", x=x,
                      sense=program.sense)
