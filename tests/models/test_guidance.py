"""AssignmentGuidance: validation, the three exact forms, backends against brute force."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from allotment.models import AssignmentGuidance, Dispatch, InstanceError, SolverUnavailableError, load, save
from allotment.solvers import Status, pick_method, solve
from tests.conftest import REPO, assert_verified

EXACT = ["highs", "cpsat", "scip"]


def brute_force(model: AssignmentGuidance) -> tuple[float, np.ndarray]:
    """Best objective and its residuals over every agent -> consumer (or idle) vector."""
    best, arg = np.inf, None
    for vec in itertools.product(range(-1, model.n_consumers), repeat=model.n_agents):
        value = model.check(np.array(vec)).objective
        if value < best:
            best, arg = value, np.array(vec)
    return best, model.demand - model.supplied(arg)


@st.composite
def instances(draw, unit=None):
    m, n, r = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    unit = unit if unit is not None else draw(st.sampled_from([1.0, 1.0, 0.5]))
    supply = rng.integers(0, 5, (m, r)) * unit
    demand = rng.integers(0, 9, (n, r)) * unit
    weight = rng.integers(0, 4, r) * draw(st.sampled_from([1.0, 0.5]))
    distance = rng.integers(0, 8, (m, n)).astype(float)
    alpha = draw(st.sampled_from([0.0, 0.5, 1.0, 2.0]))
    return AssignmentGuidance(supply, demand, weight, distance=distance, alpha=alpha,
                              one_sided=draw(st.booleans()))


def _solve(model, method):
    return solve(model, method=method, options={"num_workers": 1} if method == "cpsat" else None)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_exact_backends_agree_with_brute_force(model):
    best, residual = brute_force(model)
    lo, hi = model.residual_bounds()
    # Every optimum's residuals (shortfalls when one-sided) lie inside the ranges.
    r = np.maximum(residual, 0.0) if model.one_sided else residual
    assert np.all(lo - 1e-9 <= r) and np.all(r <= hi + 1e-9), (lo, r, hi)
    assert model.check(model.heuristic()).objective >= best - 1e-9
    for method in EXACT:
        result = _solve(model, method)
        assert result.status is Status.OPTIMAL, (method, result.message)
        assert_verified(model, result, expected=best)
        assert isinstance(result.answer, Dispatch)
        assert np.allclose(result.answer.residual, model.demand - model.supplied(result.answer.assignment))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(unit=1 / 3))
def test_non_decimal_data_only_scip(model):
    """Thirds are no whole number of decimal units: no exact MILP, CP-SAT and HiGHS refuse."""
    assume(model.integer_residuals() is None)   # all-zero draws are whole numbers
    best, _ = brute_force(model)
    assert_verified(model, solve(model, method="scip"), expected=best)
    if model.problem_class == "MIQP":
        assert model.program_classes() == ("MIQP",)
        assert "not decimals" in model.exact_milp_refusal()
        with pytest.raises(SolverUnavailableError, match="'highs' does not solve AssignmentGuidance"):
            solve(model, method="highs")
        assert pick_method(model).name == "scip"
    with pytest.raises(SolverUnavailableError, match="must be decimals"):
        solve(model, method="cpsat")


def test_euclidean_positions_refused_by_cpsat_with_a_hint():
    g = AssignmentGuidance([[1], [2]], [[3]], agent_positions=[[0, 0], [1, 1]], consumer_positions=[[0, 1]])
    assert g.distance[1, 0] == 1.0 and g.distance[0, 0] == 1.0
    g2 = AssignmentGuidance([[1], [2]], [[3]], agent_positions=[[0, 0], [1, 2]], consumer_positions=[[0, 1]])
    with pytest.raises(SolverUnavailableError, match=r"distance\[1\]\[0\] = 1.414.*pass `distance=` rounded"):
        solve(g2, method="cpsat")
    values = [assert_verified(g2, solve(g2, method=m)).objective for m in ("highs", "scip")]
    assert values[0] == pytest.approx(values[1], abs=1e-9)
    rounded = AssignmentGuidance([[1], [2]], [[3]], distance=np.round(g2.distance, 3))
    assert_verified(rounded, solve(rounded, method="cpsat"), expected=solve(rounded, method="scip").objective)


def test_auto_never_sends_the_miqp_to_highs():
    g = AssignmentGuidance([[1, 2], [2, 1], [1, 1]], [[2, 2], [1, 2]], [1, 2], distance=[[1, 2], [2, 1], [3, 3]])
    assert g.to_program().problem_class == "MIQP"
    result = solve(g)
    assert result.status is Status.OPTIMAL
    assert "auto picked" in result.message
    if result.method == "highs":
        assert result.x.shape[0] == g.pwl_program().n_cols        # the exact MILP, never the MIQP
    assert_verified(g, result, expected=brute_force(g)[0])


def test_the_three_forms_share_the_x_block():
    g = AssignmentGuidance([[1, 0], [0, 1]], [[1, 1]], distance=[[1], [1]])
    miqp, milp = g.to_program(), g.pwl_program()
    assert miqp.problem_class == "MIQP" and milp.problem_class == "MILP"
    assert miqp.blocks[0].name == milp.blocks[0].name == "x" and miqp.blocks[0].offset == 0
    assert g.program_for({"MILP"}) is milp and g.program_for({"MIQP", "MILP"}) is miqp
    with pytest.raises(ValueError, match="not to any of"):
        g.program_for({"LP"})


def test_pwl_program_is_exact_on_every_integer_point():
    """At any binary x, the cheapest steps give exactly the squared residuals."""
    g = AssignmentGuidance([[2, 1], [3, 0], [1, 2]], [[4, 2], [1, 1]], [1.0, 3.0], distance=np.ones((3, 2)),
                           alpha=0.5)
    ints = g.integer_residuals()
    weighted_hi, weighted_lo = ints.hi, ints.lo
    for vec in itertools.product(range(-1, 2), repeat=3):
        residual = g.demand - g.supplied(np.array(vec))
        if np.any(residual < weighted_lo) or np.any(residual > weighted_hi):
            continue                                  # outside the optimum-preserving ranges
        steps = residual - ints.lo                    # whole number of filled steps per pair
        cost = g.alpha * g.distance[[i for i in range(3) if vec[i] >= 0], [j for j in vec if j >= 0]].sum()
        cost += (ints.weight * (ints.lo**2 + steps * (2 * ints.lo + steps))).sum()
        assert cost == pytest.approx(g.check(np.array(vec)).objective)


def test_useful_pairs_drop_agents_whose_travel_outweighs_any_gain():
    g = AssignmentGuidance([[1], [1]], [[2]], distance=[[1.0], [10.0]], alpha=1.0)
    # gain at most 2**2 - 1**2 = 3: agent 1's travel of 10 never pays.
    assert g.useful_pairs().tolist() == [[True], [False]]
    assert g.to_program().col_hi[:2].tolist() == [1.0, 0.0]
    assert_verified(g, solve(g, method="highs"), expected=1 + 1)


def test_one_sided_ignores_oversupply():
    two = AssignmentGuidance([[5]], [[2]], distance=[[0]])
    one = AssignmentGuidance([[5]], [[2]], distance=[[0]], one_sided=True)
    assert two.check([0]).objective == 9 and one.check([0]).objective == 0
    assert solve(two, method="scip").answer.assignment.tolist() == [-1]
    assert solve(one, method="highs").answer.assignment.tolist() == [0]


def test_zero_weights_leave_a_travel_only_milp():
    g = AssignmentGuidance([[1], [1]], [[2]], 0.0, distance=[[1.0], [2.0]])
    assert g.problem_class == "MILP" and g.program_classes() == ("MILP",)
    for method in EXACT:
        assert_verified(g, _solve(g, method), expected=0.0)


def test_dispatch_is_what_a_learner_consumes():
    g = AssignmentGuidance([[2, 0], [0, 1], [1, 1]], [[2, 1], [1, 1]], agent_positions=[[0, 0], [0, 1], [3, 0]],
                           consumer_positions=[[0, 0], [3, 0]], alpha=0.5, consumer_ids=["a", "b"])
    guidance = solve(g).answer
    assert guidance.assignment.tolist() == [0, 0, 1]
    assert guidance.residual.tolist() == [[0, 0], [0, 0]]
    assert guidance.one_hot().shape == (3, 3)
    assert guidance.coalitions() == {"a": ["agent0", "agent1"], "b": ["agent2"]}


@pytest.mark.parametrize("kwargs, field", [
    (dict(supply=[[1, 2]], demand=[[1]], distance=[[1]]), "demand"),
    (dict(supply=[[1]], demand=[[1]], distance=[[1, 2]]), "distance"),
    (dict(supply=[[1]], demand=[[1]], distance=[[-1]]), "distance"),
    (dict(supply=[[1]], demand=[[1]]), "distance"),
    (dict(supply=[[1]], demand=[[1]], agent_positions=[[0, 0]]), "consumer_positions"),
    (dict(supply=[[1]], demand=[[1]], agent_positions=[[0, 0]], consumer_positions=[[0, 0, 0]]),
     "consumer_positions"),
    (dict(supply=[[1]], demand=[[1]], agent_positions=[[0, 0], [1, 1]], consumer_positions=[[0, 0]]),
     "agent_positions"),
    (dict(supply=[[1]], demand=[[1]], distance=[[1]], alpha=-1), "alpha"),
    (dict(supply=[[1]], demand=[[1]], distance=[[1]], alpha=[1, 2]), "alpha"),
    (dict(supply=[[1]], demand=[[1]], distance=[[1]], weight=[1, 2]), "weight"),
    (dict(supply=[[1]], demand=[[-1]], distance=[[1]]), "demand"),
    (dict(supply=[[1]], demand=[[1]], distance=[[1]], one_sided="yes"), "one_sided"),
])
def test_bad_input_names_the_field(kwargs, field):
    with pytest.raises(InstanceError, match=f"`{field}"):
        AssignmentGuidance(**kwargs)


def test_json_round_trip_and_shipped_instances(tmp_path):
    g = AssignmentGuidance([[1, 2], [0, 1]], [[1, 2]], [1, 0.5], agent_positions=[[0, 0], [1, 0]],
                           consumer_positions=[[2, 2]], alpha=0.25, one_sided=True)
    save(g, tmp_path / "g.json")
    back = load(tmp_path / "g.json")
    assert back.to_data() == g.to_data() and np.allclose(back.distance, g.distance)
    shipped = sorted((REPO / "instances").glob("guidance-*.json"))
    assert shipped
    for path in shipped:
        model = load(path)
        values = []
        for method in EXACT:
            if method == "cpsat" and not model._distance_given:
                continue                                      # Euclidean distances: cpsat refuses
            values.append(assert_verified(model, solve(model, method=method)).objective)
        assert max(values) - min(values) <= 1e-6 * max(1.0, abs(values[0])), values


def test_highs_runs_without_presolve_on_the_piecewise_linear_milp():
    # HiGHS 1.14's presolve called 0.15 optimal here; the optimum is 0 (SCIP, CP-SAT, colgen agree).
    supply = [[1, 1], [1.5, 0], [.5, 0], [0, 0], [1.5, .5], [.5, 1], [0, 1.5], [1, 1], [1, 1.5], [0, .5], [1, 0],
              [1, 1.5], [1, .5], [1, 0], [1.5, 1.5], [1, 1], [1, 1.5], [0, 1.5], [1.5, 1.5]]
    model = AssignmentGuidance(supply, [[2.5, 1.5], [0, 0], [1.5, 1], [3.5, 0.5]], [0.6, 0.0],
                               distance=np.ones((19, 4)), alpha=0)
    result = solve(model, "highs")
    assert result.status is Status.OPTIMAL and abs(result.objective) <= 1e-9
    assert model.check(result.answer).feasible and abs(model.check(result.answer).objective) <= 1e-9


def test_zero_weight_resources_add_no_rows_and_highs_finds_the_optimum():
    # HiGHS 1.14 (presolve off) called 2.1 optimal here while 0.75 is feasible, as long as the
    # unweighted resources kept their (redundant) residual rows; they are free and empty now.
    supply = [[1, 3, 1], [3, 2, 2], [0, 2, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [2, 0, 3], [0, 0, 0], [3, 3, 1],
              [0, 0, 3], [0, 0, 0], [0, 0, 0], [0, 0, 0], [1, 2, 0], [0, 0, 0], [1, 1, 1], [1, 2, 3]]
    demand = [[1, 6, 3], [0, 0, 0], [4, 1, 4], [4, 2, 7], [0, 4, 3], [0, 0, 0]]
    distance = [[1, 8, 2, 6, 2, 0], [9, 9, 4, 5, 3, 0], [0, 4, 4, 9, 8, 1], [6, 4, 3, 2, 0, 5], [7, 1, 1, 8, 6, 4],
                [3, 3, 5, 7, 0, 5], [7, 5, 2, 1, 5, 7], [5, 3, 1, 8, 0, 7], [9, 1, 6, 8, 5, 0], [9, 0, 0, 1, 4, 2],
                [6, 0, 6, 9, 7, 2], [4, 9, 7, 7, 5, 2], [6, 5, 5, 8, 7, 6], [7, 4, 2, 4, 8, 8], [4, 3, 2, 1, 7, 8],
                [3, 3, 7, 2, 2, 1], [8, 2, 9, 5, 5, 9]]
    model = AssignmentGuidance(supply, demand, [1.0, 0.0, 0.0], distance=distance, alpha=0.05)
    program = model.pwl_program()
    residual_rows = np.diff(program.A.tocsr().indptr)[-model.n_consumers * model.n_resources:]
    per_row = residual_rows.reshape(model.n_consumers, model.n_resources)
    assert (per_row[:, 1:] == 0).all() and (per_row[:, 0] > 0).all()
    values = []
    for method in ("highs", "cpsat", "scip"):
        result = solve(model, method)
        assert_verified(model, result)
        values.append(result.objective)
    assert max(values) - min(values) <= 1e-6 and abs(values[0] - 0.75) <= 1e-9
