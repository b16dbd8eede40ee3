"""Baselines: greedy, round robin, demand-proportional shares, assignments as agents' DCOPs."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allotment.models import GeneralizedAssignment, LinearAssignment, MultiResourceAssignment, OptionError
from allotment.models.generators import (coordinator_specialists, random_scheduling, team_task_allocation,
                                         yagiura_gap)
from allotment.solvers import Status, solve
from allotment.solvers.baselines import allocate_via_dcop, greedy, round_robin, unit_assignment_dcop
from tests.conftest import assert_verified


def brute_force(model):
    """Best objective over every task -> agent vector (-1 allowed when tasks are optional)."""
    m, n = model.cost.shape
    choices = range(-1 if model.unassigned_penalty is not None else 0, m)
    best = None
    for vec in itertools.product(choices, repeat=n):
        rep = model.check(np.array(vec))
        if rep.feasible and (best is None or model.better(rep.objective, best)):
            best = rep.objective
    return best


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from(["min", "max"]), st.sampled_from(["regret", "best"]))
def test_greedy_answers_pass_the_check(seed, sense, rule):
    rng = np.random.default_rng(seed)
    m, n = int(rng.integers(1, 4)), int(rng.integers(1, 7))
    gap = GeneralizedAssignment(rng.integers(1, 20, (m, n)), rng.integers(1, 6, (m, n)), rng.integers(3, 12, m),
                                sense=sense, unassigned_penalty=None if seed % 2 else 15.0)
    r = solve(gap, "greedy", options={"rule": rule})
    if r.ok:
        assert r.status is Status.FEASIBLE
        assert_verified(gap, r)
        opt = brute_force(gap)
        assert not gap.better(r.objective, opt)
    else:  # greedy may paint itself into a corner on tight capacities; it says so
        assert r.status is Status.ERROR and "no feasible answer" in r.message


def test_greedy_regret_and_best_by_hand():
    lap = LinearAssignment([[1, 2], [1, 9]])
    # best-pair takes (0, 0) at cost 1 first and leaves task 1 to agent 1 at 9;
    # regret sees task 0 loses 0 by going elsewhere but task 1 loses 7: it gives task 1 to agent 0
    assert greedy(lap, rule="best").answer.assignment.tolist() == [0, 1]
    assert greedy(lap).answer.assignment.tolist() == [1, 0]
    assert greedy(lap).objective == 3.0
    with pytest.raises(ValueError, match="`rule`"):
        greedy(lap, rule="worst")
    with pytest.raises(OptionError, match="takes options"):
        solve(lap, "greedy", options={"depth": 2})


def test_greedy_multiresource_and_time_limit():
    rng = np.random.default_rng(3)
    mr = MultiResourceAssignment(rng.integers(1, 9, (3, 8)), rng.integers(1, 4, (3, 8, 2)), np.full((3, 2), 12.0))
    assert_verified(mr, solve(mr, "greedy"))
    big = yagiura_gap("A", 20, 400, seed=0)
    r = greedy(big, time_limit=0.05)
    assert r.runtime <= 0.05 * 1.1 + 0.2
    assert r.status in (Status.FEASIBLE, Status.TIME_LIMIT)


def test_round_robin_deals_tasks_in_turn():
    lap = LinearAssignment(np.arange(9).reshape(3, 3))
    assert round_robin(lap).answer.assignment.tolist() == [0, 1, 2]
    gap = GeneralizedAssignment(np.ones((2, 5)), [[3, 3, 3, 3, 3], [1, 1, 1, 1, 1]], [3, 5])
    r = solve(gap, "round_robin")
    assert r.answer.assignment.tolist() == [0, 1, 1, 1, 1]  # agent 0 is full after its first task
    assert_verified(gap, r)


def test_round_robin_scheduling_and_shares():
    s = random_scheduling(3, 10, release_span=5, seed=2)
    r = solve(s, "round_robin")
    assert_verified(s, r)
    assert [len(q) for q in r.answer.sequences()] == [4, 3, 3]
    lat = coordinator_specialists(1.0)
    rr = solve(lat, "round_robin")
    assert np.allclose(rr.answer.shares, [0.65 / 3] * 3 + [0.35])  # equal, the math agent at its 35% minimum
    opt = solve(lat, "closed_form")
    dp = solve(lat, "demand_proportional")
    assert_verified(lat, dp)
    assert rr.objective >= opt.objective and dp.objective >= opt.objective
    assert dp.answer.shares.tolist() == pytest.approx([0.4, 0.15, 0.1, 0.35])


def test_demand_proportional_takes_only_shares():
    from allotment.solvers.baselines import demand_proportional

    with pytest.raises(ValueError, match="must be a ShareAllocation"):
        demand_proportional(LinearAssignment([[1]]))


# --------------------------------------------------------------- assignment as DCOP
@pytest.mark.parametrize("seed", range(4))
def test_unit_dcop_optimum_is_the_assignment_optimum(seed):
    team = team_task_allocation(4, 5, seed=seed)
    exact = allocate_via_dcop(team, "dpop")
    opt = solve(team, "highs")
    assert exact.status is Status.OPTIMAL and exact.objective == pytest.approx(opt.objective)
    assert_verified(team, exact)
    for method in ("maxsum", "dsa", "mgm"):
        r = allocate_via_dcop(team, method, seed=1, options={"max_iter": 50})
        assert_verified(team, r)
        assert r.objective <= opt.objective + 1e-9


def test_unit_dcop_lap_without_idle_and_refusals():
    lap = LinearAssignment([[4, 1, 3], [2, 0, 5]])  # 2 agents, 3 tasks: every agent does one task
    u = unit_assignment_dcop(lap)
    assert [len(d) for d in u.dcop.domains] == [3, 3]
    r = allocate_via_dcop(lap, "dpop")
    assert r.status is Status.OPTIMAL and r.objective == solve(lap, "lsa").objective
    with pytest.raises(ValueError, match="not a local constraint"):
        unit_assignment_dcop(LinearAssignment([[1, 2], [3, 4], [5, 6]]))  # 3 agents, 2 tasks to cover
    with pytest.raises(ValueError, match="two tasks together"):
        unit_assignment_dcop(GeneralizedAssignment([[1, 2]], [[1, 1]], [2]))
    dup = u.decode(np.array([1, 1]))  # both pick task 1: the agent with the better value keeps it
    assert dup.tolist() == [-1, 1, -1]


# ------------------------------------------------------- scheduling: bound and matching
@pytest.mark.parametrize("seed", range(3))
def test_positional_schedule_and_bound_bracket_the_cpsat_optimum(seed):
    from allotment.models.generators import typed_scheduling
    from allotment.solvers.scheduling_bounds import parallel_machine_bound

    s = typed_scheduling(7, n_resources=3, n_types=5, p_low=1, p_high=4, seed=seed)
    opt = solve(s, "cpsat", time_limit=30)
    assert opt.status is Status.OPTIMAL
    pos = solve(s, "positional")
    assert_verified(s, pos)
    assert parallel_machine_bound(s) <= opt.objective + 1e-9 <= pos.objective + 1e-9
    if pos.status is Status.OPTIMAL:
        assert pos.objective == opt.objective
    else:
        assert pos.bound <= opt.objective <= pos.objective


def test_parallel_machine_bound_variants():
    from allotment.models import UnrelatedScheduling
    from allotment.solvers.scheduling_bounds import parallel_machine_bound

    same = UnrelatedScheduling([[2, 2, 2, 2]], weight=[1, 4, 2, 3])  # one resource, equal times: exact
    assert parallel_machine_bound(same) == solve(same, "cpsat").objective == 2 * (4 + 2 * 3 + 3 * 2 + 4 * 1)
    mixed = UnrelatedScheduling([[1, 3, 2], [2, 3, 1]], weight=[1, 1, 1])
    assert parallel_machine_bound(mixed) <= solve(mixed, "cpsat").objective
    released = UnrelatedScheduling([[1, 3]], weight=[2, 1], release=[4, 0])
    assert parallel_machine_bound(released) == 2 * 5 + 1 * 3
