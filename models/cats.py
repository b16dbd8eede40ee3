"""Reader for CATS combinatorial-auction files (Leyton-Brown, Pearson and Shoham's test suite).

A CATS file has ``%`` comment lines, then ``goods G``, ``bids B``, ``dummy D`` and one
line per bid: ``id<TAB>price<TAB>good good ... #``. Goods ``G .. G+D-1`` are *dummy goods*:
CATS puts one in every bid of a bidder whose bids are substitutes, so that at most one of
them can win (an XOR bid). The bids sharing a dummy good are one bidder; a bid with no
dummy good is a bidder of its own.

``dummy="xor"`` (default) turns each dummy good into that bidder's XOR language and keeps
the ``G`` real goods; ``dummy="goods"`` keeps the dummy goods as goods of supply 1 (the
file's own ILP). Both give the same winner-determination optimum and the same bidders.

Reference: K. Leyton-Brown, M. Pearson and Y. Shoham, "Towards a universal test suite for
combinatorial auction algorithms", ACM EC (2000).

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "tiny.txt")
>>> _ = open(path, "w").write("% CATS\\ngoods 2\\nbids 3\\ndummy 1\\n"
...                           "0\\t10.5\\t0\\t2\\t#\\n1\\t8\\t1\\t2\\t#\\n2\\t3\\t1\\t#\\n")
>>> ca = read_cats(path)
>>> ca.n_goods, ca.n_bidders, ca.language_of(0), ca.bidder.tolist()
(2, 2, 'xor', [0, 0, 1])
>>> from allotment.models import load
>>> load(path).n_bids
3
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .auction import CombinatorialAuction
from .errors import InstanceError
from .files import register_reader

__all__ = ["read_cats", "sniff_cats"]

_HEADER = re.compile(r"^\s*(goods|bids|dummy)\s+(\S+)\s*$")


def sniff_cats(path: Path, head: str) -> bool:
    """True when the first lines that are not ``%`` comments start with ``goods <n>``."""
    for line in head.splitlines():
        text = line.strip()
        if not text or text.startswith("%"):
            continue
        return bool(re.match(r"^goods\s+\d+$", text))
    return False


def read_cats(path: str | Path, *, dummy: str = "xor") -> CombinatorialAuction:
    """Read a CATS file into a :class:`CombinatorialAuction` (see the module docstring).

    Parameters
    ----------
    path : the file
    dummy : ``"xor"`` (dummy goods become XOR bidders) or ``"goods"`` (kept as goods)
    """
    if dummy not in ("xor", "goods"):
        raise ValueError(f"`dummy` must be 'xor' or 'goods'; got {dummy!r}")
    source = str(path)
    header: dict[str, int] = {}
    prices: list[float] = []
    bundles: list[list[int]] = []
    ids: list[str] = []
    lines: list[int] = []
    with open(path, errors="replace") as fh:
        for lineno, line in enumerate(fh, start=1):
            text = line.strip()
            if not text or text.startswith("%"):
                continue
            m = _HEADER.match(text)
            if m:
                key, value = m.groups()
                if not value.isdigit():
                    raise InstanceError(f"line {lineno}: `{key}` must be a whole number; got {value!r}", source=source)
                if prices:
                    raise InstanceError(f"line {lineno}: `{key}` after the first bid", source=source)
                header[key] = int(value)
                continue
            missing = [k for k in ("goods", "bids") if k not in header]
            if missing:
                raise InstanceError(f"line {lineno}: a bid before the `{missing[0]}` line", source=source)
            toks = text.split()
            if toks[-1] == "#":
                toks = toks[:-1]
            if len(toks) < 3:
                raise InstanceError(f"line {lineno}: a bid needs `id price good ... #`; got {text[:60]!r}",
                                    source=source)
            try:
                price = float(toks[1])
                goods = [int(t) for t in toks[2:]]
            except ValueError:
                raise InstanceError(f"line {lineno}: price and goods must be numbers; got {text[:60]!r}",
                                    source=source) from None
            ids.append(toks[0])
            prices.append(price)
            bundles.append(goods)
            lines.append(lineno)
    if "goods" not in header or "bids" not in header:
        raise InstanceError("not a CATS file: missing the `goods` / `bids` header lines", source=source)
    n_real, n_dummy = header["goods"], header.get("dummy", 0)
    if len(prices) != header["bids"]:
        raise InstanceError(f"header says {header['bids']} bids; the file holds {len(prices)}", source=source)
    total = n_real + n_dummy
    for b, goods in enumerate(bundles):
        bad = [g for g in goods if not 0 <= g < total]
        if bad:
            raise InstanceError(f"line {lines[b]}: good {bad[0]} is not in [0, {total}) "
                                f"(goods {n_real} + dummy {n_dummy})", source=source)
    # Bidders: bids sharing a dummy good; a bid without one stands alone. A bid with two
    # dummy goods joins their groups (union-find over dummy goods).
    parent = list(range(n_dummy))

    def find(d: int) -> int:
        while parent[d] != d:
            parent[d] = parent[parent[d]]
            d = parent[d]
        return d

    for goods in bundles:
        ds = [g - n_real for g in goods if g >= n_real]
        for d in ds[1:]:
            parent[find(d)] = find(ds[0])
    group_of: dict[tuple[str, int], int] = {}
    owner = []
    has_dummy = []
    for b, goods in enumerate(bundles):
        ds = [g - n_real for g in goods if g >= n_real]
        key = ("d", find(ds[0])) if ds else ("b", b)
        owner.append(group_of.setdefault(key, len(group_of)))
        has_dummy.append(bool(ds))
    n_bidders = len(group_of)
    if dummy == "xor":
        bundles = [[g for g in goods if g < n_real] for goods in bundles]
        empty = [b for b, goods in enumerate(bundles) if not goods]
        if empty:
            raise InstanceError(f"line {lines[empty[0]]}: the bid holds dummy goods only", source=source)
        xor = np.zeros(n_bidders, dtype=bool)
        xor[np.asarray(owner)[np.asarray(has_dummy)]] = True
        language = ["xor" if f else "or" for f in xor]
        goods_ids = [str(g) for g in range(n_real)]
        n_goods = n_real
    else:
        language = "or"
        goods_ids = [str(g) for g in range(n_real)] + [f"dummy{d}" for d in range(n_dummy)]
        n_goods = total
    try:
        return CombinatorialAuction(prices, bundles, owner, n_goods=n_goods, language=language, goods_ids=goods_ids,
                                    bidder_ids=[f"bidder{i}" for i in range(n_bidders)], bid_ids=ids,
                                    name=Path(path).stem)
    except InstanceError as exc:
        raise exc.with_source(source) from None


register_reader("cats", read_cats, sniff_cats)
