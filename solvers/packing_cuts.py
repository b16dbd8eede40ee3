"""Clique and odd-cycle cuts of a binary packing program, kept in a pool that many re-solves share.

A *packing program* maximises or minimises over binary ``x`` subject to rows
``A x <= b`` with ``A >= 0`` (combinatorial-auction winner determination, set packing,
independent set). Two columns *conflict* when some row ``r`` has ``A[r,u] + A[r,v] > b[r]``:
no feasible point sets both to 1, whatever the other columns do (their contributions are
``>= 0``). The feasible set therefore lies inside the stable-set polytope of the conflict
graph ``G``, which gives two families of valid inequalities (Padberg 1973):

    clique     C:   sum_{v in C} x_v <= 1             (C pairwise conflicting)
    odd cycle  C:   sum_{v in C} x_v <= (|C| - 1) / 2  (C an odd cycle of G)

Neither depends on the objective or on any incumbent, so a cut stays valid when columns are
later fixed to 0 (the "without bidder i" problems of VCG). That is why they are kept here
and not left to the solver: HiGHS separates cuts of its own, but keeps no cut pool between
runs, and each of its cuts may rely on reduced-cost fixings that are only valid for the
objective and incumbent of the run that made it.

Separation at an LP point ``x*``: cliques greedily (grow from each fractional column by
the largest ``x*`` among common neighbours, then extend to a maximal clique); odd cycles
exactly, over the fractional support, by shortest paths in the bipartite double cover with
edge weights ``1 - x*_u - x*_v`` (Grötschel, Lovász and Schrijver 1988): a closed odd walk of
weight ``< 1`` contains a violated odd cycle. An odd cycle whose edges come from distinct
rows of bound 1 is lifted to the {0, 1/2}-Chvátal-Gomory cut of those rows, which contains
it (for bids on two goods, a blossom inequality). Every cut returned is checked to be
violated by ``x*`` by more than ``tol``.

References: M. W. Padberg, "On the facial structure of set packing polyhedra", Math.
Programming 5 (1973); M. Grötschel, L. Lovász and A. Schrijver, *Geometric Algorithms and
Combinatorial Optimization* (Springer, 1988), section 9.1.

>>> import numpy as np, scipy.sparse as sp
>>> # a triangle of goods 0-1, 1-2, 0-2: three bids pairwise share a good
>>> A = sp.csr_array(np.array([[1, 0, 1], [1, 1, 0], [0, 1, 1]], dtype=float))
>>> g = ConflictGraph.from_rows(A, np.ones(3))
>>> g.n_edges
3
>>> [(c.columns.tolist(), c.rhs) for c in g.separate(np.full(3, 0.5))]
[([0, 1, 2], 1.0)]
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

__all__ = ["ConflictGraph", "PackingCut", "packing_rows"]


@dataclass(frozen=True)
class PackingCut:
    """The valid inequality ``coefficients @ x[columns] <= rhs``."""

    columns: np.ndarray
    rhs: float
    kind: str  # "clique", "odd cycle" or "zero-half"
    coefficients: np.ndarray | None = None  # None: all ones

    @property
    def values(self) -> np.ndarray:
        return np.ones(self.columns.size) if self.coefficients is None else self.coefficients

    def violation(self, x: np.ndarray) -> float:
        return float(self.values @ x[self.columns] - self.rhs)


def packing_rows(A: sp.sparray | sp.spmatrix, row_hi: np.ndarray) -> np.ndarray:
    """Indices of the rows usable for conflicts: nonnegative coefficients and a finite upper bound."""
    A = sp.csr_array(A)
    negative = np.zeros(A.shape[0], dtype=bool)
    neg_rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))[A.data < 0]
    negative[neg_rows] = True
    return np.flatnonzero(~negative & np.isfinite(np.asarray(row_hi, dtype=float)))


class ConflictGraph:
    """Pairwise conflicts of the binary columns of a packing program (see the module docstring)."""

    def __init__(self, adjacency: sp.csr_array, rows: sp.csc_array | None = None,
                 row_hi: np.ndarray | None = None) -> None:
        self.adjacency = sp.csr_array(adjacency, dtype=bool)
        self.n = self.adjacency.shape[0]
        # The packing rows themselves (columns x rows access), for zero-half lifting of odd cycles.
        self._rows = None if rows is None else sp.csr_array(rows, dtype=float)
        self._by_col = None if self._rows is None else self._rows.T.tocsr()
        self._row_hi = None if row_hi is None else np.asarray(row_hi, dtype=float)

    @property
    def n_edges(self) -> int:
        return int(self.adjacency.nnz // 2)

    @classmethod
    def from_rows(cls, A: sp.sparray | sp.spmatrix, row_hi: np.ndarray, rows: np.ndarray | None = None,
                  max_pairs: int = 20_000_000) -> "ConflictGraph":
        """Conflicts implied by ``A x <= row_hi`` over the given rows (default: every packing row).

        Rows where any two nonzeros exceed the bound (a unit-supply good, an XOR group) are
        cliques and go in bulk; other rows (multi-unit goods) are checked pair by pair. Raises
        ``ValueError`` when the conflict pairs would exceed ``max_pairs`` (memory guard).
        """
        A = sp.csr_array(A, dtype=float)
        row_hi = np.asarray(row_hi, dtype=float)
        rows = packing_rows(A, row_hi) if rows is None else np.asarray(rows, dtype=np.int64)
        n = A.shape[1]
        sub = A[rows]
        counts = np.diff(sub.indptr)
        pairs = int(np.sum(counts.astype(np.int64) ** 2))
        if pairs > max_pairs:
            raise ValueError(f"the conflict graph would hold up to {pairs} pairs (limit {max_pairs})")
        # Two smallest coefficients of each row decide whether the row is a clique.
        row_of = np.repeat(np.arange(rows.size), counts)
        ascending = np.append(sub.data[np.lexsort((sub.data, row_of))], np.inf)  # per row, in order
        first = np.minimum(sub.indptr[:-1], ascending.size - 2)
        pair = counts >= 2
        lo1 = np.where(pair, ascending[first], np.inf)
        lo2 = np.where(pair, ascending[first + 1], np.inf)
        hi = row_hi[rows]
        clique_rows = (counts >= 2) & (lo1 + lo2 > hi + 1e-9)
        pattern = sub[clique_rows].astype(bool).astype(np.int32)
        adj = sp.csr_array((pattern.T @ pattern) > 0)
        extra_r: list[np.ndarray] = []
        extra_c: list[np.ndarray] = []
        for r in np.flatnonzero(~clique_rows & (counts >= 2)):
            s, e = sub.indptr[r], sub.indptr[r + 1]
            cols, vals = sub.indices[s:e], sub.data[s:e]
            u, v = np.nonzero(vals[:, None] + vals[None, :] > hi[r] + 1e-9)
            extra_r.append(cols[u])
            extra_c.append(cols[v])
        if extra_r:
            more = sp.csr_array((np.ones(sum(a.size for a in extra_r), dtype=bool),
                                 (np.concatenate(extra_r), np.concatenate(extra_c))), shape=(n, n))
            adj = sp.csr_array(adj + more)
        adj = sp.lil_array(adj)
        adj.setdiag(False)
        return cls(sp.csr_array(adj), sub, hi)

    # ---------------------------------------------------------------- separation
    def separate(self, x: np.ndarray, *, tol: float = 1e-6, max_cuts: int = 50,
                 odd_cycles: bool = True) -> list[PackingCut]:
        """Cuts violated by more than ``tol`` at the LP point ``x``: cliques first, odd cycles if none."""
        x = np.asarray(x, dtype=float)
        cuts = self.separate_cliques(x, tol=tol, max_cuts=max_cuts)
        if not cuts and odd_cycles:
            cuts = self.separate_odd_cycles(x, tol=tol, max_cuts=max_cuts)
        return cuts

    def separate_cliques(self, x: np.ndarray, *, tol: float = 1e-6, max_cuts: int = 50) -> list[PackingCut]:
        """Greedy clique separation: grow from every fractional column, most fractional first."""
        support = np.flatnonzero(x > tol)
        fractional = support[x[support] < 1 - tol]
        if fractional.size == 0:
            return []
        adj = self.adjacency
        dense = adj[support][:, support].toarray()  # conflicts inside the support
        pos = {int(v): k for k, v in enumerate(support)}
        seen: set[tuple[int, ...]] = set()
        cuts: list[PackingCut] = []
        for seed in fractional[np.argsort(-x[fractional], kind="stable")]:
            k = pos[int(seed)]
            members = [k]
            cand = dense[k].copy()
            while cand.any():
                idx = np.flatnonzero(cand)
                best = idx[np.argmax(x[support[idx]])]
                members.append(int(best))
                cand &= dense[best]
            clique = support[members]
            if float(x[clique].sum()) <= 1 + tol:
                continue
            clique = self._extend(clique)
            key = tuple(sorted(clique.tolist()))
            if key not in seen:
                seen.add(key)
                cuts.append(PackingCut(np.array(key, dtype=np.int64), 1.0, "clique"))
                if len(cuts) >= max_cuts:
                    break
        return cuts

    def _extend(self, clique: np.ndarray) -> np.ndarray:
        """Make a clique maximal with columns outside it (lowest index first: deterministic)."""
        adj = self.adjacency
        cand = set(adj.indices[adj.indptr[clique[0]]:adj.indptr[clique[0] + 1]].tolist())
        for v in clique[1:]:
            cand &= set(adj.indices[adj.indptr[v]:adj.indptr[v + 1]].tolist())
        out = clique.tolist()
        for v in sorted(cand):
            row = set(adj.indices[adj.indptr[v]:adj.indptr[v + 1]].tolist())
            if all(u in row for u in out):
                out.append(v)
        return np.array(out, dtype=np.int64)

    def separate_odd_cycles(self, x: np.ndarray, *, tol: float = 1e-6, max_cuts: int = 50) -> list[PackingCut]:
        """Exact odd-cycle separation over the fractional support (shortest odd closed walks)."""
        support = np.flatnonzero((x > tol) & (x < 1 - tol))
        k = support.size
        if k < 3:
            return []
        sub = sp.triu(self.adjacency[support][:, support], k=1).tocoo()
        if sub.nnz == 0:
            return []
        xs = x[support]
        w = np.maximum(1.0 - xs[sub.row] - xs[sub.col], 0.0) + 1e-12  # 0 would read as "no edge"
        # Double cover: copy 0 and copy 1 of each node; every edge switches copies, so a path from
        # (v, 0) to (v, 1) is a closed walk through v with an odd number of edges.
        r = np.concatenate([sub.row, sub.row + k, sub.col, sub.col + k])
        c = np.concatenate([sub.col + k, sub.col, sub.row + k, sub.row])
        graph = sp.csr_array((np.tile(w, 4), (r, c)), shape=(2 * k, 2 * k))
        dist, pred = dijkstra(graph, indices=np.arange(k), return_predecessors=True)
        seen: set[tuple[int, ...]] = set()
        cuts: list[PackingCut] = []
        for a in np.argsort(dist[np.arange(k), np.arange(k) + k], kind="stable"):
            if dist[a, a + k] >= 1.0 - tol:
                break
            walk = [a + k]
            while walk[-1] != a:
                walk.append(int(pred[a, walk[-1]]))
            cycle = self._odd_cycle([v % k for v in walk[:-1]])
            if cycle is None:
                continue
            cols = support[cycle]
            key = tuple(sorted(cols.tolist()))
            if key in seen:
                continue
            seen.add(key)
            cut = PackingCut(np.array(key, dtype=np.int64), float((len(cols) - 1) // 2), "odd cycle")
            if cut.violation(x) <= tol:
                continue
            cuts.append(self._zero_half(cols.tolist()) or cut)
            if len(cuts) >= max_cuts:
                break
        return cuts

    def _zero_half(self, cycle: list[int]) -> PackingCut | None:
        """Lift an odd cycle ``b_0 .. b_{m-1}`` to a {0, 1/2}-Chvatal-Gomory cut, or None.

        Pick for each cycle edge ``(b_t, b_t+1)`` a row ``r_t`` where the two conflict; if the
        ``m`` rows are distinct, half of their sum, rounded down coefficient-wise and on the
        right-hand side, is valid for binary ``x``:
        ``sum_b floor(A[U, b].sum() / 2) x_b <= floor(b[U].sum() / 2)``. Each cycle column
        meets two rows of ``U``, so this dominates the odd-cycle inequality when every row
        of ``U`` has ``b_r = 1`` (for 2-good bids, a blossom inequality of the matching polytope).
        """
        if self._rows is None or self._by_col is None or self._row_hi is None:
            return None
        rows_of = self._by_col
        chosen: list[int] = []
        m = len(cycle)
        for t in range(m):
            u, v = cycle[t], cycle[(t + 1) % m]
            ru = rows_of.indices[rows_of.indptr[u]:rows_of.indptr[u + 1]]
            au = rows_of.data[rows_of.indptr[u]:rows_of.indptr[u + 1]]
            rv = rows_of.indices[rows_of.indptr[v]:rows_of.indptr[v + 1]]
            av = rows_of.data[rows_of.indptr[v]:rows_of.indptr[v + 1]]
            common, iu, iv = np.intersect1d(ru, rv, return_indices=True)
            ok = common[au[iu] + av[iv] > self._row_hi[common] + 1e-9]
            ok = ok[~np.isin(ok, chosen)]
            if ok.size == 0:
                return None
            chosen.append(int(ok[0]))
        U = np.array(chosen)
        rhs = float(np.floor(self._row_hi[U].sum() / 2 + 1e-9))
        if rhs != (m - 1) // 2:  # rows with b_r > 1: the lift is not the stronger cut
            return None
        coef = np.floor(np.asarray(self._rows[U].sum(axis=0)).ravel() / 2 + 1e-9)
        cols = np.flatnonzero(coef > 0)
        return PackingCut(cols.astype(np.int64), rhs, "zero-half", coef[cols])

    @staticmethod
    def _odd_cycle(walk: list[int]) -> list[int] | None:
        """A simple odd cycle inside a closed odd walk (nodes in order), or None.

        A closed odd walk that repeats a node splits there into two closed walks, one of
        them odd; repeat on that one until no node repeats.
        """
        while True:
            first: dict[int, int] = {}
            split = None
            for pos, v in enumerate(walk):
                if v in first:
                    split = (first[v], pos)
                    break
                first[v] = pos
            if split is None:
                return walk if len(walk) % 2 == 1 and len(walk) >= 3 else None
            i, j = split
            inner = walk[i:j]                  # closed walk v ... (back to v)
            outer = walk[:i] + walk[j:]
            walk = inner if len(inner) % 2 == 1 else outer

