"""Seeded generators: the published GAP formulas against the published files, determinism, traces."""
from __future__ import annotations

import json

import numpy as np
import pytest

from allotment.models import load, read_orlib_gap
from allotment.models import generators as gen
from allotment.models.generators import _type_a_capacity
from tests.conftest import REPO, SHARED_INSTANCES

GAP = SHARED_INSTANCES / "gap"


def _formula_capacity(kind: str, r: np.ndarray, c: np.ndarray) -> np.ndarray:
    m = r.shape[0]
    if kind == "a":
        return np.full(m, np.floor(_type_a_capacity(r, c)))
    if kind == "b":
        return np.full(m, np.floor(0.7 * _type_a_capacity(r, c)))
    return np.floor(0.8 * r.sum(axis=1) / m)


@pytest.mark.parametrize("kind", ["a", "b", "c", "d"])
def test_capacity_formulas_reproduce_the_orlib_files(kind):
    for problem in range(1, 7):
        g = read_orlib_gap(GAP / "orlib" / f"gap{kind}.txt", problem)
        assert np.array_equal(g.capacity, _formula_capacity(kind, g.weight, g.cost)), (kind, problem)


@pytest.mark.parametrize("name", ["c10400", "c20400", "d10400", "d20400"])
def test_capacity_formulas_reproduce_yagiura_files(name):
    g = read_orlib_gap(GAP / "yagiura" / f"{name}.txt")
    assert np.array_equal(g.capacity, _formula_capacity(name[0], g.weight, g.cost))


@pytest.mark.parametrize("kind", ["A", "B", "C", "D", "E"])
def test_generated_types_follow_their_formulas(kind):
    g = gen.yagiura_gap(kind, 5, 60, seed=11)
    r, c = g.weight, g.cost
    assert g.sense == "min" and r.shape == (5, 60)
    assert np.array_equal(g.capacity, _formula_capacity(kind.lower() if kind != "E" else "c", r, c))
    if kind in "ABC":
        assert r.min() >= 5 and r.max() <= 25 and c.min() >= 10 and c.max() <= 50
    elif kind == "D":
        assert r.min() >= 1 and r.max() <= 100 and np.all((c + r >= 101) & (c + r <= 121))
    else:  # E: r = 1 - 10 ln x >= 1, c = 1000 / r - 10 y, both rounded
        assert r.min() >= 1 and np.all(c <= np.round(1000 / np.maximum(r - 0.5, 1)) + 1)
        assert np.all(c >= np.floor(1000 / (r + 0.5) - 10) - 1)
    assert np.all(r == np.round(r)) and np.all(c == np.round(c))
    same = gen.yagiura_gap(kind, 5, 60, seed=11)
    assert np.array_equal(same.cost, c) and np.array_equal(same.weight, r)
    assert not np.array_equal(gen.yagiura_gap(kind, 5, 60, seed=12).cost, c)


def test_generated_type_a_is_like_gapa():
    """Same sizes as gapa: capacities in the same range as the published problems."""
    for problem, (m, n) in enumerate([(5, 100), (5, 200), (10, 100), (10, 200), (20, 100), (20, 200)], 1):
        pub = read_orlib_gap(GAP / "orlib" / "gapa.txt", problem)
        ours = gen.yagiura_gap("A", m, n, seed=problem)
        assert pub.cost.shape == ours.cost.shape
        assert abs(ours.capacity[0] - pub.capacity[0]) <= 0.25 * pub.capacity[0]


def test_typed_scheduling_is_nested_and_typed():
    small = gen.typed_scheduling(50, n_resources=7, n_types=20, seed=5)
    large = gen.typed_scheduling(120, n_resources=7, n_types=20, seed=5)
    assert np.array_equal(large.processing_time[:, :50], small.processing_time)
    assert np.array_equal(large.weight[:50], small.weight)
    w, p = large.weight, large.processing_time
    assert set(np.unique(w)) <= set(range(1, 21)) and p.min() >= 1 and p.max() <= 10
    for t in np.unique(w):  # one processing time per (resource, type)
        cols = p[:, w == t]
        assert np.all(cols == cols[:, :1])
    assert np.all(large.release == 0)


def test_team_task_allocation():
    g = gen.team_task_allocation(6, 9, tasks_per_agent=2, seed=1)
    assert g.sense == "max" and g.cost.shape == (6, 9) and np.all(g.capacity == 2) and np.all(g.weight == 1)
    assert np.all((g.cost > 0) & (g.cost <= 2.0)) and np.all(g.unassigned_penalty == 0)
    assert np.array_equal(gen.team_task_allocation(6, 9, tasks_per_agent=2, seed=1).cost, g.cost)


def test_coordinator_case_is_the_shipped_instance():
    shipped = load(REPO / "instances" / "shares-coordinator.json")
    ours = gen.coordinator_specialists(1.0)
    for field in ("arrival_rate", "service_rate", "priority", "min_share"):
        assert np.array_equal(getattr(ours, field), getattr(shipped, field)), field
    assert ours.agent_ids == shipped.agent_ids
    assert np.allclose(gen.coordinator_specialists(2.5).arrival_rate, 2.5 * shipped.arrival_rate)


def test_every_family_builds_and_solves_small():
    from allotment.solvers import solve

    models = [gen.random_assignment(4, 6, seed=0), gen.random_multiresource(3, 6, 2, tightness=1.2, seed=0),
              gen.random_coalition(5, 2, seed=0), gen.random_guidance(4, 2, seed=0),
              gen.random_auction(6, 10, seed=0), gen.random_scheduling(2, 5, seed=0),
              gen.random_shares(4, load=0.6, seed=0), gen.graph_coloring(8, soft=True, seed=0)]
    for model in models:
        r = solve(model, time_limit=20)
        assert r.ok, (type(model).__name__, r.message)
        assert model.check(r.answer).feasible
    shares = gen.random_shares(6, load=0.7, seed=3)
    assert shares.load_factor == pytest.approx(0.7) and shares.min_share.sum() == pytest.approx(0.3)


def test_dynamic_workload_trace_replays_on_a_reallocator():
    from allotment.solvers.events import event_from_dict
    from allotment.solvers.incremental import Reallocator

    model, trace = gen.dynamic_workload(4, 6, horizon=200, arrival_rate=0.1, failure_rate=0.01, spikes=2, seed=7)
    kinds = {r["event"] for r in trace}
    assert {"task_added", "task_done", "agent_down", "agent_up", "demand_changed"} <= kinds
    assert [r["time"] for r in trace] == sorted(r["time"] for r in trace)
    json.dumps(trace)  # plain data
    again = gen.dynamic_workload(4, 6, horizon=200, arrival_rate=0.1, failure_rate=0.01, spikes=2, seed=7)
    assert again[1] == trace
    live = Reallocator(model, method="highs")
    first = live.resolve()
    assert first.ok
    for k, record in enumerate(trace):
        live.apply(event_from_dict(record))
        if k % 10 == 9:  # re-solve now and then: every state has an answer (penalties keep it feasible)
            res = live.resolve()
            assert res.ok and live.model.check(res.answer).feasible
    assert live.model.n_agents >= 1 and live.model.n_tasks >= 1


@pytest.mark.parametrize("call, match", [
    (lambda: gen.yagiura_gap("F", 2, 3), "`gap_type`"),
    (lambda: gen.yagiura_gap("A", 0, 3), "`n_agents`"),
    (lambda: gen.random_assignment(2, low=5, high=1), "`cost_low`"),
    (lambda: gen.team_task_allocation(2, discount=1.5), "`discount`"),
    (lambda: gen.typed_scheduling(-1), "`n_tasks`"),
    (lambda: gen.coordinator_specialists(-1), "`load`"),
    (lambda: gen.dynamic_workload(spike_share=2), "`spike_share`"),
    (lambda: gen.random_multiresource(2, 2, tightness=0), "`tightness`"),
])
def test_bad_arguments_name_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()
