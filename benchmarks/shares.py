"""ShareAllocation: the min_latency optimum against demand_proportional and equal, 4 agents, 1x-3x load.

A coordinator and three specialists share one GPU (capacity 1). The coordinator routes every
request (high arrival rate, fast per request, priority 2); the specialists have minimum shares
of 10-35% (memory floors of their models). ``k x`` multiplies every arrival rate by k; the 4x
row is beyond what any allocation serves stably and shows how overload is reported.

Mean latency is the arrival-weighted M/M/1 delay sum_i lambda_i W_i / sum_i lambda_i, in
seconds; ``inf`` means at least one agent's queue is unstable under that rule. The optimum is
computed twice (closed form: Kleinrock's square-root rule; cvxpy/CLARABEL) and the two are
timed side by side; every answer passes ``model.check``.

Run: ``.venv/bin/python benchmarks/shares.py``
"""
from __future__ import annotations

import statistics
import time

import numpy as np

from allotment.models import ShareAllocation
from allotment.solvers import Status, solve

AGENTS = ["coordinator", "code", "search", "math"]
BASE = dict(
    arrival_rate=np.array([1.5, 0.5, 0.5, 0.25]),  # requests / s at 1x
    service_rate=np.array([20.0, 8.0, 12.0, 5.0]),  # requests / s with the whole GPU
    priority=np.array([2.0, 1.0, 1.0, 1.0]),
    min_share=np.array([0.2, 0.15, 0.1, 0.35]),
)


def model(load: float, objective: str) -> ShareAllocation:
    return ShareAllocation(BASE["arrival_rate"] * load, BASE["service_rate"], priority=BASE["priority"],
                           min_share=BASE["min_share"], capacity=1.0, objective=objective, agent_ids=AGENTS)


def timed(m: ShareAllocation, method: str, repeats: int = 7) -> tuple[object, float]:
    times, result = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        result = solve(m, method)
        times.append(time.perf_counter() - t)
    return result, statistics.median(times)


def fmt(v: float) -> str:
    return "inf" if not np.isfinite(v) else f"{v * 1000:.1f}"


def main() -> None:
    solve(model(1.0, "min_latency"), "cvxpy")  # import cvxpy once before timing
    rows = []
    for load in (1.0, 2.0, 3.0, 4.0):
        opt_model = model(load, "min_latency")
        closed, t_closed = timed(opt_model, "closed_form")
        conic, t_cvx = timed(opt_model, "cvxpy")
        latency = {}
        shares = {}
        for rule in ("demand_proportional", "equal", "max_min_fair"):
            rule_model = model(load, rule)
            r = solve(rule_model)
            assert rule_model.check(r.answer).feasible
            latency[rule] = r.answer.mean_latency
            shares[rule] = r.answer.shares
        if closed.status is Status.OPTIMAL:
            assert opt_model.check(closed.answer).feasible and opt_model.check(conic.answer).feasible
            opt = closed.objective
            assert abs(conic.objective - opt) <= 1e-6 * max(1.0, opt)
            shares["min_latency"] = closed.answer.shares
        else:
            opt = float("inf")
        rows.append((load, opt_model.load_factor, closed.status.value, opt, latency, t_closed, t_cvx, shares,
                     closed.message if closed.status is not Status.OPTIMAL else ""))

    print("Mean latency in ms (arrival-weighted M/M/1); ratio = rule / optimum\n")
    print("| load | sum(lambda/mu) | min_latency (optimum) | demand_proportional | equal | max_min_fair | "
          "demand_prop. / opt | equal / opt |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for load, lf, status, opt, lat, *_ in rows:
        def ratio(v: float) -> str:
            if not np.isfinite(opt):
                return "n/a"
            return "inf" if not np.isfinite(v) else f"{v / opt:.2f}"
        best = fmt(opt) if status == "optimal" else f"{status} (overloaded)"
        print(f"| {load:g}x | {lf:.3f} | {best} | {fmt(lat['demand_proportional'])} | {fmt(lat['equal'])} | "
              f"{fmt(lat['max_min_fair'])} | {ratio(lat['demand_proportional'])} | {ratio(lat['equal'])} |")

    print("\nShares (coordinator, code, search, math)\n")
    print("| load | min_latency | demand_proportional | equal | max_min_fair |")
    print("|---|---|---|---|---|")
    for load, *_, shares, _msg in rows:
        def s(rule: str) -> str:
            return ", ".join(f"{v:.3f}" for v in shares[rule]) if rule in shares else "-"
        print(f"| {load:g}x | {s('min_latency')} | {s('demand_proportional')} | {s('equal')} | {s('max_min_fair')} |")

    print("\nSolve time of the optimum, median of 7 (ms)\n")
    print("| load | closed_form | cvxpy (CLARABEL) | closed_form / cvxpy |")
    print("|---|---:|---:|---:|")
    for load, _lf, status, _opt, _lat, t_closed, t_cvx, _shares, _msg in rows:
        if status != "optimal":
            print(f"| {load:g}x | - | - | - (both report {status} before solving) |")
            continue
        print(f"| {load:g}x | {t_closed * 1000:.3f} | {t_cvx * 1000:.2f} | {t_closed / t_cvx:.3f} |")
    for load, *_, msg in rows:
        if msg:
            print(f"\n{load:g}x: {msg}")


if __name__ == "__main__":
    main()
