"""Batches of solves on any ``concurrent.futures.Executor``, streamed to a file and resumable.

:func:`run_batch` runs :class:`WorkItem` s (a picklable function, its arguments and a unique
``key``) on an executor and writes every record to ``out`` (CSV, or JSON lines for
``.jsonl``) the moment it finishes, flushed line by line. An interrupted batch (Ctrl-C, a
killed process, a lost cluster) loses nothing already solved: with ``resume=True`` the
records already in ``out`` are read back and their keys skipped. A failing item is
recorded with its error (``status="error"``, ``error="ValueError: ..."``) and the batch
goes on. :func:`solve_many` is :func:`~allotment.solvers.solve` over many models.

Executors
    ``executor=None`` is a local process pool with one worker per core (``jobs`` sets
    the number; ``jobs=1`` runs in this process). Any ``concurrent.futures.Executor``
    works: a thread pool, :class:`InlineExecutor`, or a Dask cluster through
    :func:`dask_executor` (``"local"`` starts a ``distributed.LocalCluster``, an address
    such as ``"tcp://host:8786"`` connects to a scheduler); Dask ships functions with
    cloudpickle, a process pool with pickle (functions must live at module level).

Time limits
    ``time_limit`` is handed to every item (each method honours its wall-clock limit); a
    running item is not killed from outside.

Progress
    A tqdm bar on stderr when ``progress=True``, or by default for batches of 20 items
    or more when stderr is a terminal.

>>> from allotment.models import GeneralizedAssignment
>>> gaps = [GeneralizedAssignment([[1, 5], [4, 2]], [[3, 3], [3, 3]], [3, 3 + k], name=f"g{k}") for k in range(3)]
>>> [r.objective for r in solve_many(gaps, "highs", jobs=1)]
[3.0, 3.0, 3.0]
"""
from __future__ import annotations

import concurrent.futures as cf
import contextlib
import csv
import io
import json
import math
import multiprocessing
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from allotment.models import Model

from .result import Result, Status

__all__ = [
    "WorkItem", "BatchRun", "run_batch", "solve_many", "InlineExecutor", "default_executor", "dask_executor",
    "read_records", "write_records", "SOLVE_FIELDS",
]


# ------------------------------------------------------------------- work items
@dataclass(frozen=True)
class WorkItem:
    """One unit of work: ``fn(*args, **kwargs) -> dict`` under a unique ``key``.

    ``meta`` holds the record fields known before the run (names, file ...); they are
    merged into the record, and are all an error record has besides the error.
    """

    key: str
    fn: Callable[..., dict[str, Any]]
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)


def _run_item(item: WorkItem) -> dict[str, Any]:
    """Run one item in a worker; an exception becomes an error record, never a lost batch."""
    started = time.perf_counter()
    try:
        record = dict(item.fn(*item.args, **dict(item.kwargs)))
    except Exception as exc:  # noqa: BLE001 - recorded with the item, the batch goes on
        last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
        where = f" (at {Path(last[0].filename).name}:{last[0].lineno})" if last else ""
        record = {"status": Status.ERROR.value, "error": f"{type(exc).__name__}: {exc}{where}",
                  "runtime": time.perf_counter() - started}
    return {**dict(item.meta), **record, "key": item.key}


@dataclass
class BatchRun:
    """What :func:`run_batch` did: every record (in item order) and the counts."""

    records: list[dict[str, Any]]
    n_resumed: int = 0
    n_run: int = 0
    n_failed: int = 0
    seconds: float = 0.0


# --------------------------------------------------------------------- executors
class InlineExecutor(cf.Executor):
    """Runs every call at submit time in this process (debugging, ``jobs=1``)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:  # type: ignore[override]
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - delivered through the future, like any executor
            future.set_exception(exc)
        return future


def default_executor(jobs: int | None = None) -> cf.Executor:
    """A process pool with ``jobs`` workers (default: one per core), or inline for ``jobs=1``.

    Workers start from a fork server, a clean process: forking a parent that already runs
    solver threads (HiGHS, OR-Tools) is not safe.
    """
    n = _jobs(jobs)
    if n == 1:
        return InlineExecutor()
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return cf.ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context(method))


def _jobs(jobs: int | None) -> int:
    if jobs is None:
        return max(1, os.cpu_count() or 1)
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"`jobs` must be a positive whole number or None; got {jobs!r}")
    return jobs


@contextlib.contextmanager
def dask_executor(address: str = "local", *, jobs: int | None = None, processes: bool = True) -> Iterator[cf.Executor]:
    """A Dask cluster as a ``concurrent.futures.Executor`` (context manager; closes what it opened).

    ``address="local"`` starts a ``LocalCluster`` with ``jobs`` single-threaded workers
    (``processes=False``: threads of this process); anything else is a scheduler address
    (``"tcp://host:8786"``) for ``distributed.Client``.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - dask is in the dev extra
        raise ImportError("`dask` needs dask.distributed: pip install 'allotment[dask]'") from exc
    if not isinstance(address, str) or not address:
        raise ValueError(f"`address` must be 'local' or a scheduler address like 'tcp://host:8786'; got {address!r}")
    cluster = None
    if address == "local":
        cluster = LocalCluster(n_workers=_jobs(jobs), threads_per_worker=1, processes=processes,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(address)
    try:
        yield client.get_executor()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _window(executor: cf.Executor) -> int:
    if isinstance(executor, InlineExecutor):
        return 1  # runs at submit: one at a time, so each record is written as it finishes
    workers = getattr(executor, "_max_workers", None)
    return 2 * int(workers) if isinstance(workers, int) and workers > 0 else 64


# ------------------------------------------------------------------ record files
def _is_jsonl(path: Path) -> bool:
    return path.suffix.lower() in (".jsonl", ".ndjson")


def _to_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ("inf" if value > 0 else "-inf" if value < 0 else "nan")
    return str(value)


def _repair_tail(path: Path) -> str:
    """The file's text up to its last complete line; a torn last line (killed mid-write) is cut off the file."""
    text = path.read_text(encoding="utf-8")
    if text and not text.endswith("\n"):
        keep = text[: text.rfind("\n") + 1]
        with open(path, "r+", encoding="utf-8") as fh:
            fh.truncate(len(keep.encode("utf-8")))
        text = keep
    return text


def read_records(path: str | Path, fields: Sequence[str] | None = None, *, repair: bool = False
                 ) -> list[dict[str, Any]]:
    """Records of a CSV or JSON-lines results file (CSV cells stay strings); [] if it does not exist.

    A torn last line (a writer killed mid-line) is ignored, and with ``repair=True`` cut
    off the file (do that only when no one writes to it). With ``fields``, a CSV whose
    header differs raises ``ValueError`` (the file belongs to another kind of batch).
    """
    p = Path(path)
    if not p.exists() or p.stat().st_size == 0:
        return []
    if repair:
        text = _repair_tail(p)
    else:
        text = p.read_text(encoding="utf-8")
        text = text[: text.rfind("\n") + 1]
    if _is_jsonl(p):
        out = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"`out` file {p} line {n} is not JSON: {exc}") from None
        return out
    reader = csv.DictReader(io.StringIO(text))
    if fields is not None and reader.fieldnames is not None and list(reader.fieldnames) != list(fields):
        raise ValueError(f"`out` file {p} has columns {reader.fieldnames}; this batch writes {list(fields)}: "
                         "resume into the file the same kind of batch wrote, or pick another `out`")
    return [dict(row) for row in reader]


class _Sink:
    """Appends records to a CSV / JSON-lines file, one flushed line per record."""

    def __init__(self, path: Path, fields: Sequence[str], jsonl: bool | None = None) -> None:
        self.path, self.fields = path, list(fields)
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not path.exists() or path.stat().st_size == 0
        self.fh = open(path, "a", encoding="utf-8", newline="")
        jsonl = _is_jsonl(path) if jsonl is None else jsonl
        self.writer = None if jsonl else csv.DictWriter(self.fh, self.fields, extrasaction="ignore")
        if fresh and self.writer is not None:
            self.writer.writeheader()
            self.fh.flush()

    def write(self, record: Mapping[str, Any]) -> None:
        if self.writer is None:
            self.fh.write(json.dumps({k: record.get(k) for k in self.fields}, default=_json_default) + "\n")
        else:
            self.writer.writerow({k: _to_cell(record.get(k)) for k in self.fields})
        self.fh.flush()

    def close(self) -> None:
        self.fh.close()


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def write_records(path: str | Path, records: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> None:
    """Write ``records`` to ``path`` (CSV or JSON lines) atomically: a temporary file, then rename."""
    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    tmp.unlink(missing_ok=True)
    sink = _Sink(tmp, fields, jsonl=_is_jsonl(p))
    try:
        for rec in records:
            sink.write(rec)
    finally:
        sink.close()
    os.replace(tmp, p)


# ------------------------------------------------------------------------ engine
def run_batch(
    items: Sequence[WorkItem],
    *,
    executor: cf.Executor | None = None,
    jobs: int | None = None,
    out: str | Path | None = None,
    fields: Sequence[str] | None = None,
    resume: bool = False,
    retry_failed: bool = False,
    parse: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    progress: bool | None = None,
    description: str = "batch",
) -> BatchRun:
    """Run ``items`` on ``executor``, streaming each record to ``out`` as it finishes.

    Parameters
    ----------
    items : WorkItem s with unique keys
    executor : any ``concurrent.futures.Executor``; None = :func:`default_executor` ``(jobs)``
        (created and shut down here; a given executor is left running)
    out : CSV or ``.jsonl`` file the records are appended to (``fields`` are its columns); an
        existing file is replaced unless ``resume``
    resume : skip the items whose key already has a record in ``out`` (read back with ``parse``);
        records of other keys stay in the file
    retry_failed : with ``resume``, run again the items whose record is an error
    progress : tqdm bar on stderr (None: when stderr is a terminal and there are >= 20 items)

    Returns every record in item order (resumed ones included).

    >>> items = [WorkItem(f"k{i}", dict, kwargs={"value": i}) for i in range(3)]
    >>> [r["value"] for r in run_batch(items, jobs=1).records]
    [0, 1, 2]
    """
    started = time.perf_counter()
    keys = [it.key for it in items]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise ValueError(f"`items` keys must be unique; {dup!r} appears {keys.count(dup)} times")
    if out is not None and fields is None:
        raise ValueError("`fields` (the columns of `out`) are needed to stream records to a file")
    if resume and out is None:
        raise ValueError("`resume` needs `out`, the file the interrupted batch wrote")
    done: dict[str, dict[str, Any]] = {}
    if resume and out is not None:
        wanted = set(keys)
        existing = [parse(r) if parse else r for r in read_records(out, fields, repair=True)]
        for rec in existing:
            if rec.get("key") in wanted and not (retry_failed and rec.get("status") == Status.ERROR.value):
                done[str(rec["key"])] = rec
        if retry_failed and any(r.get("key") in wanted and r.get("key") not in done for r in existing):
            # the failed records to retry leave the file; every other line stays as it was
            write_records(out, [r for r in existing if r.get("key") in done or r.get("key") not in wanted],
                          fields or [])
    elif out is not None and Path(out).exists():
        Path(out).unlink()  # not resuming: the batch starts a fresh file
    todo = [it for it in items if it.key not in done]
    sink = _Sink(Path(out), fields or []) if out is not None else None
    own = executor is None
    ex = default_executor(jobs) if own else executor
    results: dict[str, dict[str, Any]] = {}
    show = progress if progress is not None else (len(todo) >= 20 and sys.stderr.isatty())
    bar = _progress_bar(len(todo), description, show)
    try:
        _drive(ex, todo, results, sink, bar)
    finally:
        if bar is not None:
            bar.close()
        if sink is not None:
            sink.close()
        if own:
            ex.shutdown(wait=True, cancel_futures=True)
    records = [done[k] if k in done else results[k] for k in keys]
    failed = sum(1 for k in results if results[k].get("status") == Status.ERROR.value and results[k].get("error"))
    return BatchRun(records, n_resumed=len(done), n_run=len(results), n_failed=failed,
                    seconds=time.perf_counter() - started)


def _progress_bar(total: int, description: str, show: bool) -> Any:
    if not show or total == 0:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is in the dev extra
        return None
    return tqdm(total=total, desc=description, unit="item", file=sys.stderr)


def _drive(ex: cf.Executor, todo: list[WorkItem], results: dict[str, dict[str, Any]], sink: _Sink | None,
           bar: Any) -> None:
    queue = iter(todo)
    pending: dict[cf.Future, WorkItem] = {}
    window = _window(ex)

    def fill() -> None:
        while len(pending) < window:
            item = next(queue, None)
            if item is None:
                return
            try:
                pending[ex.submit(_run_item, item)] = item
            except Exception as exc:  # noqa: BLE001 - e.g. the item cannot be pickled: record it
                fut: cf.Future = cf.Future()
                fut.set_exception(exc)
                pending[fut] = item

    def finish(fut: cf.Future, item: WorkItem) -> None:
        try:
            record = fut.result()
        except Exception as exc:  # noqa: BLE001 - the worker died or the item did not travel
            record = {**dict(item.meta), "key": item.key, "status": Status.ERROR.value,
                      "error": f"{type(exc).__name__}: {exc}"}
        results[item.key] = record
        if sink is not None:
            sink.write(record)
        if bar is not None:
            bar.update(1)

    try:
        fill()
        while pending:
            finished, _ = cf.wait(list(pending), return_when=cf.FIRST_COMPLETED)
            for fut in finished:
                finish(fut, pending.pop(fut))
            fill()
    except BaseException:
        for fut in pending:
            fut.cancel()
        raise


# -------------------------------------------------------------------- solve_many
#: columns of :func:`solve_many` result files
SOLVE_FIELDS = ("key", "label", "method", "status", "objective", "bound", "gap", "runtime", "check", "message",
                "error")


def _as_float(value: Any) -> float | None:
    if value is None or value == "":
        return None
    return float(value)


def _solve_item(model: Model | None, path: str | None, problem: int | None, reader: Mapping[str, Any],
                method: str, time_limit: float | None, seed: int | None,
                options: Mapping[str, Any] | None) -> dict[str, Any]:
    from allotment.models import load

    from .api import solve

    if model is None:
        model = load(path, problem=problem, **dict(reader)) if problem is not None else load(path, **dict(reader))
    result = solve(model, method, time_limit=time_limit, seed=seed, options=dict(options) if options else None)
    check = ""
    if result.answer is not None:
        check = "ok" if model.check(result.answer).feasible else "infeasible"
    return {"method": result.method, "status": result.status.value, "objective": result.objective,
            "bound": result.bound, "gap": result.gap, "runtime": result.runtime, "check": check,
            "message": result.message, "result": result}


def _expand(items: Iterable[Any], reader: Mapping[str, Any]) -> list[tuple[str, Model | None, str | None, int | None]]:
    """``(label, model, path, problem)`` per item: models, ``(label, model)`` pairs, or files (every problem)."""
    from allotment.models import count_orlib_gap_problems, detect_format

    out: list[tuple[str, Model | None, str | None, int | None]] = []
    for k, item in enumerate(items):
        if isinstance(item, Model):
            out.append((str(getattr(item, "name", "") or f"item{k}"), item, None, None))
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Model):
            out.append((str(item[0]), item[1], None, None))
        elif isinstance(item, (str, os.PathLike)):
            p = Path(item)
            if not p.is_file():
                from allotment.models import InstanceError

                raise InstanceError("no such file", source=str(p))
            fmt = reader.get("format") or detect_format(p)
            if fmt == "orlib-gap" and "problem" not in reader:
                count = count_orlib_gap_problems(p)
                if count > 1:
                    out.extend((f"{p.name}#{q}", None, str(p), q) for q in range(1, count + 1))
                    continue
            out.append((p.name if "problem" not in reader else f"{p.name}#{reader['problem']}", None, str(p),
                        reader.get("problem")))
        else:
            raise ValueError(f"`items` entry {k} must be a model, a (label, model) pair or a file path; "
                             f"got {type(item).__name__}")
    labels = [o[0] for o in out]
    for lab in set(labels):
        if labels.count(lab) > 1:  # same names: number them in order
            n = 0
            for q, o in enumerate(out):
                if o[0] == lab:
                    n += 1
                    out[q] = (f"{lab}~{n}", *o[1:])
    return out


def solve_many(
    items: Iterable[Any],
    method: str = "auto",
    *,
    time_limit: float | None = None,
    seed: int | None = None,
    options: Mapping[str, Any] | None = None,
    executor: cf.Executor | None = None,
    jobs: int | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    progress: bool | None = None,
    reader: Mapping[str, Any] | None = None,
) -> list[Result]:
    """:func:`~allotment.solvers.solve` every item (models, ``(label, model)`` pairs or instance
    files, every problem of a multi-problem file) on ``executor``; Results in item order.

    ``time_limit`` is per item. With ``out`` each item's summary (:data:`SOLVE_FIELDS`) is
    streamed to the file; with ``resume`` the items already there are not solved again and
    come back as Results rebuilt from their line (``answer`` None, ``info["resumed"]``).
    A failing item is an ``error`` Result naming the exception. ``reader`` passes options
    to :func:`~allotment.models.load` (``format``, ``sense``, ``problem``).
    """
    if not isinstance(method, str):
        raise ValueError(f"`method` must be a method name (workers look it up); got {type(method).__name__}")
    opts = dict(reader or {})
    expanded = _expand(items, opts)
    load_opts = {k: v for k, v in opts.items() if k != "problem"}
    work = [WorkItem(label, _solve_item, (model, path, problem, load_opts, method, time_limit, seed, options),
                     meta={"label": label, "method": method}) for label, model, path, problem in expanded]
    run = run_batch(work, executor=executor, jobs=jobs, out=out, fields=SOLVE_FIELDS, resume=resume,
                    progress=progress, description=f"solve ({method})")
    results = []
    for rec in run.records:
        res = rec.get("result")
        if isinstance(res, Result):
            results.append(res)
            continue
        status = Status(rec.get("status") or "error")
        message = rec.get("error") or rec.get("message") or ""
        results.append(Result(status, objective=_as_float(rec.get("objective")), bound=_as_float(rec.get("bound")),
                              gap=_as_float(rec.get("gap")), runtime=_as_float(rec.get("runtime")) or 0.0,
                              method=str(rec.get("method") or method), message=str(message),
                              info={"resumed": "result" not in rec, "key": rec.get("key")}))
    return results
