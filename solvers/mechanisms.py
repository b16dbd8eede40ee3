"""Truthful mechanisms: VCG payments for combinatorial auctions, single-item and double auctions.

**VCG** (Vickrey-Clarke-Groves with the Clarke pivot). With ``a*`` a welfare-maximising
allocation of the declared values, ``W`` its welfare and ``W_{-i}`` the optimal welfare
of the auction without bidder ``i``, bidder ``i`` pays

    p_i = W_{-i} - (W - v_i(a*))          (what the others lose because i takes part)

Losers pay 0 (``W_{-i} = W``), and only the winners need a "without i" problem. Each is
solved *warm* from the full problem, on live HiGHS objects whose i's bid columns are fixed
to 0 (``changeColsBounds``) and restored afterwards:

1. *Cut LP.* A live LP relaxation (it keeps its simplex basis) is re-solved, tightened by
   rounds of clique and odd-cycle cuts of the bids' conflict graph (``packing_cuts``). The
   cuts depend on the constraints only, so they stay valid for every "without i" problem and
   accumulate in one pool. If the LP bound is within the grid of the best known allocation
   without i, or the LP point is an integral allocation, the payment is proven here.
2. *Incumbent.* Otherwise greedy fills guided by the LP point, and, when the LP's support
   is small (at most ``SUPPORT_MIP_SHARE`` of the bids), a MIP restricted to that support,
   improve the best known allocation without i.
3. *Reduced-cost fixing.* With ``d = c - A'y`` from the cut LP, a bid with ``x*_j = 0`` and
   ``z_LP + d_j`` below that allocation's welfare is in no optimal allocation; it is fixed to 0.
4. *MIP.* The live MIP object solves the rest from the best known allocation (MIP start).
   When the LP relaxation is weak (more than ``WEAK_LP = 1.1`` times ``W``) it also holds the
   valid cut ``welfare <= W``.

With an ``executor`` the sub-problems run in parallel, each on its own solver object with
the same start and welfare cut (no shared cut pool). ``warm=False`` is the naive way: one
cold solve per winner plus one.

When prices are decimals with at most 9 places, every welfare is a multiple of
``grid = 10**-places``; the MIPs are run to an absolute gap below ``grid``, which proves
exact optima. Otherwise, or when a time limit stops a sub-problem, each ``W_{-i}`` is only
known to lie in ``[found, bound]`` and the payment is reported as that interval
(``payments`` .. ``payments_hi``) with ``exact = False``, never as exact.

**Single-item auctions**: sealed-bid first-price (the winner pays its bid) and Vickrey
(second price: the winner pays the larger of the reserve and the highest other eligible
bid). Bids below the reserve are ignored; with no eligible bid the item is not sold. Tie
rule: among equal highest bids the lowest bidder index wins (``tie="first"``), or one
drawn uniformly with ``seed`` (``tie="random"``).

**McAfee's double auction**: buyers sorted by value (descending), sellers by cost
(ascending), ties by index; ``k`` = number of efficient trades (``b_k >= s_k``). If the
first excluded pair exists and ``p0 = (b_{k+1} + s_{k+1}) / 2`` lies in ``[s_k, b_k]``,
the ``k`` pairs trade at ``p0``; otherwise the ``k - 1`` best pairs trade, buyers pay
``b_k``, sellers receive ``s_k`` and the auctioneer keeps ``(k - 1)(b_k - s_k)``. It is
truthful (dominant strategies) and weakly budget-balanced.

References: W. Vickrey, "Counterspeculation, auctions, and competitive sealed tenders",
J. Finance 16 (1961); E. H. Clarke, "Multipart pricing of public goods", Public Choice 11
(1971); T. Groves, "Incentives in teams", Econometrica 41 (1973); R. P. McAfee, "A
dominant strategy double auction", J. Economic Theory 56 (1992); L. M. Ausubel and P.
Milgrom, "The lovely but lonely Vickrey auction", in Combinatorial Auctions (MIT Press,
2006) (the textbook example below).

>>> from allotment.models import CombinatorialAuction
>>> ca = CombinatorialAuction.from_bids([("1", ["A"], 150), ("2", ["B"], 150), ("3", ["A", "B"], 200)])
>>> out = vcg(ca)
>>> out.payments.tolist(), out.revenue, out.exact
([50.0, 50.0, 0.0], 100.0, True)
>>> vickrey([5, 9, 7], reserve=6).price, first_price([5, 9, 7]).price
(7.0, 9.0)
>>> d = mcafee([9, 4], [3, 8])
>>> d.n_trades, d.buyer_price, d.seller_price
(1, 6.0, 6.0)
"""
from __future__ import annotations

import math
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

import numpy as np
import scipy.sparse as sp

from allotment.models import AuctionAllocation, CombinatorialAuction, ModelNotSolvedError, Program

from .backend import SolveOptions
from .packing_cuts import ConflictGraph, PackingCut, packing_rows
from .result import Result, Status

__all__ = [
    "vcg", "VCGOutcome", "WithoutBidder", "objective_grid",
    "first_price", "vickrey", "SingleItemOutcome",
    "mcafee", "DoubleAuctionOutcome",
]

_WDP_METHODS = ("highs", "cpsat")


# ---------------------------------------------------------------------------- VCG
@dataclass(frozen=True)
class WithoutBidder:
    """The "without bidder i" problem: its welfare lies in ``[welfare, bound]``.

    ``how`` is ``"lp"`` (proved by the warm LP relaxation, no branching), ``"mip"``,
    ``"cold"`` (the naive way) or ``"skipped"`` (time ran out, ``status="time_limit"``, or
    the payment was not requested, ``status="not_requested"``: the interval comes from the
    known allocations and the full problem's bound).
    """

    bidder: int
    welfare: float
    bound: float
    status: str
    how: str
    seconds: float

    @property
    def exact(self) -> bool:
        return self.bound <= self.welfare


@dataclass
class VCGOutcome:
    """Allocation, VCG payments (as intervals when not proven exactly) and the checks.

    Attributes
    ----------
    allocation : the welfare-maximising allocation found
    welfare, welfare_bound : its declared welfare and the proven upper bound on the optimum
    values : (n_bidders,) each bidder's declared value of the allocation
    payments, payments_hi : (n_bidders,) lower and upper end of each payment
        (equal when ``exact``); ``payments`` uses the best "without i" welfare found
    exact : every payment proven exactly (intervals of width 0)
    status : ``optimal`` when exact; ``feasible`` otherwise (see ``message``)
    subproblems : one :class:`WithoutBidder` per winning bidder
    """

    allocation: AuctionAllocation
    welfare: float
    welfare_bound: float
    values: np.ndarray
    payments: np.ndarray
    payments_hi: np.ndarray
    exact: bool
    status: Status
    method: str
    warm: bool
    runtime: float
    grid: float | None
    bidder_ids: tuple[str, ...]
    subproblems: list[WithoutBidder] = field(default_factory=list)
    message: str = ""

    @property
    def utilities(self) -> np.ndarray:
        """``values - payments`` (the upper end of each bidder's utility)."""
        return self.values - self.payments

    @property
    def utilities_lo(self) -> np.ndarray:
        return self.values - self.payments_hi

    @property
    def revenue(self) -> float:
        return float(self.payments.sum())

    @property
    def revenue_hi(self) -> float:
        return float(self.payments_hi.sum())

    @property
    def winners(self) -> np.ndarray:
        return self.allocation.winners()

    def _tol(self) -> float:
        return (self.grid / 2) if self.grid else 1e-9 * max(1.0, abs(self.welfare))

    @property
    def individually_rational(self) -> bool:
        """Every bidder's utility is non-negative for every payment in its interval."""
        return bool(np.all(self.utilities_lo >= -self._tol()))

    @property
    def no_positive_transfers(self) -> bool:
        """No bidder is paid (every payment >= 0); in particular losers are not paid."""
        return bool(np.all(self.payments >= -self._tol()))

    @property
    def budget_balanced(self) -> bool:
        """Weak budget balance: the auctioneer does not pay out (revenue >= 0)."""
        return self.revenue >= -self._tol()

    def checks(self) -> dict[str, bool]:
        return {"individually_rational": self.individually_rational,
                "no_positive_transfers": self.no_positive_transfers,
                "budget_balanced": self.budget_balanced, "exact": self.exact}

    def table(self) -> list[dict[str, Any]]:
        """One row per winning bidder: value, payment interval, utility, how it was solved."""
        rows = []
        for sub in self.subproblems:
            i = sub.bidder
            rows.append({"bidder": self.bidder_ids[i], "value": float(self.values[i]),
                         "payment": float(self.payments[i]), "payment_hi": float(self.payments_hi[i]),
                         "utility": float(self.utilities[i]), "without_i": sub.welfare, "solved": sub.how,
                         "seconds": round(sub.seconds, 4)})
        return rows

    def __repr__(self) -> str:
        span = "" if self.exact else f" (up to {self.revenue_hi:g})"
        return (f"VCGOutcome(status={self.status.value}, welfare={self.welfare:g}, revenue={self.revenue:g}{span}, "
                f"winners={len(self.winners)}, exact={self.exact}, runtime={self.runtime:.3f}s)")


def objective_grid(price: np.ndarray) -> float | None:
    """``10**-k`` when every price is a decimal with at most ``k <= 9`` places, else None.

    Every welfare is then a multiple of the grid, so a bound within one grid step of an
    incumbent proves it optimal. None when float sums could blur the grid.

    >>> objective_grid(np.array([1186.19, 31.8547])), objective_grid(np.array([150.0, 200.0]))
    (0.0001, 1.0)
    >>> objective_grid(np.array([1 / 3])) is None
    True
    >>> objective_grid(np.array([2.00496, 8.74342] * 250))  # 500 CATS prices with 5 decimals
    1e-05
    """
    from .cpsat import integer_scale_powers

    price = np.asarray(price, dtype=float)
    powers = integer_scale_powers(price)
    if price.size == 0 or (powers < 0).any():
        return None
    grid = 10.0 ** -int(powers.max())
    # Worst-case rounding error of a float sum of all prices must stay far below one step.
    if float(np.abs(price).sum()) * price.size * np.finfo(float).eps > grid * 1e-2:
        return None
    return grid


def _floor(value: float, grid: float | None) -> float:
    if grid is None:
        return value
    return math.floor(value / grid + 1e-6) * grid


def _snap(value: np.ndarray | float, grid: float | None) -> Any:
    if grid is None:
        return value
    places = max(0, -int(round(math.log10(grid))))
    return np.round(np.round(np.asarray(value, dtype=float) / grid) * grid, places)


def _settings(grid: float | None, options: dict[str, Any] | None, method: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if method == "highs" and grid is not None:
        out.update(mip_rel_gap=0.0, mip_abs_gap=0.999 * grid)
    out.update(options or {})
    return out


@dataclass
class _Pool:
    """Known feasible allocations (bool rows); the best one without bidder i is a MIP start."""

    price: np.ndarray
    masks: list[np.ndarray]

    def best_without(self, bids: np.ndarray) -> tuple[np.ndarray, float]:
        pool = np.array(self.masks)
        pool[:, bids] = False
        values = pool @ self.price
        k = int(np.argmax(values))
        return pool[k], float(values[k])

    def add(self, mask: np.ndarray) -> None:
        if not any(np.array_equal(mask, m) for m in self.masks):
            self.masks.append(mask.copy())


def _verified_mask(auction: CombinatorialAuction, x: np.ndarray | None, bids: np.ndarray) -> tuple[np.ndarray, float] | None:
    """A solver vector as an allocation that passes ``check`` and leaves ``bids`` out, or None."""
    if x is None:
        return None
    mask = np.asarray(x, dtype=float)[: auction.n_bids] > 0.5
    if mask[bids].any():
        return None
    report = auction.check(mask)
    return (mask, report.objective) if report.feasible else None


#: The welfare cut is added when the LP relaxation exceeds the optimum by this factor.
WEAK_LP = 1.10


def _add_cut(h: Any, c: np.ndarray, bound: float) -> None:
    """Add the row ``c @ x <= bound`` to a HiGHS object."""
    import highspy

    nz = np.flatnonzero(c).astype(np.int32)
    h.addRow(-highspy.kHighsInf, float(bound), nz.size, nz, c[nz].astype(float))


#: A MIP restricted to the LP's support runs first when the support holds at most this share of the bids.
SUPPORT_MIP_SHARE = 0.25

#: Rounds of clique / odd-cycle separation per "without i" LP (each round: one warm LP re-solve).
CUT_ROUNDS = 20


def _conflict_graph(program: Program) -> ConflictGraph | None:
    """The conflict graph of a binary packing program, or None (not a packing program, or too big)."""
    binary = program.integrality.all() and (program.col_lo >= 0).all() and (program.col_hi <= 1).all()
    if not binary or program.n_rows == 0 or packing_rows(program.A, program.row_hi).size != program.n_rows:
        return None
    try:
        return ConflictGraph.from_rows(program.A, program.row_hi)
    except ValueError:  # too many conflict pairs to hold: go without cuts
        return None


def _add_cut_row(h: Any, cut: PackingCut) -> None:
    import highspy

    h.addRow(-highspy.kHighsInf, cut.rhs, cut.columns.size, cut.columns.astype(np.int32), cut.values.astype(float))


class _LiveHighs:
    """The full problem's live HiGHS MIP object and a live LP relaxation, reused per bidder."""

    def __init__(self, program: Program, opts: SolveOptions) -> None:
        from .highs import build_highs

        self.program = program
        self.opts = opts
        self.h = build_highs(program, opts)
        self._lp: Any = None
        self.graph = _conflict_graph(program)
        self.cuts: list[PackingCut] = []  # valid for every "without i" problem; kept in the LP
        self._by_col = sp.csc_array(program.A)

    def _lp_object(self) -> Any:
        if self._lp is None:
            from .highs import build_highs

            relaxed = self.program.with_changes(integrality=np.zeros(self.program.n_cols, dtype=bool))
            self._lp = build_highs(relaxed, SolveOptions(verbose=self.opts.verbose, options={
                k: v for k, v in (self.opts.options or {}).items() if k in ("threads",)}))
        return self._lp

    def add_welfare_cut(self, bound: float) -> None:
        """Add ``c @ x <= bound`` (valid for every "without i" problem) to the live MIP object."""
        _add_cut(self.h, self.program.c, bound)

    def lp_bound(self, bids: np.ndarray, deadline: float | None,
                 proves: Callable[[float], bool]) -> tuple[float, np.ndarray, np.ndarray] | None:
        """Warm LP relaxation of the problem without ``bids``: value, point, reduced costs (None if unsolved).

        With a conflict graph, up to ``CUT_ROUNDS`` rounds of clique and odd-cycle cuts tighten
        the LP until ``proves(value)`` holds or no cut is violated; the cuts stay in the pool.
        """
        lp = self._lp_object()
        idx = bids.astype(np.int32)
        lp.setOptionValue("time_limit", _remaining(deadline) or float("inf"))
        lp.changeColsBounds(idx.size, idx, np.zeros(idx.size), np.zeros(idx.size))
        try:
            for round_ in range(CUT_ROUNDS + 1):
                lp.run()
                if lp.getModelStatus().name != "kOptimal":
                    return None
                value = float(lp.getInfo().objective_function_value)
                solution = lp.getSolution()
                x = np.asarray(solution.col_value, dtype=float)
                if self.graph is None or round_ == CUT_ROUNDS or proves(value) \
                        or (deadline is not None and time.perf_counter() >= deadline):
                    break
                cuts = self.graph.separate(x)
                if not cuts:
                    break
                for cut in cuts:
                    _add_cut_row(lp, cut)
                self.cuts.extend(cuts)
            return value, x, np.asarray(solution.col_dual, dtype=float)
        finally:
            lp.changeColsBounds(idx.size, idx, self.program.col_lo[bids], self.program.col_hi[bids])

    def fill(self, start: np.ndarray, banned: np.ndarray, lp_x: np.ndarray) -> np.ndarray:
        """``start`` plus every bid that still fits, by LP value then price (``banned`` stay out)."""
        A, hi, c = self._by_col, self.program.row_hi, self.program.c
        mask = np.asarray(start, dtype=bool).copy()
        used = A @ mask.astype(float)
        allowed = ~mask & (self.program.col_hi > 0.5)
        allowed[banned] = False
        cand = np.flatnonzero(allowed)
        for j in cand[np.lexsort((-c[cand], -lp_x[cand]))]:
            rows, vals = A.indices[A.indptr[j]:A.indptr[j + 1]], A.data[A.indptr[j]:A.indptr[j + 1]]
            if np.all(used[rows] + vals <= hi[rows] + 1e-9):
                used[rows] += vals
                mask[j] = True
        return mask

    def mip(self, bids: np.ndarray, start: np.ndarray, deadline: float | None) -> Result:
        """The MIP without ``bids``, started from ``start``; bounds restored afterwards."""
        import highspy

        from .highs import run_highs

        idx = bids.astype(np.int32)
        h = self.h
        h.setOptionValue("time_limit", _remaining(deadline) or float("inf"))
        h.changeColsBounds(idx.size, idx, np.zeros(idx.size), np.zeros(idx.size))
        try:
            sol = highspy.HighsSolution()
            sol.col_value = list(start.astype(float))
            sol.value_valid = True
            h.setSolution(sol)
            return run_highs(h, self.program, time.perf_counter())
        finally:
            h.changeColsBounds(idx.size, idx, self.program.col_lo[bids], self.program.col_hi[bids])


def _lp_value(program: Program, settings: dict[str, Any], live: _LiveHighs | None) -> float | None:
    """Value of the full problem's LP relaxation (on the live LP object when there is one)."""
    if live is not None:
        lp = live._lp_object()
    else:
        from .highs import build_highs

        relaxed = program.with_changes(integrality=np.zeros(program.n_cols, dtype=bool))
        lp = build_highs(relaxed, SolveOptions(options={k: v for k, v in settings.items() if k in ("threads",)}))
    lp.run()
    return float(lp.getInfo().objective_function_value) if lp.getModelStatus().name == "kOptimal" else None


def _remaining(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    return max(deadline - time.perf_counter(), 1e-3)


def _solve_without_task(program: Program, bids: np.ndarray, start: np.ndarray, method: str,
                        settings: dict[str, Any], time_limit: float | None, seed: int | None,
                        cut: float | None) -> tuple[Result, float]:
    """One "without i" problem on its own solver object (for an Executor): start, cut, no rebuild of the model."""
    started = time.perf_counter()
    hi = program.col_hi.copy()
    hi[bids] = 0.0
    sub = program.with_changes(col_hi=hi)
    if method == "highs":
        import highspy

        from .highs import build_highs, run_highs

        h = build_highs(sub, SolveOptions(time_limit=time_limit, seed=seed, options=settings))
        if cut is not None:
            _add_cut(h, program.c, cut)
        sol = highspy.HighsSolution()
        sol.col_value = list(start.astype(float))
        sol.value_valid = True
        h.setSolution(sol)
        result = run_highs(h, sub, started)
    else:
        from .cpsat import build_cpsat, run_cpsat

        opts = SolveOptions(time_limit=time_limit, seed=seed, options={**settings, "warm_start": start})
        result = run_cpsat(build_cpsat(sub), opts, started)
    return result, time.perf_counter() - started


def _live_without(auction: CombinatorialAuction, live: _LiveHighs, pool: _Pool, i: int, bids: np.ndarray,
                  grid: float | None, welfare_bound: float, deadline: float | None) -> WithoutBidder:
    """W_{-i} on the live objects: cut LP, better incumbents, reduced-cost fixing, MIP (module docstring)."""
    t0 = time.perf_counter()
    start, start_value = pool.best_without(bids)
    slack = grid / 2 if grid else 0.0

    def offer(x: np.ndarray | None) -> None:  # keep a verified allocation without i if it is better
        nonlocal start, start_value
        got = _verified_mask(auction, x, bids)
        if got is not None:
            pool.add(got[0])
            if got[1] > start_value:
                start, start_value = got

    def proven(lp_value: float) -> bool:
        return min(welfare_bound, _floor(lp_value, grid)) <= start_value + slack

    lp = live.lp_bound(bids, deadline, proven)
    if lp is None:  # no LP answer (time limit): the MIP alone
        return _record(auction, pool, i, bids, live.mip(bids, start.astype(float), deadline),
                       time.perf_counter() - t0, "mip", grid, welfare_bound, start_value)
    lp_value, lp_x, reduced_costs = lp
    if np.all(np.abs(lp_x - np.round(lp_x)) <= 1e-9):
        offer(lp_x)
    if proven(lp_value):
        return WithoutBidder(i, start_value, start_value, "optimal", "lp", time.perf_counter() - t0)
    # Greedy allocations guided by the cut LP: often far better than a* minus i.
    for base in (start, np.zeros_like(start)):
        offer(live.fill(base, bids, lp_x).astype(float))
    # The best allocation on the LP's support makes reduced-cost fixing bite; worth a MIP
    # only when the support is small (tight LP), else it is the whole problem again.
    outside = np.flatnonzero((lp_x <= 1e-9) & ~start)
    n = live.program.n_cols
    if n - outside.size <= SUPPORT_MIP_SHARE * n:
        small = live.mip(np.union1d(bids, outside), start.astype(float), deadline)
        if small.ok:
            offer(small.x)
    fixed = _fixable(lp_value, lp_x, reduced_costs, start, start_value, grid)
    result = live.mip(np.union1d(bids, fixed), start.astype(float), deadline)
    return _record(auction, pool, i, bids, result, time.perf_counter() - t0, "mip", grid, welfare_bound,
                   start_value)


def _fixable(lp_value: float, lp_x: np.ndarray, reduced_costs: np.ndarray, start: np.ndarray, start_value: float,
             grid: float | None) -> np.ndarray:
    """Columns no allocation worth ``start_value`` can use: reduced-cost fixing on the cut LP.

    LP duality (``d = c - A'y``, ``y >= 0``, the cuts among the rows) gives
    ``c x <= z_LP + d_j`` for every feasible ``x`` with ``x_j = 1`` when ``x*_j = 0``; if that
    is below the known ``start_value <= W_{-i}``, no optimal allocation uses ``j``.
    """
    margin = 1e-6 * max(1.0, abs(lp_value)) + (grid * 1e-2 if grid else 0.0)
    ok = (lp_x <= 1e-9) & (lp_value + reduced_costs < start_value - margin) & ~np.asarray(start, dtype=bool)
    return np.flatnonzero(ok)


def vcg(
    auction: CombinatorialAuction,
    *,
    method: Literal["highs", "cpsat"] = "highs",
    warm: bool = True,
    executor: Executor | None = None,
    time_limit: float | None = None,
    seed: int | None = None,
    options: dict[str, Any] | None = None,
    verbose: bool = False,
    bidders: Any | None = None,
) -> VCGOutcome:
    """VCG (Clarke pivot) allocation and payments of ``auction`` (see the module docstring).

    Parameters
    ----------
    auction : the combinatorial auction (declared values = bid prices)
    method : ``"highs"`` (live warm object) or ``"cpsat"`` (exact integer scaling; warm = hints)
    warm : reuse the full problem (default); False = the naive way, one cold solve per winner
    executor : optional ``concurrent.futures.Executor`` (a process pool, a dask client's
        executor ...) to solve the "without i" problems in parallel, each warm-started
    time_limit : wall-clock seconds for the whole computation; payments not proven in time
        are reported as intervals
    seed, options, verbose : passed to the solver (``options`` e.g. ``{"threads": 1}``)
    bidders : bidder indices whose payments to compute (default: every winner); the other
        winners' payments are reported as intervals, not computed

    Returns
    -------
    VCGOutcome
    """
    started = time.perf_counter()
    if not isinstance(auction, CombinatorialAuction):
        raise TypeError(f"`auction` must be a CombinatorialAuction; got {type(auction).__name__}")
    if method not in _WDP_METHODS:
        raise ValueError(f"`method` must be one of {list(_WDP_METHODS)}; got {method!r}")
    if time_limit is not None and (isinstance(time_limit, bool) or not isinstance(time_limit, (int, float))
                                   or not math.isfinite(time_limit) or time_limit <= 0):
        raise ValueError(f"`time_limit` must be a positive number of seconds or None; got {time_limit!r}")
    if executor is not None and not isinstance(executor, Executor):
        raise ValueError(f"`executor` must be a concurrent.futures.Executor or None; got {type(executor).__name__}")
    if bidders is not None:
        chosen = np.asarray(bidders, dtype=np.int64).ravel()
        if chosen.size and (chosen.min() < 0 or chosen.max() >= auction.n_bidders):
            raise ValueError(f"`bidders` must hold bidder indices in [0, {auction.n_bidders})")
    deadline = None if time_limit is None else started + float(time_limit)
    program = auction.to_program()
    grid = objective_grid(auction.price)
    settings = _settings(grid, options, method)
    opts = SolveOptions(time_limit=time_limit, seed=seed, verbose=verbose, options=settings)

    # 1. The full problem.
    live: _LiveHighs | None = None
    if method == "highs" and warm:
        live = _LiveHighs(program, opts)
        if settings.get("mip_improving_solution_save") is None:
            live.h.setOptionValue("mip_improving_solution_save", True)
        from .highs import run_highs

        full = run_highs(live.h, program, time.perf_counter())
    elif warm:
        from .cpsat import build_cpsat, run_cpsat

        full = run_cpsat(build_cpsat(program), opts, time.perf_counter())
    else:
        from .api import solve

        full = solve(auction, method, time_limit=time_limit, seed=seed, verbose=verbose, options=settings)
    found = _verified_mask(auction, full.x, np.zeros(0, dtype=np.int64)) if full.x is not None else None
    if found is None and full.answer is not None:
        found = _verified_mask(auction, full.answer.accepted.astype(float), np.zeros(0, dtype=np.int64))
    if not full.ok or found is None:
        raise ModelNotSolvedError(f"winner determination gave no allocation: status {full.status.value} "
                                  f"({full.message})")
    mask, welfare = found
    bound = full.bound if full.bound is not None and math.isfinite(full.bound) else welfare
    welfare_bound = max(welfare, _floor(bound, grid))
    pool = _Pool(auction.price, [mask])
    if live is not None:
        for sol in live.h.getSavedMipSolutions():
            got = _verified_mask(auction, np.asarray(sol.col_value), np.zeros(0, dtype=np.int64))
            if got is not None:
                pool.add(got[0])
    values = auction.values(mask)
    winners = np.unique(auction.bidder[mask])
    skipped_by_choice = np.zeros(0, dtype=np.int64)
    if bidders is not None:
        skipped_by_choice = winners[~np.isin(winners, chosen)]
        winners = winners[np.isin(winners, chosen)]
    others = welfare - values  # welfare of everyone but i under a*

    # 2. The "without i" problems.
    subs: dict[int, WithoutBidder] = {}
    # The cut welfare <= W caps a weak LP bound (CATS "arbitrary": LP 14-42% above W) but
    # makes the simplex degenerate on tight ones (3atom: twice the LP iterations); add it
    # only when the LP relaxation of the full problem overestimates W by more than WEAK_LP.
    cut = None
    if method == "highs" and warm:
        lp_full = _lp_value(program, settings, live)
        if lp_full is not None and lp_full > WEAK_LP * max(welfare_bound, 1e-12):
            cut = welfare_bound + (grid / 2 if grid else 1e-9 * max(1.0, abs(welfare_bound)))
            if live is not None and executor is None:
                live.add_welfare_cut(cut)
    if executor is not None:
        futures = {}
        for i in winners.tolist():
            bids = auction.bids_of(i)
            start, start_value = pool.best_without(bids)
            remaining = None if deadline is None else max(deadline - time.perf_counter(), 1e-3)
            futures[i] = (bids, start_value, executor.submit(_solve_without_task, program, bids, start.astype(float),
                                                             method, settings, remaining, seed, cut))
        for i, (bids, start_value, fut) in futures.items():
            result, seconds = fut.result()
            subs[i] = _record(auction, pool, i, bids, result, seconds, "mip", grid, welfare_bound, start_value)
    else:
        for i in winners.tolist():
            t0 = time.perf_counter()
            bids = auction.bids_of(i)
            start, start_value = pool.best_without(bids)
            if deadline is not None and time.perf_counter() >= deadline:
                subs[i] = WithoutBidder(i, start_value, welfare_bound, "time_limit", "skipped", 0.0)
                continue
            if live is not None:
                subs[i] = _live_without(auction, live, pool, i, bids, grid, welfare_bound, deadline)
            elif warm:  # cpsat, warm = cached program + hint
                remaining = None if deadline is None else max(deadline - time.perf_counter(), 1e-3)
                result, _ = _solve_without_task(program, bids, start.astype(float), method, settings, remaining,
                                                seed, None)
                subs[i] = _record(auction, pool, i, bids, result, time.perf_counter() - t0, "mip", grid,
                                  welfare_bound, start_value)
            elif bids.size == auction.n_bids:  # i holds every bid: without i nothing can be sold
                subs[i] = WithoutBidder(i, 0.0, 0.0, "optimal", "cold", time.perf_counter() - t0)
            else:
                from .api import solve

                remaining = None if deadline is None else max(deadline - time.perf_counter(), 1e-3)
                sub_auction = auction.without_bidders([i])
                result = solve(sub_auction, method, time_limit=remaining, seed=seed, verbose=verbose,
                               options=settings)
                x = None
                if result.answer is not None:
                    x = np.zeros(auction.n_bids)
                    keep = np.flatnonzero(auction.bidder != i)
                    x[keep[result.answer.accepted]] = 1.0
                result.x = x
                # The known allocations (a* minus i, earlier answers) only bound W_{-i} from below
                # when this cold solve stops early; the solve itself starts from nothing.
                subs[i] = _record(auction, pool, i, bids, result, time.perf_counter() - t0, "cold", grid,
                                  welfare_bound, start_value)

    for i in skipped_by_choice.tolist():
        _, start_value = pool.best_without(auction.bids_of(i))
        subs[i] = WithoutBidder(i, start_value, welfare_bound, "not_requested", "skipped", 0.0)

    # 3. Payments.
    lo = np.zeros(auction.n_bidders)
    hi = np.zeros(auction.n_bidders)
    losers_hi = max(0.0, welfare_bound - welfare)  # W_{-i} for a loser lies in [W, welfare_bound]
    hi[:] = losers_hi
    for i, sub in subs.items():
        lo[i] = sub.welfare - others[i]
        hi[i] = sub.bound - others[i]
    lo, hi = _snap(lo, grid), _snap(hi, grid)
    hi = np.maximum(hi, lo)
    tol = (grid / 2) if grid else 1e-12 * max(1.0, abs(welfare))
    exact = bool(np.all(hi - lo <= tol))
    if exact:
        hi = lo.copy()
    skipped = [s for s in subs.values() if s.how == "skipped" and s.status == "time_limit"]
    if exact:
        status, message = Status.OPTIMAL, "every payment proven exactly"
    else:
        status = Status.FEASIBLE
        open_ = int(np.sum(hi - lo > tol))
        message = (f"{open_} payment(s) known only as an interval [payments, payments_hi]"
                   + (f"; time limit: {len(skipped)} sub-problem(s) not solved" if skipped else "")
                   + (f"; {skipped_by_choice.size} payment(s) not requested" if skipped_by_choice.size else "")
                   + ("" if grid else "; prices are not short decimals, so optima are proven only to a gap"))
    label = method if warm else f"{method} (cold)"
    return VCGOutcome(auction.answer(mask), float(_snap(welfare, grid)), float(_snap(welfare_bound, grid)),
                      np.asarray(_snap(values, grid), dtype=float), lo, hi, exact, status, label, warm,
                      time.perf_counter() - started, grid, auction.bidder_ids,
                      [subs[i] for i in sorted(subs)], message)


def _record(auction: CombinatorialAuction, pool: _Pool, i: int, bids: np.ndarray, result: Result, seconds: float,
            how: str, grid: float | None, welfare_bound: float, start_value: float = 0.0) -> WithoutBidder:
    """Turn a sub-problem's Result into a verified ``[welfare, bound]`` interval for W_{-i}."""
    best = start_value
    got = _verified_mask(auction, result.x, bids) if result.ok else None
    if got is not None:
        pool.add(got[0])
        best = max(best, got[1])
    bound = result.bound if result.bound is not None and math.isfinite(result.bound) else welfare_bound
    if result.status is Status.OPTIMAL and result.bound is None and got is not None:
        bound = got[1]
    bound = min(welfare_bound, _floor(bound, grid))
    bound = max(bound, best)
    if grid is not None and bound - best < grid / 2:
        bound = best
    return WithoutBidder(i, float(best), float(bound), result.status.value, how, seconds)


# ------------------------------------------------------------------ single item
@dataclass(frozen=True)
class SingleItemOutcome:
    """Who wins one item and what they pay (``winner = -1``: not sold)."""

    winner: int
    price: float
    rule: str
    reserve: float
    tied: int

    @property
    def sold(self) -> bool:
        return self.winner >= 0


def _single_item(bids: Any, reserve: float, tie: str, seed: int | None, rule: str) -> SingleItemOutcome:
    arr = np.asarray(bids, dtype=float) if not isinstance(bids, np.ndarray) else bids.astype(float)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"`bids` must be a non-empty 1-D array, one bid per bidder; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`bids` must be finite; bids[{int(np.flatnonzero(~np.isfinite(arr))[0])}] is not")
    if isinstance(reserve, bool) or not isinstance(reserve, (int, float, np.floating, np.integer)) \
            or not math.isfinite(reserve):
        raise ValueError(f"`reserve` must be a finite number; got {reserve!r}")
    if tie not in ("first", "random"):
        raise ValueError(f"`tie` must be 'first' or 'random'; got {tie!r}")
    eligible = np.flatnonzero(arr >= reserve)
    if eligible.size == 0:
        return SingleItemOutcome(-1, 0.0, rule, float(reserve), 0)
    top = arr[eligible].max()
    best = eligible[arr[eligible] == top]
    winner = int(best[0]) if tie == "first" else int(np.random.default_rng(seed).choice(best))
    if rule == "first_price":
        price = float(top)
    else:
        rest = np.delete(arr, winner)
        rest = rest[rest >= reserve]
        price = float(max(reserve, rest.max())) if rest.size else float(reserve)
    return SingleItemOutcome(winner, price, rule, float(reserve), int(best.size))


def first_price(bids: Any, *, reserve: float = 0.0, tie: str = "first", seed: int | None = None) -> SingleItemOutcome:
    """Sealed-bid first-price auction: the highest bid at or above ``reserve`` wins and pays itself.

    >>> first_price([3, 8, 8], reserve=4)
    SingleItemOutcome(winner=1, price=8.0, rule='first_price', reserve=4.0, tied=2)
    """
    return _single_item(bids, reserve, tie, seed, "first_price")


def vickrey(bids: Any, *, reserve: float = 0.0, tie: str = "first", seed: int | None = None) -> SingleItemOutcome:
    """Sealed-bid second-price (Vickrey) auction with a reserve: the winner pays
    ``max(reserve, highest other bid at or above the reserve)``.

    >>> vickrey([3, 8, 5], reserve=6).price, vickrey([3, 8, 8]).price, vickrey([1, 2], reserve=5).sold
    (6.0, 8.0, False)
    """
    return _single_item(bids, reserve, tie, seed, "vickrey")


# ----------------------------------------------------------------- double auction
@dataclass(frozen=True)
class DoubleAuctionOutcome:
    """Trades of McAfee's double auction.

    ``buyers``/``sellers``: indices of those who trade; every trading buyer pays
    ``buyer_price`` and every trading seller receives ``seller_price``; ``surplus`` is what
    the auctioneer keeps; ``efficient_trades`` is ``k`` (``reduced``: one trade was given up).
    """

    buyers: np.ndarray
    sellers: np.ndarray
    buyer_price: float
    seller_price: float
    efficient_trades: int
    reduced: bool
    buyer_values: np.ndarray
    seller_costs: np.ndarray

    @property
    def n_trades(self) -> int:
        return int(self.buyers.size)

    @property
    def surplus(self) -> float:
        """Money the auctioneer keeps: ``n_trades * (buyer_price - seller_price) >= 0``."""
        return float(self.n_trades * (self.buyer_price - self.seller_price))

    @property
    def gains_from_trade(self) -> float:
        """Realised welfare: sum of trading buyers' values minus trading sellers' costs."""
        return float(self.buyer_values[self.buyers].sum() - self.seller_costs[self.sellers].sum())


def mcafee(buyer_values: Any, seller_costs: Any) -> DoubleAuctionOutcome:
    """McAfee's trade-reduction double auction (see the module docstring).

    >>> d = mcafee([10, 8, 6, 1], [2, 3, 7, 9])
    >>> d.efficient_trades, d.n_trades, d.buyer_price, d.seller_price, d.reduced
    (2, 2, 6.5, 6.5, False)
    >>> d = mcafee([10, 8], [2, 3])
    >>> d.n_trades, d.buyer_price, d.seller_price, d.surplus
    (1, 8.0, 3.0, 5.0)
    """
    b = np.asarray(buyer_values, dtype=float)
    s = np.asarray(seller_costs, dtype=float)
    for name, arr in (("buyer_values", b), ("seller_costs", s)):
        if arr.ndim != 1:
            raise ValueError(f"`{name}` must be a 1-D array; got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"`{name}` must be finite; {name}[{int(np.flatnonzero(~np.isfinite(arr))[0])}] is not")
    bo = np.argsort(-b, kind="stable")  # ties: lower index first
    so = np.argsort(s, kind="stable")
    L = min(b.size, s.size)
    k = int(np.sum(b[bo[:L]] >= s[so[:L]]))
    empty = np.zeros(0, dtype=np.int64)
    if k == 0:
        return DoubleAuctionOutcome(empty, empty, 0.0, 0.0, 0, False, b, s)
    bk, sk = float(b[bo[k - 1]]), float(s[so[k - 1]])
    if k < b.size and k < s.size:
        p0 = (float(b[bo[k]]) + float(s[so[k]])) / 2.0
        if sk <= p0 <= bk:
            return DoubleAuctionOutcome(np.sort(bo[:k]), np.sort(so[:k]), p0, p0, k, False, b, s)
    return DoubleAuctionOutcome(np.sort(bo[: k - 1]), np.sort(so[: k - 1]), bk, sk, k, True, b, s)
