"""Dense linear assignment solve time: allotment's ``solve`` against scipy called directly.

For each size n (default 1000, 2000, 4000) one seeded n x n float64 matrix of integer costs
U[1, 100] (the range of the OR-Library ``assign`` files) is solved by

- ``scipy``: ``scipy.optimize.linear_sum_assignment(cost)``, the bare call;
- ``allotment lsa``: ``solve(LinearAssignment(cost), method="lsa")``, i.e. model
  construction with validation (a read-only copy, finiteness check), method resolution,
  the same scipy call, the objective and the decoded ``Assignment`` answer;
- ``allotment auto``: the same with ``method="auto"`` (the registry picks ``lsa``);
- ``allotment auto, copy=False``: ``LinearAssignment(cost, copy=False)``, the documented
  opt-in that keeps a read-only view of the caller's matrix instead of a private copy.

Outside the timings every answer is checked with ``model.check`` and must reach scipy's
objective. The three run interleaved, round by round, ``--repeats`` times per size so that
load from other jobs hits them alike; the table shows medians of wall-clock and CPU
(process) time and their ratios to scipy (target: at most 1.2x).

Run: ``.venv/bin/python benchmarks/lap.py [--sizes 1000 2000 4000] [--repeats 7]``
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from allotment.models import LinearAssignment
from allotment.solvers import solve


def lap_costs(n: int, seed: int = 0, high: int = 100) -> np.ndarray:
    """An ``(n, n)`` float64 matrix of integer costs U[1, high]."""
    return np.random.default_rng(seed).integers(1, high + 1, size=(n, n)).astype(float)


def run_scipy(cost: np.ndarray) -> Any:
    return linear_sum_assignment(cost)


def run_lsa(cost: np.ndarray) -> Any:
    return solve(LinearAssignment(cost), method="lsa")


def run_auto(cost: np.ndarray) -> Any:
    return solve(LinearAssignment(cost), method="auto")


def run_auto_nocopy(cost: np.ndarray) -> Any:
    return solve(LinearAssignment(cost, copy=False), method="auto")


METHODS: dict[str, Callable[[np.ndarray], Any]] = {
    "scipy linear_sum_assignment": run_scipy,
    "allotment solve(method='lsa')": run_lsa,
    "allotment solve(method='auto')": run_auto,
    "allotment auto, copy=False": run_auto_nocopy,
}


def check(cost: np.ndarray) -> None:
    """Every method's answer passes ``model.check`` at scipy's optimum; auto picks lsa."""
    rows, cols = linear_sum_assignment(cost)
    best = float(cost[rows, cols].sum())
    model = LinearAssignment(cost)
    for name, fn in (("lsa", run_lsa), ("auto", run_auto), ("auto", run_auto_nocopy)):
        res = fn(cost)
        report = model.check(res.answer)
        if res.status.value != "optimal" or not report.feasible or report.objective != best:
            raise SystemExit(f"{name}: status {res.status.value}, check {report}, scipy optimum {best}")
        if name == "auto" and res.method != "lsa":
            raise SystemExit(f"auto picked {res.method}, not lsa")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 4000])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--high", type=int, default=100, help="costs are integers U[1, high]")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    run_lsa(lap_costs(10))  # warm-up: imports and backend registry
    run_auto(lap_costs(10))
    rows = []
    for n in args.sizes:
        cost = lap_costs(n, args.seed, args.high)
        check(cost)
        wall: dict[str, list[float]] = {k: [] for k in METHODS}
        cpu: dict[str, list[float]] = {k: [] for k in METHODS}
        for _ in range(args.repeats):
            for name, fn in METHODS.items():
                gc.collect()
                w0, c0 = time.perf_counter(), time.process_time()
                out = fn(cost)
                c1, w1 = time.process_time(), time.perf_counter()
                wall[name].append(w1 - w0)
                cpu[name].append(c1 - c0)
                del out
        rows.append((n, {k: statistics.median(v) for k, v in wall.items()},
                     {k: statistics.median(v) for k, v in cpu.items()}))
    names = list(METHODS)
    print(f"dense LAP, integer costs U[1, {args.high}], float64; medians of {args.repeats} interleaved "
          f"repeats (wall clock, CPU in brackets); every answer checked by model.check at scipy's optimum\n")
    print("| n | " + " | ".join(names) + " | lsa / scipy | auto / scipy | auto copy=False / scipy |")
    print("|---:|" + "---:|" * (2 * len(names) - 1))
    for n, wmed, cmed in rows:
        cells = " | ".join(f"{_fmt(wmed[k])} ({_fmt(cmed[k])})" for k in names)
        ratios = " | ".join(f"{wmed[k] / wmed[names[0]]:.2f}x ({cmed[k] / cmed[names[0]]:.2f}x)" for k in names[1:])
        print(f"| {n} | {cells} | {ratios} |")
    return 0


def _fmt(seconds: float) -> str:
    return f"{seconds * 1e3:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


if __name__ == "__main__":
    sys.exit(main())
