"""Compile-and-hand-to-HiGHS time for one generalized assignment model, four ways, side by side.

The model: a GAP with 50 agents and 2000 tasks (100,000 binaries, 2,050 rows, 200,000
nonzeros), OR-Library type C data drawn with a fixed seed: weights U[5, 25], costs
U[10, 50], capacity[i] = floor(0.8 * sum_j weight[i, j] / n_agents) (Chu and Beasley 1997).

What each timed call does, from numpy arrays to a ``highspy.Highs`` object that holds the
model (no solve, no presolve; imports done beforehand):

- ``allotment``: ``GeneralizedAssignment(cost, weight, capacity)`` (validation, read-only
  copies) + ``.to_program()`` (the vectorized compile to a CSR Program) +
  ``allotment.solvers.highs.build_highs(program, SolveOptions())`` (options + one
  ``passModel``).
- ``highspy passModel`` (the floor): the CSR arrays built by hand with numpy for this one
  model and passed in one raw-array ``Highs.passModel`` call.
- ``highspy addVars+addRows``: the same arrays through ``addVars``, ``changeColsCost``,
  ``changeColsIntegrality`` and two ``addRows`` calls.
- ``Pyomo``: a ``ConcreteModel`` (``Var(I, J, domain=Binary)``, objective and the two
  indexed constraint families written with ``quicksum`` over Python lists of the data),
  then ``pyomo.contrib.solver.solvers.highs.Highs().set_instance(model)``, the new-style
  persistent interface's own step that writes the model into its ``highspy.Highs``
  (what ``solve`` does before ``run``).
- ``PuLP``: an ``LpProblem`` (``LpVariable.dicts`` binaries, ``lpSum`` objective and rows),
  then ``pulp.HiGHS(msg=False)``'s ``createAndConfigureSolver`` + ``buildSolverModel``
  (what its ``actualSolve`` does before ``run``).
- ``PuLP + writeMPS``: the same ``LpProblem`` written with ``prob.writeMPS`` to a
  temporary file, which is how PuLP hands a model to its default solver, CBC.

All rows are checked, outside the timings, to hand HiGHS the same model (columns, rows,
nonzeros, and sorted costs, coefficients and bounds); that check is also the warm-up
(imports, first-call caches). Then allotment and highspy run ``--repeats`` times, Pyomo
and PuLP ``--slow-repeats`` times (seconds each), interleaved round by round so that load
from other jobs hits all of them alike; ``gc.collect()`` runs before each timed call. The
table shows the median wall-clock and CPU (process) time and the ratio to allotment.

Run: ``.venv/bin/python benchmarks/build.py [--repeats 7] [--slow-repeats 3] [--agents 50] [--tasks 2000]``
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import highspy
import numpy as np

from allotment.models import GeneralizedAssignment
from allotment.solvers.backend import SolveOptions
from allotment.solvers.highs import build_highs

INF = highspy.kHighsInf


def gap_data(m: int, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """OR-Library type C data: weights U[5,25], costs U[10,50], capacity 0.8 * sum w / m."""
    rng = np.random.default_rng(seed)
    weight = rng.integers(5, 26, size=(m, n)).astype(float)
    cost = rng.integers(10, 51, size=(m, n)).astype(float)
    capacity = np.floor(0.8 * weight.sum(axis=1) / m)
    return cost, weight, capacity


# --------------------------------------------------------------------------- the four ways
def build_allotment(cost: np.ndarray, weight: np.ndarray, capacity: np.ndarray) -> highspy.Highs:
    program = GeneralizedAssignment(cost, weight, capacity).to_program()
    return build_highs(program, SolveOptions())


def _raw_arrays(cost: np.ndarray, weight: np.ndarray, capacity: np.ndarray) -> dict[str, Any]:
    """Row-wise CSR of the GAP, written by hand: task rows (== 1) then capacity rows (<= cap)."""
    m, n = cost.shape
    nv = m * n
    task_idx = np.arange(nv, dtype=np.int32).reshape(m, n).T.ravel()  # row j: columns i*n + j
    return dict(
        nv=nv, nr=n + m,
        start=np.concatenate([np.arange(0, nv, m, dtype=np.int32), nv + np.arange(0, nv + 1, n, dtype=np.int32)]),
        index=np.concatenate([task_idx, np.arange(nv, dtype=np.int32)]),
        value=np.concatenate([np.ones(nv), weight.ravel()]),
        row_lo=np.concatenate([np.ones(n), np.full(m, -INF)]),
        row_hi=np.concatenate([np.ones(n), capacity]),
        col_hi=(weight <= capacity[:, None]).astype(float).ravel(),
    )


def build_highspy_pass(cost: np.ndarray, weight: np.ndarray, capacity: np.ndarray) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    a = _raw_arrays(cost, weight, capacity)
    nv = a["nv"]
    status = h.passModel(nv, a["nr"], 2 * nv, int(highspy.MatrixFormat.kRowwise), int(highspy.ObjSense.kMinimize),
                         0.0, cost.ravel(), np.zeros(nv), a["col_hi"], a["row_lo"], a["row_hi"],
                         a["start"], a["index"], a["value"], np.ones(nv, dtype=np.int32))
    assert status == highspy.HighsStatus.kOk
    return h


def build_highspy_add(cost: np.ndarray, weight: np.ndarray, capacity: np.ndarray) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    m, n = cost.shape
    a = _raw_arrays(cost, weight, capacity)
    nv = a["nv"]
    cols = np.arange(nv, dtype=np.int32)
    h.addVars(nv, np.zeros(nv), a["col_hi"])
    h.changeColsCost(nv, cols, cost.ravel())
    h.changeColsIntegrality(nv, cols, np.ones(nv, dtype=np.uint8))
    h.addRows(n, a["row_lo"][:n], a["row_hi"][:n], nv, a["start"][:n], a["index"][:nv], a["value"][:nv])
    h.addRows(m, a["row_lo"][n:], a["row_hi"][n:], nv, a["start"][n:-1] - nv, a["index"][nv:], a["value"][nv:])
    return h


def pyomo_model(cost: np.ndarray, weight: np.ndarray, capacity: np.ndarray) -> Any:
    import pyomo.environ as pyo

    m, n = cost.shape
    c, w, cap = cost.tolist(), weight.tolist(), capacity.tolist()
    fits = (weight <= capacity[:, None]).tolist()
    model = pyo.ConcreteModel()
    model.I = pyo.RangeSet(0, m - 1)
    model.J = pyo.RangeSet(0, n - 1)
    model.x = pyo.Var(model.I, model.J, domain=pyo.Binary, bounds=lambda _, i, j: (0, 1 if fits[i][j] else 0))
    x = model.x
    model.obj = pyo.Objective(expr=pyo.quicksum(c[i][j] * x[i, j] for i in range(m) for j in range(n)),
                              sense=pyo.minimize)
    model.task = pyo.Constraint(model.J, rule=lambda _, j: pyo.quicksum(x[i, j] for i in range(m)) == 1)
    model.capacity = pyo.Constraint(
        model.I, rule=lambda _, i: pyo.quicksum(w[i][j] * x[i, j] for j in range(n)) <= cap[i])
    return model


def build_pyomo(cost: np.ndarray, weight: np.ndarray, capacity: np.ndarray) -> highspy.Highs:
    from pyomo.contrib.solver.solvers.highs import Highs

    solver = Highs()
    solver.set_instance(pyomo_model(cost, weight, capacity))
    return solver._solver_model  # the highspy.Highs the interface filled (not solved)


def pulp_model(cost: np.ndarray, weight: np.ndarray, capacity: np.ndarray) -> Any:
    import pulp

    m, n = cost.shape
    c, w, cap = cost.tolist(), weight.tolist(), capacity.tolist()
    fits = (weight <= capacity[:, None]).tolist()
    prob = pulp.LpProblem("gap", pulp.LpMinimize)
    x = {(i, j): pulp.LpVariable(f"x_{i}_{j}", 0, 1 if fits[i][j] else 0, cat=pulp.LpBinary)
         for i in range(m) for j in range(n)}
    prob += pulp.lpSum(c[i][j] * x[i, j] for i in range(m) for j in range(n))
    for j in range(n):
        prob += pulp.lpSum(x[i, j] for i in range(m)) == 1, f"task_{j}"
    for i in range(m):
        prob += pulp.lpSum(w[i][j] * x[i, j] for j in range(n)) <= cap[i], f"capacity_{i}"
    return prob


def build_pulp(cost: np.ndarray, weight: np.ndarray, capacity: np.ndarray) -> highspy.Highs:
    import pulp

    prob = pulp_model(cost, weight, capacity)
    solver = pulp.HiGHS(msg=False)
    solver.createAndConfigureSolver(prob)
    solver.buildSolverModel(prob)
    return prob.solverModel


def build_pulp_mps(cost: np.ndarray, weight: np.ndarray, capacity: np.ndarray) -> str:
    prob = pulp_model(cost, weight, capacity)
    fd, path = tempfile.mkstemp(suffix=".mps")
    os.close(fd)
    try:
        prob.writeMPS(path)
    finally:
        os.unlink(path)
    return path


METHODS: dict[str, Callable[..., Any]] = {
    "allotment": build_allotment,
    "highspy passModel (floor)": build_highspy_pass,
    "highspy addVars+addRows": build_highspy_add,
    "Pyomo (new-style highs, set_instance)": build_pyomo,
    "PuLP (pulp.HiGHS buildSolverModel)": build_pulp,
    "PuLP + writeMPS (CBC input)": build_pulp_mps,
}
FLOOR = "highspy passModel (floor)"


# --------------------------------------------------------------------------- checks
def fingerprint(h: highspy.Highs) -> tuple[Any, ...]:
    """What HiGHS holds, order-free: sizes, sorted costs, coefficients and bounds."""
    lp = h.getLp()
    rnd = lambda v: tuple(np.round(np.sort(np.asarray(v, dtype=float)), 9))  # noqa: E731
    integ = np.array([int(t) for t in lp.integrality_]) if len(lp.integrality_) else np.zeros(lp.num_col_, int)
    sign = -1.0 if lp.sense_ == highspy.ObjSense.kMaximize else 1.0
    return (lp.num_col_, lp.num_row_, len(lp.a_matrix_.value_), rnd(sign * np.asarray(lp.col_cost_)),
            rnd(lp.a_matrix_.value_), rnd(lp.col_lower_), rnd(lp.col_upper_), rnd(lp.row_lower_),
            rnd(lp.row_upper_), int(integ.sum()))


def check_same_model(cost: np.ndarray, weight: np.ndarray, capacity: np.ndarray) -> None:
    ref = fingerprint(build_highspy_pass(cost, weight, capacity))
    for name, fn in METHODS.items():  # also the warm-up: imports, first-call caches
        if "writeMPS" in name:
            fn(cost, weight, capacity)
            continue
        got = fingerprint(fn(cost, weight, capacity))
        if got != ref:
            raise SystemExit(f"{name} handed HiGHS a different model: {got[:3]} vs {ref[:3]}")


# --------------------------------------------------------------------------- timing
SLOW = ("Pyomo", "PuLP")


def measure(repeats: int, slow_repeats: int, cost: np.ndarray, weight: np.ndarray, capacity: np.ndarray,
            methods: dict[str, Callable[..., Any]]) -> dict[str, tuple[list[float], list[float]]]:
    times: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in methods}
    for round_ in range(max(repeats, slow_repeats)):
        for name, fn in methods.items():
            if round_ >= (slow_repeats if name.startswith(SLOW) else repeats):
                continue
            gc.collect()
            w0, c0 = time.perf_counter(), time.process_time()
            out = fn(cost, weight, capacity)
            c1, w1 = time.process_time(), time.perf_counter()
            del out
            times[name][0].append(w1 - w0)
            times[name][1].append(c1 - c0)
    return times


def fmt(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=50)
    ap.add_argument("--tasks", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=7, help="repeats of allotment and highspy")
    ap.add_argument("--slow-repeats", type=int, default=3, help="repeats of Pyomo and PuLP (seconds each)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    cost, weight, capacity = gap_data(args.agents, args.tasks, args.seed)
    check_same_model(cost, weight, capacity)
    times = measure(args.repeats, args.slow_repeats, cost, weight, capacity, METHODS)
    med = {k: (statistics.median(w), statistics.median(c)) for k, (w, c) in times.items()}
    ours_w, ours_c = med["allotment"]
    m, n = cost.shape
    print(f"GAP {m} agents x {n} tasks ({m * n} binaries, {m + n} rows, {2 * m * n} nonzeros); "
          f"medians of {args.repeats} (allotment, highspy) and {args.slow_repeats} (Pyomo, PuLP) interleaved "
          f"repeats; the same model checked in every HiGHS object\n")
    print("| method | wall (median) | CPU (median) | wall / allotment | CPU / allotment |")
    print("|---|---:|---:|---:|---:|")
    for name, (w, c) in med.items():
        print(f"| {name} | {fmt(w)} | {fmt(c)} | {w / ours_w:.2f}x | {c / ours_c:.2f}x |")
    floor_w, floor_c = med[FLOOR]
    slow = [k for k in med if k.startswith(SLOW)]
    print()
    print(f"allotment / highspy floor: {ours_w / floor_w:.2f}x wall, {ours_c / floor_c:.2f}x CPU (target <= 2x)")
    for k in slow:
        print(f"{k} / allotment: {med[k][0] / ours_w:.0f}x wall, {med[k][1] / ours_c:.0f}x CPU (target >= 50x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
