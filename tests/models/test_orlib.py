"""Published optima of the OR-Library GAP and LAP sets, reproduced and independently checked."""
from __future__ import annotations

import csv
import math

import pytest

from allotment.models import LinearAssignment, count_orlib_gap_problems, load, read_orlib_gap, read_orlib_lap
from allotment.solvers import Status, solve
from tests.conftest import SHARED_INSTANCES, assert_verified


def _known() -> list[dict[str, str]]:
    with open(SHARED_INSTANCES / "gap" / "known.csv", newline="") as fh:
        return list(csv.DictReader(fh))


KNOWN = _known()
SMALL = [r for r in KNOWN if r["file"].startswith("orlib/gap") and r["file"][9].isdigit()]
ABC = [r for r in KNOWN if r["file"] in ("orlib/gapa.txt", "orlib/gapb.txt", "orlib/gapc.txt")]
D = [r for r in KNOWN if r["file"] == "orlib/gapd.txt"]


def test_known_table_covers_every_problem():
    for name in [f"gap{k}" for k in range(1, 13)] + ["gapa", "gapb", "gapc", "gapd"]:
        count = count_orlib_gap_problems(SHARED_INSTANCES / "gap" / "orlib" / f"{name}.txt")
        listed = [r for r in KNOWN if r["file"] == f"orlib/{name}.txt"]
        assert len(listed) == count, name


@pytest.mark.parametrize("row", SMALL, ids=[r["instance"] for r in SMALL])
def test_gap1_to_gap12_both_senses(row):
    path = SHARED_INSTANCES / "gap" / row["file"]
    for sense, column in (("min", "min_best_known"), ("max", "max_optimum")):
        model = read_orlib_gap(path, int(row["problem"]), sense=sense)
        result = solve(model, method="highs")
        assert result.status is Status.OPTIMAL, result
        assert_verified(model, result, expected=float(row[column]))
        assert result.gap == 0.0 and result.bound == result.objective


@pytest.mark.parametrize("row", ABC, ids=[r["instance"] for r in ABC])
def test_gapa_gapb_gapc_optima(row):
    assert row["min_proven_optimal"] == "yes"
    model = load(SHARED_INSTANCES / "gap" / row["file"], problem=int(row["problem"]))
    assert (model.n_agents, model.n_tasks) == (int(row["agents"]), int(row["tasks"]))
    result = solve(model, method="highs", time_limit=120)
    assert result.status is Status.OPTIMAL, result
    assert_verified(model, result, expected=float(row["min_best_known"]))


@pytest.mark.parametrize("row", D, ids=[r["instance"] for r in D])
def test_gapd_status_and_bound_consistent_with_known(row):
    """Hard: within a short limit the status and bound must agree with the published values."""
    model = load(SHARED_INSTANCES / "gap" / row["file"], problem=int(row["problem"]))
    result = solve(model, method="highs", time_limit=4)
    lower, best = float(row["min_lower_bound"]), float(row["min_best_known"])
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE), result
    report = assert_verified(model, result)
    # Nothing feasible beats the best known value, and no valid bound exceeds it.
    assert report.objective >= best - 1e-6
    assert result.bound is not None and result.bound <= best + 1e-6
    if result.status is Status.OPTIMAL:
        assert row["min_proven_optimal"] == "yes" and report.objective == best
        assert result.bound == best
    else:
        assert result.gap is not None and result.gap > 0
        assert math.isclose(result.gap, (report.objective - result.bound) / report.objective, rel_tol=1e-9)
    if row["min_proven_optimal"] == "no":
        assert result.status is Status.FEASIBLE  # the literature has no proof; a 4 s run cannot claim one


def _lap_optima() -> dict[str, float]:
    rows = (SHARED_INSTANCES / "lap" / "orlib" / "assignopt.txt").read_text().splitlines()[1:]
    optima = {parts[0]: float(parts[1]) for parts in (r.split() for r in rows) if len(parts) == 2}
    # The table lists more instances than the shared folder holds (only assign100..800 are there).
    return {name: v for name, v in optima.items() if (SHARED_INSTANCES / "lap" / "orlib" / f"{name}.txt").is_file()}


LAP_OPTIMA = _lap_optima()


def test_lap_optima_table_has_all_eight():
    assert sorted(LAP_OPTIMA) == sorted(f"assign{n}" for n in range(100, 900, 100))


@pytest.mark.parametrize("name", sorted(LAP_OPTIMA))
def test_orlib_lap_optima(name):
    model = read_orlib_lap(SHARED_INSTANCES / "lap" / "orlib" / f"{name}.txt")
    result = solve(model)
    assert result.method == "lsa" and result.status is Status.OPTIMAL
    assert_verified(model, result, expected=LAP_OPTIMA[name])


def test_lap_via_highs_program_agrees():
    model = read_orlib_lap(SHARED_INSTANCES / "lap" / "orlib" / "assign100.txt")
    assert_verified(model, solve(model, method="highs"), expected=LAP_OPTIMA["assign100"])


def test_lap_via_cpsat_agrees_on_a_corner():
    """CP-SAT is no assignment solver (assign100 whole ran for many minutes): a 25 x 25 corner."""
    full = read_orlib_lap(SHARED_INSTANCES / "lap" / "orlib" / "assign100.txt")
    model = LinearAssignment(full.cost[:25, :25])
    reference = solve(model, method="lsa")
    assert_verified(model, solve(model, method="cpsat", time_limit=60), expected=reference.objective)


@pytest.mark.parametrize("instance", ["gap1-1", "gap4-3", "gap8-2", "gap12-5"])
def test_cpsat_agrees_with_highs_on_orlib(instance):
    row = next(r for r in KNOWN if r["instance"] == instance)
    model = read_orlib_gap(SHARED_INSTANCES / "gap" / row["file"], int(row["problem"]))
    result = solve(model, method="cpsat", seed=1)
    assert result.status is Status.OPTIMAL
    assert_verified(model, result, expected=float(row["min_best_known"]))


def test_yagiura_single_problem_file_reads():
    model = load(SHARED_INSTANCES / "gap" / "yagiura" / "c10400.txt")
    assert (model.n_agents, model.n_tasks) == (10, 400)
