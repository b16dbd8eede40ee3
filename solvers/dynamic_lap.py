"""Linear assignment kept optimal while its rows and columns change: a dynamic Hungarian method.

The state is a square cost matrix ``W`` (agents and tasks, padded with dummy rows or
columns of cost 0 so that a rectangular problem becomes square without changing its
optimum), a perfect matching and dual potentials ``u``, ``v`` with

    W[i, j] - u[i] - v[j] >= 0   for every pair,      = 0 on every matched pair,

which proves the matching optimal (LP duality). A change to row ``i`` (new costs, an
agent gone or back) restores dual feasibility with ``u[i] = min_j (W[i, j] - v[j])``; if
the matched pair of row ``i`` is no longer tight, row ``i`` and its column are set free.
Columns alike. Each free row is then matched again by one shortest augmenting path
(Dijkstra on the reduced costs), which keeps the potentials feasible. So a change that
frees ``k`` rows costs ``k`` augmentations, ``O(k n^2)`` at worst, and the rest of the
matching and of the duals is reused; a fresh solve costs ``O(n^3)``.

The first solve is ``scipy.optimize.linear_sum_assignment``; its duals are recovered from
the optimal matching by Bellman-Ford on the column graph (vectorized, one pass over the
rows whose potential moved).

>>> import numpy as np
>>> from scipy.optimize import linear_sum_assignment
>>> rng = np.random.default_rng(0)
>>> cost = rng.integers(0, 100, (6, 6)).astype(float)
>>> lap = DynamicAssignment(cost)
>>> new = rng.integers(0, 100, 6).astype(float)
>>> lap.set_entries(np.full(6, 2), lap.cols(), new)   # row 2 gets new costs
>>> lap.solve()
'optimal'
>>> cost[2] = new
>>> r, c = linear_sum_assignment(cost)
>>> bool(np.isclose(lap.objective(), cost[r, c].sum()))
True

Notes
-----
Handles are slots of growable buffers: removing a row frees its slot, adding one reuses a
free slot or grows the buffers by half. Forbidden pairs are ``+inf`` costs; when no
perfect matching exists :meth:`solve` says ``infeasible`` and the free rows wait for the
next change.

References
----------
G. A. Mills-Tettey, A. Stentz and M. B. Dias, "The dynamic Hungarian algorithm for the
assignment problem with changing costs", CMU-RI-TR-07-27 (2007). R. Jonker and A. Volgenant,
"A shortest augmenting path algorithm for dense and sparse linear assignment problems",
Computing 38 (1987). D. F. Crouse, "On implementing 2D rectangular assignment algorithms",
IEEE Trans. Aerospace and Electronic Systems 52 (2016).
"""
from __future__ import annotations

import time
from typing import Literal

import numpy as np

__all__ = ["DynamicAssignment", "recover_duals"]

INACTIVE, REAL, DUMMY = 0, 1, 2
INF = np.inf


def recover_duals(W: np.ndarray, col_of_row: np.ndarray, tol: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Optimal duals ``(u, v)`` of a square assignment from an optimal perfect matching.

    Tightness on the matching gives ``u[i] = W[i, s(i)] - v[s(i)]``; dual feasibility then
    reads ``v[j] <= v[s(i)] + W[i, j] - W[i, s(i)]``, shortest-path conditions on the
    columns, solved by Bellman-Ford from ``v = 0`` (no negative cycle exists because the
    matching is optimal). Improvements below ``tol`` are ignored.

    >>> W = np.array([[4.0, 1.0], [2.0, 3.0]])
    >>> u, v = recover_duals(W, np.array([1, 0]))
    >>> bool((W - u[:, None] - v[None, :] >= 0).all()), float(u.sum() + v.sum())
    (True, 3.0)
    """
    n = W.shape[0]
    s = np.asarray(col_of_row)
    diag = W[np.arange(n), s]
    v = np.zeros(n)
    rows = np.arange(n)
    while rows.size:
        cand = (W[rows] + (v[s[rows]] - diag[rows])[:, None]).min(axis=0)
        better = cand < v - tol
        v = np.where(better, cand, v)
        rows = np.flatnonzero(better[s])
    return diag - v[s], v


class DynamicAssignment:
    """A min-cost (or max-profit) assignment that stays optimal under row and column changes.

    Parameters
    ----------
    cost : array (n_rows, n_cols)
        Initial costs (profits with ``maximize=True``); finite.
    allowed : bool array (n_rows, n_cols), optional
        ``False`` forbids a pair.
    maximize : bool

    Rows and columns are addressed by handles: ``rows()`` and ``cols()`` list the real
    ones (initially ``0..n_rows-1`` and ``0..n_cols-1``). The smaller side is matched
    completely, as in ``scipy.optimize.linear_sum_assignment``.
    """

    def __init__(self, cost: np.ndarray, *, allowed: np.ndarray | None = None, maximize: bool = False) -> None:
        cost = np.asarray(cost, dtype=float)
        m, n = cost.shape
        self._sign = -1.0 if maximize else 1.0
        size = max(m, n)
        cap = size + max(8, size // 8)
        self._W = np.zeros((cap, cap))
        w0 = self._sign * cost
        if allowed is not None:
            w0 = np.where(np.asarray(allowed, dtype=bool), w0, INF)
        self._W[:m, :n] = w0
        self._row_kind = np.zeros(cap, np.int8)
        self._col_kind = np.zeros(cap, np.int8)
        self._row_kind[:m], self._row_kind[m:size] = REAL, DUMMY
        self._col_kind[:n], self._col_kind[n:size] = REAL, DUMMY
        self._u = np.full(cap, -INF)
        self._v = np.full(cap, -INF)
        self._col4row = np.full(cap, -1, np.int64)
        self._row4col = np.full(cap, -1, np.int64)
        finite = np.abs(cost[np.isfinite(w0)]) if cost.size else np.zeros(0)
        self._scale = float(max(1.0, finite.max(initial=0.0)))
        self.augmentations = 0
        self.scanned = 0
        self._start(size)

    # ----------------------------------------------------------------- setup
    @property
    def _tol(self) -> float:
        return 1e-9 * self._scale

    def _start(self, size: int) -> None:
        from scipy.optimize import linear_sum_assignment

        W = self._W[:size, :size]
        try:
            rows, cols = linear_sum_assignment(W)
        except ValueError:  # no perfect matching over the allowed pairs: start empty
            self._u[:size] = np.where(np.isfinite(W.min(axis=1)), W.min(axis=1), 0.0)
            self._v[:size] = 0.0
            return
        self._col4row[rows] = cols
        self._row4col[cols] = rows
        u, v = recover_duals(W, cols, tol=self._tol * 1e-3)
        self._u[:size], self._v[:size] = u, v

    def _grow(self) -> None:
        cap = self._W.shape[0]
        new = cap + max(8, cap // 2)
        W = np.zeros((new, new))
        W[:cap, :cap] = self._W
        self._W = W
        pad = new - cap
        self._row_kind = np.concatenate([self._row_kind, np.zeros(pad, np.int8)])
        self._col_kind = np.concatenate([self._col_kind, np.zeros(pad, np.int8)])
        self._u = np.concatenate([self._u, np.full(pad, -INF)])
        self._v = np.concatenate([self._v, np.full(pad, -INF)])
        self._col4row = np.concatenate([self._col4row, np.full(pad, -1, np.int64)])
        self._row4col = np.concatenate([self._row4col, np.full(pad, -1, np.int64)])

    def _alloc(self, kinds_attr: str) -> int:
        free = np.flatnonzero(getattr(self, kinds_attr) == INACTIVE)
        if not free.size:
            self._grow()
            free = np.flatnonzero(getattr(self, kinds_attr) == INACTIVE)
        return int(free[0])

    # ----------------------------------------------------------------- views
    def rows(self) -> np.ndarray:
        """Handles of the real rows, in slot order."""
        return np.flatnonzero(self._row_kind == REAL)

    def cols(self) -> np.ndarray:
        """Handles of the real columns, in slot order."""
        return np.flatnonzero(self._col_kind == REAL)

    @property
    def n_free(self) -> int:
        """Rows waiting for an augmenting path (0 after a successful :meth:`solve`)."""
        return int(np.count_nonzero((self._row_kind > 0) & (self._col4row < 0)))

    def col_of(self, rows: np.ndarray) -> np.ndarray:
        """Real column matched to each row handle; -1 for none (a dummy column or still free)."""
        c = self._col4row[np.asarray(rows, dtype=np.int64)]
        ok = c >= 0
        out = np.full(c.shape, -1, np.int64)
        out[ok] = np.where(self._col_kind[c[ok]] == REAL, c[ok], -1)
        return out

    def objective(self) -> float:
        """Total cost (profit) of the real pairs of the current matching."""
        r = self.rows()
        c = self.col_of(r)
        ok = c >= 0
        return float(self._sign * self._W[r[ok], c[ok]].sum())

    def certificate_violation(self) -> float:
        """Largest violation of the optimality certificate (dual feasibility, tightness); 0 if optimal.

        An ``O(n^2)`` check meant for tests; ``inf`` while rows are free.
        """
        if self.n_free:
            return INF
        act_r = np.flatnonzero(self._row_kind > 0)
        act_c = np.flatnonzero(self._col_kind > 0)
        red = self._W[np.ix_(act_r, act_c)] - self._u[act_r, None] - self._v[None, act_c]
        c = self._col4row[act_r]
        tight = np.abs(self._W[act_r, c] - self._u[act_r] - self._v[c])
        return float(max(0.0, -red.min(initial=0.0), tight.max(initial=0.0)))

    # --------------------------------------------------------------- repairs
    def _unmatch_row(self, r: int) -> None:
        j = self._col4row[r]
        if j >= 0:
            self._row4col[j] = -1
            self._col4row[r] = -1

    def _fix_row(self, r: int) -> None:
        """Restore dual feasibility of row ``r``; free it if its pair is no longer tight."""
        m = float((self._W[r] - self._v).min())
        self._u[r] = m if np.isfinite(m) else 0.0
        j = self._col4row[r]
        if j >= 0 and self._W[r, j] - self._u[r] - self._v[j] > self._tol:
            self._unmatch_row(r)

    def _fix_col(self, c: int) -> None:
        m = float((self._W[:, c] - self._u).min())
        self._v[c] = m if np.isfinite(m) else 0.0
        i = self._row4col[c]
        if i >= 0 and self._W[i, c] - self._u[i] - self._v[c] > self._tol:
            self._unmatch_row(int(i))

    def _drop_pair(self, r: int, c: int) -> None:
        """Deactivate row ``r`` and column ``c``; their partners (if others) become free."""
        j, k = self._col4row[r], self._row4col[c]
        if j >= 0 and j != c:
            self._row4col[j] = -1
        if k >= 0 and k != r:
            self._col4row[k] = -1
        self._row_kind[r] = self._col_kind[c] = INACTIVE
        self._col4row[r] = self._row4col[c] = -1
        self._u[r] = self._v[c] = -INF

    def _values(self, values: np.ndarray, allowed: np.ndarray | None) -> np.ndarray:
        w = self._sign * np.asarray(values, dtype=float)
        if w.size:
            self._scale = max(self._scale, float(np.abs(w).max()))
        if allowed is not None:
            w = np.where(np.asarray(allowed, dtype=bool), w, INF)
        return w

    def _check_cover(self, given: np.ndarray, kinds: np.ndarray, what: str) -> None:
        real = np.flatnonzero(kinds == REAL)
        if given.size != real.size or not np.array_equal(np.sort(given), real):
            raise ValueError(f"`{what}` must list every real {what[:-1]} handle once")

    # ------------------------------------------------------------ public edits
    def add_row(self, cols: np.ndarray, values: np.ndarray, allowed: np.ndarray | None = None) -> int:
        """Add a row with ``values`` on the real columns ``cols`` (all of them); returns its handle."""
        cols = np.asarray(cols, dtype=np.int64)
        self._check_cover(cols, self._col_kind, "cols")
        w = self._values(values, allowed)
        dummies = np.flatnonzero(self._row_kind == DUMMY)
        if dummies.size:
            r = int(dummies[0])
        else:  # the new row needs a new (dummy) column to stay square
            r = self._alloc("_row_kind")
            e = self._alloc("_col_kind")
            self._W[:, e] = 0.0
            self._v[e] = float((-self._u[self._row_kind > 0]).min(initial=INF))
            self._v[e] = self._v[e] if np.isfinite(self._v[e]) else 0.0
            self._col_kind[e] = DUMMY
        self._row_kind[r] = REAL
        self._W[r, :] = 0.0
        self._W[r, cols] = w
        self._fix_row(r)
        return r

    def add_col(self, rows: np.ndarray, values: np.ndarray, allowed: np.ndarray | None = None) -> int:
        """Add a column with ``values`` on the real rows ``rows`` (all of them); returns its handle."""
        rows = np.asarray(rows, dtype=np.int64)
        self._check_cover(rows, self._row_kind, "rows")
        w = self._values(values, allowed)
        dummies = np.flatnonzero(self._col_kind == DUMMY)
        if dummies.size:
            c = int(dummies[0])
        else:
            c = self._alloc("_col_kind")
            d = self._alloc("_row_kind")
            self._W[d, :] = 0.0
            self._u[d] = float((-self._v[self._col_kind > 0]).min(initial=INF))
            self._u[d] = self._u[d] if np.isfinite(self._u[d]) else 0.0
            self._row_kind[d] = DUMMY
        self._col_kind[c] = REAL
        self._W[:, c] = 0.0
        self._W[rows, c] = w
        self._fix_col(c)
        return c

    def remove_row(self, r: int) -> None:
        """Remove real row ``r``; its column (if any) is matched again by the next :meth:`solve`."""
        if self._row_kind[r] != REAL:
            raise ValueError(f"row handle {r} is not a real row")
        n_rows, n_cols = self.rows().size, self.cols().size
        if n_rows > n_cols:  # dummy columns exist: shrink by the row and one dummy column
            j = self._col4row[r]
            e = j if j >= 0 and self._col_kind[j] == DUMMY else int(np.flatnonzero(self._col_kind == DUMMY)[0])
            self._drop_pair(r, int(e))
        else:  # the row becomes a dummy row (cost 0 everywhere)
            self._row_kind[r] = DUMMY
            self._W[r, :] = 0.0
            self._fix_row(r)

    def remove_col(self, c: int) -> None:
        """Remove real column ``c``; its row (if any) is matched again by the next :meth:`solve`."""
        if self._col_kind[c] != REAL:
            raise ValueError(f"column handle {c} is not a real column")
        n_rows, n_cols = self.rows().size, self.cols().size
        if n_cols > n_rows:
            i = self._row4col[c]
            d = i if i >= 0 and self._row_kind[i] == DUMMY else int(np.flatnonzero(self._row_kind == DUMMY)[0])
            self._drop_pair(int(d), c)
        else:
            self._col_kind[c] = DUMMY
            self._W[:, c] = 0.0
            self._fix_col(c)

    def set_entries(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray,
                    allowed: np.ndarray | None = None) -> None:
        """New costs ``values`` for the pairs ``(rows[k], cols[k])`` of real handles."""
        rows = np.asarray(rows, dtype=np.int64).ravel()
        cols = np.asarray(cols, dtype=np.int64).ravel()
        if np.any(self._row_kind[rows] != REAL) or np.any(self._col_kind[cols] != REAL):
            raise ValueError("`rows` and `cols` must be handles of real rows and columns")
        self._W[rows, cols] = self._values(values, allowed)
        ur, uc = np.unique(rows), np.unique(cols)
        if ur.size <= uc.size:
            for r in ur.tolist():
                self._fix_row(r)
        else:
            for c in uc.tolist():
                self._fix_col(c)

    # ----------------------------------------------------------------- solve
    def _augment(self, i0: int) -> bool:
        """Match free row ``i0`` by a shortest augmenting path; False if no free column is reachable."""
        W, u, v = self._W, self._u, self._v
        row4col, col4row = self._row4col, self._col4row
        cap = W.shape[0]
        vw = v.copy()  # inactive and settled columns carry -inf: their reduced cost is +inf
        dd = np.full(cap, INF)
        red = np.empty(cap)
        better = np.empty(cap, dtype=bool)
        pred = np.full(cap, -1, np.int64)
        scanned: list[int] = []
        labels: list[float] = []
        i, di = i0, 0.0
        while True:
            np.subtract(W[i], vw, out=red)
            np.add(red, di - u[i], out=red)
            np.less(red, dd, out=better)
            np.copyto(pred, i, where=better)
            np.minimum(dd, red, out=dd)
            j = int(dd.argmin())
            dj = float(dd[j])
            if dj == INF:
                return False
            scanned.append(j)
            labels.append(dj)
            vw[j] = -INF
            dd[j] = INF
            if row4col[j] < 0:
                break
            i, di = int(row4col[j]), dj
        self.augmentations += 1
        self.scanned += len(scanned)
        sc = np.asarray(scanned, dtype=np.int64)
        shift = np.asarray(labels) - dj
        v[sc] += shift
        u[row4col[sc[:-1]]] -= shift[:-1]
        u[i0] += dj
        while True:  # flip the path
            i = int(pred[j])
            row4col[j] = i
            j_next = col4row[i]
            col4row[i] = j
            if i == i0:
                break
            j = int(j_next)
        return True

    def solve(self, deadline: float | None = None) -> Literal["optimal", "infeasible", "time_limit"]:
        """Match every free row again; ``deadline`` is a ``time.perf_counter()`` value.

        ``optimal``: the matching is perfect and optimal; ``infeasible``: some free row
        reaches no free column over the allowed pairs; ``time_limit``: stopped early (the
        rows still free are repaired by the next call).
        """
        free = np.flatnonzero((self._row_kind > 0) & (self._col4row < 0))
        stuck = False
        for r in free.tolist():
            if deadline is not None and time.perf_counter() > deadline:
                return "time_limit"
            stuck |= not self._augment(r)
        return "infeasible" if stuck else "optimal"
