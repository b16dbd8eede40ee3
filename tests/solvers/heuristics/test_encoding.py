"""The encoding layer: evaluation against the models' own check, and the moves' bookkeeping."""
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from allotment.models import GeneralizedAssignment, LinearAssignment
from allotment.solvers.heuristics.adapters import encode
from allotment.solvers.heuristics.encoding import (
    EPS, Encoding, Population, evaluate, greedy_vectors, local_search, random_vectors, shift_step, swap_step,
)


def random_gap(seed, m=4, n=9, sense="min", penalty=None, tight=0.6):
    rng = np.random.default_rng(seed)
    cost = rng.integers(1, 30, (m, n)).astype(float)
    weight = rng.integers(1, 10, (m, n)).astype(float)
    capacity = np.full(m, np.ceil(tight * weight.sum() / m))
    return GeneralizedAssignment(cost, weight, capacity, sense=sense, unassigned_penalty=penalty)


def quadratic_encoding(seed, M=3, n=7):
    rng = np.random.default_rng(seed)
    A = sp.random(M * n, M * n, density=0.2, random_state=seed, data_rvs=lambda k: rng.integers(-5, 6, k))
    Q = sp.csr_array(A + A.T)
    return Encoding(cost=rng.integers(0, 20, (M, n)).astype(float), weight=rng.integers(1, 6, (1, M, n)),
                    capacity=np.full((1, M), 12.0), quadratic=Q)


def soft_encoding(seed, kind, M=4, n=8, R=2):
    """Agents (tasks here) sent to consumers (agents here) plus an idle dummy, priced by shortfall."""
    rng = np.random.default_rng(seed)
    supply = rng.integers(0, 4, (n, R)).astype(float)
    weight = np.broadcast_to(supply.T[:, None, :], (R, M, n)).copy()
    weight[:, -1, :] = 0.0  # the idle dummy holds nothing
    target = rng.integers(0, 8, (R, M)).astype(float)
    target[:, -1] = 0.0
    return Encoding(cost=rng.integers(0, 5, (M, n)).astype(float), weight=weight,
                    capacity=np.full((R, M), np.inf), soft_target=target,
                    soft_price=rng.integers(1, 4, (R, 1)).astype(float) * np.ones((R, M)), soft_kind=kind)


def soft_cost_by_hand(enc, v):
    loads = np.zeros(enc.capacity.shape)
    for j, i in enumerate(v):
        loads[:, i] += enc.weight[:, i, j]
    d = enc.soft_target - loads
    phi = {"shortfall": np.maximum(d, 0), "square": d * d, "shortfall_square": np.maximum(d, 0) ** 2}
    return enc.cost[v, np.arange(enc.n_tasks)].sum() + (enc.soft_price * phi[enc.soft_kind]).sum()


@pytest.mark.parametrize("kind", ["shortfall", "square", "shortfall_square"])
def test_soft_load_term(kind):
    enc = soft_encoding(0, kind)
    rng = np.random.default_rng(1)
    vectors = random_vectors(enc, 20, rng)
    cost, violation = evaluate(enc, vectors)
    assert np.all(violation == 0)
    np.testing.assert_allclose(cost, [soft_cost_by_hand(enc, v) for v in vectors])
    pop = Population.start(enc, vectors)
    local_search(enc, pop, rng)
    assert np.all(pop.cost <= cost + 1e-9)
    np.testing.assert_allclose(pop.cost, [soft_cost_by_hand(enc, v) for v in pop.vectors])


def test_soft_kind_is_checked():
    with pytest.raises(ValueError, match="`soft_kind` must be one of"):
        Encoding(cost=np.zeros((2, 2)), weight=np.zeros((1, 2, 2)), capacity=np.ones((1, 2)),
                 soft_target=np.ones((1, 2)), soft_price=1.0, soft_kind="cubic")


def assert_consistent(enc, pop):
    cost, violation = evaluate(enc, pop.vectors)
    np.testing.assert_allclose(pop.cost, cost, atol=1e-7)
    np.testing.assert_allclose(pop.violation, violation, atol=1e-7)
    fresh = Population.start(enc, pop.vectors)
    np.testing.assert_allclose(pop.loads, fresh.loads, atol=1e-7)
    if pop.grad is not None:
        np.testing.assert_allclose(pop.grad, fresh.grad, atol=1e-7)


@pytest.mark.parametrize("sense,penalty", [("min", None), ("max", None), ("min", 7.0), ("max", 3.0)])
def test_evaluate_matches_model_check(sense, penalty):
    model = random_gap(1, sense=sense, penalty=penalty)
    enc = encode(model)
    vectors = random_vectors(enc, 50, np.random.default_rng(2))
    cost, violation = evaluate(enc, vectors)
    for v, c, u in zip(vectors, cost, violation):
        report = model.check(enc.to_answer(v))
        assert report.feasible == (u <= EPS)
        assert enc.model_objective(c) == pytest.approx(report.objective)


@pytest.mark.parametrize("shape", [(4, 4), (3, 6), (6, 3)])
def test_lap_encoding_round_trip(shape):
    rng = np.random.default_rng(0)
    model = LinearAssignment(rng.integers(0, 9, shape), sense="max")
    enc = encode(model)
    pop = Population.start(enc, random_vectors(enc, 8, rng))
    local_search(enc, pop, rng)
    for v, c, u in zip(pop.vectors, pop.cost, pop.violation):
        assert u <= EPS
        answer = enc.to_answer(v)
        report = model.check(answer)
        assert report.feasible, report.violations
        assert report.objective == pytest.approx(enc.model_objective(c))
        np.testing.assert_array_equal(enc.from_answer(answer), v)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), tight=st.floats(0.3, 1.2),
       kind=st.sampled_from(["linear", "quadratic", "shortfall", "square"]))
def test_moves_keep_the_books_and_never_worsen(seed, tight, kind):
    rng = np.random.default_rng(seed)
    if kind == "linear":
        enc = encode(random_gap(seed, tight=tight))
    else:
        enc = quadratic_encoding(seed) if kind == "quadratic" else soft_encoding(seed, kind)
    pop = Population.start(enc, random_vectors(enc, 6, rng))
    for _ in range(6):
        before_v, before_c = pop.violation.copy(), pop.cost.copy()
        moved = shift_step(enc, pop, np.arange(len(pop)))
        assert_consistent(enc, pop)
        swapped = swap_step(enc, pop, np.flatnonzero(~moved), rng)
        assert_consistent(enc, pop)
        changed = moved.copy()
        changed[np.flatnonzero(~moved)] |= swapped
        # A move lowers the violation, or keeps it and lowers the cost.
        assert np.all(pop.violation <= before_v + 1e-7)
        kept = np.abs(pop.violation - before_v) <= 1e-7
        assert np.all(pop.cost[kept & changed] < before_c[kept & changed] + 1e-9)


def test_local_search_repairs_a_loose_instance():
    model = random_gap(3, m=5, n=30, tight=0.9)
    enc = encode(model)
    rng = np.random.default_rng(0)
    pop = Population.start(enc, random_vectors(enc, 10, rng))
    local_search(enc, pop, rng)
    assert np.all(pop.violation <= EPS)
    assert_consistent(enc, pop)
    for v in pop.vectors:
        assert model.check(enc.to_answer(v)).feasible


def test_greedy_vectors_respect_allowed_pairs():
    model = LinearAssignment(np.arange(16.0).reshape(4, 4), allowed=np.eye(4, dtype=bool) | np.eye(4, k=1, dtype=bool))
    enc = encode(model)
    vec = greedy_vectors(enc, 20, np.random.default_rng(1))
    assert enc.allowed[vec, np.arange(4)].all()


def test_encoding_rejects_bad_weight_shape():
    with pytest.raises(ValueError, match="`weight` must have shape"):
        Encoding(cost=np.zeros((2, 3)), weight=np.zeros((1, 3, 2)), capacity=np.ones((1, 2)))
