"""VCG payments on CATS instances: warm sub-solves against the naive way, side by side in one run.

"warm" is ``vcg(auction)``: live HiGHS objects; per winning bidder its bid columns are fixed
to 0, a warm LP relaxation tightened by a shared pool of clique / odd-cycle cuts proves the
easy cases, the others get a better start (LP-guided greedy, a MIP on the LP's support),
reduced-cost fixing, and a MIP from the best known allocation (see ``solvers/mechanisms.py``);
bounds are restored afterwards. "naive" is
``vcg(auction, warm=False)``: one cold ``solve`` of the whole auction plus one cold solve
of the auction without each winner. Both use HiGHS with ``threads=1`` and the same exact
(decimal grid) stopping rule, and both must produce the same, exact payments.

    .venv/bin/python benchmarks/vcg.py                       # default instances
    .venv/bin/python benchmarks/vcg.py --instances 3atom/3atom-100-500-0000.txt --bidders 4
    .venv/bin/python benchmarks/vcg.py --known               # winner determination vs known.csv

Times are medians over ``--repeats`` interleaved runs, as wall-clock seconds and as this
process's CPU seconds (HiGHS runs in-process on one thread, so CPU time is the figure that a
busy shared machine distorts least).
``--bidders K`` limits both ways to the payments of the first K winners (for instances whose
full VCG run would take too long here); the table then says "K of N".
``--known`` solves every file that known.csv marks optimal and the tests do not cover.
"""
from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from allotment.models import load
from allotment.solvers import solve
from allotment.solvers.mechanisms import vcg

SHARED = Path(os.environ.get("ALLOTMENT_SHARED", Path(__file__).resolve().parents[2] / "shared"))
CATS = SHARED / "instances" / "cats"
DEFAULT = [f"2atom/2atom-100-500-000{k}.txt" for k in range(5)] + [
    "3atom/3atom-100-100-0000.txt", "3atom/3atom-100-100-0001.txt",
    "arbitrary/arbitrary-100-100-0000.txt", "arbitrary/arbitrary-100-100-0004.txt"]
IN_TESTS = ("2atom-100-100", "2atom-100-500", "3atom-100-100", "arbitrary-100-100-0000", "arbitrary-100-100-0004")


def _timed(fn):
    """Run ``fn()``; return its value, wall-clock seconds and this process's CPU seconds."""
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def run_vcg(files: list[str], repeats: int, bidders: int | None) -> None:
    rows = []
    for name in files:
        ca = load(CATS / name)
        chosen = None
        if bidders is not None:
            first = vcg(ca, options={"threads": 1}, bidders=[])
            chosen = first.winners[:bidders].tolist()
        times = {"naive": ([], []), "warm": ([], [])}
        for _ in range(repeats):  # interleaved, so both ways see the same machine load
            naive, w, c = _timed(lambda: vcg(ca, warm=False, options={"threads": 1}, bidders=chosen))
            times["naive"][0].append(w)
            times["naive"][1].append(c)
            warm, w, c = _timed(lambda: vcg(ca, options={"threads": 1}, bidders=chosen))
            times["warm"][0].append(w)
            times["warm"][1].append(c)
        done = [s.bidder for s in warm.subproblems if s.status != "not_requested"]
        diff = float(np.max(np.abs(warm.payments[done] - naive.payments[done]))) if done else 0.0
        exact = all(s.exact for s in warm.subproblems if s.status != "not_requested") and \
            all(s.exact for s in naive.subproblems if s.status != "not_requested")
        by_lp = sum(s.how == "lp" for s in warm.subproblems)
        med = {k: (statistics.median(v[0]), statistics.median(v[1])) for k, v in times.items()}
        rows.append((name, ca.n_bids, len(warm.winners), len(done), med, by_lp, diff, exact))
        print(f"  {name}: naive {med['naive'][0]:.2f}s wall / {med['naive'][1]:.2f}s cpu, "
              f"warm {med['warm'][0]:.2f}s wall / {med['warm'][1]:.2f}s cpu", file=sys.stderr, flush=True)
    print("| instance | bids | winners | payments computed | naive s (wall / cpu) | warm s (wall / cpu) "
          "| naive / warm (wall / cpu) | proved by warm LP | max payment difference | exact |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, nb, nw, nd, med, lp, diff, exact in rows:
        (nw_, nc), (ww, wc) = med["naive"], med["warm"]
        print(f"| {name} | {nb} | {nw} | {nd} of {nw} | {nw_:.2f} / {nc:.2f} | {ww:.2f} / {wc:.2f} | "
              f"{nw_ / ww:.2f}x / {nc / wc:.2f}x | {lp} | {diff:.2g} | {'yes' if exact else 'no'} |")
    tot = [sum(r[4][k][j] for r in rows) for k in ("naive", "warm") for j in (0, 1)]
    print(f"| **total** | | | | {tot[0]:.2f} / {tot[1]:.2f} | {tot[2]:.2f} / {tot[3]:.2f} | "
          f"{tot[0] / tot[2]:.2f}x / {tot[1] / tot[3]:.2f}x | | | |")


def run_known(time_limit: float) -> None:
    with open(CATS / "known.csv") as fh:
        rows = [r for r in csv.DictReader(fh) if r["status"] == "optimal"
                and not any(r["file"].split("/")[-1].startswith(p) for p in IN_TESTS)]
    print("| file | bids | known revenue | ours (highs) | status | seconds | match |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        ca = load(CATS / r["file"])
        res = solve(ca, method="highs", time_limit=time_limit, options={"threads": 1})
        report = ca.check(res.answer) if res.answer is not None else None
        ours = report.objective if report is not None and report.feasible else float("nan")
        match = abs(ours - float(r["revenue"])) <= 1e-6 * max(1.0, abs(ours))
        print(f"| {r['file']} | {r['bids']} | {float(r['revenue']):.4f} | {ours:.4f} | {res.status.value} | "
              f"{res.runtime:.1f} | {'yes' if match else 'NO'} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", nargs="*", default=DEFAULT, help="CATS files relative to shared/instances/cats")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--bidders", type=int, default=None, help="only the first K winners' payments")
    ap.add_argument("--known", action="store_true", help="winner determination on the known.csv files not in tests")
    ap.add_argument("--time-limit", type=float, default=600.0, help="per file, for --known")
    args = ap.parse_args()
    if args.known:
        run_known(args.time_limit)
    else:
        run_vcg(args.instances, args.repeats, args.bidders)


if __name__ == "__main__":
    main()
