"""DCOP benchmark: DPOP, the exact ILP (HiGHS) and Max-Sum against pyDCOP, side by side.

Seeded soft graph colouring (3 colours, each colour pair of each edge a random cost 0..9,
as ``pydcop generate graph_coloring --soft``) on scale-free (Barabasi-Albert, m=2) and
random (Erdos-Renyi, mean degree 4) graphs with 30, 100 and 300 variables.

For every instance: DPOP time to the exact optimum (refused when its planned memory is over
the limit), HiGHS time on the compiled ILP (60 s limit), Max-Sum cost after 200 rounds and
after 1 s relative to the optimum (or to the best known value when nothing proved one),
Max-Sum rounds per second, MGM for reference, and pyDCOP's DPOP and Max-Sum on the very
same instance written as a pyDCOP YAML file.

pyDCOP (0.1.1 on PyPI) does not import on Python >= 3.10; give a Python that has it with
``--pydcop /path/to/python`` (its ``dcop.py`` must sit beside it) or the environment
variable ``PYDCOP_PYTHON``. Without one the pyDCOP columns say "not run".

Run: ``.venv/bin/python benchmarks/dcop.py`` (about 6-8 minutes with pyDCOP, 3 without);
``--quick`` runs the 30-variable instances only.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from allotment.models.dcop_io import write_pydcop_yaml
from allotment.models.generators_dcop import graph_coloring
from allotment.solvers import solve
from allotment.solvers.dcop import dpop, max_sum, mgm, plan_dpop
from allotment.solvers.dcop.dpop import DEFAULT_MEMORY_LIMIT

HIGHS_LIMIT = 60.0
DPOP_LIMIT = 120.0
PYDCOP_DPOP_LIMIT = {30: 30, 100: 60}
PYDCOP_MAXSUM_LIMIT = 15


def instances(sizes: list[int]):
    for graph in ("scale_free", "random"):
        for n in sizes:
            yield graph, n, graph_coloring(n, colors=3, graph=graph, m_edge=2, soft=True, seed=n)


def run_pydcop(python: str | None, algo: str, path: Path, limit: float, workdir: Path) -> dict:
    """Run pyDCOP's CLI; read its value-change metrics (time, cost) and final JSON."""
    if python is None:
        return {"note": "not run"}
    script = Path(python).parent / "dcop.py"
    metrics = workdir / f"{path.stem}-{algo}.csv"
    metrics.unlink(missing_ok=True)
    # Max-Sum has a computation per variable and per factor: the default one-agent-per-computation
    # distribution refuses it, so pyDCOP's `adhoc` distribution places them (it needs capacities).
    dist = ["-d", "adhoc"] if algo == "maxsum" else []
    cmd = [python, str(script), "-t", str(int(limit)), "solve", "--algo", algo, *dist, "-c", "value_change",
           "--run_metrics", str(metrics), str(path)]
    started = time.perf_counter()
    out: dict = {}
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=limit + 45)
        try:
            final = json.loads(proc.stdout[proc.stdout.index("{"):])
            out.update(status=final.get("status"), cost=final.get("cost"), time=final.get("time"))
        except (ValueError, json.JSONDecodeError):
            out["note"] = "error: " + (proc.stderr.strip().splitlines() or ["no output"])[-1][:80]
    except subprocess.TimeoutExpired:
        out.update(status=f"still running {limit + 45:.0f} s after start, killed", cost=None)
    out["wall"] = time.perf_counter() - started
    rows = []
    if metrics.exists():
        with open(metrics) as fh:
            rows = [r for r in csv.DictReader(fh) if r["cost"] not in ("None", "")]
    if rows:  # the value-change metrics: cost of each complete assignment and when it was seen
        series = [(float(r["time"]), float(r["cost"])) for r in rows]
        best = min(c for _, c in series)
        out["best"] = best
        out["first_time"] = series[0][0]
        out["time_to_best"] = next(t for t, c in series if c == best)
        one_second = [c for t, c in series if t <= series[0][0] + 1.0]
        out["cost_1s"] = min(one_second) if one_second else None
    return out


def fmt(x: float | None, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.{digits}f}"


def ratio(cost: float | None, ref: float | None) -> str:
    if cost is None or ref is None or ref == 0:
        return "-"
    return f"{cost / ref:.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30-variable instances only")
    parser.add_argument("--pydcop", default=os.environ.get("PYDCOP_PYTHON"),
                        help="a Python interpreter that has pyDCOP installed (dcop.py beside it)")
    args = parser.parse_args()
    sizes = [30] if args.quick else [30, 100, 300]
    workdir = Path(tempfile.mkdtemp(prefix="dcop-bench-"))
    rows = []
    for graph, n, d in instances(sizes):
        path = workdir / f"{graph}{n}.yaml"
        write_pydcop_yaml(d, path)
        # pyDCOP's adhoc distribution needs agent capacities; they do not change the problem.
        data = yaml.safe_load(path.read_text())
        data["agents"] = {a: {"capacity": 10000} for a in data["agents"]}
        path.write_text(yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=1000))
        plan = plan_dpop(d)
        row: dict = {"graph": graph, "n": n, "edges": d.n_factors, "width": plan.induced_width,
                     "largest": plan.largest_util}
        if plan.peak_bytes <= DEFAULT_MEMORY_LIMIT:
            r = dpop(d, time_limit=DPOP_LIMIT)
            row.update(dpop_time=r.runtime, dpop_status=r.status, dpop_cost=r.cost if r.status == "optimal" else None)
        else:
            row.update(dpop_time=None, dpop_status="refused", dpop_cost=None)
        h = solve(d, method="highs", time_limit=HIGHS_LIMIT, seed=0)
        row.update(ilp_time=h.runtime, ilp_status=h.status.value, ilp_cost=h.objective, ilp_bound=h.bound)
        ms200 = max_sum(d, max_iter=200, stable_iters=10**9, damping=0.5, seed=0)
        ms1 = max_sum(d, max_iter=10**9, stable_iters=10**9, time_limit=1.0, damping=0.5, seed=0)
        steady = (ms1.iterations - 1) / (ms1.times[-1] - ms1.times[0]) if ms1.iterations > 1 else float("nan")
        row.update(ms200=ms200.cost, ms1=ms1.cost, ms_its=steady, mgm=mgm(d, seed=0).cost)
        if row["dpop_cost"] is not None:
            row.update(opt=row["dpop_cost"], opt_kind="optimum")
        elif h.status.value == "optimal":
            row.update(opt=h.objective, opt_kind="optimum")
        else:
            known = min(c for c in (h.objective, ms200.cost, ms1.cost) if c is not None)
            row.update(opt=known, opt_kind="best known")
        if n in PYDCOP_DPOP_LIMIT:
            row["py_dpop"] = run_pydcop(args.pydcop, "dpop", path, PYDCOP_DPOP_LIMIT[n], workdir)
        else:
            row["py_dpop"] = {"note": "not run (300 variables)"}
        row["py_ms"] = run_pydcop(args.pydcop, "maxsum", path, PYDCOP_MAXSUM_LIMIT, workdir)
        rows.append(row)
        print(f"done {graph} {n}", file=sys.stderr, flush=True)

    print("| graph | n | edges | width (min-fill) | DPOP s | pyDCOP DPOP | ILP (HiGHS) s | optimum | "
          "Max-Sum 200 rounds / opt | Max-Sum 1 s / opt | Max-Sum rounds/s | MGM / opt | pyDCOP Max-Sum / opt |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        dp = fmt(r["dpop_time"]) if r["dpop_status"] == "optimal" else r["dpop_status"]
        proven = r["opt_kind"] == "optimum"

        def rel(cost: float | None) -> str:
            text = ratio(cost, r["opt"])
            if not proven and cost is not None and r["ilp_bound"]:
                text += f" (vs ILP bound {ratio(cost, r['ilp_bound'])})"
            return text

        py = r["py_dpop"]
        if "note" in py:
            py_txt = py["note"]
        elif py.get("best") is None:
            py_txt = f"{py.get('status', '?')}: no complete assignment"
        else:
            found = "optimum" if py["best"] == r["opt"] else "not optimal"
            py_txt = (f"{py.get('status', '?')}: best {py['best']:.0f} ({found}) at {fmt(py['time_to_best'], 1)} s")
        ilp = fmt(r["ilp_time"]) + ("" if r["ilp_status"] == "optimal" else
                                    f" ({r['ilp_status']}: {fmt(r['ilp_cost'], 0)}, bound {fmt(r['ilp_bound'], 0)})")
        pm = r["py_ms"]
        if "note" in pm:
            pm_txt = pm["note"]
        elif pm.get("best") is None:
            pm_txt = f"{pm.get('status', '?')}: no complete assignment"
        else:
            pm_txt = f"{rel(pm['best'])}; 1 s after its first assignment {ratio(pm.get('cost_1s'), r['opt'])}"
        opt = f"{r['opt']:.0f}" + ("" if proven else " (best known)")
        print(f"| {r['graph']} | {r['n']} | {r['edges']} | {r['width']} | {dp} | {py_txt} | {ilp} | {opt} | "
              f"{rel(r['ms200'])} | {rel(r['ms1'])} | {r['ms_its']:.0f} | {rel(r['mgm'])} | {pm_txt} |")


if __name__ == "__main__":
    main()
