"""CombinatorialAuction: construction errors, check, files (JSON kind, CATS), winner determination."""
from __future__ import annotations

import csv
import itertools
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allotment.models import AuctionAllocation, CombinatorialAuction, InstanceError, load, read_cats, save
from allotment.models.files import detect_format
from allotment.solvers import Status, solve
from tests.conftest import assert_verified


def textbook(v1: float = 150) -> CombinatorialAuction:
    return CombinatorialAuction.from_bids([("1", ["A"], v1), ("2", ["B"], 150), ("3", ["A", "B"], 200)])


def brute_force_welfare(ca: CombinatorialAuction) -> float:
    best = 0.0
    for r in range(1, ca.n_bids + 1):
        for subset in itertools.combinations(range(ca.n_bids), r):
            report = ca.check(list(subset))
            if report.feasible:
                best = max(best, report.objective)
    return best


# ----------------------------------------------------------------- model basics
def test_textbook_shape_and_check():
    ca = textbook()
    assert (ca.n_bids, ca.n_goods, ca.n_bidders) == (3, 2, 3)
    assert ca.goods_ids == ("A", "B") and ca.bidder_ids == ("1", "2", "3")
    assert ca.bundle(2) == {"A": 1, "B": 1}
    ok = ca.check([0, 1])
    assert ok.feasible and ok.objective == 300.0
    assert ok.details["values"].tolist() == [150.0, 150.0, 0.0]
    bad = ca.check(np.array([True, False, True]))
    assert not bad.feasible and "good 'A'" in bad.violations[0]
    assert ca.check([0, 0]).violations == ("a bid index is listed twice",)
    assert not ca.check([5]).feasible
    assert not ca.check(np.array([1.5])).feasible


def test_program_is_set_packing():
    p = textbook().to_program()
    assert p.sense == "max" and p.problem_class == "MILP"
    assert p.A.toarray().tolist() == [[1, 0, 1], [0, 1, 1]]
    assert p.c.tolist() == [150, 150, 200] and p.row_hi.tolist() == [1, 1]


def test_xor_rows_and_language():
    ca = CombinatorialAuction.from_bids([("x", ["A"], 5), ("x", ["B"], 6), ("y", ["A", "B"], 8)], language="xor")
    assert ca.language_of(0) == "xor"
    assert not ca.check([0, 1]).feasible  # x bids XOR
    r = solve(ca, method="highs")
    assert_verified(ca, r, expected=8.0)
    assert r.answer.winning_bids().tolist() == [2]
    orca = CombinatorialAuction.from_bids([("x", ["A"], 5), ("x", ["B"], 6), ("y", ["A", "B"], 8)])
    assert_verified(orca, solve(orca, method="highs"), expected=11.0)
    mixed = CombinatorialAuction.from_bids([("x", ["A"], 5), ("x", ["B"], 6), ("y", ["A", "B"], 8)],
                                           language={"x": "xor"})
    assert mixed.xor.tolist() == [True, False]


def test_multi_unit_supply():
    ca = CombinatorialAuction.from_bids([("1", ["A", "A"], 10), ("2", ["A"], 6), ("3", ["A"], 6), ("4", ["B"], 1)],
                                        supply=[3, 1])
    assert ca.bundle(0) == {"A": 2}
    r = solve(ca, method="highs")
    assert_verified(ca, r, expected=17.0)
    assert not ca.check([0, 1, 2]).feasible
    # A bid asking for more units than exist can never win.
    big = CombinatorialAuction.from_bids([("1", ["A", "A"], 10), ("2", ["A"], 1)])
    assert big.to_program().col_hi.tolist() == [0.0, 1.0]
    assert_verified(big, solve(big, method="cpsat"), expected=1.0)


def test_answer_type_and_decode():
    ca = textbook()
    a = ca.answer([0, 1])
    assert isinstance(a, AuctionAllocation)
    assert a.winners().tolist() == [0, 1] and a.bids_of(0).tolist() == [0]
    assert a.to_dict() == {"winning_bids": ["bid0", "bid1"], "winners": ["1", "2"]}
    assert ca.decode(np.array([0.0, 1.0, 0.0])).winning_bids().tolist() == [1]
    with pytest.raises(ValueError, match="not an allocation"):
        ca.answer([7])
    assert ca.values([2]).tolist() == [0.0, 0.0, 200.0]


def test_without_bidders_keeps_indices():
    ca = textbook()
    sub = ca.without_bidders([0])
    assert sub.n_bids == 2 and sub.n_bidders == 3 and sub.bid_ids == ("bid1", "bid2")
    assert_verified(sub, solve(sub, method="highs"), expected=200.0)
    with pytest.raises(ValueError, match="every bid"):
        CombinatorialAuction([1.0], [[0]]).without_bidders([0])


@pytest.mark.parametrize("kwargs, match", [
    (dict(price=[-1.0], bundles=[[0]]), r"`price\[0\]` must be non-negative"),
    (dict(price=[], bundles=[]), "at least one bid"),
    (dict(price=[1.0, 2.0], bundles=[[0]]), "one bundle per bid"),
    (dict(price=[1.0], bundles=[[]]), r"`bundles\[0\]` is empty"),
    (dict(price=[1.0], bundles=[[0, 5]], n_goods=2), r"`bundles\[0\]\[1\]` good index 5 is not in \[0, 2\)"),
    (dict(price=[1.0], bundles=[[0.5]]), r"`bundles\[0\]\[0\]` must hold whole good indices"),
    (dict(price=[1.0], bundles=[["a"]]), r"`bundles\[0\]` must be a sequence of good indices"),
    (dict(price=[1.0], bundles="ab"), "`bundles` must be a sequence"),
    (dict(price=[1.0], bundles=[[0]], supply=[0]), r"`supply\[0\]` must be positive"),
    (dict(price=[1.0], bundles=[[0]], supply=[1.5]), r"`supply\[0\]` must be a whole number"),
    (dict(price=[1.0], bundles=[[0]], bidder=[-1]), r"`bidder\[0\]` must be a bidder index"),
    (dict(price=[1.0], bundles=[[0]], bidder=[3], bidder_ids=["a"]), r"`bidder\[0\]` bidder index 3"),
    (dict(price=[1.0], bundles=[[0]], language="and"), "`language` must be 'or' or 'xor'"),
    (dict(price=[1.0], bundles=[[0]], language=["or", "xor"]), "one of those per bidder"),
    (dict(price=[1.0], bundles=[[0]], n_goods=0), "`n_goods` must be a positive whole number"),
    (dict(price=[1.0, 1.0], bundles=[[0], [0]], bid_ids=["x", "x"]), r"`bid_ids\[1\]` duplicate id"),
])
def test_every_error_names_the_place(kwargs, match):
    with pytest.raises(InstanceError, match=match):
        CombinatorialAuction(**kwargs)


def test_from_bids_errors():
    with pytest.raises(InstanceError, match=r"`bids\[0\]` must be a \(bidder, bundle, price\) triple"):
        CombinatorialAuction.from_bids([("1", ["A"])])
    with pytest.raises(InstanceError, match="unknown good 'C'"):
        CombinatorialAuction.from_bids([("1", ["C"], 1)], goods=["A", "B"])
    with pytest.raises(InstanceError, match="unknown bidder"):
        CombinatorialAuction.from_bids([("1", ["A"], 1)], language={"2": "xor"})


# ------------------------------------------------------------------------ files
def test_json_round_trip(tmp_path):
    ca = CombinatorialAuction.from_bids([("x", ["A", "A"], 5.5), ("x", ["B"], 6), ("y", ["A", "B"], 8)],
                                        supply=[2, 1], language={"x": "xor"}, name="demo")
    path = tmp_path / "ca.json"
    save(ca, path)
    data = json.loads(path.read_text())
    assert data["problem"] == "combinatorial_auction" and data["language"] == ["xor", "or"]
    back = load(path)
    assert isinstance(back, CombinatorialAuction)
    assert back.price.tolist() == ca.price.tolist() and back.supply.tolist() == [2.0, 1.0]
    assert (back.quantity != ca.quantity).nnz == 0 and back.xor.tolist() == ca.xor.tolist()
    assert back.bid_ids == ca.bid_ids and back.name == "demo"


@pytest.mark.parametrize("mutate, match", [
    (lambda d: d["bids"][0].update(goods=["Z"]), r"`bids\[0\].goods\[0\]` unknown good 'Z'"),
    (lambda d: d["bids"][0].update(price=-1), r"bids\[0\].price"),
    (lambda d: d.update(bidders=["q"]), r"`bids\[0\].bidder` unknown bidder"),
    (lambda d: d.update(extra=1), "extra"),
    (lambda d: d.update(goods=["A", "A"]), "lists a good twice"),
])
def test_json_errors(tmp_path, mutate, match):
    data = {"problem": "combinatorial_auction", "version": 1, "goods": ["A", "B"],
            "bids": [{"bidder": "x", "goods": ["A"], "price": 1.0}]}
    mutate(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InstanceError, match=match):
        load(path)


CATS_TINY = """%% File generated by hand
% a comment

goods 3
bids 4
dummy 2

0\t10.5\t0\t1\t3\t#
1\t9.25\t2\t3\t#
2\t7\t0\t4\t#
3\t4\t1\t4\t#
"""


def test_cats_reader_both_dummy_modes(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(CATS_TINY)
    assert detect_format(path) == "cats"
    xor = load(path)
    assert isinstance(xor, CombinatorialAuction)
    assert (xor.n_goods, xor.n_bids, xor.n_bidders) == (3, 4, 2)
    assert xor.bidder.tolist() == [0, 0, 1, 1] and xor.xor.tolist() == [True, True]
    goods = read_cats(path, dummy="goods")
    assert goods.n_goods == 5 and goods.goods_ids[3:] == ("dummy0", "dummy1") and not goods.xor.any()
    assert goods.bidder.tolist() == [0, 0, 1, 1]
    best = brute_force_welfare(xor)
    assert best == brute_force_welfare(goods) == 9.25 + 7
    for model in (xor, goods):
        assert_verified(model, solve(model, method="highs"), expected=best)


@pytest.mark.parametrize("text, match", [
    ("goods 2\nbids 2\n0\t1\t0\t#\n", "header says 2 bids; the file holds 1"),
    ("goods 2\nbids 1\n0\t1\t7\t#\n", r"line 3: good 7 is not in \[0, 2\)"),
    ("goods 2\nbids 1\n0\tx\t0\t#\n", "line 3: price and goods must be numbers"),
    ("goods 2\nbids 1\n0\t1\n", "line 3: a bid needs"),
    ("bids 1\n0\t1\t0\t#\n", "line 2: a bid before the `goods` line"),
    ("goods 1\nbids 1\ndummy 1\n0\t1\t1\t#\n", "line 4: the bid holds dummy goods only"),
    ("goods x\n", "`goods` must be a whole number"),
])
def test_cats_reader_errors(tmp_path, text, match):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(InstanceError, match=match):
        read_cats(path)


def test_cats_reader_rejects_bad_mode(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text(CATS_TINY)
    with pytest.raises(ValueError, match="`dummy` must be"):
        read_cats(path, dummy="drop")


# --------------------------------------------------------- known CATS revenues
# In the test budget: every 2atom and 3atom file with 100 bids, the 2atom files with 500
# bids and two arbitrary files with 100 bids (a few seconds each). The remaining files
# marked optimal (3atom-100-500, arbitrary-100-100-0001..0003 and arbitrary-100-500) run in
# `benchmarks/vcg.py --known`.
IN_TESTS = ["2atom-100-100", "2atom-100-500", "3atom-100-100", "arbitrary-100-100-0000", "arbitrary-100-100-0004"]


def _known(shared_instances):
    with open(shared_instances / "cats" / "known.csv") as fh:
        rows = [r for r in csv.DictReader(fh) if r["status"] == "optimal"]
    return [r for r in rows if any(r["file"].split("/")[-1].startswith(p) for p in IN_TESTS)]


def test_known_revenues_highs(shared_instances):
    rows = _known(shared_instances)
    assert len(rows) == 17
    for row in rows:
        ca = load(shared_instances / "cats" / row["file"])
        assert ca.n_bids == int(row["bids"]) and ca.n_goods == int(row["goods"])
        r = solve(ca, method="highs", time_limit=60)
        assert r.status is Status.OPTIMAL, (row["file"], r)
        assert_verified(ca, r, expected=float(row["revenue"]), rel=1e-8)


def test_known_revenue_cpsat(shared_instances):
    for name in ("2atom/2atom-100-100-0000.txt", "3atom/3atom-100-100-0001.txt"):
        ca = load(shared_instances / "cats" / name)
        expected = next(float(r["revenue"]) for r in _known(shared_instances) if r["file"] == name)
        r = solve(ca, method="cpsat", time_limit=60)
        assert r.status is Status.OPTIMAL
        assert_verified(ca, r, expected=expected, rel=1e-9)


# ------------------------------------------------------------ property tests
@st.composite
def small_auctions(draw):
    n_goods = draw(st.integers(1, 4))
    n_bids = draw(st.integers(1, 7))
    n_bidders = draw(st.integers(1, n_bids))
    bundles = [draw(st.lists(st.integers(0, n_goods - 1), min_size=1, max_size=3)) for _ in range(n_bids)]
    price = [draw(st.integers(0, 400)) / 4 for _ in range(n_bids)]
    bidder = [draw(st.integers(0, n_bidders - 1)) for _ in range(n_bids)]
    supply = [draw(st.integers(1, 2)) for _ in range(n_goods)]
    language = [draw(st.sampled_from(["or", "xor"])) for _ in range(max(bidder) + 1)]
    return CombinatorialAuction(price, bundles, bidder, n_goods=n_goods, supply=supply, language=language)


@settings(max_examples=30, deadline=None)
@given(small_auctions())
def test_winner_determination_matches_brute_force(ca):
    best = brute_force_welfare(ca)
    for method in ("highs", "cpsat"):
        r = solve(ca, method=method)
        assert r.status is Status.OPTIMAL
        assert_verified(ca, r, expected=best, rel=1e-9)
