"""Benchmark: AssignmentGuidance, time to proven optimum of each exact backend vs cvxpy + SCIP.

    .venv/bin/python benchmarks/guidance.py [--quick | --variants]

Instances (seeded, all data integer): agents and consumers at integer points of a
100 x 100 square, ``distance`` = Euclidean distance rounded to an integer (given as the
matrix, so every backend sees the same data), supplies ``q[i, k]`` uniform in 0..3, demands
``d[j, k]`` uniform in 0..round(2 * mean supply per consumer) (supply and demand balanced on
average), ``weight = 1``, ``alpha = 0.1`` (two-sided squared mismatch).

Backends: ``highs`` (the exact piecewise-linear MILP), ``cpsat`` (integer residuals and
their squares), ``scip`` (the natural MIQP through our SCIP backend), ``colgen`` (column
generation over coalitions with an exact gap closing), each through
``allotment.solvers.solve`` with a time limit, compile time included. Each method gets a
freshly built model, so no method profits from another's cached compile or heuristic. The peer is the MIQP
written directly in cvxpy (``x`` boolean, ``sum(w * square(d - x.T @ q))``) solved by SCIP;
its time includes cvxpy's compile, and it counts as proven only when SCIP reports
``optimal`` (cvxpy calls a time-limited stop ``optimal_inaccurate``).

``--variants`` runs only ``colgen`` and ``highs`` on variants of the same instances
(one-sided, ``alpha = 0`` and ``0.01``, ``alpha = 1`` with weights (1, 2, 0.5)), the cases
that decide whether ``auto`` may prefer ``colgen``.

A time-limited run is reported as ``timeout`` with its gap, never as a time. Cells give
wall-clock seconds and, in brackets, the CPU seconds of this process during the run (CP-SAT
uses several threads, so its CPU time can exceed the wall time).
"""
from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np

from allotment.models import AssignmentGuidance
from allotment.solvers import Status, pick_method, solve

BACKENDS = ("highs", "cpsat", "scip", "colgen")
#: seconds of rest before each run, so threads still spinning from the previous one (OpenBLAS) are not counted
PAUSE = 0.2


def instance(m: int, n: int, r: int, seed: int) -> AssignmentGuidance:
    """The seeded random instance described in the module docstring."""
    rng = np.random.default_rng(seed)
    agents, consumers = rng.integers(0, 101, (m, 2)), rng.integers(0, 101, (n, 2))
    distance = np.rint(np.sqrt(((agents[:, None, :] - consumers[None, :, :]) ** 2).sum(axis=2)))
    supply = rng.integers(0, 4, (m, r))
    top = np.maximum(np.rint(2 * supply.sum(axis=0) / n), 1).astype(int)
    demand = rng.integers(0, top + 1, (n, r))
    return AssignmentGuidance(supply, demand, 1.0, distance=distance, alpha=0.1,
                              agent_positions=agents, consumer_positions=consumers,
                              name=f"guidance-{m}x{n}x{r}-seed{seed}")


def run_ours(model: AssignmentGuidance, method: str, limit: float) -> dict:
    time.sleep(PAUSE)
    cpu = time.process_time()
    result = solve(model, method=method, time_limit=limit)
    cpu = time.process_time() - cpu
    proven = result.status is Status.OPTIMAL
    if result.answer is not None:
        report = model.check(result.answer)
        assert report.feasible and abs(report.objective - result.objective) <= 1e-6 * max(1.0, report.objective)
    return {"proven": proven, "seconds": result.runtime, "cpu": cpu, "objective": result.objective,
            "gap": result.gap, "status": result.status.value}


def run_cvxpy_scip(model: AssignmentGuidance, limit: float) -> dict:
    import cvxpy as cp

    time.sleep(PAUSE)
    started, cpu = time.perf_counter(), time.process_time()
    x = cp.Variable((model.n_agents, model.n_consumers), boolean=True)
    weight = np.broadcast_to(model.weight, model.demand.shape)
    objective = model.alpha * cp.sum(cp.multiply(model.distance, x)) + \
        cp.sum(cp.multiply(weight, cp.square(model.demand - x.T @ model.supply)))
    problem = cp.Problem(cp.Minimize(objective), [cp.sum(x, axis=1) <= 1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cvxpy warns "may be inaccurate" at a time limit
        problem.solve(solver=cp.SCIP, scip_params={"limits/time": float(limit)})
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    stats = problem.solver_stats.extra_stats or {}
    scip_status = stats.get("scip_status", problem.status)
    gap = None
    model_obj = stats.get("model")
    if model_obj is not None:
        gap = float(model_obj.getGap())
    value = None if problem.value is None else float(problem.value)
    return {"proven": scip_status == "optimal", "seconds": seconds, "cpu": cpu, "objective": value, "gap": gap,
            "status": scip_status}


def variant(model: AssignmentGuidance, **changes: object) -> AssignmentGuidance:
    """The same instance with some of ``one_sided``, ``alpha``, ``weight`` changed."""
    data = {"weight": model.weight, "alpha": model.alpha, "one_sided": model.one_sided, **changes}
    return AssignmentGuidance(model.supply, model.demand, data["weight"], distance=model.distance,
                              alpha=data["alpha"], one_sided=data["one_sided"])


def variants_table(limit: float = 20.0) -> None:
    """colgen against highs on the variants named in the module docstring."""
    cases = [((30, 10, 3), seed, name, changes) for seed in (0, 1, 2) for name, changes in (
        ("one-sided", {"one_sided": True}), ("alpha 0", {"alpha": 0.0}), ("alpha 0.01", {"alpha": 0.01}),
        ("alpha 1, weights (1, 2, 0.5)", {"alpha": 1.0, "weight": np.array([1.0, 2.0, 0.5])}))]
    cases += [((100, 30, 3), seed, "alpha 0", {"alpha": 0.0}) for seed in (0, 1)]
    print("| agents x consumers x resources | seed | variant | highs | colgen | colgen / highs | optimum | agree |")
    print("|---" * 8 + "|")
    for (m, n, r), seed, name, changes in cases:
        runs = {method: run_ours(variant(instance(m, n, r, seed), **changes), method, limit)
                for method in ("highs", "colgen")}
        proven = [v["objective"] for v in runs.values() if v["proven"]]
        agree = "-" if len(proven) < 2 else ("yes" if abs(proven[0] - proven[1]) <= 1e-6 * max(1.0, abs(proven[0]))
                                             else "NO")
        both = all(v["proven"] for v in runs.values())
        ratio = f"{runs['colgen']['seconds'] / runs['highs']['seconds']:.2f}" if both else "-"
        optimum = f"{proven[0]:.2f}" if proven else "-"
        print(f"| {m} x {n} x {r} | {seed} | {name} | {cell(runs['highs'], limit)} | {cell(runs['colgen'], limit)} | "
              f"{ratio} | {optimum} | {agree} |", flush=True)


def cell(run: dict, limit: float | None = None) -> str:
    if run["proven"]:
        return f"{run['seconds']:.2f} s ({run['cpu']:.2f})" if run["seconds"] >= 0.1 else \
            f"{run['seconds']:.3f} s ({run['cpu']:.3f})"
    if run["objective"] is None:
        return "timeout (no solution)"
    gap = "" if run["gap"] is None else f", gap {100 * run['gap']:.1f}%"
    if limit is not None and run["seconds"] < 0.9 * limit:          # the method gave up before the limit
        return f"no proof, stopped at {run['seconds']:.1f} s{gap}"
    return f"timeout{gap}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed per size, short limits")
    parser.add_argument("--variants", action="store_true", help="colgen vs highs on one-sided / alpha variants")
    args = parser.parse_args(argv)
    sizes = [((30, 10, 3), (0, 1, 2), 15.0), ((100, 30, 3), (0, 1), 40.0)]
    if args.quick:
        sizes = [((30, 10, 3), (0,), 10.0), ((100, 30, 3), (0,), 20.0)]

    started, cpu, load = time.perf_counter(), time.process_time(), os.getloadavg()[0]
    warm = instance(6, 2, 3, 99)                           # imports and first-call costs
    for method in BACKENDS:
        solve(warm, method=method)
    if args.variants:
        variants_table()
        print(f"\ntime limit 20 s; whole run: {time.perf_counter() - started:.0f} s wall, "
              f"{time.process_time() - cpu:.0f} s CPU; load average {load:.1f} at the start, "
              f"{os.getloadavg()[0]:.1f} at the end (2 cores)")
        return
    run_cvxpy_scip(warm, 10.0)

    print("| agents x consumers x resources | seed | auto picks | " + " | ".join(BACKENDS)
          + " | cvxpy + SCIP | best / cvxpy+SCIP | speed-up | optimum | backends agree |")
    print("|---" * (len(BACKENDS) + 8) + "|")
    for (m, n, r), seeds, limit in sizes:
        for seed in seeds:
            model = instance(m, n, r, seed)
            runs = {method: run_ours(instance(m, n, r, seed), method, limit) for method in BACKENDS}
            peer = run_cvxpy_scip(model, limit)
            proven = {k: v for k, v in runs.items() if v["proven"]}
            values = [v["objective"] for v in proven.values()] + ([peer["objective"]] if peer["proven"] else [])
            agree = "yes" if values and max(values) - min(values) <= 1e-6 * max(1.0, abs(values[0])) else \
                ("-" if not values else "NO")
            if proven:
                best = min(v["seconds"] for v in proven.values())
                ratio = f"{best / peer['seconds']:.3f}" if peer["proven"] else f"< {best / limit:.3f}"
                speedup = f"{peer['seconds'] / best:.0f}x" if peer["proven"] else f"> {limit / best:.0f}x"
            else:
                ratio = speedup = "-"
            optimum = f"{values[0]:.1f}" if values else "-"
            print(f"| {m} x {n} x {r} | {seed} | {pick_method(model).name} | "
                  + " | ".join(cell(runs[k], limit) for k in BACKENDS)
                  + f" | {cell(peer, limit)} | {ratio} | {speedup} | {optimum} | {agree} |", flush=True)
    print(f"\ntime limits: {', '.join(f'{lim:g} s at {m}x{n}x{r}' for (m, n, r), _, lim in sizes)}; "
          "times are wall-clock seconds including model compile (CPU seconds of this process in brackets); "
          "ratio < 1 means ours is faster.")
    print(f"whole run: {time.perf_counter() - started:.0f} s wall, {time.process_time() - cpu:.0f} s CPU in this "
          f"process; load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end (2 cores)")


if __name__ == "__main__":
    main()
