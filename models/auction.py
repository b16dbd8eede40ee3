"""Combinatorial auction: bids on bundles of goods; winner determination picks the bids to accept.

Bid ``b`` of bidder ``bidder[b]`` offers ``price[b]`` for the bundle ``quantity[b, :]``
(units of every good). Winner determination is the set-packing (multi-unit: packing) ILP

    maximize    sum_b price[b] x[b]
    subject to  sum_b quantity[b, g] x[b] <= supply[g]      for every good g
                sum_{b of i} x[b] <= 1                       for every XOR bidder i
                x binary

Bid languages: with ``OR`` (the default) any set of a bidder's bids may win together and
the bidder pays for each; with ``XOR`` at most one of the bidder's bids wins (an
exclusivity row per bidder). The CATS format encodes XOR with *dummy goods* instead: a
good of supply 1 in every bid of a bidder; both forms give the same ILP (see
:mod:`allotment.models.cats`).

The answer is an :class:`AuctionAllocation` (which bids are accepted); the objective,
the *welfare* of the declared values, is the total accepted price.

References: M. H. Rothkopf, A. Pekec and R. M. Harstad, "Computationally manageable
combinational auctions", Management Science 44(8) (1998); T. Sandholm, "Algorithm for
optimal winner determination in combinatorial auctions", Artificial Intelligence 135
(2002); N. Nisan, "Bidding and allocation in combinatorial auctions", ACM EC (2000) (bid
languages).

>>> from allotment.models import CombinatorialAuction
>>> ca = CombinatorialAuction.from_bids([("1", ["A"], 150), ("2", ["B"], 150), ("3", ["A", "B"], 200)])
>>> ca.n_bids, ca.n_goods, ca.n_bidders
(3, 2, 3)
>>> ca.check([0, 1]).objective
300.0
>>> ca.check([0, 2]).violations
("good 'A' (index 0): 2 unit(s) accepted, supply 1",)
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Optional, Union

import numpy as np
import scipy.sparse as sp
from pydantic import BaseModel, ConfigDict, Field

from ._validate import as_array, as_ids
from .base import CheckReport, Model, cached_program, register_kind
from .errors import InstanceError
from .program import Program, ProgramBuilder
from .schemas import register_schema

__all__ = ["CombinatorialAuction", "AuctionAllocation", "CombinatorialAuctionFile"]

Language = Literal["or", "xor"]


@dataclass(frozen=True, eq=False)
class AuctionAllocation:
    """Which bids win: ``accepted[b]`` is True when bid ``b`` is accepted.

    >>> a = AuctionAllocation(np.array([True, False, True]), np.array([0, 0, 1]), ("x", "y"), ("b0", "b1", "b2"))
    >>> a.winning_bids().tolist(), a.winners().tolist(), a.to_dict()["winners"]
    ([0, 2], [0, 1], ['x', 'y'])
    """

    accepted: np.ndarray
    bidder: np.ndarray
    bidder_ids: tuple[str, ...] = ()
    bid_ids: tuple[str, ...] = ()

    def winning_bids(self) -> np.ndarray:
        """Indices of the accepted bids, ascending."""
        return np.flatnonzero(self.accepted)

    def winners(self) -> np.ndarray:
        """Indices of the bidders with at least one accepted bid, ascending."""
        return np.unique(self.bidder[self.accepted])

    def bids_of(self, bidder: int) -> np.ndarray:
        """Accepted bids of bidder index ``bidder``."""
        return np.flatnonzero(self.accepted & (self.bidder == bidder))

    def to_dict(self) -> dict[str, object]:
        bids = self.winning_bids().tolist()
        return {
            "winning_bids": [self.bid_ids[b] for b in bids] if self.bid_ids else bids,
            "winners": [self.bidder_ids[i] for i in self.winners().tolist()] if self.bidder_ids
            else self.winners().tolist(),
        }


def _languages(language: Any, n_bidders: int) -> np.ndarray:
    """Per-bidder XOR flags from ``"or"``, ``"xor"`` or a sequence of those."""
    if isinstance(language, str):
        text = language.lower()
        if text not in ("or", "xor"):
            raise InstanceError(f"must be 'or' or 'xor'; got {language!r}", field="language")
        return np.full(n_bidders, text == "xor")
    values = list(language)
    if len(values) != n_bidders:
        raise InstanceError(f"must be 'or', 'xor' or one of those per bidder ({n_bidders}); "
                            f"got {len(values)} entries", field="language")
    out = np.zeros(n_bidders, dtype=bool)
    for i, v in enumerate(values):
        text = str(v).lower()
        if text not in ("or", "xor"):
            raise InstanceError(f"must be 'or' or 'xor'; got {v!r}", field="language", index=i)
        out[i] = text == "xor"
    return out


def _bundle_matrix(bundles: Any, n_bids: int, n_goods: int | None) -> tuple[sp.csr_array, int]:
    """Lists of good indices (a repeat is one more unit) -> CSR quantities (n_bids, n_goods)."""
    if isinstance(bundles, (str, bytes)) or not isinstance(bundles, Sequence):
        raise InstanceError("must be a sequence of bundles, one sequence of good indices per bid", field="bundles")
    if len(bundles) != n_bids:
        raise InstanceError(f"must have one bundle per bid ({n_bids}); got {len(bundles)}", field="bundles")
    lengths = np.zeros(n_bids, dtype=np.int64)
    parts = []
    for b, bundle in enumerate(bundles):
        try:
            arr = np.asarray(bundle)
        except Exception:  # noqa: BLE001 - a ragged or odd object is simply not a bundle
            arr = np.asarray([None])
        if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iuf"):
            raise InstanceError("must be a sequence of good indices", field="bundles", index=b)
        if arr.size == 0:
            raise InstanceError("is empty; a bid must ask for at least one good", field="bundles", index=b)
        if arr.dtype.kind == "f" and np.any(arr != np.round(arr)):
            t = int(np.flatnonzero(arr != np.round(arr))[0])
            raise InstanceError(f"must hold whole good indices; got {arr[t]!r}", field="bundles", index=(b, t))
        lengths[b] = arr.size
        parts.append(arr.astype(np.int64))
    flat = np.concatenate(parts) if parts else np.zeros(0, np.int64)
    goods = int(flat.max()) + 1 if n_goods is None else int(n_goods)
    bad = np.flatnonzero((flat < 0) | (flat >= goods))
    if bad.size:
        k = int(bad[0])
        b = int(np.searchsorted(np.cumsum(lengths), k, side="right"))
        t = k - int(lengths[:b].sum())
        raise InstanceError(f"good index {flat[k]} is not in [0, {goods})", field="bundles", index=(b, t))
    rows = np.repeat(np.arange(n_bids), lengths)
    q = sp.csr_array(sp.coo_array((np.ones(flat.size), (rows, flat)), shape=(n_bids, goods)))
    q.sum_duplicates()
    return q, goods


@register_kind
class CombinatorialAuction(Model):
    """Bids on bundles; winner determination as set packing (see the module docstring).

    Parameters
    ----------
    price : array (n_bids,)
        What each bid offers; finite, non-negative.
    bundles : sequence of n_bids sequences of good indices
        The goods each bid asks for; a good listed twice asks for two units.
    bidder : int array (n_bids,), optional
        Bidder index of each bid (default: every bid is its own bidder).
    n_goods : int, optional
        Number of goods (default: from ``goods_ids``, ``supply`` or the largest index).
    supply : int array (n_goods,), optional
        Units of each good for sale (its multiplicity); positive; default 1.
    language : "or", "xor", or one of those per bidder
        Bid language: XOR lets at most one of a bidder's bids win.
    goods_ids, bidder_ids, bid_ids : names, optional
    """

    kind = "combinatorial_auction"
    tags = frozenset({"AUCTION"})

    def __init__(
        self,
        price: Any,
        bundles: Sequence[Sequence[int]],
        bidder: Any | None = None,
        *,
        n_goods: int | None = None,
        supply: Any | None = None,
        language: Language | str | Sequence[str] = "or",
        goods_ids: Sequence[object] | None = None,
        bidder_ids: Sequence[object] | None = None,
        bid_ids: Sequence[object] | None = None,
        name: str = "combinatorial_auction",
    ) -> None:
        self.price = as_array(price, "price", ndim=1, shape_text="(n_bids,)", nonnegative=True)
        n_bids = self.price.shape[0]
        if n_bids == 0:
            raise InstanceError("must hold at least one bid", field="price")
        if n_goods is None:
            if goods_ids is not None:
                n_goods = len(goods_ids)
            elif supply is not None:
                n_goods = int(np.size(supply))
        elif isinstance(n_goods, bool) or not isinstance(n_goods, (int, np.integer)) or n_goods < 1:
            raise InstanceError(f"must be a positive whole number; got {n_goods!r}", field="n_goods")
        self.quantity, goods = _bundle_matrix(bundles, n_bids, n_goods)
        self.quantity.data.setflags(write=False)
        if supply is None:
            self.supply = as_array(np.ones(goods), "supply")
        else:
            self.supply = as_array(supply, "supply", shape=(goods,), shape_text=f"(n_goods,) = ({goods},)",
                                   positive=True)
            whole = self.supply != np.round(self.supply)
            if whole.any():
                g = int(np.flatnonzero(whole)[0])
                raise InstanceError(f"must be a whole number of units; got {self.supply[g]!r}", field="supply", index=g)
        if bidder is None:
            owner = np.arange(n_bids)
        else:
            owner = as_array(bidder, "bidder", shape=(n_bids,), shape_text=f"(n_bids,) = ({n_bids},)")
            frac = owner != np.round(owner)
            if frac.any() or (owner < 0).any():
                b = int(np.flatnonzero(frac | (owner < 0))[0])
                raise InstanceError(f"must be a bidder index >= 0; got {owner[b]!r}", field="bidder", index=b)
        n_bidders = len(bidder_ids) if bidder_ids is not None else int(np.max(owner)) + 1
        owner = np.asarray(owner, dtype=np.int64)
        if owner.max() >= n_bidders:
            b = int(np.argmax(owner))
            raise InstanceError(f"bidder index {owner[b]} is not in [0, {n_bidders})", field="bidder", index=b)
        owner.setflags(write=False)
        self.bidder = owner
        self.xor = _languages(language, n_bidders)
        self.xor.setflags(write=False)
        self.goods_ids = as_ids(goods_ids, goods, "goods_ids", "good")
        self.bidder_ids = as_ids(bidder_ids, n_bidders, "bidder_ids", "bidder")
        self.bid_ids = as_ids(bid_ids, n_bids, "bid_ids", "bid")
        self.sense = "max"
        self.name = name

    # ----------------------------------------------------------------- builders
    @classmethod
    def from_bids(
        cls,
        bids: Iterable[tuple[object, Sequence[object], float]],
        *,
        goods: Sequence[object] | None = None,
        supply: Any | None = None,
        language: Language | str | dict[str, str] = "or",
        name: str = "combinatorial_auction",
    ) -> "CombinatorialAuction":
        """Build from ``(bidder, bundle, price)`` triples with names (a good named twice = 2 units).

        ``goods`` fixes the goods and their order (default: order of first mention);
        ``language`` may map bidder names to ``"or"``/``"xor"``.
        """
        triples = list(bids)
        good_index: dict[str, int] = {}
        if goods is not None:
            for g in goods:
                if str(g) in good_index:
                    raise InstanceError(f"duplicate good {str(g)!r}", field="goods")
                good_index[str(g)] = len(good_index)
        bidder_index: dict[str, int] = {}
        prices, bundles, owner = [], [], []
        for b, triple in enumerate(triples):
            if not isinstance(triple, (tuple, list)) or len(triple) != 3:
                raise InstanceError("must be a (bidder, bundle, price) triple", field="bids", index=b)
            who, bundle, price = triple
            if isinstance(bundle, (str, bytes)):
                bundle = [bundle]
            idx = []
            for g in bundle:
                key = str(g)
                if key not in good_index:
                    if goods is not None:
                        raise InstanceError(f"unknown good {key!r}; goods are {list(good_index)}",
                                            field="bids", index=b)
                    good_index[key] = len(good_index)
                idx.append(good_index[key])
            owner.append(bidder_index.setdefault(str(who), len(bidder_index)))
            prices.append(price)
            bundles.append(idx)
        names = list(bidder_index)
        if isinstance(language, dict):
            unknown = [k for k in language if str(k) not in bidder_index]
            if unknown:
                raise InstanceError(f"names unknown bidder(s) {unknown}", field="language")
            lang: Any = [str(language.get(n, "or")) for n in names]
        else:
            lang = language
        return cls(prices, bundles, owner, n_goods=len(good_index) or None, supply=supply, language=lang,
                   goods_ids=list(good_index), bidder_ids=names, name=name)

    # ------------------------------------------------------------------- shape
    @property
    def n_bids(self) -> int:
        return int(self.price.shape[0])

    @property
    def n_goods(self) -> int:
        return int(self.quantity.shape[1])

    @property
    def n_bidders(self) -> int:
        return len(self.bidder_ids)

    @property
    def problem_class(self) -> str:
        return "MILP"

    def bids_of(self, bidder: int) -> np.ndarray:
        """Indices of every bid of bidder index ``bidder``."""
        return np.flatnonzero(self.bidder == bidder)

    def language_of(self, bidder: int) -> Language:
        return "xor" if self.xor[bidder] else "or"

    def bundle(self, bid: int) -> dict[str, int]:
        """The goods (by name) and units bid ``bid`` asks for."""
        row = self.quantity[[bid], :]
        return {self.goods_ids[g]: int(q) for g, q in zip(row.indices.tolist(), row.data.tolist())}

    # ----------------------------------------------------------------- compile
    def _xor_groups(self) -> tuple[np.ndarray, np.ndarray]:
        """(row, bid) pairs of the exclusivity rows: one row per XOR bidder with 2+ bids."""
        counts = np.bincount(self.bidder, minlength=self.n_bidders)
        need = self.xor & (counts >= 2)
        bids = np.flatnonzero(need[self.bidder])
        row_of = np.cumsum(need) - 1
        return row_of[self.bidder[bids]], bids

    @cached_program
    def to_program(self) -> Program:
        b = ProgramBuilder("max", name=self.name)
        # A bid asking for more units of a good than exist can never win.
        q = self.quantity
        over = np.zeros(self.n_bids, dtype=bool)
        excess = q.data > self.supply[q.indices]
        over[np.repeat(np.arange(self.n_bids), np.diff(q.indptr))[excess]] = True
        x = b.add_block("x", (self.n_bids,), lo=0.0, hi=np.where(over, 0.0, 1.0), integer=True, cost=self.price)
        qt = sp.coo_array(q.T)
        b.add_rows_coo(qt.row, x[qt.col], qt.data, self.n_goods, hi=self.supply, name="goods")
        rows, bids = self._xor_groups()
        if bids.size:
            b.add_rows_coo(rows, x[bids], np.ones(bids.size), int(rows.max()) + 1, hi=1.0, name="xor")
        return b.build()

    # ------------------------------------------------------------------ answers
    def decode(self, x: np.ndarray) -> AuctionAllocation:
        return self.answer(np.asarray(x, dtype=float)[: self.n_bids] > 0.5)

    def answer(self, accepted: Any) -> AuctionAllocation:
        """Wrap a bool mask (n_bids,) or a list of accepted bid indices as the answer type."""
        vec, problems = self._as_mask(accepted)
        if vec is None:
            raise ValueError(f"`accepted` is not an allocation of this auction: {problems[0]}")
        return AuctionAllocation(vec, self.bidder, self.bidder_ids, self.bid_ids)

    def _as_mask(self, answer: Any) -> tuple[np.ndarray | None, list[str]]:
        vec = answer.accepted if isinstance(answer, AuctionAllocation) else answer
        try:
            arr = np.asarray(vec)
        except Exception:  # noqa: BLE001 - anything unconvertible is simply not an answer
            return None, ["answer is not an array"]
        if arr.dtype == bool:
            if arr.shape != (self.n_bids,):
                return None, [f"a bool mask must have shape ({self.n_bids},); got {arr.shape}"]
            return arr.copy(), []
        if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
            return None, ["answer must be a bool mask (n_bids,) or a list of accepted bid indices"]
        arr = arr.astype(np.int64)
        bad = np.flatnonzero((arr < 0) | (arr >= self.n_bids))
        if bad.size:
            return None, [f"accepted bid {arr[bad[0]]} is not a bid index in [0, {self.n_bids})"]
        if np.unique(arr).size != arr.size:
            return None, ["a bid index is listed twice"]
        mask = np.zeros(self.n_bids, dtype=bool)
        mask[arr] = True
        return mask, []

    def values(self, answer: Any) -> np.ndarray:
        """``(n_bidders,)``: total accepted price of each bidder (its declared value of the outcome)."""
        mask, problems = self._as_mask(answer)
        if mask is None:
            raise ValueError(f"`answer` is not an allocation of this auction: {problems[0]}")
        return np.bincount(self.bidder, weights=np.where(mask, self.price, 0.0), minlength=self.n_bidders)

    def objective(self, answer: Any) -> float:
        return self.check(answer).objective

    def check(self, answer: Any, tol: float = 1e-6) -> CheckReport:
        mask, problems = self._as_mask(answer)
        if mask is None:
            return CheckReport(False, float("nan"), tuple(problems))
        objective = float(self.price[mask].sum())
        usage = self.quantity.T @ mask.astype(float)
        for g in np.flatnonzero(usage > self.supply + tol)[:5]:
            problems.append(f"good {self.goods_ids[g]!r} (index {g}): {usage[g]:g} unit(s) accepted, "
                            f"supply {self.supply[g]:g}")
        per_bidder = np.bincount(self.bidder[mask], minlength=self.n_bidders)
        for i in np.flatnonzero(self.xor & (per_bidder > 1))[:5]:
            problems.append(f"bidder {self.bidder_ids[i]!r} (index {i}) bids XOR but {per_bidder[i]} of its "
                            "bids are accepted")
        values = np.bincount(self.bidder, weights=np.where(mask, self.price, 0.0), minlength=self.n_bidders)
        return CheckReport(not problems, objective, tuple(problems), {"usage": usage, "values": values})

    # -------------------------------------------------------------- sub-auctions
    def without_bidders(self, bidders: Sequence[int] | np.ndarray) -> "CombinatorialAuction":
        """The same auction with every bid of ``bidders`` removed (bidders and goods keep their indices).

        Used by VCG's "without i" problems; at least one bid must remain.
        """
        drop = np.zeros(self.n_bidders, dtype=bool)
        drop[np.asarray(bidders, dtype=np.int64)] = True
        keep = np.flatnonzero(~drop[self.bidder])
        if keep.size == 0:
            raise ValueError("`bidders` would remove every bid")
        q = self.quantity[keep]
        bundles = [np.repeat(q.indices[q.indptr[k]:q.indptr[k + 1]], q.data[q.indptr[k]:q.indptr[k + 1]].astype(np.int64))
                   for k in range(keep.size)]
        return CombinatorialAuction(self.price[keep], bundles, self.bidder[keep], n_goods=self.n_goods,
                                    supply=self.supply, language=["xor" if f else "or" for f in self.xor],
                                    goods_ids=self.goods_ids, bidder_ids=self.bidder_ids,
                                    bid_ids=[self.bid_ids[k] for k in keep], name=f"{self.name}-without")

    # ------------------------------------------------------------------- files
    def to_data(self) -> dict[str, Any]:
        q = self.quantity
        bids = []
        for b in range(self.n_bids):
            s, e = q.indptr[b], q.indptr[b + 1]
            goods = [self.goods_ids[g] for g, k in zip(q.indices[s:e].tolist(), q.data[s:e].tolist())
                     for _ in range(int(k))]
            bids.append({"id": self.bid_ids[b], "bidder": self.bidder_ids[self.bidder[b]], "goods": goods,
                         "price": float(self.price[b])})
        data: dict[str, Any] = {"name": self.name, "goods": list(self.goods_ids), "bidders": list(self.bidder_ids),
                                "bids": bids}
        if np.any(self.supply != 1):
            data["supply"] = [int(s) for s in self.supply]
        if self.xor.all():
            data["language"] = "xor"
        elif self.xor.any():
            data["language"] = ["xor" if f else "or" for f in self.xor]
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "CombinatorialAuction":
        goods = [str(g) for g in data["goods"]]
        good_index = {g: k for k, g in enumerate(goods)}
        if len(good_index) != len(goods):
            raise InstanceError("lists a good twice", field="goods")
        bidders = data.get("bidders")
        bidder_index: dict[str, int] = {} if bidders is None else {str(n): k for k, n in enumerate(bidders)}
        prices, bundles, owner, ids = [], [], [], []
        for b, bid in enumerate(data["bids"]):
            idx = []
            for t, g in enumerate(bid["goods"]):
                if str(g) not in good_index:
                    raise InstanceError(f"unknown good {g!r}", field=f"bids[{b}].goods", index=t)
                idx.append(good_index[str(g)])
            who = str(bid["bidder"])
            if bidders is None:
                bidder_index.setdefault(who, len(bidder_index))
            elif who not in bidder_index:
                raise InstanceError(f"unknown bidder {who!r}", field=f"bids[{b}].bidder")
            owner.append(bidder_index[who])
            prices.append(bid["price"])
            bundles.append(idx)
            ids.append(bid.get("id") if bid.get("id") is not None else f"bid{b}")
        return cls(prices, bundles, owner, n_goods=len(goods), supply=data.get("supply"),
                   language=data.get("language", "or"), goods_ids=goods, bidder_ids=list(bidder_index),
                   bid_ids=ids, name=data.get("name") or "combinatorial_auction")

    def size_summary(self) -> dict[str, int]:
        return {"bids": self.n_bids, "goods": self.n_goods, "bidders": self.n_bidders,
                "nonzeros": int(self.quantity.nnz)}


class _BidEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Optional[str] = None
    bidder: str
    goods: list[str] = Field(min_length=1)
    price: float = Field(ge=0)


@register_schema("combinatorial_auction")
class CombinatorialAuctionFile(BaseModel):
    """``goods``: names; ``bids``: ``{"bidder", "goods", "price"}`` (a good named twice = 2 units)."""

    model_config = ConfigDict(extra="forbid")
    problem: Literal["combinatorial_auction"]
    version: Literal[1] = 1
    name: Optional[str] = None
    goods: list[str]
    supply: Optional[list[int]] = None
    bidders: Optional[list[str]] = None
    language: Union[Literal["or", "xor"], list[Literal["or", "xor"]]] = "or"
    bids: list[_BidEntry] = Field(min_length=1)
