"""HiGHS backend (highspy): LP, MILP and continuous QP from a Program's arrays.

The Program is handed over in one ``passModel`` call (a row-wise CSR ``HighsLp``), so
building costs little more than copying the arrays. HiGHS refuses MIQP; this backend
does not accept it, so ``auto`` never sends a MIQP here.

Optimality is reported honestly: HiGHS stops a MIP at a relative gap of 1e-4 by default.
Here the default is a relative gap of 1e-9, and for programs whose objective is integral on
every feasible point an absolute gap just under 1, which proves the exact optimum. The
final gap is in ``Result.gap`` and the tolerance in ``Result.message``.

>>> from allotment.models import LinearAssignment
>>> from allotment.solvers import solve
>>> solve(LinearAssignment([[4, 1], [2, 3]]), method="highs").objective
3.0
"""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from allotment.models import Model, OptionError, Program

from .backend import Backend, SolveOptions, register_backend
from .result import Result, Status

__all__ = ["HighsBackend", "build_highs", "run_highs", "write_program", "HIGHS_STATUS", "apply_options",
           "presolve_unsafe"]

#: HiGHS model status name -> our status when HiGHS has a primal solution / when it has none.
HIGHS_STATUS: dict[str, tuple[Status, Status]] = {
    "kNotset": (Status.ERROR, Status.ERROR),
    "kLoadError": (Status.ERROR, Status.ERROR),
    "kModelError": (Status.ERROR, Status.ERROR),
    "kPresolveError": (Status.ERROR, Status.ERROR),
    "kSolveError": (Status.ERROR, Status.ERROR),
    "kPostsolveError": (Status.ERROR, Status.ERROR),
    "kModelEmpty": (Status.OPTIMAL, Status.OPTIMAL),
    "kOptimal": (Status.OPTIMAL, Status.ERROR),
    "kInfeasible": (Status.INFEASIBLE, Status.INFEASIBLE),
    # Unbounded-or-infeasible gives no proof of either; say so rather than guess.
    "kUnboundedOrInfeasible": (Status.ERROR, Status.ERROR),
    "kUnbounded": (Status.UNBOUNDED, Status.UNBOUNDED),
    "kObjectiveBound": (Status.FEASIBLE, Status.ERROR),
    "kObjectiveTarget": (Status.FEASIBLE, Status.ERROR),
    "kTimeLimit": (Status.FEASIBLE, Status.TIME_LIMIT),
    "kIterationLimit": (Status.FEASIBLE, Status.TIME_LIMIT),
    "kUnknown": (Status.FEASIBLE, Status.ERROR),
    "kSolutionLimit": (Status.FEASIBLE, Status.ERROR),
    "kInterrupt": (Status.FEASIBLE, Status.ERROR),
    "kMemoryLimit": (Status.FEASIBLE, Status.ERROR),
    "kHighsInterrupt": (Status.FEASIBLE, Status.ERROR),
}

DEFAULT_MIP_REL_GAP = 1e-9


def _hessian_lower_csc(Q) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import scipy.sparse as sp

    low = sp.csc_array(sp.tril(Q, format="csc"))
    low.sum_duplicates()
    low.sort_indices()
    return low.indptr.astype(np.int32), low.indices.astype(np.int32), low.data.astype(float)


def apply_options(h: Any, values: dict[str, Any]) -> None:
    """Set HiGHS options, turning a refused option into a clear ``ValueError``."""
    import highspy

    for key, value in values.items():
        status = h.setOptionValue(key, value)
        if status != highspy.HighsStatus.kOk:
            raise OptionError(f"HiGHS refused option `{key}` = {value!r}; see the HiGHS options list")


def presolve_unsafe(program: Program) -> bool:
    """True for a MIP that HiGHS 1.14's MIP presolve may solve wrongly.

    HiGHS 1.14.0's singleton-column stuffing can return a suboptimal point as ``Optimal``
    when a row mixes integer columns with continuous singleton columns (ERGO-Code/HiGHS#2957,
    #3073; fixed in 1.15, which cannot share a process with ortools 9.15). Measured here: 52
    of 300 small coalition MILPs with continuous shortfall columns came back wrong. Such
    programs are solved with presolve off (unless the caller sets ``presolve``).
    """
    if not program.is_mip or program.integrality.all():
        return False
    counts = np.bincount(program.A.indices, minlength=program.n_cols)
    return bool(np.any(~program.integrality & (counts == 1)))


def build_highs(program: Program, opts: SolveOptions) -> Any:
    """A ``highspy.Highs`` object holding ``program`` with the options of ``opts`` applied."""
    import highspy

    h = highspy.Highs()
    settings: dict[str, Any] = {"output_flag": bool(opts.verbose), "mip_rel_gap": DEFAULT_MIP_REL_GAP}
    if (h.versionMajor(), h.versionMinor()) < (1, 15) and presolve_unsafe(program):
        settings["presolve"] = "off"
    if program.is_mip and program.has_integral_objective:
        settings["mip_abs_gap"] = 1.0 - 1e-6
    if opts.seed is not None:
        settings["random_seed"] = int(opts.seed)
    if opts.time_limit is not None:
        settings["time_limit"] = float(opts.time_limit)
    if opts.options:
        settings.update({k: v for k, v in opts.options.items() if k not in ("warm_start",)})
    apply_options(h, settings)

    # One raw-array passModel (row-wise CSR). HiGHS's infinity is IEEE inf, so the bounds
    # go over as they are; the arrays are full length (Program checks the shapes).
    A = program.A
    f64, i32 = np.float64, np.int32
    sense = highspy.ObjSense.kMaximize if program.sense == "max" else highspy.ObjSense.kMinimize
    status = h.passModel(
        program.n_cols, program.n_rows, int(A.nnz), int(highspy.MatrixFormat.kRowwise), int(sense),
        float(program.c0),
        np.ascontiguousarray(program.c, f64), np.ascontiguousarray(program.col_lo, f64),
        np.ascontiguousarray(program.col_hi, f64), np.ascontiguousarray(program.row_lo, f64),
        np.ascontiguousarray(program.row_hi, f64),
        A.indptr.astype(i32, copy=False), A.indices.astype(i32, copy=False), A.data.astype(f64, copy=False),
        program.integrality.astype(i32),  # kContinuous = 0, kInteger = 1
    )
    if status == highspy.HighsStatus.kError:
        raise ValueError("HiGHS rejected the model (passModel returned an error)")
    if program.Q is not None and program.Q.nnz:
        hess = highspy.HighsHessian()
        hess.dim_ = program.n_cols
        hess.format_ = highspy.HessianFormat.kTriangular
        hess.start_, hess.index_, hess.value_ = _hessian_lower_csc(program.Q)
        if h.passHessian(hess) == highspy.HighsStatus.kError:
            raise ValueError("HiGHS rejected the Hessian (it must be positive semidefinite for min)")
    return h


def run_highs(h: Any, program: Program, started: float, method: str = "highs") -> Result:
    """Run a prepared ``Highs`` object and translate its outcome into a Result."""
    h.run()
    model_status = h.getModelStatus()
    info = h.getInfo()
    has_x = info.primal_solution_status == 2  # kSolutionStatusFeasible
    name = model_status.name
    with_x, without_x = HIGHS_STATUS.get(name, (Status.ERROR, Status.ERROR))
    status = with_x if has_x else without_x
    x = np.asarray(h.getSolution().col_value, dtype=float) if has_x else None
    objective = float(info.objective_function_value) if has_x else None
    bound = None
    gap = None
    message = f"HiGHS: {h.modelStatusToString(model_status)}"
    if program.is_mip:
        if math.isfinite(info.mip_dual_bound):
            bound = float(info.mip_dual_bound)
        if has_x and math.isfinite(info.mip_gap):
            gap = float(info.mip_gap)
        if program.has_integral_objective:
            # Every feasible objective is a whole number: round away float noise, tighten the bound.
            if objective is not None and abs(objective - round(objective)) < 1e-6:
                objective = float(round(objective))
            if bound is not None:
                bound = float(math.ceil(bound - 1e-6) if program.sense == "min" else math.floor(bound + 1e-6))
            if objective is not None and bound is not None:
                gap = abs(objective - bound) / max(1.0, abs(objective))
        if status is Status.OPTIMAL:
            if program.has_integral_objective and bound is not None and objective is not None:
                message += "; integral objective, bound within 1: exact optimum"
                gap = 0.0
            else:
                message += f"; proven to relative gap {gap if gap is not None else 0:.2g} (limit {DEFAULT_MIP_REL_GAP:g})"
    elif status is Status.OPTIMAL:
        bound, gap = objective, 0.0
    result = Result(status, objective=objective, bound=bound, gap=gap, runtime=time.perf_counter() - started,
                    method=method, message=message, x=x, sense=program.sense)
    result.info.update(
        nodes=int(info.mip_node_count) if program.is_mip else 0,
        simplex_iterations=int(info.simplex_iteration_count),
        highs_status=name,
    )
    return result


@register_backend
class HighsBackend(Backend):
    """HiGHS on the compiled Program: LP, MILP, QP (not MIQP)."""

    name = "highs"
    accepts_classes = frozenset({"LP", "MILP", "QP"})
    required_modules = ("highspy",)
    auto_priority = 10
    description = "HiGHS (highspy): LP, MILP, convex QP; dual simplex, IPM, branch and cut"

    def solve(self, model: Model, opts: SolveOptions) -> Result:
        started = time.perf_counter()
        program = model.program_for(self.accepts_classes)
        h = build_highs(program, opts)
        warm = opts.opt("warm_start")
        if warm is None and program.is_mip:
            warm = model.default_start(program)
        if warm is not None and program.is_mip:
            import highspy

            sol = highspy.HighsSolution()
            sol.col_value = list(np.asarray(warm, dtype=float))
            sol.value_valid = True
            h.setSolution(sol)
        return run_highs(h, program, started)


def write_program(program: Program, path: str | Path) -> None:
    """Write ``program`` as MPS (``.mps``) or CPLEX LP (``.lp``) through HiGHS."""
    import highspy

    path = Path(path)
    if path.suffix.lower() not in (".mps", ".lp"):
        raise ValueError(f"`path` must end in .mps or .lp; got {path.name!r}")
    h = build_highs(program, SolveOptions())
    if h.writeModel(str(path)) == highspy.HighsStatus.kError:
        raise OSError(f"HiGHS could not write {path}")
