"""The ``allot`` command: solve, inspect and convert instance files.

    allot solve FILE... [--method M] [--time-limit S] [--seed N] [--problem K] [--sense min|max]
                        [--json] [--out PATH] [--verbose]
    allot info FILE [--problem K]
    allot convert FILE --to json|mps|lp [--out PATH] [--problem K]
    allot methods

Exit codes (stable):

====  =====================================================================
0     every run has an answer (status optimal or feasible)
1     at least one run ended without an answer (infeasible, unbounded,
      time_limit, error)
2     bad input: unreadable or malformed file, invalid data, bad arguments
3     the requested method is unknown, not installed, or cannot take the model
====  =====================================================================

``--json`` prints one JSON document: ``{"version": 1, "runs": [{"file": ..., "label": ...,
"problem": kind, "result": {status, objective, bound, gap, runtime, method, message, stages,
answer}}]}``; the keys are stable (see the README).
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from allotment.models import InstanceError, SolverUnavailableError, load_all, save
from allotment.models.errors import OptionError

from .api import methods_for, solve
from .backend import BACKENDS, _load_builtin_backends, available_methods

__all__ = ["main", "EXIT_OK", "EXIT_NO_ANSWER", "EXIT_BAD_INPUT", "EXIT_METHOD"]

EXIT_OK, EXIT_NO_ANSWER, EXIT_BAD_INPUT, EXIT_METHOD = 0, 1, 2, 3
JSON_VERSION = 1

#: subcommands that live in feature modules: (module, name)
FEATURE_SUBCOMMANDS = [("allotment.solvers.replay_cli", "replay"), ("allotment.solvers.compare_cli", "compare")]


def _reader_options(args: argparse.Namespace) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    if getattr(args, "problem", None) is not None:
        opts["problem"] = args.problem
    if getattr(args, "sense", None) is not None:
        opts["sense"] = args.sense
    return opts


def _fmt(value: float | None, digits: int = 6) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}g}"


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def _cmd_solve(args: argparse.Namespace) -> int:
    runs: list[dict[str, Any]] = []
    rows: list[list[str]] = []
    code = EXIT_OK
    options = json.loads(args.options) if args.options else None
    for file in args.files:
        for label, model in load_all(file, format=args.format, **_reader_options(args)):
            result = solve(model, method=args.method, time_limit=args.time_limit, seed=args.seed,
                           verbose=args.verbose, options=options)
            if not result.ok:
                code = EXIT_NO_ANSWER
            check = model.check(result.answer) if result.answer is not None else None
            runs.append({"file": str(file), "label": label, "problem": model.kind, "result": result.to_dict(),
                         "check": None if check is None else {"feasible": check.feasible,
                                                              "objective": check.objective,
                                                              "violations": list(check.violations)}})
            rows.append([label, result.method, result.status.value, _fmt(result.objective), _fmt(result.bound),
                         _fmt(result.gap, 3), f"{result.runtime:.3f}",
                         "-" if check is None else ("ok" if check.feasible else "FAILED")])
    if args.json:
        print(json.dumps({"version": JSON_VERSION, "runs": runs}, indent=None if args.out else 2))
    else:
        print(_table(rows, ["instance", "method", "status", "objective", "bound", "gap", "seconds", "check"]))
    if args.out:
        Path(args.out).write_text(json.dumps({"version": JSON_VERSION, "runs": runs}, indent=2) + "\n")
    return code


def _cmd_info(args: argparse.Namespace) -> int:
    for label, model in load_all(args.file, format=args.format, **_reader_options(args)):
        print(f"{label}: {model.kind} ({type(model).__name__}), sense {model.sense}, class {model.problem_class}")
        for key, value in model.size_summary().items():
            print(f"  {key}: {value}")
        print(f"  methods: {', '.join(b.name for b in methods_for(model)) or 'none installed'}")
    return EXIT_OK


def _cmd_convert(args: argparse.Namespace) -> int:
    models = load_all(args.file, format=args.format, **_reader_options(args))
    if len(models) > 1:
        raise InstanceError(f"holds {len(models)} problems; pick one with --problem", source=str(args.file))
    _, model = models[0]
    out = Path(args.out) if args.out else Path(args.file).with_suffix("." + args.to)
    if args.to == "json":
        save(model, out)
    else:
        from .highs import write_program

        write_program(model.to_program(), out)
    print(out)
    return EXIT_OK


def _cmd_methods(args: argparse.Namespace) -> int:
    _load_builtin_backends()
    installed = available_methods()
    rows = []
    for name, backend in sorted(BACKENDS.items()):
        rows.append([name, "yes" if name in installed else "no",
                     backend.solves or ", ".join(sorted(backend.accepts_classes)),
                     "exact" if backend.exact else "heuristic",
                     "-" if backend.auto_priority is None else str(backend.auto_priority),
                     backend.description])
    print(_table(rows, ["method", "installed", "solves", "kind", "auto order", "description"]))
    return EXIT_OK


def _add_reader_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--problem", type=int, help="problem number (1-based) in a multi-problem file")
    p.add_argument("--sense", choices=["min", "max"], help="objective sense for formats that do not state it")
    p.add_argument("--format", help="file format (default: detected), e.g. json, orlib-gap, orlib-lap")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="allot", description="Solve allocation problems and verify the answers.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("solve", help="solve instance files and print a table (or JSON)")
    p.add_argument("files", nargs="+", help="instance files")
    p.add_argument("--method", default="auto", help="method name (see `allot methods`); default auto")
    p.add_argument("--time-limit", type=float, help="wall-clock seconds per run")
    p.add_argument("--seed", type=int, help="seed for randomized methods")
    p.add_argument("--options", help="method options as a JSON object")
    p.add_argument("--json", action="store_true", help="print stable JSON instead of a table")
    p.add_argument("--out", help="also write the JSON results (answers included) to this file")
    p.add_argument("--verbose", action="store_true", help="show the solver's log")
    _add_reader_args(p)
    p.set_defaults(run=_cmd_solve)

    p = sub.add_parser("info", help="describe an instance file")
    p.add_argument("file")
    _add_reader_args(p)
    p.set_defaults(run=_cmd_info)

    p = sub.add_parser("convert", help="convert an instance file to JSON, MPS or LP")
    p.add_argument("file")
    p.add_argument("--to", required=True, choices=["json", "mps", "lp"])
    p.add_argument("--out", help="output path (default: the input's name with the new suffix)")
    _add_reader_args(p)
    p.set_defaults(run=_cmd_convert)

    p = sub.add_parser("methods", help="list the methods, whether installed, and what each solves")
    p.set_defaults(run=_cmd_methods)

    for module, name in FEATURE_SUBCOMMANDS:
        _add_feature_subcommand(sub, module, name)
    return parser


def _add_feature_subcommand(sub: Any, module: str, name: str) -> None:
    """A subcommand from a feature module: ``add_<name>_parser(sub) -> parser`` and ``run_<name>(args)``."""
    import importlib

    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:  # that feature is not part of this installation
            return
        raise
    parser = getattr(mod, f"add_{name}_parser")(sub)
    parser.set_defaults(run=getattr(mod, f"run_{name}"))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``allot``; returns the exit code (see the module docstring)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except InstanceError as exc:
        print(f"allot: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (SolverUnavailableError,) as exc:
        print(f"allot: error: {exc}", file=sys.stderr)
        return EXIT_METHOD
    except (OptionError, ValueError, json.JSONDecodeError) as exc:
        print(f"allot: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print(f"allot: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
