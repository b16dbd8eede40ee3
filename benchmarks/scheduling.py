"""UnrelatedScheduling, 4 resources x 40 tasks: time to proven optimum, and the baselines' ratios.

Exact methods side by side on the same seeded instances (processing times uniform in 1..10,
weights uniform in 1..10; "release" rows add release dates uniform in 0..39):

- ``highs``: the time-indexed MILP (model.to_program) on HiGHS;
- ``highs+wspt``: the same with the WSPT schedule as MIP start (``options={"warm_start": ...}``);
- ``cpsat``: the interval model (optional intervals, no-overlap per resource) on CP-SAT.

Every answer is verified with ``model.check``. The baselines FIFO and WSPT are reported as
ratios to the proven optimum (or to the best objective found when none was proven).

Run: ``.venv/bin/python benchmarks/scheduling.py [--time-limit 30] [--seeds 3]``
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from allotment.models import UnrelatedScheduling
from allotment.models.scheduling import wspt_schedule
from allotment.solvers import Status, solve


def instance(seed: int, release: bool, m: int = 4, n: int = 40) -> UnrelatedScheduling:
    rng = np.random.default_rng(seed)
    p = rng.integers(1, 11, (m, n))
    w = rng.integers(1, 11, n)
    r = rng.integers(0, 40, n) if release else None
    return UnrelatedScheduling(p, weight=w, release=r, name=f"R4x40_seed{seed}{'_release' if release else ''}")


def run(model: UnrelatedScheduling, method: str, time_limit: float) -> dict:
    options = None
    name = method
    if method == "highs+wspt":
        method, options = "highs", {"warm_start": model.to_vector(wspt_schedule(model))}
    started = time.perf_counter()
    result = solve(model, method, time_limit=time_limit, options=options)
    seconds = time.perf_counter() - started
    if result.ok:
        report = model.check(result.answer)
        assert report.feasible and abs(report.objective - result.objective) < 1e-6, (name, report.violations)
    return {"method": name, "status": result.status.value, "objective": result.objective, "bound": result.bound,
            "gap": result.gap, "seconds": seconds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--release-seeds", type=int, default=2)
    args = ap.parse_args()
    cases = [(s, False) for s in range(args.seeds)] + [(s, True) for s in range(args.release_seeds)]
    print(f"time limit {args.time_limit:g} s per method; 4 resources x 40 tasks\n")
    print("| instance | method | status | objective | bound | gap | seconds |")
    print("|---|---|---|---:|---:|---:|---:|")
    summary = []
    for seed, release in cases:
        model = instance(seed, release)
        rows = [run(model, m, args.time_limit) for m in ("highs", "highs+wspt", "cpsat")]
        for row in rows:
            gap = "" if row["gap"] is None else f"{row['gap']:.2%}"
            bound = "" if row["bound"] is None else f"{row['bound']:.0f}"
            obj = "" if row["objective"] is None else f"{row['objective']:.0f}"
            print(f"| {model.name} | {row['method']} | {row['status']} | {obj} | {bound} | {gap} | "
                  f"{row['seconds']:.2f} |")
        proven = [r["objective"] for r in rows if r["status"] == Status.OPTIMAL.value]
        best = proven[0] if proven else min(r["objective"] for r in rows if r["objective"] is not None)
        fifo = solve(model, "fifo").objective
        wspt = solve(model, "wspt").objective
        summary.append((model.name, best, bool(proven), fifo, wspt,
                        {r["method"]: r for r in rows}))
    print("\n| instance | optimum | proven | FIFO | WSPT | FIFO / opt | WSPT / opt | highs s | highs+wspt s | cpsat s (status) |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, best, proven, fifo, wspt, rows in summary:
        print(f"| {name} | {best:.0f} | {'yes' if proven else 'no'} | {fifo:.0f} | {wspt:.0f} | {fifo / best:.3f} | "
              f"{wspt / best:.3f} | {rows['highs']['seconds']:.2f} | {rows['highs+wspt']['seconds']:.2f} | "
              f"{rows['cpsat']['seconds']:.2f} ({rows['cpsat']['status']}) |")


if __name__ == "__main__":
    main()
