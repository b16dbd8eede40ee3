"""Reallocator: after every event the warm answer equals a cold solve and passes check()."""
from __future__ import annotations

import numpy as np
import pytest

from allotment.models import GeneralizedAssignment, LinearAssignment, ShareAllocation
from allotment.models import UnrelatedScheduling
from allotment.models.errors import EventError, SolverUnavailableError
from allotment.solvers import Status
from allotment.solvers.events import (AgentDown, AgentUp, CapacityChanged, CostChanged, DemandChanged, Heartbeat,
                                      TaskAdded, TaskDone)
from allotment.solvers.incremental import Reallocator


# ----------------------------------------------------------------------------- helpers
def random_event(rng: np.random.Generator, model, step: int, *, kinds=None):
    """One random event that is valid for ``model`` (ids, shapes and signs)."""
    agents, new_id = list(model.agent_ids), f"new{step}"
    if isinstance(model, ShareAllocation):
        a = agents[rng.integers(len(agents))]
        options = ["demand", "priority", "max_share", "capacity", "up"] + (["down"] if len(agents) > 2 else [])
        kind = options[rng.integers(len(options))]
        if kind == "down":
            return AgentDown(a)
        if kind == "up":
            return AgentUp(new_id, {"arrival_rate": float(rng.uniform(0, 5)), "service_rate": float(rng.uniform(1, 9)),
                                    "priority": float(rng.integers(1, 4))})
        if kind == "demand":
            return DemandChanged(float(rng.uniform(0, 8)), agent=a)
        if kind == "priority":
            return CostChanged(float(rng.integers(0, 5)), agent=a)
        if kind == "max_share":
            i = agents.index(a)
            return CapacityChanged(float(model.min_share[i] + rng.uniform(0.05, 1.0)), agent=a)
        return CapacityChanged(float(rng.uniform(0.5, 2.0)))
    tasks = list(model.task_ids)
    gap = isinstance(model, GeneralizedAssignment)
    m, n = len(agents), len(tasks)
    a, t = agents[rng.integers(m)], tasks[rng.integers(n)]
    options = kinds or (["entry", "row", "column", "up", "added"] + (["down"] if m > 1 else [])
                        + (["done"] if n > 1 else []) + (["capacity", "demand"] if gap else []))
    kind = options[rng.integers(len(options))]
    cost = lambda k: rng.integers(1, 30, k).astype(float).tolist()  # noqa: E731
    if kind == "entry":
        return CostChanged(float(rng.integers(1, 30)), agent=a, task=t)
    if kind == "row":
        return CostChanged(cost(n), agent=a)
    if kind == "column":  # a partial column, given as {agent: cost}
        some = rng.choice(m, size=max(1, m // 2), replace=False)
        return CostChanged({agents[i]: float(rng.integers(1, 30)) for i in some}, task=t)
    if kind == "down":
        return AgentDown(a)
    if kind == "done":
        return TaskDone(t)
    if kind == "up":
        data = {"cost": cost(n)}
        if gap:
            data |= {"weight": rng.integers(1, 9, n).astype(float).tolist(), "capacity": float(rng.integers(8, 20))}
        return AgentUp(new_id, data)
    if kind == "added":
        data = {"cost": dict(zip(agents, cost(m)))}
        if gap:
            data["weight"] = rng.integers(1, 9, m).astype(float).tolist()
            if model.unassigned_penalty is not None:
                data["penalty"] = float(rng.integers(20, 60))
        return TaskAdded(new_id, data)
    if kind == "capacity":
        return CapacityChanged(float(rng.integers(4, 20)), agent=a)
    return DemandChanged(float(rng.integers(1, 9)), task=t)


def assert_warm_matches_cold(r: Reallocator, warm, cold, rel: float = 1e-6) -> None:
    """Same status; same (penalized) optimum; the answer passes the updated model's check."""
    assert warm.status == cold.status, (warm, cold)
    if not warm.ok:
        return
    target = warm.info["penalized_objective"]
    assert abs(target - cold.objective) <= rel * max(1.0, abs(cold.objective)), (warm, cold)
    if warm.answer is not None:
        report = r.model.check(warm.answer)
        assert report.feasible, report.violations
        assert abs(report.objective - warm.objective) <= rel * max(1.0, abs(warm.objective))


def run_sequence(r: Reallocator, rng: np.random.Generator, steps: int, **kw) -> list:
    cold = r.solve_cold()
    results = [r.resolve()]
    assert_warm_matches_cold(r, results[0], cold)
    for step in range(steps):
        r.apply(random_event(rng, r.model, step, **kw))
        cold = r.solve_cold()  # the same (penalized) model the warm re-solve optimizes
        warm = r.resolve()
        assert_warm_matches_cold(r, warm, cold)
        results.append(warm)
    return results


def random_lap(rng, m, n, sense="min"):
    return LinearAssignment(rng.integers(1, 30, (m, n)).astype(float), sense=sense)


def random_gap(rng, m, n, penalty=False, sense="min"):
    w = rng.integers(1, 9, (m, n)).astype(float)
    cap = np.full(m, float(np.ceil(w.sum() / m * 0.9)))
    return GeneralizedAssignment(rng.integers(1, 30, (m, n)).astype(float), w, cap, sense=sense,
                                 unassigned_penalty=40.0 if penalty else None)


# ----------------------------------------------------------------------------- LAP
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("method", ["auto", "highs"])
def test_lap_random_events_match_cold(seed: int, method: str) -> None:
    rng = np.random.default_rng(seed)
    model = random_lap(rng, int(rng.integers(3, 7)), int(rng.integers(3, 7)), sense=["min", "max"][seed % 2])
    r = Reallocator(model, method=method)
    results = run_sequence(r, rng, 25)
    assert all(res.status is Status.OPTIMAL for res in results)
    assert results[-1].info["warm"] == ("duals" if method == "auto" else "basis")


def test_lap_dynamic_hungarian_repairs_only_what_changed() -> None:
    rng = np.random.default_rng(7)
    r = Reallocator(random_lap(rng, 60, 60))
    first = r.resolve()
    task_of_3 = r.model.task_ids[first.answer.assignment.tolist().index(3)]
    res = r.step(CostChanged(1000.0, agent="agent3", task=task_of_3))  # agent3 must give up its task
    assert res.info["warm"] == "duals" and res.info["augmentations"] == first.info["augmentations"] + 1
    assert res.info["n_changed"] >= 2 and res.info["n_forced"] == 0
    other = next(t for t in r.model.task_ids if t != task_of_3 and
                 r.answer.assignment[r.model.task_ids.index(t)] != 3)
    same = r.step(CostChanged(1000.0, agent="agent3", task=other))  # a pair nobody uses got dearer
    assert same.info["augmentations"] == res.info["augmentations"] and same.info["n_changed"] == 0


def test_lap_with_forbidden_pairs_and_infeasibility() -> None:
    allowed = np.array([[True, False], [True, False]])
    r = Reallocator(LinearAssignment([[1, 2], [3, 4]], allowed=allowed))
    res = r.resolve()
    assert res.status is Status.INFEASIBLE and r.solve_cold().status is Status.INFEASIBLE
    res = r.step(AgentUp("c", {"cost": [5, 6], "allowed": [False, True]}))  # 3 agents, 2 tasks: feasible now
    assert res.status is Status.OPTIMAL and r.model.check(res.answer).feasible
    assert res.objective == r.solve_cold().objective == 7.0


# ----------------------------------------------------------------------------- GAP
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("penalty", [False, True])
def test_gap_milp_random_events_match_cold(seed: int, penalty: bool) -> None:
    rng = np.random.default_rng(100 + seed)
    r = Reallocator(random_gap(rng, 4, 9, penalty=penalty, sense=["min", "max"][seed % 2]))
    results = run_sequence(r, rng, 14)
    assert any(res.info["warm"] == "mip_start" for res in results)
    assert any(str(res.info.get("mip_start", "")).startswith("previous answer") for res in results)


@pytest.mark.parametrize("seed", range(3))
def test_gap_lp_relaxation_random_events_match_cold(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    r = Reallocator(random_gap(rng, 5, 12, penalty=seed == 1), relax=True)
    results = run_sequence(r, rng, 20)
    for res in results:
        if res.ok:  # the relaxed vector is feasible for the model's Program without integrality
            assert res.answer is None and res.x is not None
    prog = r.model.to_program()
    assert prog.with_changes(integrality=np.zeros(prog.n_cols, bool)).is_feasible(results[-1].x, tol=1e-7)
    assert results[-1].info["warm"] == "basis"


def test_gap_cpsat_with_hints_matches_cold() -> None:
    rng = np.random.default_rng(5)
    r = Reallocator(random_gap(rng, 3, 7), method="cpsat", options={"num_workers": 1})
    results = run_sequence(r, rng, 6)
    assert results[-1].info["warm"] == "hint"


# ----------------------------------------------------------------------------- shares
@pytest.mark.parametrize("seed", range(3))
def test_share_lp_random_events_match_cold(seed: int) -> None:
    rng = np.random.default_rng(300 + seed)
    n = 6
    model = ShareAllocation(rng.uniform(0, 5, n), rng.uniform(1, 9, n), priority=rng.integers(1, 4, n).astype(float),
                            min_share=np.full(n, 0.02), capacity=1.0, objective="max_throughput")
    r = Reallocator(model)
    results = run_sequence(r, rng, 25)
    assert results[-1].info["warm"] == "basis"
    closed = Reallocator(r.model, method="closed_form").resolve()
    assert abs(closed.objective - results[-1].objective) <= 1e-6 * max(1, abs(closed.objective))


def test_share_rules_are_solved_by_their_closed_form() -> None:
    model = ShareAllocation([1.0, 3.0, 2.0], [10.0, 10.0, 5.0], objective="demand_proportional")
    r = Reallocator(model)
    r.resolve()
    res = r.step(DemandChanged(6.0, agent="agent0"))
    assert res.method == "closed_form" and r.model.check(res.answer).feasible
    assert res.info["n_changed"] == 3


# ----------------------------------------------------------------------------- migration
@pytest.mark.parametrize("model_kind", ["lap", "gap"])
def test_migration_cost_matches_cold_penalized_and_moves_fewer(model_kind: str) -> None:
    moved = {}
    for mc in (0.0, 15.0):
        rng = np.random.default_rng(11)
        model = random_lap(rng, 12, 12) if model_kind == "lap" else random_gap(rng, 4, 12, penalty=True)
        r = Reallocator(model, migration_cost=mc)
        results = run_sequence(r, np.random.default_rng(12), 10, kinds=["row", "entry", "down", "up"])
        moved[mc] = sum(res.info["n_changed"] - res.info["n_forced"] for res in results)
        for before, after in zip(results, results[1:]):
            if not (before.ok and after.ok):
                continue
            kept = len(set(before.answer.pairs()) & set(after.answer.pairs()))  # pairs of the previous answer kept
            assert after.info["penalized_objective"] == pytest.approx(after.objective - mc * kept)
    assert moved[15.0] < moved[0.0]


def test_migration_penalty_value_is_per_broken_pair() -> None:
    # two agents, two tasks; making the kept pairs slightly worse only moves them when
    # the gain beats the penalty
    model = LinearAssignment([[1.0, 5.0], [5.0, 1.0]])
    r = Reallocator(model, migration_cost=3.0)
    r.resolve()
    res = r.step(CostChanged([4.0, 2.0], agent="agent0"))  # swapping would gain 2 < 2 * 3: stay
    assert res.answer.assignment.tolist() == [0, 1] and res.info["n_changed"] == 0
    assert res.info["penalized_objective"] == pytest.approx(res.objective - 2 * 3.0)
    res = r.step(CostChanged([20.0, 2.0], agent="agent0"))  # gain 18 - 6 > 0: swap, 2 pairs broken
    assert res.answer.assignment.tolist() == [1, 0] and res.info["n_changed"] == 2
    assert res.info["n_reassigned_agents"] == 2


# ----------------------------------------------------------------------------- atomicity, errors
def test_bad_event_leaves_everything_unchanged() -> None:
    rng = np.random.default_rng(3)
    r = Reallocator(random_gap(rng, 3, 5))
    before = r.resolve()
    data_before = r.model.to_data()
    bad = [
        AgentDown("nobody"),
        TaskDone("ghost"),
        AgentUp("agent0", {"cost": [1] * 5, "weight": [1] * 5, "capacity": 3}),
        AgentUp("x", {"cost": [1] * 4, "weight": [1] * 5, "capacity": 3}),
        AgentUp("x", {"cost": [1] * 5, "weight": [1] * 5}),
        AgentUp("x", {"cost": [1] * 5, "weight": [-1] * 5, "capacity": 3}),
        AgentUp("x", {"cost": [1] * 5, "weight": [1] * 5, "capacity": 3, "colour": 1}),
        TaskAdded("y", {"cost": [1, 2, 3], "weight": [1, 2, 3], "penalty": 4}),
        CostChanged(float("nan"), agent="agent0", task="task0"),
        CostChanged({"task9": 1.0}, agent="agent0"),
        CostChanged(1.0),
        CapacityChanged(-1.0, agent="agent1"),
        DemandChanged(2.0, agent="agent1"),
        [CostChanged(2.0, agent="agent0", task="task0"), TaskAdded("z", {"cost": [1, 2, 3], "weight": [1, 2, 3]}),
         AgentDown("nobody")],
    ]
    for event in bad:
        with pytest.raises(EventError):
            r.apply(event)
        assert r.model.to_data() == data_before
    after = r.resolve()
    assert after.objective == before.objective and after.info["n_changed"] == 0
    with pytest.raises(EventError, match="heartbeat"):
        r.apply(Heartbeat("agent0", 1.0))


def test_error_messages_name_event_field_and_id() -> None:
    r = Reallocator(LinearAssignment([[1, 2], [3, 4]]))
    with pytest.raises(EventError, match=r"agent_down ghost: unknown agent 'ghost'"):
        r.apply(AgentDown("ghost"))
    with pytest.raises(EventError, match=r"`data.cost` must have one entry per task \(2"):
        r.apply(AgentUp("c", {"cost": [1]}))
    with pytest.raises(EventError, match=r"`value` must be finite; got inf for 'task1'"):
        r.apply(CostChanged([1, float("inf")], agent="agent0"))
    with pytest.raises(EventError, match="LinearAssignment has no capacities"):
        r.apply(CapacityChanged(3.0, agent="agent0"))
    with pytest.raises(EventError, match="cannot remove the last agent"):
        r.apply([AgentDown("agent0"), AgentDown("agent1")])
    with pytest.raises(EventError, match="event 1 of a batch of 2: .*none of them was applied"):
        r.apply([AgentDown("agent0"), TaskDone("nope")])
    assert r.model.agent_ids == ("agent0", "agent1")


@pytest.mark.parametrize("kwargs, error, match", [
    ({"migration_cost": -1.0}, ValueError, "`migration_cost` must be a finite non-negative number"),
    ({"method": "nope"}, SolverUnavailableError, "unknown method 'nope'"),
    ({"relax": True, "method": "cpsat"}, ValueError, "`relax` needs method 'highs'"),
    ({"time_limit": 0}, ValueError, "`time_limit` must be a positive number"),
])
def test_bad_arguments(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        Reallocator(LinearAssignment([[1, 2], [3, 4]]), **kwargs)


def test_models_without_event_support_are_refused() -> None:
    with pytest.raises(ValueError, match="`migration_cost` applies to assignment models"):
        Reallocator(ShareAllocation([1.0], [2.0], objective="max_throughput"), migration_cost=1.0)
    with pytest.raises(TypeError, match="LinearAssignment, GeneralizedAssignment or ShareAllocation"):
        Reallocator(UnrelatedScheduling([[1.0, 2.0]]))


@pytest.mark.parametrize("method", ["auto", "highs"])
def test_growth_and_compaction_keep_answers_exact(method: str) -> None:
    rng = np.random.default_rng(21)
    r = Reallocator(random_lap(rng, 4, 4), method=method, migration_cost=2.0)
    r.resolve()
    rebuilt = 0
    for k in range(40):  # churn: far more ids come and go than the buffers first held
        r.apply(AgentUp(f"a{k}", {"cost": rng.integers(1, 30, len(r.model.task_ids)).astype(float).tolist()}))
        r.apply(AgentDown(r.model.agent_ids[0]))
        r.apply(TaskAdded(f"t{k}", {"cost": rng.integers(1, 30, len(r.model.agent_ids)).astype(float).tolist()}))
        r.apply(TaskDone(r.model.task_ids[0]))
        cold = r.solve_cold()
        warm = r.resolve()
        rebuilt += warm.info["warm"] == ""  # compaction re-numbers the slots and starts afresh
        assert_warm_matches_cold(r, warm, cold)
    assert len(r.model.agent_ids) == 4 and len(r.model.task_ids) == 4
    assert rebuilt >= 1 and r._tables.used() < 64 + 8  # compacted: the buffers did not keep growing
