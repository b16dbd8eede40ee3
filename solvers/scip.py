"""SCIP backend (pyscipopt): LP, MILP, QP and MIQP from a Program's arrays.

SCIP is a branch-and-cut solver for mixed-integer (non)linear programs; a quadratic
objective is global here, convex or not. SCIP takes only linear objectives, so a program
with ``Q`` gets one extra variable ``z`` and the constraint ``z >= 1/2 x'Qx`` (``<=`` when
maximizing); ``z`` is bounded below by 0 when ``Q`` is positive semidefinite (above by 0
when negative semidefinite), which keeps the first LP relaxation bounded.

Statuses are honest: SCIP's default gap limits are 0, so ``optimal`` is a proof up to
SCIP's numerical tolerances (``Result.gap`` is 0). A user gap (``options={"gap": 0.01}``,
SCIP's ``limits/gap``) ends the search early: the result is then ``optimal`` with the
reached gap in ``Result.gap`` and the message, as for HiGHS. A time limit with an
incumbent is ``feasible`` (bound and gap given), without one ``time_limit``. The objective
is recomputed from the returned vector, so the epigraph tolerance of ``z`` does not leak.

Options: ``gap`` (relative), ``warm_start`` (a full vector tried as the first incumbent),
and any SCIP parameter by its own name (``{"limits/nodes": 1000}``); a name SCIP does not
know is an :class:`~allotment.models.OptionError`.

References: T. Achterberg, "SCIP: solving constraint integer programs", Mathematical
Programming Computation 1(1) (2009) 1-41; S. Bolusani et al., "The SCIP Optimization Suite
9.0", ZIB report 24-02 (2024).

>>> import numpy as np
>>> from allotment.models import ProgramBuilder
>>> from allotment.solvers.scip import solve_program
>>> b = ProgramBuilder("min")
>>> x = b.add_block("x", (2,), integer=True, lo=-3, hi=3, cost=[-2.0, 0.0])
>>> b.add_quadratic(x, x, [2.0, 2.0])          # x0**2 + x1**2
>>> _ = b.add_rows(x[None, :], [[1.0, 1.0]], lo=1)
>>> r = solve_program(b.build())
>>> r.status.value, r.objective, r.x.tolist()
('optimal', -1.0, [1.0, 0.0])
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from allotment.models import Model, OptionError, Program

from .backend import Backend, SolveOptions, register_backend
from .result import Result, Status

__all__ = ["ScipBackend", "ScipProgram", "build_scip", "run_scip", "solve_program", "SCIP_STATUS"]

#: SCIP status -> our status with an incumbent / without one.
SCIP_STATUS: dict[str, tuple[Status, Status]] = {
    "optimal": (Status.OPTIMAL, Status.ERROR),
    "gaplimit": (Status.OPTIMAL, Status.ERROR),
    "infeasible": (Status.INFEASIBLE, Status.INFEASIBLE),
    "unbounded": (Status.UNBOUNDED, Status.UNBOUNDED),
    # Infeasible-or-unbounded proves neither: say so rather than guess.
    "inforunbd": (Status.ERROR, Status.ERROR),
    "timelimit": (Status.FEASIBLE, Status.TIME_LIMIT),
    "nodelimit": (Status.FEASIBLE, Status.TIME_LIMIT),
    "totalnodelimit": (Status.FEASIBLE, Status.TIME_LIMIT),
    "stallnodelimit": (Status.FEASIBLE, Status.TIME_LIMIT),
    "memlimit": (Status.FEASIBLE, Status.ERROR),
    "sollimit": (Status.FEASIBLE, Status.ERROR),
    "bestsollimit": (Status.FEASIBLE, Status.ERROR),
    "restartlimit": (Status.FEASIBLE, Status.ERROR),
    "primallimit": (Status.FEASIBLE, Status.ERROR),
    "duallimit": (Status.FEASIBLE, Status.ERROR),
    "userinterrupt": (Status.FEASIBLE, Status.ERROR),
    "terminate": (Status.FEASIBLE, Status.ERROR),
    "unknown": (Status.FEASIBLE, Status.ERROR),
}

_PSD_CHECK_MAX = 2000  # largest quadratic support whose definiteness is checked densely


@dataclass
class ScipProgram:
    """A ``pyscipopt.Model`` built from a Program, with its variables in Program order."""

    model: Any
    variables: list[Any]
    program: Program
    epigraph: Any = None


def _quadratic_sign(Q: Any) -> int:
    """+1 if ``Q`` is positive semidefinite, -1 if negative semidefinite, 0 if neither or unknown."""
    coo = Q.tocoo()
    support = np.unique(np.concatenate([coo.row, coo.col]))
    if support.size == 0:
        return 1
    if support.size > _PSD_CHECK_MAX:
        return 0
    dense = Q[support][:, support].toarray()
    eig = np.linalg.eigvalsh(0.5 * (dense + dense.T))
    tol = 1e-9 * max(1.0, float(np.abs(eig).max()))
    if eig.min() >= -tol:
        return 1
    if eig.max() <= tol:
        return -1
    return 0


def _set_param(scip: Any, key: str, value: Any) -> None:
    try:
        scip.setParam(key, value)
    except KeyError:
        raise OptionError(f"SCIP has no parameter `{key}`; see the SCIP parameter list") from None
    except (TypeError, ValueError) as exc:
        raise OptionError(f"SCIP refused `{key}` = {value!r}: {exc}") from None


def build_scip(program: Program, opts: SolveOptions) -> ScipProgram:
    """A ``pyscipopt.Model`` holding ``program`` with the options of ``opts`` applied."""
    import pyscipopt
    from pyscipopt.scip import Expr, ExprCons, Term

    scip = pyscipopt.Model(program.name)
    if not opts.verbose:
        scip.hideOutput()
    for key, value in (opts.options or {}).items():
        if key == "gap":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                raise OptionError(f"`gap` must be a non-negative number; got {value!r}")
            _set_param(scip, "limits/gap", float(value))
        elif key != "warm_start":
            _set_param(scip, key, value)
    if opts.seed is not None:
        _set_param(scip, "randomization/randomseedshift", int(opts.seed) % 2**31)

    lo = [None if math.isinf(v) else float(v) for v in program.col_lo.tolist()]
    hi = [None if math.isinf(v) else float(v) for v in program.col_hi.tolist()]
    binary = program.integrality & (program.col_lo >= 0) & (program.col_hi <= 1)
    vtype = np.where(binary, "B", np.where(program.integrality, "I", "C")).tolist()
    cost = program.c.tolist()
    variables = [scip.addVar(f"x{j}", vtype=vtype[j], lb=lo[j], ub=hi[j], obj=cost[j])
                 for j in range(program.n_cols)]
    if program.c0:
        scip.addObjoffset(float(program.c0))

    A = program.A
    indptr, indices, data = A.indptr.tolist(), A.indices.tolist(), A.data.tolist()
    row_lo = [None if math.isinf(v) else float(v) for v in program.row_lo.tolist()]
    row_hi = [None if math.isinf(v) else float(v) for v in program.row_hi.tolist()]
    for r in range(program.n_rows):
        if row_lo[r] is None and row_hi[r] is None:
            continue
        s, e = indptr[r], indptr[r + 1]
        expr = Expr({Term(variables[indices[t]]): data[t] for t in range(s, e)})
        scip.addCons(ExprCons(expr, lhs=row_lo[r], rhs=row_hi[r]), name=f"r{r}")

    epigraph = None
    if program.Q is not None and program.Q.nnz:
        coo = program.Q.tocoo()
        terms: dict[Any, float] = {}
        for i, j, v in zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()):
            key = Term(variables[i], variables[j])
            terms[key] = terms.get(key, 0.0) + 0.5 * v
        sign = _quadratic_sign(program.Q)
        maximize = program.sense == "max"
        epigraph = scip.addVar("quadratic_objective", vtype="C", obj=1.0,
                               lb=0.0 if (sign > 0 and not maximize) else None,
                               ub=0.0 if (sign < 0 and maximize) else None)
        terms[Term(epigraph)] = -1.0
        quad = Expr(terms)
        scip.addCons(ExprCons(quad, rhs=0.0) if not maximize else ExprCons(quad, lhs=0.0), name="objective")
    if program.sense == "max":
        scip.setMaximize()
    else:
        scip.setMinimize()
    return ScipProgram(scip, variables, program, epigraph)


def run_scip(built: ScipProgram, opts: SolveOptions, started: float, method: str = "scip") -> Result:
    """Solve a built SCIP model under ``opts`` and translate the outcome into a Result."""
    scip, program = built.model, built.program
    if opts.time_limit is not None:
        _set_param(scip, "limits/time", float(max(opts.time_limit - (time.perf_counter() - started), 0.01)))
    warm = opts.opt("warm_start")
    if warm is not None:
        warm = np.asarray(warm, dtype=float)
        if warm.shape != (program.n_cols,):
            raise OptionError(f"`warm_start` must have shape ({program.n_cols},); got {warm.shape}")
        sol = scip.createSol()
        for var, val in zip(built.variables, warm.tolist()):
            scip.setSolVal(sol, var, val)
        if built.epigraph is not None:
            scip.setSolVal(sol, built.epigraph, 0.5 * float(warm @ (program.Q @ warm)))
        scip.addSol(sol, free=True)  # stored in the problem stage, checked when solving starts
    scip.optimize()
    name = scip.getStatus()
    has_x = scip.getNSols() > 0
    with_x, without_x = SCIP_STATUS.get(name, (Status.ERROR, Status.ERROR))
    status = with_x if has_x else without_x
    x = objective = bound = gap = None
    if has_x:
        best = scip.getBestSol()
        x = np.array([scip.getSolVal(best, v) for v in built.variables], dtype=float)
        x[program.integrality] = np.round(x[program.integrality])
        objective = program.objective_value(x)
    dual = scip.getDualbound()
    if program.is_mip or program.Q is not None:
        if math.isfinite(dual) and abs(dual) < 1e19:
            bound = float(dual)
    message = f"SCIP: {name}"
    if status is Status.OPTIMAL:
        if name == "optimal":
            bound = objective if bound is None else bound
            gap = 0.0
            message += "; proven optimal (gap limit 0)"
        else:
            gap = float(scip.getGap())
            message += f"; proven to relative gap {gap:.2g} (limit {scip.getParam('limits/gap'):g})"
    result = Result(status, objective=objective, bound=bound, gap=gap, runtime=time.perf_counter() - started,
                    method=method, message=message, x=x, sense=program.sense)
    result.info.update(nodes=int(scip.getNTotalNodes()), scip_status=name)
    return result


def solve_program(program: Program, opts: SolveOptions | None = None, method: str = "scip") -> Result:
    """Solve a bare Program with SCIP (no model, so no decoded answer)."""
    opts = opts or SolveOptions()
    started = time.perf_counter()
    return run_scip(build_scip(program, opts), opts, started, method)


@register_backend
class ScipBackend(Backend):
    """SCIP on the compiled Program: LP, MILP, QP and MIQP (convex or not)."""

    name = "scip"
    accepts_classes = frozenset({"LP", "MILP", "QP", "MIQP"})
    required_modules = ("pyscipopt",)
    auto_priority = 30
    description = "SCIP (pyscipopt): LP, MILP, QP, MIQP by branch and cut; the exact MIQP method"

    def solve(self, model: Model, opts: SolveOptions) -> Result:
        started = time.perf_counter()
        program = model.program_for(self.accepts_classes)
        return run_scip(build_scip(program, opts), opts, started, self.name)
