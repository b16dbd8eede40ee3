"""``allot compare``: score allocators against an exact baseline over instance files.

    allot compare FILES... --allocators a,b,c [--baseline highs|auto|none] [--time-limit S]
                  [--baseline-time-limit S] [--seed N] [--options JSON] [--out results.csv]
                  [--json results.json] [--plot gap.png] [--jobs N | --dask local|tcp://host:8786]
                  [--resume] [--retry-failed] [--progress | --no-progress]
                  [--problem K] [--sense min|max] [--format F]

Allocators are method names (``allot methods``), names registered with
:func:`~allotment.solvers.compare.register_allocator`, or ``package.module:function``.
Records stream to ``--out`` (CSV, or JSON lines for ``.jsonl``) as they finish; after an
interruption, the same command with ``--resume`` runs only what is missing. The summary
table (per allocator: runs, answers, checked answers, errors, mean / median / max gap,
mean seconds) goes to stdout.

Exit codes: 0 when every run finished (allocators that found no answer are results, not
failures), 1 when a run raised an error (its record says which), 2 for bad input, 3 for an
unknown or uninstalled allocator (as ``allot solve``).

>>> import argparse
>>> sub = argparse.ArgumentParser(prog="allot").add_subparsers(dest="command")
>>> p = add_compare_parser(sub)
>>> args = p.parse_args(["a.txt", "--allocators", "greedy,cbba", "--baseline", "highs", "--jobs", "1"])
>>> args.allocators, args.baseline, args.jobs
('greedy,cbba', 'highs', 1)
"""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_compare_parser", "run_compare"]


def add_compare_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``compare`` subcommand to ``subparsers``; returns its parser."""
    p = subparsers.add_parser("compare", help="score allocators against the exact optimum over instance files",
                              description="Run allocators and an exact baseline on every instance, check every "
                                          "answer, and report the gap to the optimum.")
    p.add_argument("files", nargs="+", help="instance files (every problem of a multi-problem file)")
    p.add_argument("--allocators", required=True,
                   help="comma-separated allocators: method names, registered names or package.module:function")
    p.add_argument("--baseline", default="auto", help="exact baseline (a method name, 'auto', or 'none')")
    p.add_argument("--time-limit", type=float, help="wall-clock seconds per allocator run")
    p.add_argument("--baseline-time-limit", type=float, help="seconds for the baseline (default: --time-limit)")
    p.add_argument("--seed", type=int, default=0, help="seed handed to every allocator (default 0)")
    p.add_argument("--options", help='per-allocator options as JSON, e.g. \'{"ga": {"population": 50}}\'')
    p.add_argument("--out", help="results file, written as records finish: .csv or .jsonl")
    p.add_argument("--json", dest="json_out", help="also write the records and summary as one JSON document")
    p.add_argument("--plot", help="draw the gap distribution per allocator to this image (PNG, SVG ...)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=int, help="local worker processes (default: one per core; 1 = in process)")
    where.add_argument("--dask", help="run on Dask: 'local' (a LocalCluster) or a scheduler address tcp://host:8786")
    p.add_argument("--workers", type=int, help="with --dask local: number of workers (default: one per core)")
    p.add_argument("--resume", action="store_true", help="skip the runs already recorded in --out")
    p.add_argument("--retry-failed", action="store_true", help="with --resume: run again the runs that raised")
    bar = p.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None, help="show a progress bar")
    bar.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    p.add_argument("--problem", type=int, help="only this problem (1-based) of multi-problem files")
    p.add_argument("--sense", choices=["min", "max"], help="objective sense for formats that do not state it")
    p.add_argument("--format", help="file format (default: detected), e.g. json, orlib-gap, orlib-lap")
    return p


def run_compare(args: argparse.Namespace) -> int:
    """Run ``allot compare`` for parsed ``args``; returns the exit code."""
    from .cli import EXIT_NO_ANSWER, EXIT_OK
    from .compare import compare, plot_gaps

    if args.resume and not args.out:
        raise ValueError("`--resume` needs `--out`, the results file of the interrupted run")
    if args.retry_failed and not args.resume:
        raise ValueError("`--retry-failed` goes with `--resume`")
    for f in args.files:
        if not Path(f).is_file():
            from allotment.models import InstanceError

            raise InstanceError("no such file", source=str(f))
    options = json.loads(args.options) if args.options else None
    if options is not None and (not isinstance(options, dict) or not all(isinstance(v, dict) for v in options.values())):
        raise ValueError("`--options` must be a JSON object of objects: {\"allocator\": {\"option\": value}}")
    reader = {k: v for k, v in (("problem", args.problem), ("sense", args.sense), ("format", args.format))
              if v is not None}
    baseline = None if args.baseline.lower() == "none" else args.baseline
    with _executor(args) as executor:
        table = compare(args.files, args.allocators, baseline, time_limit=args.time_limit,
                        baseline_time_limit=args.baseline_time_limit, seed=args.seed, options=options,
                        executor=executor, jobs=args.jobs, out=args.out, resume=args.resume,
                        retry_failed=args.retry_failed, progress=args.progress, reader=reader)
    run = getattr(table, "run", None)
    print(table.format())
    if args.out:
        resumed = f"; {run.n_resumed} resumed from the file" if run is not None and run.n_resumed else ""
        print(f"\nwrote {len(table)} records to {args.out}{resumed}")
    if args.json_out:
        table.to_json(args.json_out)
        print(f"wrote {args.json_out}")
    if args.plot:
        plot_gaps(table, args.plot, title=f"gap to the {'optimum' if baseline else 'reference'}: "
                                          f"{len({r.instance for r in table})} instance(s)")
        print(f"wrote {args.plot}")
    failed = [r for r in table if r.error]
    for r in failed[:5]:
        print(f"allot: run {r.instance} / {r.allocator} failed: {r.error}", file=sys.stderr)
    return EXIT_NO_ANSWER if failed else EXIT_OK


@contextlib.contextmanager
def _executor(args: argparse.Namespace) -> Any:
    if not args.dask:
        if args.workers is not None:
            raise ValueError("`--workers` goes with `--dask local`; use `--jobs` for local processes")
        yield None
        return
    from .batch import dask_executor

    with dask_executor(args.dask, jobs=args.workers) as ex:
        yield ex
