"""compare / allot compare: allocator protocol and registry, checked records, gaps, known optima."""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from allotment.models import GeneralizedAssignment, LinearAssignment, SolverUnavailableError
from allotment.models.generators import team_task_allocation, yagiura_gap
from allotment.solvers import Result, Status, solve
from allotment.solvers.cli import EXIT_METHOD, EXIT_NO_ANSWER, EXIT_OK, main
from allotment.solvers.compare import (ALLOCATORS, RECORD_FIELDS, ComparisonTable, Record, allocator_names, compare,
                                       get_allocator, plot_gaps, register_allocator, relative_gap_to, run_allocator)
from tests.conftest import SHARED_INSTANCES

ORLIB = SHARED_INSTANCES / "gap" / "orlib"


def known_optima() -> dict[tuple[str, int], float]:
    """(file name, problem) -> proven minimisation optimum, from the shared known.csv."""
    with open(SHARED_INSTANCES / "gap" / "known.csv") as fh:
        return {(Path(r["file"]).name, int(r["problem"])): float(r["min_best_known"])
                for r in csv.DictReader(fh) if r["min_proven_optimal"] == "yes"}


def first_agent(model):
    """A module-level allocator: everything to agent 0 (picklable)."""
    return model.answer(np.zeros(model.n_tasks, dtype=np.int64))


class Cheapest:
    """An object with ``allocate``: each task to its cheapest agent, capacities ignored."""

    name = "cheapest"

    def allocate(self, model, *, seed=None):
        self.seen_seed = seed
        return model.answer(np.argmin(model.cost, axis=0))


def by_key(table):
    return {(r.instance, r.allocator): r for r in table}


# ------------------------------------------------------------------ known optima
def test_compare_gap1_agrees_with_known_csv(tmp_path):
    known = known_optima()
    out = tmp_path / "gap1.csv"
    table = compare([ORLIB / "gap1.txt"], "greedy,ga,cbba", "highs", time_limit=0.5, jobs=1, out=out)
    assert len(table) == 5 * 4
    for r in table:
        opt = known[("gap1.txt", r.problem)]
        assert r.file.endswith("gap1.txt") and r.sense == "min"
        if r.role == "baseline":
            assert (r.allocator, r.status, r.check, r.objective, r.optimum) == ("highs", "optimal", "ok", opt, opt)
            assert r.gap == 0.0
            continue
        assert r.optimum == opt and not r.error
        if r.check == "ok":  # every answer is checked; its objective is no better than the optimum
            assert r.objective >= opt - 1e-9
            assert r.gap == pytest.approx((r.objective - opt) / opt) and r.gap_basis == "optimum"
        else:
            assert r.check == "" and r.gap is None and r.status in ("error", "time_limit")
    assert sum(r.check == "ok" for r in table if r.allocator == "ga") == 5
    # the streamed file holds the final table, gaps included
    with open(out) as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(RECORD_FIELDS) and len(rows) == 20
    for row in rows:
        assert Record.from_dict(row) == by_key(table)[(row["instance"], row["allocator"])]


def test_cli_compare_gapa_and_gap1_against_known_csv(tmp_path, capsys):
    known = known_optima()
    out, doc, png = tmp_path / "r.csv", tmp_path / "r.json", tmp_path / "gap.png"
    code = main(["compare", str(ORLIB / "gapa.txt"), str(ORLIB / "gap1.txt"), "--problem", "1",
                 "--allocators", "greedy,ga,cbba", "--baseline", "highs", "--time-limit", "0.5",
                 "--baseline-time-limit", "30", "--jobs", "1", "--out", str(out), "--json", str(doc),
                 "--plot", str(png), "--no-progress"])
    assert code == EXIT_OK
    text = capsys.readouterr().out
    assert "mean gap" in text and "cbba" in text and f"wrote 8 records to {out}" in text
    with open(out) as fh:
        rows = list(csv.DictReader(fh))
    assert {(r["instance"], r["allocator"]) for r in rows} == {
        (f"{f}#1", a) for f in ("gapa.txt", "gap1.txt") for a in ("highs", "greedy", "ga", "cbba")}
    for row in rows:
        opt = known[(Path(row["file"]).name, int(row["problem"]))]
        assert float(row["optimum"]) == opt
        if row["role"] == "baseline":
            assert row["status"] == "optimal" and float(row["objective"]) == opt
        elif row["check"] == "ok":
            assert float(row["gap"]) == pytest.approx((float(row["objective"]) - opt) / opt)
    parsed = json.loads(doc.read_text())
    assert parsed["version"] == 1 and len(parsed["records"]) == 8
    assert [s["allocator"] for s in parsed["summary"]] == ["highs", "greedy", "ga", "cbba"]
    assert png.stat().st_size > 1000


# --------------------------------------------------------------- allocator protocol
def test_allocator_protocol_callables_objects_and_registry():
    gap = yagiura_gap("A", 3, 9, seed=4)
    opt = solve(gap, "highs").objective
    cheap = Cheapest()
    register_allocator("everything_to_0", first_agent)
    try:
        assert "everything_to_0" in allocator_names() and "greedy" in allocator_names()
        table = compare([("g", gap)], [cheap, "everything_to_0", "greedy"], "highs", seed=7, jobs=1)
    finally:
        ALLOCATORS.pop("everything_to_0")
    rows = by_key(table)
    assert cheap.seen_seed == 7  # keywords the allocator accepts are passed on
    # capacities ignored / exceeded: an answer that fails the check gets no gap
    for name in ("cheapest", "everything_to_0"):
        r = rows[("g", name)]
        report = gap.check(first_agent(gap) if name == "everything_to_0" else cheap.allocate(gap))
        assert not report.feasible
        assert (r.status, r.check, r.gap) == ("error", "infeasible", None)
        assert r.objective == report.objective and "exceeds capacity" in r.message
    g = rows[("g", "greedy")]
    assert g.check == "ok" and g.objective >= opt and g.gap == pytest.approx((g.objective - opt) / opt)


def test_run_allocator_results_and_failures():
    lap = LinearAssignment([[4, 1], [2, 3]])
    assert run_allocator("greedy", lap).objective == 3.0
    assert run_allocator(lambda m, time_limit=None: m.answer(np.array([1, 0])), lap, time_limit=1).status.value \
        == "feasible"
    none = run_allocator(lambda m: None, lap)
    assert none.status is Status.ERROR and "returned no answer" in none.message
    with pytest.raises(ValueError, match="takes no `options`"):
        run_allocator(lambda m: None, lap, options={"x": 1})
    with pytest.raises(SolverUnavailableError, match="unknown allocator 'nope'"):
        get_allocator("nope")
    with pytest.raises(SolverUnavailableError, match="cannot import module"):
        get_allocator("no_such_module_xyz:f")
    assert get_allocator("tests.solvers.test_compare:first_agent")[0] == "tests.solvers.test_compare:first_agent"


def test_compare_argument_errors():
    gap = yagiura_gap("A", 2, 4, seed=0)
    with pytest.raises(ValueError, match="names must be unique"):
        compare([gap], "greedy,greedy", jobs=1)
    with pytest.raises(ValueError, match="`options` names allocator"):
        compare([gap], "greedy", options={"ga": {}}, jobs=1)
    with pytest.raises(ValueError, match="cannot be sent to worker processes"):
        compare([gap], [lambda m: None], jobs=2)
    with pytest.raises(ValueError, match="`instances` is empty"):
        compare([], "greedy", jobs=1)
    with pytest.raises(ValueError, match="nothing to run"):
        compare([gap], [], None, jobs=1)
    with pytest.raises(ValueError, match="must be a model"):
        compare([42], "greedy", jobs=1)


def test_failing_allocator_is_recorded_and_batch_goes_on(capsys, tmp_path):
    def boom(model):
        raise RuntimeError("allocator exploded")

    gaps = [(f"g{k}", yagiura_gap("A", 2, 5, seed=k)) for k in range(2)]
    table = compare(gaps, [boom, "ssi"], "highs", jobs=1)
    rows = by_key(table)
    for k in range(2):
        assert rows[(f"g{k}", "boom")].status == "error"
        assert "RuntimeError: allocator exploded" in rows[(f"g{k}", "boom")].error
        assert rows[(f"g{k}", "ssi")].check == "ok"
    assert [s["errors"] for s in table.summary()] == [0, 2, 0]


# -------------------------------------------------------------------------- gaps
def test_gaps_for_maximisation_and_dcop_allocators():
    team = team_task_allocation(5, 5, seed=3)
    table = compare([("team", team)], "greedy,cbba,maxsum,dsa,mgm,round_robin", "highs",
                    options={"maxsum": {"max_iter": 100}, "dsa": {"max_iter": 100}, "mgm": {"max_iter": 100}},
                    jobs=1)
    rows = by_key(table)
    opt = rows[("team", "highs")].objective
    for name in ("greedy", "cbba", "maxsum", "dsa", "mgm", "round_robin"):
        r = rows[("team", name)]
        assert r.check == "ok", (name, r.message, r.error)
        assert r.objective <= opt + 1e-9
        assert r.gap == pytest.approx((opt - r.objective) / opt)
    assert rows[("team", "cbba")].objective >= 0.5 * opt  # CBBA's guarantee for diminishing gains


def test_dcop_allocator_refuses_a_model_where_agents_take_several_tasks():
    gap = GeneralizedAssignment([[1, 2, 3], [3, 2, 1]], [[1, 1, 1], [1, 1, 1]], [2, 2])
    table = compare([("g", gap)], "maxsum", None, jobs=1)
    assert "can do two tasks together" in table[0].error


def test_bound_only_baseline_gives_bound_gaps():
    gap = yagiura_gap("A", 3, 9, seed=4)

    def loose(model, time_limit=None):  # an incumbent and a (weaker) bound, no proof
        r = solve(model, "highs")
        return Result(Status.FEASIBLE, objective=r.objective, bound=r.objective - 10, answer=r.answer,
                      sense=model.sense)

    table = compare([("g", gap)], "greedy", loose, jobs=1)
    base, greedy = table
    assert base.role == "baseline" and base.optimum is None and base.bound == base.objective - 10
    assert base.gap == pytest.approx(10 / base.bound)  # (objective - bound) / |bound|
    assert greedy.gap_basis == "bound" and greedy.bound == base.bound
    assert greedy.gap == pytest.approx((greedy.objective - base.bound) / base.bound)


def test_relative_gap_to():
    assert relative_gap_to(None, 1.0, "min") is None
    assert relative_gap_to(1.0, 0.0, "min") is None and relative_gap_to(0.0, 0.0, "max") == 0.0
    assert relative_gap_to(math.inf, 2.0, "min") == math.inf
    assert relative_gap_to(-5.0, -10.0, "min") == pytest.approx(0.5)


def test_table_views(tmp_path):
    table = compare([yagiura_gap("A", 2, 6, seed=s) for s in range(2)], "greedy,round_robin", "highs", jobs=1)
    assert isinstance(table, ComparisonTable)
    df = table.to_dataframe()
    assert list(df.columns) == list(RECORD_FIELDS) and len(df) == 6
    doc = json.loads(table.to_json(tmp_path / "t.json"))
    assert doc["records"] == json.loads((tmp_path / "t.json").read_text())["records"]
    table.to_csv(tmp_path / "t.csv")
    with open(tmp_path / "t.csv") as fh:
        assert [Record.from_dict(r) for r in csv.DictReader(fh)] == list(table)
    assert "round_robin" in table.format()
    fig = plot_gaps(table, tmp_path / "g.png")
    assert (tmp_path / "g.png").stat().st_size > 1000 and fig.axes[0].get_ylabel().startswith("gap")


def test_cli_compare_errors(tmp_path, capsys):
    gap = str(ORLIB / "gap1.txt")
    assert main(["compare", gap, "--allocators", "nope", "--jobs", "1"]) == EXIT_METHOD
    assert main(["compare", gap, "--allocators", "greedy", "--resume"]) == 2
    assert main(["compare", str(tmp_path / "missing.txt"), "--allocators", "greedy"]) == 2
    assert main(["compare", gap, "--allocators", "greedy", "--options", "[1]", "--jobs", "1"]) == 2
    capsys.readouterr()
    # a run that raises makes the exit code 1, and says which
    code = main(["compare", gap, "--problem", "1", "--allocators", "maxsum", "--baseline", "none", "--jobs", "1"])
    assert code == EXIT_NO_ANSWER
    assert "maxsum failed" in capsys.readouterr().err
