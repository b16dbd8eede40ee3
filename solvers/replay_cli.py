"""``allot replay``: run a recorded event trace through a :class:`~allotment.solvers.incremental.Reallocator`.

    allot replay MODEL.json EVENTS.jsonl [--method M] [--migration-cost X] [--relax]
                 [--compare-cold] [--heartbeat-timeout S] [--time-limit S] [--seed N] [--json]

Per event it prints the re-solve time (carrying the event to the live solver object plus
solving), the status, the objective and the number of changed assignments; with
``--compare-cold`` also a cold solve of the same updated model (compile plus solve), whether
both optima agree, and at the end the totals and the speed-up. Heartbeat records are fed to
a :class:`~allotment.solvers.heartbeat.HeartbeatMonitor` when ``--heartbeat-timeout`` is
given (its ``AgentDown`` events are replayed like the others) and skipped otherwise.

Exit codes as for ``allot solve``: 0 every step has an answer (and, with
``--compare-cold``, the same optimum as the cold solve), 1 otherwise, 2 bad input (an
unreadable file or an event that does not fit the model, named with its line), 3 a
method that cannot run.

>>> import argparse
>>> parser = argparse.ArgumentParser(prog="allot")
>>> p = add_replay_parser(parser.add_subparsers())
>>> p.parse_args(["m.json", "t.jsonl", "--compare-cold"]).compare_cold
True
"""
from __future__ import annotations

import argparse
import json
import statistics
from typing import Any

from allotment.models import load
from allotment.models.errors import EventError

from .events import Event, Heartbeat, describe, event_to_dict, read_trace
from .heartbeat import HeartbeatMonitor
from .incremental import Reallocator

__all__ = ["add_replay_parser", "run_replay", "replay"]


def add_replay_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``replay`` subcommand to an ``argparse`` subparsers object; returns its parser."""
    p = subparsers.add_parser("replay", help="replay an event trace with warm re-solves (and compare with cold)",
                              description="Replay an event trace through a live Reallocator: per event the "
                                          "re-solve time, objective and changed assignments.")
    p.add_argument("model", help="instance file of the starting model")
    p.add_argument("events", help="JSON-lines event trace")
    p.add_argument("--method", default="auto", help="method (default auto: the warm method of the model)")
    p.add_argument("--migration-cost", type=float, default=0.0, help="penalty per broken pair of the last answer")
    p.add_argument("--relax", action="store_true", help="solve the LP relaxation (GeneralizedAssignment, highs)")
    p.add_argument("--compare-cold", action="store_true", help="also solve each updated model from scratch")
    p.add_argument("--heartbeat-timeout", type=float, help="declare agents down after this many silent seconds")
    p.add_argument("--time-limit", type=float, help="wall-clock seconds per re-solve")
    p.add_argument("--seed", type=int, help="seed for randomized methods")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--problem", type=int, help="problem number (1-based) in a multi-problem file")
    p.add_argument("--format", help="file format of MODEL (default: detected)")
    return p


def _events(records: list, timeout: float | None, agents: tuple[str, ...]) -> tuple[list[Event], int]:
    if timeout is None:
        events = [r for r in records if not isinstance(r, Heartbeat)]
        return events, len(records) - len(events)
    start = next((r.time for r in records if r.time is not None), 0.0)
    monitor = HeartbeatMonitor(timeout, agents, now=start)
    return list(monitor.feed(records)), 0


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


def replay(reallocator: Reallocator, events: list[Event], *, compare_cold: bool = False) -> dict[str, Any]:
    """Run ``events`` one by one; the per-step records and the totals (as ``allot replay --json``)."""
    steps: list[dict[str, Any]] = []
    for index, event in enumerate([None, *events]):
        if event is not None:
            try:
                reallocator.apply(event)
            except EventError as exc:
                at = "" if event.time is None else f" at time {event.time:g}"
                raise EventError(f"event {index}{at}: {exc}") from None
        cold = reallocator.solve_cold() if compare_cold else None
        res = reallocator.resolve()
        step: dict[str, Any] = {
            "index": index, "event": None if event is None else event_to_dict(event),
            "status": res.status.value, "objective": res.objective,
            "penalized_objective": res.info.get("penalized_objective"), "seconds": res.runtime,
            "warm": res.info["warm"], "n_changed": res.info["n_changed"], "n_forced": res.info["n_forced"],
            "changed": res.info["changed"],
        }
        if cold is not None:
            step["cold"] = {"status": cold.status.value, "objective": cold.objective, "seconds": cold.runtime}
            step["same_optimum"] = cold.status == res.status and _same(res.info.get("penalized_objective"),
                                                                       cold.objective)
        steps.append(step)
    later = steps[1:]
    totals: dict[str, Any] = {
        "events": len(events),
        "warm_seconds": sum(s["seconds"] for s in later),
        "warm_median_ms": 1e3 * statistics.median(s["seconds"] for s in later) if later else None,
        "changed": sum(s["n_changed"] for s in later),
        "without_answer": sum(s["objective"] is None for s in steps),
    }
    if compare_cold:
        totals["cold_seconds"] = sum(s["cold"]["seconds"] for s in later)
        totals["cold_median_ms"] = 1e3 * statistics.median(s["cold"]["seconds"] for s in later) if later else None
        totals["speedup"] = totals["cold_seconds"] / totals["warm_seconds"] if totals["warm_seconds"] > 0 else None
        totals["mismatches"] = sum(not s["same_optimum"] for s in steps)
    return {"version": 1, "steps": steps, "totals": totals}


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


def _print_table(run: dict[str, Any], events: list[Event], compare: bool, skipped: int) -> None:
    header = ["#", "event", "status", "objective", "changed", "ms"] + (["cold ms", "cold objective", "same"]
                                                                          if compare else [])
    rows = []
    for step, event in zip(run["steps"], [None, *events]):
        row = [str(step["index"]), "start (cold)" if event is None else describe(event), step["status"],
               _num(step["objective"]), str(step["n_changed"]), f"{1e3 * step['seconds']:.2f}"]
        if compare:
            cold = step["cold"]
            row += [f"{1e3 * cold['seconds']:.2f}", _num(cold["objective"]), "yes" if step["same_optimum"] else "NO"]
        rows.append(row)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    print("\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]))
    t = run["totals"]
    print(f"\n{t['events']} events: warm {t['warm_seconds']:.3f} s in total, median {t['warm_median_ms'] or 0:.3g} ms "
          f"per event; {t['changed']} assignment(s) changed" + (f"; {skipped} heartbeat record(s) skipped "
                                                                "(give --heartbeat-timeout to use them)"
                                                                if skipped else ""))
    if compare:
        print(f"cold: {t['cold_seconds']:.3f} s in total, median {t['cold_median_ms'] or 0:.3g} ms per event; "
              f"speed-up (cold / warm) {'-' if t['speedup'] is None else format(t['speedup'], '.3g')}x; {t['mismatches']} step(s) with a different optimum")


def run_replay(args: argparse.Namespace) -> int:
    """Run ``allot replay``; returns the exit code."""
    opts = {k: v for k, v in (("problem", args.problem),) if v is not None}
    model = load(args.model, format=args.format, **opts)
    records = read_trace(args.events)
    events, skipped = _events(records, args.heartbeat_timeout, tuple(getattr(model, "agent_ids", ())))
    reallocator = Reallocator(model, method=args.method, migration_cost=args.migration_cost, relax=args.relax,
                              time_limit=args.time_limit, seed=args.seed)
    try:
        run = replay(reallocator, events, compare_cold=args.compare_cold)
    except EventError as exc:
        if skipped:  # a silent agent was never declared down: say how to let the monitor do it
            raise EventError(f"{exc} (the trace has {skipped} heartbeat record(s), ignored without "
                             "--heartbeat-timeout; give it so that silent agents are declared down)") from None
        raise
    if args.json:
        print(json.dumps(run, indent=1))
    else:
        _print_table(run, events, args.compare_cold, skipped)
    bad = run["totals"]["without_answer"] or run["totals"].get("mismatches", 0)
    return 1 if bad else 0
