"""VCG payments, single-item auctions and McAfee's double auction."""
from __future__ import annotations

import itertools
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allotment.models import CombinatorialAuction, load
from allotment.solvers import Status
from allotment.solvers.mechanisms import (first_price, mcafee, objective_grid, vcg, vickrey)


def textbook(v1: float = 150) -> CombinatorialAuction:
    return CombinatorialAuction.from_bids([("1", ["A"], v1), ("2", ["B"], 150), ("3", ["A", "B"], 200)])


def exact_w_minus(ca: CombinatorialAuction) -> np.ndarray:
    """W_{-i}: best welfare over allocations that accept none of bidder i's bids."""
    best = np.zeros(ca.n_bidders)
    for r in range(1, ca.n_bids + 1):
        for subset in itertools.combinations(range(ca.n_bids), r):
            report = ca.check(list(subset))
            if not report.feasible:
                continue
            owners = set(ca.bidder[list(subset)].tolist())
            for i in range(ca.n_bidders):
                if i not in owners:
                    best[i] = max(best[i], report.objective)
    return best


# ------------------------------------------------------------------ VCG: textbook
@pytest.mark.parametrize("method", ["highs", "cpsat"])
@pytest.mark.parametrize("warm", [True, False])
def test_textbook_vcg(method, warm):
    out = vcg(textbook(), method=method, warm=warm)
    assert out.status is Status.OPTIMAL and out.exact
    assert out.allocation.winners().tolist() == [0, 1]
    assert out.payments.tolist() == [50.0, 50.0, 0.0]
    assert out.payments_hi.tolist() == out.payments.tolist()
    assert out.utilities.tolist() == [100.0, 100.0, 0.0]
    assert out.revenue == 100.0 and out.welfare == 300.0
    assert out.checks() == {"individually_rational": True, "no_positive_transfers": True,
                            "budget_balanced": True, "exact": True}
    out = vcg(textbook(160), method=method, warm=warm)
    assert out.payments.tolist() == [50.0, 40.0, 0.0]
    assert [row["bidder"] for row in out.table()] == ["1", "2"]


def test_textbook_bundle_bidder_wins():
    # Bidder 3 at 400 beats 150 + 150 and pays the 300 the others lose.
    ca = CombinatorialAuction.from_bids([("1", ["A"], 150), ("2", ["B"], 150), ("3", ["A", "B"], 400)])
    out = vcg(ca)
    assert out.allocation.winners().tolist() == [2]
    assert out.payments.tolist() == [0.0, 0.0, 300.0]


@pytest.mark.parametrize("executor_cls", [ThreadPoolExecutor, ProcessPoolExecutor])
def test_vcg_with_executor(executor_cls):
    with executor_cls(max_workers=2) as ex:
        out = vcg(textbook(160), executor=ex)
    assert out.exact and out.payments.tolist() == [50.0, 40.0, 0.0]


def test_vcg_argument_errors():
    with pytest.raises(TypeError, match="`auction` must be a CombinatorialAuction"):
        vcg("x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`method` must be one of"):
        vcg(textbook(), method="lsa")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`time_limit` must be a positive"):
        vcg(textbook(), time_limit=0)
    with pytest.raises(ValueError, match="`executor` must be"):
        vcg(textbook(), executor=3)  # type: ignore[arg-type]


def test_objective_grid():
    assert objective_grid(np.array([1186.19, 31.8547])) == 1e-4
    assert objective_grid(np.array([150.0, 200.0])) == 1.0
    assert objective_grid(np.array([1 / 3, 1.0])) is None


# ------------------------------------------------------- VCG: property tests
@st.composite
def small_auctions(draw, decimals: bool = True):
    n_goods = draw(st.integers(1, 4))
    n_bids = draw(st.integers(1, 7))
    n_bidders = draw(st.integers(1, n_bids))
    bundles = [draw(st.lists(st.integers(0, n_goods - 1), min_size=1, max_size=3, unique=True))
               for _ in range(n_bids)]
    if decimals:
        price = [draw(st.integers(0, 4000)) / 100 for _ in range(n_bids)]
    else:
        price = [draw(st.integers(0, 60)) + 1 / 7 for _ in range(n_bids)]
    bidder = [draw(st.integers(0, n_bidders - 1)) for _ in range(n_bids)]
    language = [draw(st.sampled_from(["or", "xor"])) for _ in range(max(bidder) + 1)]
    return CombinatorialAuction(price, bundles, bidder, n_goods=n_goods, language=language)


def _assert_vcg_matches(ca: CombinatorialAuction, out, tol: float) -> None:
    w_minus = exact_w_minus(ca)
    W = max(w_minus.max(), out.welfare)
    assert abs(out.welfare - W) <= tol
    report = ca.check(out.allocation)
    assert report.feasible and abs(report.objective - out.welfare) <= tol
    values = report.details["values"]
    expected = w_minus - (out.welfare - values)
    np.testing.assert_allclose(out.payments, expected, atol=tol)
    assert np.all(out.payments <= out.payments_hi + tol)
    assert out.individually_rational and out.no_positive_transfers and out.budget_balanced
    losers = values == 0
    assert np.all(np.abs(out.payments[losers]) <= tol)


@settings(max_examples=30, deadline=None)
@given(small_auctions())
def test_vcg_matches_brute_force(ca):
    out = vcg(ca)
    assert out.exact and out.status is Status.OPTIMAL
    _assert_vcg_matches(ca, out, 1e-9)


@settings(max_examples=10, deadline=None)
@given(small_auctions())
def test_vcg_cold_and_cpsat_agree_with_warm(ca):
    warm = vcg(ca)
    for other in (vcg(ca, warm=False), vcg(ca, method="cpsat")):
        assert other.exact
        np.testing.assert_allclose(other.payments, warm.payments, atol=1e-9)


@settings(max_examples=10, deadline=None)
@given(small_auctions(decimals=False))
def test_vcg_non_decimal_prices(ca):
    # Sevenths are not short decimals: no grid, exactness only when bound == incumbent.
    out = vcg(ca)
    assert out.grid is None
    _assert_vcg_matches(ca, out, 1e-7)
    if not out.exact:
        assert out.status is Status.FEASIBLE and "interval" in out.message


# ------------------------------------------------------------ VCG: CATS files
def test_vcg_on_cats_warm_cold_cpsat_agree(shared_instances):
    ca = load(shared_instances / "cats" / "3atom" / "3atom-100-100-0000.txt")
    warm = vcg(ca, options={"threads": 1})
    cold = vcg(ca, warm=False, options={"threads": 1})
    assert warm.exact and cold.exact and warm.grid == 1e-4
    assert abs(warm.welfare - 15202.288) < 1e-6  # the revenue in known.csv
    assert len(warm.subproblems) == len(warm.winners) > 10
    np.testing.assert_allclose(warm.payments, cold.payments, atol=1e-6)
    assert warm.individually_rational and warm.no_positive_transfers and warm.budget_balanced
    exact = vcg(ca, method="cpsat", options={"num_workers": 2})
    np.testing.assert_allclose(exact.payments, warm.payments, atol=1e-6)


@pytest.mark.parametrize("warm", [True, False])
def test_vcg_time_limit_reports_intervals(shared_instances, warm):
    ca = load(shared_instances / "cats" / "arbitrary" / "arbitrary-100-100-0002.txt")
    out = vcg(ca, warm=warm, time_limit=0.3, options={"threads": 1})
    assert out.runtime < 10
    assert ca.check(out.allocation).feasible
    assert np.all(out.payments <= out.payments_hi + 1e-9)
    assert out.no_positive_transfers  # lower ends come from known allocations, never below 0
    if not out.exact:  # the usual case in 0.3 s: payments are intervals, never exact
        assert out.status is Status.FEASIBLE
        assert "interval" in out.message
        assert out.revenue_hi > out.revenue


# ---------------------------------------------------------------- single item
def test_first_price_and_vickrey():
    assert first_price([5, 9, 7]).winner == 1 and first_price([5, 9, 7]).price == 9.0
    v = vickrey([5, 9, 7])
    assert (v.winner, v.price, v.sold) == (1, 7.0, True)
    assert vickrey([5, 9, 7], reserve=8).price == 8.0       # reserve above the second bid
    assert vickrey([5, 9, 7], reserve=6).price == 7.0
    assert vickrey([9], reserve=3).price == 3.0              # single bidder pays the reserve
    no = vickrey([1, 2], reserve=5)
    assert (no.winner, no.price, no.sold) == (-1, 0.0, False)
    assert first_price([1, 2], reserve=2).winner == 1        # a bid equal to the reserve is eligible


def test_tie_rules():
    assert vickrey([3, 8, 8]).winner == 1 and vickrey([3, 8, 8]).price == 8.0 and vickrey([3, 8, 8]).tied == 2
    winners = {first_price([8, 3, 8, 8], tie="random", seed=s).winner for s in range(40)}
    assert winners == {0, 2, 3}
    assert first_price([8, 3, 8], tie="random", seed=5) == first_price([8, 3, 8], tie="random", seed=5)


@pytest.mark.parametrize("kwargs, match", [
    (dict(bids=[]), "`bids` must be a non-empty 1-D array"),
    (dict(bids=[[1, 2]]), "`bids` must be a non-empty 1-D array"),
    (dict(bids=[1, np.nan]), r"`bids` must be finite; bids\[1\]"),
    (dict(bids=[1], reserve=np.inf), "`reserve` must be a finite number"),
    (dict(bids=[1], tie="last"), "`tie` must be 'first' or 'random'"),
])
def test_single_item_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        vickrey(**kwargs)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 20), min_size=1, max_size=8), st.integers(0, 20))
def test_single_item_properties(bids, reserve):
    for rule in (first_price, vickrey):
        out = rule(bids, reserve=reserve)
        eligible = [b for b in bids if b >= reserve]
        assert out.sold == bool(eligible)
        if out.sold:
            assert bids[out.winner] == max(bids)
            assert reserve <= out.price <= bids[out.winner]  # the winner never pays above its bid
    if eligible:
        assert vickrey(bids, reserve=reserve).price <= first_price(bids, reserve=reserve).price


# ---------------------------------------------------------------- McAfee
def test_mcafee_issue_case():
    d = mcafee([9, 4], [3, 8])
    assert (d.n_trades, d.buyer_price, d.seller_price) == (1, 6.0, 6.0)
    assert d.buyers.tolist() == [0] and d.sellers.tolist() == [0]
    assert d.efficient_trades == 1 and not d.reduced and d.surplus == 0.0
    assert d.gains_from_trade == 6.0


def test_mcafee_trade_reduction():
    # k = 2; p0 = (6 + 7) / 2 = 6.5 is outside [s_2, b_2] = [5, 6]: the second trade is given up.
    d = mcafee([10, 6, 6], [2, 5, 7])
    assert d.efficient_trades == 2 and d.reduced and d.n_trades == 1
    assert (d.buyer_price, d.seller_price, d.surplus) == (6.0, 5.0, 1.0)
    assert mcafee([1, 2], [5, 6]).n_trades == 0


def test_mcafee_errors():
    with pytest.raises(ValueError, match="`buyer_values` must be a 1-D array"):
        mcafee([[1]], [1])
    with pytest.raises(ValueError, match=r"`seller_costs` must be finite; seller_costs\[0\]"):
        mcafee([1], [np.inf])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 30), max_size=8), st.lists(st.integers(0, 30), max_size=8))
def test_mcafee_properties(buyers, sellers):
    d = mcafee(buyers, sellers)
    b, s = np.array(buyers, float), np.array(sellers, float)
    assert d.buyers.size == d.sellers.size == d.n_trades
    assert d.n_trades in (d.efficient_trades, max(d.efficient_trades - 1, 0))
    assert np.all(b[d.buyers] >= d.buyer_price)       # no buyer pays more than its bid
    assert np.all(s[d.sellers] <= d.seller_price)     # no seller receives less than its ask
    assert d.surplus >= 0 and d.buyer_price >= d.seller_price  # the auctioneer never loses money
    if d.n_trades:
        # The trading buyers are the highest values, the trading sellers the lowest costs.
        assert b[d.buyers].min() >= np.delete(b, d.buyers).max(initial=-np.inf)
        assert s[d.sellers].max() <= np.delete(s, d.sellers).min(initial=np.inf)
    # Efficient trades: the largest k with the k-th best buyer at least the k-th best seller.
    bs, ss = np.sort(b)[::-1], np.sort(s)
    L = min(b.size, s.size)
    assert d.efficient_trades == int(np.sum(bs[:L] >= ss[:L]))


def test_vcg_for_chosen_bidders_only():
    out = vcg(textbook(160), bidders=[1])
    assert out.payments[1] == 40.0 and out.payments_hi[1] == 40.0
    # Not computed: bidder 0's payment is only bracketed, from below by the allocations seen
    # (bidder 3's bundle alone, 200, minus the others' 150) and from above by its value.
    assert out.payments[0] == 50.0 and out.payments_hi[0] == 160.0
    assert not out.exact and "not requested" in out.message
    assert [s.status for s in out.subproblems] == ["not_requested", "optimal"]
    with pytest.raises(ValueError, match="`bidders` must hold bidder indices"):
        vcg(textbook(), bidders=[7])


# ------------------------------------- VCG: the warm path's cuts, fixing and support MIP
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vcg_warm_agrees_with_cold_on_mid_size_auctions(seed):
    from allotment.models.generators import random_auction

    ca = random_auction(15, 80, max_bundle=3, seed=seed)
    warm, cold = vcg(ca, options={"threads": 1}), vcg(ca, warm=False, options={"threads": 1})
    assert warm.exact and cold.exact
    np.testing.assert_allclose(warm.payments, cold.payments, atol=1e-9)


def test_vcg_warm_on_a_matching_auction(shared_instances):
    # 2-good bids: the sub-problems' LPs need odd-cycle (blossom) cuts; a few need the support
    # MIP and reduced-cost fixing. Payments must equal the cold ones exactly.
    ca = load(shared_instances / "cats" / "2atom" / "2atom-100-500-0000.txt")
    warm, cold = vcg(ca, options={"threads": 1}), vcg(ca, warm=False, options={"threads": 1})
    assert warm.exact and cold.exact and len(warm.winners) == 50
    np.testing.assert_array_equal(warm.payments, cold.payments)
    assert sum(s.how == "lp" for s in warm.subproblems) >= 25  # the cut LP proves most payments


@pytest.mark.parametrize("seed", [3, 4])
def test_vcg_warm_agrees_with_cold_with_multi_unit_goods_and_xor_bidders(seed):
    # Multi-unit goods give conflict rows that are not cliques; XOR bidders add exclusivity rows.
    rng = np.random.default_rng(seed)
    n_goods, n_bids, n_bidders = 10, 60, 20
    bundles = [rng.choice(n_goods, size=int(rng.integers(1, 4)), replace=True).tolist() for _ in range(n_bids)]
    price = np.round(rng.uniform(1, 50, n_bids), 2)
    bidder = rng.integers(0, n_bidders, n_bids)
    language = ["xor" if k % 2 else "or" for k in range(n_bidders)]
    ca = CombinatorialAuction(price, bundles, bidder, n_goods=n_goods, supply=rng.integers(1, 4, n_goods),
                              language=language)
    warm, cold = vcg(ca, options={"threads": 1}), vcg(ca, warm=False, options={"threads": 1})
    assert warm.exact and cold.exact
    np.testing.assert_allclose(warm.payments, cold.payments, atol=1e-9)
    assert warm.individually_rational and warm.no_positive_transfers
