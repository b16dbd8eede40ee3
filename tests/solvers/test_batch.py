"""Batches: any Executor (process pool, Dask), streamed records, kill and resume, failed items."""
from __future__ import annotations

import concurrent.futures as cf
import csv
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter

import pytest

from allotment.models import GeneralizedAssignment
from allotment.models.generators import yagiura_gap
from allotment.solvers import Status
from allotment.solvers.batch import (InlineExecutor, WorkItem, dask_executor, read_records, run_batch, solve_many)
from allotment.solvers.cli import EXIT_OK, main
from allotment.solvers.compare import compare
from tests.conftest import REPO, SHARED_INSTANCES

ORLIB = SHARED_INSTANCES / "gap" / "orlib"


def _strip(table):
    """Records without what legitimately differs between runs."""
    return [{k: v for k, v in r.to_dict().items() if k != "runtime"} for r in table]


def test_dask_local_cluster_and_process_pool_give_identical_records():
    instances = [(f"a{s}", yagiura_gap("A", 3, 12, seed=s)) for s in range(3)]
    allocators = "greedy,ssi,cbba,round_robin"
    pooled = compare(instances, allocators, "highs", jobs=2)  # the default: a local process pool
    with dask_executor("local", jobs=1, processes=False) as ex:
        on_dask = compare(instances, allocators, "highs", executor=ex)
    assert len(pooled) == 15 and _strip(pooled) == _strip(on_dask)
    assert all(r.check == "ok" for r in pooled if r.allocator in ("highs", "greedy"))


def _slow_module(tmp_path):
    (tmp_path / "slow_allocators.py").write_text(textwrap.dedent(f"""
        import os, time
        from allotment.solvers.baselines import greedy

        def slow_greedy(model):
            with open({str(tmp_path / "calls.log")!r}, "a") as fh:
                fh.write(model.name + "\\n")
            time.sleep(0.4)
            return greedy(model)
    """))


def test_kill_midway_then_resume_solves_only_what_is_missing(tmp_path):
    _slow_module(tmp_path)
    out = tmp_path / "results.csv"
    files = [str(ORLIB / "gap1.txt"), str(ORLIB / "gap2.txt")]  # 10 problems
    args = ["compare", *files, "--allocators", "slow_allocators:slow_greedy", "--baseline", "none",
            "--jobs", "1", "--out", str(out), "--no-progress"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)])}
    proc = subprocess.Popen([sys.executable, "-m", "allotment.solvers.cli", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and len(read_records(out)) < 3:
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    before = read_records(out)
    assert 3 <= len(before) < 10  # killed midway: some finished, some not
    sys.path.insert(0, str(tmp_path))
    try:
        assert main([*args, "--resume"]) == EXIT_OK
    finally:
        sys.path.remove(str(tmp_path))
    after = read_records(out)
    assert sorted(r["key"] for r in after) == sorted(f"{f}#{p}|slow_allocators:slow_greedy"
                                                     for f in ("gap1.txt", "gap2.txt") for p in range(1, 6))
    final = {r["key"]: r for r in after}
    for rec in before:  # finished before the kill: kept as they were (same runtime), not solved again
        assert final[rec["key"]] == rec
    calls = Counter((tmp_path / "calls.log").read_text().split())  # model names: gap1-1 ... gap2-5
    assert len(calls) == 10  # every problem was solved
    for rec in before:  # ... and those finished before the kill exactly once
        f, p = rec["key"].split("|")[0].split(".txt#")
        assert calls[f"{f}-{p}"] == 1
    assert sum(calls.values()) <= 11  # at most the one running at the kill ran twice


def _half(x):
    if x == 2:
        raise ValueError("two is not allowed")
    return {"status": "feasible", "value": x / 2}


def test_failed_item_is_recorded_and_batch_goes_on(tmp_path):
    items = [WorkItem(f"k{x}", _half, (x,), meta={"x": x}) for x in range(4)]
    out = tmp_path / "r.jsonl"
    run = run_batch(items, executor=cf.ThreadPoolExecutor(2), out=out, fields=("key", "x", "status", "value", "error"))
    assert [r.get("value") for r in run.records] == [0.0, 0.5, None, 1.5]
    bad = run.records[2]
    assert bad["status"] == "error" and bad["x"] == 2 and "ValueError: two is not allowed" in bad["error"]
    assert run.n_failed == 1 and run.n_run == 4
    assert sorted(r["key"] for r in read_records(out)) == ["k0", "k1", "k2", "k3"]
    # resume skips everything, even the failure; retry_failed runs only the failure again
    again = run_batch(items, jobs=1, out=out, fields=("key", "x", "status", "value", "error"), resume=True)
    assert again.n_run == 0 and again.n_resumed == 4
    retry = run_batch(items, jobs=1, out=out, fields=("key", "x", "status", "value", "error"), resume=True,
                      retry_failed=True)
    assert retry.n_run == 1 and retry.n_resumed == 3 and len(read_records(out)) == 4


def test_torn_last_line_is_dropped_and_header_checked(tmp_path):
    out = tmp_path / "r.csv"
    out.write_text("key,value\nk0,1\nk1,2\nk2,")  # killed in the middle of a line
    assert [r["key"] for r in read_records(out)] == ["k0", "k1"]  # read: the torn line is ignored
    assert out.read_text().endswith("k2,")
    assert [r["key"] for r in read_records(out, repair=True)] == ["k0", "k1"]  # repair: and cut off
    assert out.read_text() == "key,value\nk0,1\nk1,2\n"
    with pytest.raises(ValueError, match="has columns"):
        read_records(out, fields=("key", "other"))
    items = [WorkItem(f"k{i}", dict, kwargs={"value": i}) for i in range(3)]
    run = run_batch(items, jobs=1, out=out, fields=("key", "value"), resume=True)
    assert run.n_resumed == 2 and [r["value"] for r in run.records] == ["1", "2", 2]


def test_run_batch_argument_errors(tmp_path):
    items = [WorkItem("a", dict), WorkItem("a", dict)]
    with pytest.raises(ValueError, match="keys must be unique"):
        run_batch(items, jobs=1)
    with pytest.raises(ValueError, match="`resume` needs `out`"):
        run_batch([WorkItem("a", dict)], jobs=1, resume=True)
    with pytest.raises(ValueError, match="`fields`"):
        run_batch([WorkItem("a", dict)], jobs=1, out=tmp_path / "x.csv")
    with pytest.raises(ValueError, match="`jobs` must be"):
        run_batch([WorkItem("a", dict)], jobs=0)


def test_solve_many_streams_resumes_and_honours_time_limits(tmp_path):
    gaps = [GeneralizedAssignment([[1, 5], [4, 2]], [[3, 3], [3, 3]], [3, 3 + k], name=f"g{k}") for k in range(3)]
    out = tmp_path / "s.csv"
    first = solve_many(gaps, "highs", executor=InlineExecutor(), out=out, progress=True)
    assert [r.objective for r in first] == [3.0, 3.0, 3.0] and all(r.answer is not None for r in first)
    again = solve_many(gaps, "highs", jobs=1, out=out, resume=True)
    assert [r.objective for r in again] == [3.0] * 3 and all(r.info["resumed"] for r in again)
    assert [r.status for r in again] == [Status.OPTIMAL] * 3
    # files: every problem of a multi-problem file; time limit per item
    started = time.perf_counter()
    res = solve_many([ORLIB / "gap12.txt"], "ga", time_limit=0.3, seed=1, jobs=1)
    assert len(res) == 5 and all(r.ok for r in res)
    assert all(r.runtime <= 0.3 * 1.1 + 0.5 for r in res)
    assert time.perf_counter() - started < 5 * (0.3 * 1.1 + 0.5)
    with pytest.raises(ValueError, match="must be a model"):
        solve_many([3], jobs=1)


def test_dask_executor_argument_errors():
    with pytest.raises(ValueError, match="`address`"):
        with dask_executor(""):
            pass


def test_out_is_fresh_unless_resuming_and_resume_keeps_other_rows(tmp_path):
    out = tmp_path / "r.csv"
    gaps = [(f"g{k}", yagiura_gap("A", 2, 6, seed=k)) for k in range(2)]
    compare(gaps, "greedy,ssi", "highs", jobs=1, out=out)
    assert len(read_records(out)) == 6
    compare(gaps[:1], "greedy", "highs", jobs=1, out=out)  # no resume: a fresh file
    assert sorted(r["key"] for r in read_records(out)) == ["g0|greedy", "g0|highs"]
    compare(gaps, "ssi", "highs", jobs=1, out=out, resume=True)  # resume a different selection
    keys = [r["key"] for r in read_records(out)]
    assert sorted(keys) == ["g0|greedy", "g0|highs", "g0|ssi", "g1|highs", "g1|ssi"]
    assert keys[-1] == "g0|greedy"  # rows of other runs stay, after this run's table
