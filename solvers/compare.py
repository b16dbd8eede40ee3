"""Score allocators against the exact optimum: one call over a set of instances.

An **allocator** is anything that turns a model into an answer:

- a name: a registered method (``allot methods``: ``greedy``, ``round_robin``, ``fifo``,
  ``wspt``, ``ssi``, ``cbba``, ``contract_net``, ``maxsum``, ``dsa``, ``mgm``, ``ga``,
  ``pso``, ``demand_proportional``, the exact ``highs``, ``cpsat``, ``dpop`` ...) or a name
  added with :func:`register_allocator`. The DCOP methods (``maxsum``, ``dsa``, ``mgm``)
  also take unit-capacity assignment models, through the agents' DCOP of
  :func:`~allotment.solvers.baselines.unit_assignment_dcop`;
- a callable ``allocator(model) -> answer`` (it may also take ``time_limit`` and ``seed``
  keywords, and may return a :class:`~allotment.solvers.Result`);
- an object with an ``allocate(model)`` method of that kind (its ``name`` attribute, if
  any, names it).

:func:`compare` runs every allocator and a **baseline** (``"auto"``: the preferred exact
method, or any allocator) on every instance, checks every answer with the model's own
``check`` (feasibility and the objective, recomputed) and returns a
:class:`ComparisonTable`: a list of :class:`Record` s, one per (instance, allocator), with

    gap = (objective - reference) / |reference|   (minimising; (reference - objective) / |reference| maximising)

where the reference is the baseline's proven ``optimum`` (``gap_basis="optimum"``) or, when
the baseline only has an incumbent, its best proven ``bound`` (``gap_basis="bound"``: the
true gap is at most this). A baseline row's gap is its own optimality gap. Answers that
fail the check get no gap. The table writes CSV and JSON, converts to a pandas DataFrame,
summarises per allocator and plots the gap distributions (:func:`plot_gaps`). Work runs
through :func:`~allotment.solvers.batch.run_batch`: any executor, a Dask cluster,
streamed to ``out`` and resumable.

>>> from allotment.models.generators import yagiura_gap
>>> table = compare([yagiura_gap("A", 3, 12, seed=s) for s in range(2)], ["greedy", "ssi"], "highs", jobs=1)
>>> [(r.allocator, r.role, r.status, r.objective, r.check, round(r.gap, 4)) for r in table
...  if r.instance == "yagiura_a_3x12_seed0"]
[('highs', 'baseline', 'optimal', 246.0, 'ok', 0.0), ('greedy', 'allocator', 'feasible', 246.0, 'ok', 0.0), ('ssi', 'allocator', 'feasible', 250.0, 'ok', 0.0163)]
>>> [(s["allocator"], s["answers"], round(s["mean_gap"], 4)) for s in table.summary()]
[('highs', 2, 0.0), ('greedy', 2, 0.0), ('ssi', 2, 0.0081)]
"""
from __future__ import annotations

import concurrent.futures as cf
import csv
import inspect
import json
import math
import pickle
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from allotment.models import Model
from allotment.models.errors import SolverUnavailableError

from .batch import WorkItem, _expand, _to_cell, read_records, run_batch, write_records
from .result import Result, Status

__all__ = [
    "Allocator", "ALLOCATORS", "register_allocator", "allocator_names", "get_allocator", "run_allocator",
    "MethodAllocator", "Record", "RECORD_FIELDS", "ComparisonTable", "compare", "relative_gap_to", "plot_gaps",
]

#: an allocator: ``model -> answer`` (or Result), optionally taking ``time_limit=``, ``seed=``
Allocator = Callable[..., Any]

#: allocators registered by name beyond the methods (:func:`register_allocator`)
ALLOCATORS: dict[str, Allocator] = {}


def register_allocator(name: str, fn: Allocator | None = None) -> Any:
    """Register ``fn`` under ``name`` (usable as a decorator); a method of that name is shadowed.

    >>> @register_allocator("first_agent")
    ... def first_agent(model):
    ...     return model.answer(np.zeros(model.n_tasks, dtype=int))
    >>> "first_agent" in allocator_names()
    True
    >>> _ = ALLOCATORS.pop("first_agent")
    """
    if not isinstance(name, str) or not name or "," in name or ":" in name:
        raise ValueError(f"`name` must be a non-empty string without ',' or ':'; got {name!r}")

    def add(f: Allocator) -> Allocator:
        if not callable(f) and not callable(getattr(f, "allocate", None)):
            raise ValueError(f"`fn` must be callable or have an `allocate` method; got {type(f).__name__}")
        ALLOCATORS[name] = f
        return f

    return add(fn) if fn is not None else add


def allocator_names() -> list[str]:
    """Every allocator name: registered ones and every installed method."""
    from .backend import available_methods

    return sorted(set(ALLOCATORS) | set(available_methods()))


@dataclass(frozen=True)
class MethodAllocator:
    """A registered method as an allocator (picklable: workers look the method up by name)."""

    method: str

    def __call__(self, model: Model, *, time_limit: float | None = None, seed: int | None = None,
                 options: Mapping[str, Any] | None = None) -> Result:
        from .api import solve
        from .backend import get_backend
        from .baselines import DCOP_METHODS, allocate_via_dcop

        backend = get_backend(self.method)
        opts = dict(options) if options else None
        if self.method in DCOP_METHODS and not backend.accepts(model) and hasattr(model, "cost"):
            return allocate_via_dcop(model, self.method, time_limit=time_limit, seed=seed, options=opts)
        return solve(model, self.method, time_limit=time_limit, seed=seed, options=opts)


def get_allocator(spec: Any) -> tuple[str, Allocator]:
    """``(name, callable)`` of an allocator given by name, callable or ``allocate`` object.

    Names: :data:`ALLOCATORS` first, then the methods; ``"package.module:attribute"``
    imports an allocator (a class is instantiated without arguments). An unknown name
    raises :class:`~allotment.models.SolverUnavailableError` listing the known ones.
    """
    from .backend import BACKENDS, _load_builtin_backends

    if isinstance(spec, str):
        name = spec.strip()
        if name in ALLOCATORS:
            return name, _callable_of(ALLOCATORS[name])
        if ":" in name:
            return name, _callable_of(_import(name))
        _load_builtin_backends()
        if name in BACKENDS:
            backend = BACKENDS[name]
            if not backend.is_available():
                raise SolverUnavailableError(f"allocator {name!r} is a method that is not installed: it needs "
                                             f"{', '.join(backend.required_modules)}")
            return name, MethodAllocator(name)
        raise SolverUnavailableError(f"unknown allocator {name!r}; known: {', '.join(allocator_names())} "
                                     "(or 'package.module:function')")
    if callable(spec) or callable(getattr(spec, "allocate", None)):
        name = getattr(spec, "name", None) or getattr(spec, "__name__", None) or type(spec).__name__
        return str(name), _callable_of(spec)
    raise ValueError(f"`allocators` entries must be names, callables or objects with `allocate`; "
                     f"got {type(spec).__name__}")


def _callable_of(obj: Any) -> Allocator:
    if isinstance(obj, type):
        obj = obj()
    allocate = getattr(obj, "allocate", None)
    if callable(allocate) and not isinstance(obj, MethodAllocator):
        return allocate
    if not callable(obj):
        raise ValueError(f"allocator {obj!r} is neither callable nor has an `allocate` method")
    return obj


def _import(spec: str) -> Any:
    import importlib

    module, _, attr = spec.partition(":")
    try:
        obj: Any = importlib.import_module(module)
    except ImportError as exc:
        raise SolverUnavailableError(f"allocator {spec!r}: cannot import module {module!r} ({exc})") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise SolverUnavailableError(f"allocator {spec!r}: module {module!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    return obj


def _accepted_kwargs(fn: Callable[..., Any], offered: Mapping[str, Any]) -> dict[str, Any]:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return {}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return dict(offered)
    return {k: v for k, v in offered.items() if k in params}


def run_allocator(allocator: Any, model: Model, *, time_limit: float | None = None, seed: int | None = None,
                  options: Mapping[str, Any] | None = None) -> Result:
    """Run any allocator on ``model`` and return a Result (its answer, if any, checked).

    A plain answer becomes ``feasible`` with the model's own objective when ``check``
    accepts it, ``error`` naming the violations when it does not; ``runtime`` is the
    wall-clock time of the call.

    >>> from allotment.models import LinearAssignment
    >>> lap = LinearAssignment([[4, 1], [2, 3]])
    >>> run_allocator(lambda m: m.answer(np.array([0, 1])), lap).objective
    7.0
    >>> run_allocator(lambda m: m.answer(np.array([0, 0])), lap).status.value
    'error'
    """
    name, fn = get_allocator(allocator)
    offered: dict[str, Any] = {"time_limit": time_limit, "seed": seed}
    if options:
        offered["options"] = dict(options)
    kwargs = _accepted_kwargs(fn, offered)
    if options and "options" not in kwargs:
        raise ValueError(f"allocator {name!r} takes no `options`; got {sorted(options)}")
    started = time.perf_counter()
    out = fn(model, **kwargs)
    runtime = time.perf_counter() - started
    if isinstance(out, Result):
        out.runtime = runtime
        out.method = out.method or name
        return out
    if out is None:
        return Result(Status.ERROR, method=name, runtime=runtime, sense=model.sense,
                      message=f"allocator {name!r} returned no answer")
    report = model.check(out)
    if report.feasible:
        return Result(Status.FEASIBLE, objective=report.objective, answer=out, method=name, runtime=runtime,
                      sense=model.sense, message="allocator answer: no optimality claim")
    return Result(Status.ERROR, method=name, runtime=runtime, sense=model.sense, answer=out,
                  message="answer fails the model's check: " + "; ".join(report.violations))


# ----------------------------------------------------------------------- records
@dataclass
class Record:
    """One (instance, allocator) row of a comparison (see the module docstring).

    ``check``: ``ok`` (feasible, objective recomputed), ``infeasible`` (the answer
    violates the model), ``mismatch`` (feasible, but the reported objective differs from
    the recomputed one, which is the one kept), or empty without an answer. ``error``
    is set when the run raised (the message of the exception).
    """

    instance: str
    allocator: str
    role: str = "allocator"
    status: str = ""
    objective: float | None = None
    optimum: float | None = None
    bound: float | None = None
    gap: float | None = None
    gap_basis: str = ""
    runtime: float | None = None
    check: str = ""
    method: str = ""
    sense: str = ""
    file: str = ""
    problem: int | None = None
    message: str = ""
    error: str = ""
    key: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Record":
        """From a dict or a CSV row (strings): numbers parsed, empty cells None."""
        out: dict[str, Any] = {}
        for f in fields(cls):
            v = data.get(f.name)
            if f.name in _FLOATS:
                out[f.name] = None if v is None or v == "" else float(v)
            elif f.name == "problem":
                out[f.name] = None if v is None or v == "" else int(v)
            else:
                out[f.name] = "" if v is None else str(v)
        return cls(**out)


_FLOATS = frozenset({"objective", "optimum", "bound", "gap", "runtime"})
#: the CSV columns, in order
RECORD_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Record))


def relative_gap_to(objective: float | None, reference: float | None, sense: str) -> float | None:
    """``(objective - reference) / |reference|`` for ``min`` (negated for ``max``): how much worse.

    None when either is unknown or the reference is 0 with a different objective.

    >>> relative_gap_to(110.0, 100.0, "min"), relative_gap_to(90.0, 100.0, "max")
    (0.1, 0.1)
    """
    if objective is None or reference is None or math.isnan(objective) or math.isnan(reference):
        return None
    if math.isinf(reference):
        return None
    if math.isinf(objective):
        return math.inf if (objective > 0) == (sense == "min") else -math.inf
    diff = (objective - reference) if sense == "min" else (reference - objective)
    if reference == 0:
        return 0.0 if diff == 0 else None
    return diff / abs(reference)


class ComparisonTable(list):
    """A list of :class:`Record` s with writers, a summary and a DataFrame view."""

    def to_dicts(self) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self]

    def to_csv(self, path: str | Path) -> None:
        """Write the records as CSV (columns :data:`RECORD_FIELDS`; empty cell = None)."""
        with open(path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, RECORD_FIELDS)
            writer.writeheader()
            for d in self.to_dicts():
                writer.writerow({k: _to_cell(v) for k, v in d.items()})

    def to_json(self, path: str | Path | None = None) -> str:
        """The records and the per-allocator summary as one JSON document (written to ``path`` if given)."""
        doc = {"version": 1, "records": [_json_ready(d) for d in self.to_dicts()],
               "summary": [_json_ready(s) for s in self.summary()]}
        text = json.dumps(doc, indent=1)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    def to_dataframe(self) -> Any:
        """A pandas DataFrame of the records (pandas must be installed)."""
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - pandas is optional
            raise ImportError("to_dataframe needs pandas (pip install pandas); to_dicts() needs nothing") from exc
        return pd.DataFrame(self.to_dicts(), columns=list(RECORD_FIELDS))

    def allocators(self) -> list[str]:
        """Allocator names in order of first appearance (baseline first)."""
        seen: dict[str, None] = {}
        for r in sorted(self, key=lambda r: r.role != "baseline"):
            seen.setdefault(r.allocator, None)
        return list(seen)

    def summary(self) -> list[dict[str, Any]]:
        """Per allocator: runs, answers, checked ok, mean / median / max gap, mean runtime."""
        rows = []
        for name in self.allocators():
            recs = [r for r in self if r.allocator == name]
            gaps = np.array([r.gap for r in recs if r.gap is not None], dtype=float)
            finite = gaps[np.isfinite(gaps)]
            times = [r.runtime for r in recs if r.runtime is not None]
            rows.append({
                "allocator": name, "role": recs[0].role, "runs": len(recs),
                "answers": sum(1 for r in recs if r.check in ("ok", "mismatch", "infeasible")),
                "checked_ok": sum(1 for r in recs if r.check == "ok"),
                "errors": sum(1 for r in recs if r.error),
                "mean_gap": float(finite.mean()) if finite.size else None,
                "median_gap": float(np.median(finite)) if finite.size else None,
                "max_gap": float(gaps.max()) if gaps.size else None,
                "infinite_gaps": int((~np.isfinite(gaps)).sum()),
                "mean_runtime": float(np.mean(times)) if times else None,
            })
        return rows

    def format(self) -> str:
        """The summary as a plain-text table."""
        head = ["allocator", "role", "runs", "answers", "ok", "errors", "mean gap", "median gap", "max gap",
                "mean s"]
        pct = lambda v: "-" if v is None else ("inf" if math.isinf(v) else f"{100 * v:.2f}%")  # noqa: E731
        body = [[s["allocator"], s["role"], str(s["runs"]), str(s["answers"]), str(s["checked_ok"]), str(s["errors"]),
                 pct(s["mean_gap"]), pct(s["median_gap"]), pct(s["max_gap"]),
                 "-" if s["mean_runtime"] is None else f"{s['mean_runtime']:.3f}"] for s in self.summary()]
        widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)]
        line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
        return "\n".join([line(head), line(["-" * w for w in widths])] + [line(b) for b in body])


def _json_ready(d: Mapping[str, Any]) -> dict[str, Any]:
    def fix(v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            return None if math.isnan(v) else ("inf" if v > 0 else "-inf")
        return v

    return {k: fix(v) for k, v in d.items()}


# ----------------------------------------------------------------------- compare
def _score_item(model: Model | None, path: str | None, problem: int | None, reader: Mapping[str, Any],
                allocator: Any, time_limit: float | None, seed: int | None,
                options: Mapping[str, Any] | None) -> dict[str, Any]:
    """Worker: load the instance, run the allocator, check its answer; a record dict."""
    from allotment.models import load

    if model is None:
        model = load(path, problem=problem, **dict(reader)) if problem is not None else load(path, **dict(reader))
    result = run_allocator(allocator, model, time_limit=time_limit, seed=seed, options=options)
    rec: dict[str, Any] = {"status": result.status.value, "runtime": result.runtime, "method": result.method,
                           "message": result.message, "sense": model.sense, "bound": result.bound,
                           "gap": result.gap}
    if result.answer is not None:
        report = model.check(result.answer)
        rec["objective"] = report.objective
        if not report.feasible:
            rec["check"] = "infeasible"
            rec["message"] = (result.message + "; " if result.message else "") + "; ".join(report.violations)
        elif result.objective is not None and not _close(result.objective, report.objective):
            rec["check"] = "mismatch"
            rec["message"] = (f"reported objective {result.objective!r}, recomputed {report.objective!r}; "
                              + result.message)
        else:
            rec["check"] = "ok"
    else:
        rec["objective"] = None
    return rec


def _close(a: float, b: float) -> bool:
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def _finalize(raw: Sequence[Mapping[str, Any]]) -> ComparisonTable:
    """Records with optimum, bound and gap filled from each instance's baseline row."""
    recs = [Record.from_dict(r) for r in raw]
    base = {r.instance: r for r in recs if r.role == "baseline"}
    for r in recs:
        b = base.get(r.instance)
        optimum = bound = None
        if b is not None and b.error == "":
            if b.status == Status.OPTIMAL.value and b.check == "ok":
                optimum = b.objective
                bound = b.bound if b.bound is not None else b.objective
            else:
                bound = b.bound
        sense = r.sense or (b.sense if b else "min")
        if r.role == "baseline":
            r.optimum, r.bound = optimum, (r.bound if r.bound is not None else bound)
            r.gap = relative_gap_to(r.objective, r.bound, sense) if r.check == "ok" else None
            if r.gap is not None:
                r.gap = abs(r.gap)
            r.gap_basis = "bound" if r.gap is not None else ""
            continue
        r.optimum, r.bound = optimum, bound
        reference, basis = (optimum, "optimum") if optimum is not None else (bound, "bound")
        r.gap = relative_gap_to(r.objective, reference, sense) if r.check in ("ok", "mismatch") else None
        r.gap_basis = basis if r.gap is not None else ""
    return ComparisonTable(recs)


def compare(
    instances: Iterable[Any],
    allocators: Any,
    baseline: Any = "auto",
    *,
    time_limit: float | None = None,
    baseline_time_limit: float | None = None,
    seed: int | None = 0,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    executor: cf.Executor | None = None,
    jobs: int | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    retry_failed: bool = False,
    progress: bool | None = None,
    reader: Mapping[str, Any] | None = None,
) -> ComparisonTable:
    """Run ``allocators`` and ``baseline`` on every instance; a :class:`ComparisonTable` (module docstring).

    Parameters
    ----------
    instances : models, ``(label, model)`` pairs or instance files (every problem of a
        multi-problem OR-Library file); ``reader`` passes ``format`` / ``sense`` /
        ``problem`` to :func:`~allotment.models.load`
    allocators : names, callables or ``allocate`` objects; a list, or one comma-separated string
    baseline : ``"auto"`` (the preferred exact method), any allocator, or None for no baseline
    time_limit : wall-clock seconds per allocator run; ``baseline_time_limit`` for the
        baseline (default ``time_limit``)
    seed : handed to every allocator (default 0: runs repeat)
    options : per-allocator options, ``{"ga": {"population": 50}}``
    executor, jobs, out, resume, retry_failed, progress : see :func:`~allotment.solvers.batch.run_batch`;
        ``out`` (``.csv`` or ``.jsonl``) receives each record as it finishes and, at the end,
        the whole table with the gaps filled in
    """
    if isinstance(allocators, str):
        allocators = [a for a in allocators.split(",") if a.strip()]
    elif callable(allocators) or callable(getattr(allocators, "allocate", None)):
        allocators = [allocators]
    specs: list[tuple[str, Any]] = []
    for a in allocators:
        name, fn = get_allocator(a)
        # methods and import specs travel by name; anything else as the object itself
        specs.append((name, fn if isinstance(fn, MethodAllocator) else a.strip() if isinstance(a, str)
                      and ":" in a else ALLOCATORS[name] if isinstance(a, str) else a))
    if not specs and baseline is None:
        raise ValueError("`allocators` is empty and there is no `baseline`: nothing to run")
    names = [n for n, _ in specs]
    for n in names:
        if names.count(n) > 1:
            raise ValueError(f"`allocators` names must be unique; {n!r} appears {names.count(n)} times")
    base: tuple[str, Any] | None = None
    if baseline is not None:
        if baseline == "auto":
            base = ("auto", _AutoExact())
        else:
            bname, bfn = get_allocator(baseline)
            base = (bname, bfn if isinstance(bfn, MethodAllocator) else baseline)
    options = dict(options or {})
    unknown = sorted(set(options) - set(names) - ({base[0]} if base else set()))
    if unknown:
        raise ValueError(f"`options` names allocator(s) {unknown} that are not compared; compared: {names}")
    refs = _expand(instances, dict(reader or {}))
    if not refs:
        raise ValueError("`instances` is empty")
    load_opts = {k: v for k, v in dict(reader or {}).items() if k != "problem"}
    items: list[WorkItem] = []
    plan = ([(base[0], base[1], "baseline", baseline_time_limit if baseline_time_limit is not None else time_limit)]
            if base else [])
    plan += [(n, s, "allocator", time_limit) for n, s in specs if not (base and n == base[0])]
    for label, model, path, problem in refs:
        for name, spec, role, limit in plan:
            meta = {"instance": label, "allocator": name, "role": role, "file": path or "", "problem": problem,
                    "sense": model.sense if model is not None else ""}
            items.append(WorkItem(f"{label}|{name}", _score_item,
                                  (model, path, problem, load_opts, spec, limit, seed, options.get(name)), meta=meta))
    if executor is None and (jobs is None or jobs > 1):
        _require_picklable(items)
    elif isinstance(executor, cf.ProcessPoolExecutor):
        _require_picklable(items)
    run = run_batch(items, executor=executor, jobs=jobs, out=out, fields=RECORD_FIELDS, resume=resume,
                    retry_failed=retry_failed, parse=lambda d: Record.from_dict(d).to_dict(), progress=progress,
                    description="compare")
    table = _finalize(run.records)
    table.run = run  # type: ignore[attr-defined]
    if out is not None:  # the whole table, gaps filled in; lines of other runs in a resumed file stay after it
        mine = {r.key for r in table}
        others = [r for r in read_records(out, RECORD_FIELDS) if r.get("key") not in mine]
        write_records(out, table.to_dicts() + [Record.from_dict(r).to_dict() for r in others], RECORD_FIELDS)
    return table


@dataclass(frozen=True)
class _AutoExact:
    """The ``auto`` baseline: ``solve(model, "auto")`` (picklable)."""

    name: str = "auto"

    def __call__(self, model: Model, *, time_limit: float | None = None, seed: int | None = None,
                 options: Mapping[str, Any] | None = None) -> Result:
        from .api import solve

        return solve(model, "auto", time_limit=time_limit, seed=seed, options=dict(options) if options else None)


def _require_picklable(items: Sequence[WorkItem]) -> None:
    seen: set[int] = set()
    for it in items:
        spec = it.args[4]
        if id(spec) in seen or isinstance(spec, (str, MethodAllocator, _AutoExact)):
            continue
        seen.add(id(spec))
        try:
            pickle.dumps(spec)
        except Exception as exc:  # noqa: BLE001 - any pickling failure means it cannot travel
            raise ValueError(f"`allocators` entry {it.meta.get('allocator')!r} cannot be sent to worker processes "
                             f"({type(exc).__name__}: {exc}); define it at module level, or pass `jobs=1` or an "
                             f"executor that shares this process (threads, Dask with cloudpickle)") from None


# -------------------------------------------------------------------------- plot
def plot_gaps(table: Sequence[Record], path: str | Path | None = None, *, ax: Any = None, title: str | None = None,
              log: bool = False) -> Any:
    """Box plot of the gap (percent) per allocator, the points jittered on top; returns the Figure.

    Runs without a gap are counted under each allocator's name (``n/a``); infinite gaps
    are drawn at the top edge. ``path`` saves the figure (PNG, SVG ... by suffix).
    """
    import matplotlib

    if ax is None and path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    recs = [r for r in table if r.role != "baseline"]
    names = list(dict.fromkeys(r.allocator for r in recs))
    if not names:
        raise ValueError("`table` has no allocator rows to plot")
    data, labels = [], []
    for n in names:
        g = np.array([r.gap for r in recs if r.allocator == n and r.gap is not None], dtype=float) * 100
        missing = sum(1 for r in recs if r.allocator == n and r.gap is None)
        data.append(g)
        labels.append(n + (f"\n({missing} n/a)" if missing else ""))
    finite = np.concatenate([d[np.isfinite(d)] for d in data]) if data else np.zeros(0)
    top = float(finite.max()) * 1.1 + 1e-9 if finite.size else 1.0
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(4.0, 1.2 * len(names) + 2), 4.0))
    else:
        fig = ax.figure
    shown = [np.where(np.isfinite(d), d, top) for d in data]
    ax.boxplot([s if s.size else [np.nan] for s in shown], showfliers=False)
    rng = np.random.default_rng(0)
    for k, s in enumerate(shown, 1):
        ax.scatter(k + rng.uniform(-0.15, 0.15, s.size), s, s=10, alpha=0.6, color="C1", zorder=3)
    ax.set_xticks(range(1, len(names) + 1), labels)
    ax.set_ylabel("gap to the optimum (%)")
    if log:
        ax.set_yscale("symlog", linthresh=0.1)
    ax.set_title(title or "gap distribution per allocator")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig
