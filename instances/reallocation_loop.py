"""A reallocation control loop on a recorded trace: heartbeats -> monitor -> Reallocator -> allocation.

    .venv/bin/python instances/reallocation_loop.py [--migration-cost 5] [--timeout 2.5]

The model (``reallocation-gap.json``) is a generalized assignment of 40 jobs to 8
workers with capacities (a job may stay unassigned at a penalty). The trace
(``reallocation-trace.jsonl``) records one heartbeat per worker per second and the task
events: jobs arrive and finish, worker ``w3`` stops sending heartbeats at t = 9 s, ``w5``
at t = 24 s (it comes back at t = 33 s and announces itself with an ``agent_up``), a new
worker joins, a demand spike doubles what eight jobs need from t = 20 s to t = 36 s.
The monitor turns silence into ``agent_down`` events; each event is applied to the live
allocation and re-solved warm (MIP start). ``--write-example`` regenerates both files.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from allotment.models import GeneralizedAssignment, load, save
from allotment.solvers.events import (AgentUp, CapacityChanged, CostChanged, DemandChanged, Heartbeat, TaskAdded,
                                      TaskDone, describe, read_trace, write_trace)
from allotment.solvers.heartbeat import HeartbeatMonitor
from allotment.solvers.incremental import Reallocator

HERE = Path(__file__).resolve().parent
MODEL, TRACE = HERE / "reallocation-gap.json", HERE / "reallocation-trace.jsonl"


def write_example(seed: int = 7) -> None:
    """The example model and trace (deterministic)."""
    rng = np.random.default_rng(seed)
    m, n = 8, 40
    workers, jobs = [f"w{i}" for i in range(m)], [f"j{j:02d}" for j in range(n)]
    cost = rng.integers(5, 40, (m, n)).astype(float)
    weight = rng.integers(2, 10, (m, n)).astype(float)
    capacity = np.full(m, float(np.ceil(weight.mean() * n / m * 1.35)))
    save(GeneralizedAssignment(cost, weight, capacity, unassigned_penalty=60.0, agent_ids=workers, task_ids=jobs,
                               name="reallocation-example"), MODEL)
    silent = {"w3": (9.0, None), "w5": (24.0, 33.0)}  # last beat, back at
    records: list = []
    spike = [f"j{j:02d}" for j in range(10, 18)]

    later = [w for w in workers if w not in ("w3", "w5")] + ["w8"]  # alive at t = 28

    def spiked(job: str, factor: float) -> dict[str, float]:  # the workers of the start but w3 (gone by then)
        return {w: factor * float(weight[i, jobs.index(job)]) for i, w in enumerate(workers) if w != "w3"}

    events = {
        5.0: [TaskAdded(f"j{n + k}", {"cost": rng.integers(5, 40, m).astype(float).tolist(),
                                      "weight": rng.integers(2, 10, m).astype(float).tolist(), "penalty": 60.0})
              for k in range(2)],
        12.0: [CostChanged({j: float(c) for j, c in zip(jobs + ["j40", "j41"], rng.integers(20, 60, n + 2))},
                           agent="w1")],
        15.0: [TaskDone("j05"), TaskDone("j17")],
        20.0: [DemandChanged(spiked(j, 2.0), task=j) for j in spike if j != "j17"],
        22.0: [CapacityChanged(float(capacity[0] * 0.6), agent="w0")],
        26.0: [AgentUp("w8", {"cost": rng.integers(5, 40, n).astype(float).tolist(),
                              "weight": rng.integers(2, 10, n).astype(float).tolist(), "capacity": float(capacity[0])})],
        28.0: [TaskAdded(f"j{n + 2 + k}", {"cost": {w: float(rng.integers(5, 40)) for w in later},
                                           "weight": {w: float(rng.integers(2, 10)) for w in later},
                                           "penalty": 60.0}) for k in range(3)],
        36.0: [DemandChanged(spiked(j, 1.0), task=j) for j in spike if j != "j17"],
    }
    # w5's comeback: its data must cover the jobs that exist then (the 38 + 5 - 2 left)
    alive_jobs = [j for j in jobs if j not in ("j05", "j17")] + [f"j{n + k}" for k in range(5)]
    comeback = AgentUp("w5", {"cost": {j: float(rng.integers(5, 40)) for j in alive_jobs},
                              "weight": {j: float(rng.integers(2, 10)) for j in alive_jobs},
                              "capacity": float(capacity[5])}, time=33.0)
    for second in range(1, 41):
        t = float(second)
        for w in workers + (["w8"] if t > 26 else []):
            last, back = silent.get(w, (None, None))
            if last is not None and last < t and (back is None or t < back):
                continue
            records.append(Heartbeat(w, t))
        if t == 33.0:
            records.append(comeback)
        for event in events.get(t, []):
            records.append(type(event)(**{**event.__dict__, "time": t + 0.5}))
    write_trace(records, TRACE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--migration-cost", type=float, default=0.0)
    parser.add_argument("--timeout", type=float, default=2.5, help="heartbeat timeout, seconds")
    parser.add_argument("--write-example", action="store_true", help="regenerate the example model and trace")
    args = parser.parse_args(argv)
    if args.write_example:
        write_example()
        print(f"wrote {MODEL.name} and {TRACE.name}")
        return 0
    model = load(MODEL)
    records = read_trace(TRACE)
    monitor = HeartbeatMonitor(args.timeout, model.agent_ids, now=0.0)
    realloc = Reallocator(model, migration_cost=args.migration_cost)
    first = realloc.resolve()
    print(f"t=0.0   start: {first.status}, cost {first.objective:g}, {first.runtime * 1e3:.1f} ms (cold)")
    for event in monitor.feed(records):
        res = realloc.step(event)
        moved = ", ".join(f"{c['task']} {c['from']}->{c['to']}" for c in res.info["changed"][:4])
        more = " ..." if res.info["n_changed"] > 4 else ""
        print(f"t={event.time:<5g} {describe(event):<32} {res.status}, cost {res.objective:g}, "
              f"{res.runtime * 1e3:.1f} ms ({res.info['warm']}), {res.info['n_changed']} changed: {moved}{more}")
        if not res.ok:
            return 1
    print(f"\nworkers alive: {', '.join(realloc.model.agent_ids)}; declared down by the monitor: "
          f"{', '.join(monitor.down) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
