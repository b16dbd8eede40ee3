"""The canonical sparse mixed-integer program every generic backend solves.

A :class:`Program` is

    minimize / maximize   c0 + c @ x + 1/2 x' Q x
    subject to            row_lo <= A @ x <= row_hi
                          col_lo <=  x    <= col_hi
                          x[j] integer where integrality[j]

with ``A`` a CSR matrix and named :class:`VariableBlock` s that map slices of ``x`` back to
the model's arrays. Models build one with :class:`ProgramBuilder`, whole blocks of
variables and whole groups of rows at a time, never one variable at a time.

>>> import numpy as np
>>> b = ProgramBuilder("max")
>>> x = b.add_block("x", (2,), integer=True, lo=0, hi=3, cost=[1.0, 2.0])
>>> _ = b.add_rows(x[None, :], [[1.0, 1.0]], hi=4)
>>> p = b.build()
>>> p.problem_class, p.n_cols, p.n_rows
('MILP', 2, 1)
>>> p.objective_value(np.array([1.0, 3.0])), p.is_feasible(np.array([1.0, 3.0]))
(7.0, True)
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.sparse as sp

from ._validate import Sense, as_sense
from .errors import InstanceError

__all__ = ["Program", "ProgramBuilder", "VariableBlock", "ProblemClass"]

ProblemClass = Literal["LP", "MILP", "QP", "MIQP"]

INF = np.inf


@dataclass(frozen=True)
class VariableBlock:
    """A named slice ``x[offset : offset + size]`` viewed with ``shape``."""

    name: str
    offset: int
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def slice(self) -> slice:
        return slice(self.offset, self.offset + self.size)

    def take(self, x: np.ndarray) -> np.ndarray:
        """This block of a full solution vector, reshaped to the block's shape."""
        return np.asarray(x)[self.slice].reshape(self.shape)

    def indices(self) -> np.ndarray:
        """Column index of every entry of the block, in the block's shape."""
        return np.arange(self.offset, self.offset + self.size).reshape(self.shape)


@dataclass(frozen=True, eq=False)
class Program:
    """A sparse LP/MILP/QP/MIQP in one canonical form (see the module docstring)."""

    c: np.ndarray
    A: sp.csr_array
    row_lo: np.ndarray
    row_hi: np.ndarray
    col_lo: np.ndarray
    col_hi: np.ndarray
    integrality: np.ndarray
    sense: Sense = "min"
    c0: float = 0.0
    Q: sp.csr_array | None = None
    blocks: tuple[VariableBlock, ...] = ()
    row_groups: tuple[tuple[str, int, int], ...] = ()
    name: str = "program"

    def __post_init__(self) -> None:
        n, m = self.c.shape[0], self.A.shape[0]
        checks = {
            "c": (self.c, (n,)),
            "row_lo": (self.row_lo, (m,)),
            "row_hi": (self.row_hi, (m,)),
            "col_lo": (self.col_lo, (n,)),
            "col_hi": (self.col_hi, (n,)),
            "integrality": (self.integrality, (n,)),
        }
        for name, (arr, shape) in checks.items():
            if arr.shape != shape:
                raise InstanceError(f"must have shape {shape}; got {arr.shape}", field=name)
        if self.A.shape[1] != n:
            raise InstanceError(f"must have {n} columns; got {self.A.shape[1]}", field="A")
        if self.Q is not None and self.Q.shape != (n, n):
            raise InstanceError(f"must have shape {(n, n)}; got {self.Q.shape}", field="Q")
        for name in ("c", "row_lo", "row_hi", "col_lo", "col_hi"):
            arr = getattr(self, name)
            if arr.size and np.isnan(arr.min()):  # min propagates NaN: one pass, no temporary
                raise InstanceError("must not contain NaN", field=name)
        if self.A.data.size and not np.isfinite(self.A.data.sum()) and not np.isfinite(self.A.data).all():
            raise InstanceError("must have finite entries", field="A")
        object.__setattr__(self, "sense", as_sense(self.sense))

    # ------------------------------------------------------------------ shape
    @property
    def n_cols(self) -> int:
        return int(self.c.shape[0])

    @property
    def n_rows(self) -> int:
        return int(self.A.shape[0])

    @property
    def is_mip(self) -> bool:
        return bool(self.integrality.any())

    @property
    def problem_class(self) -> ProblemClass:
        quad = self.Q is not None and self.Q.nnz > 0
        if quad:
            return "MIQP" if self.is_mip else "QP"
        return "MILP" if self.is_mip else "LP"

    @property
    def has_integral_objective(self) -> bool:
        """True when every feasible point has an integer objective value.

        Then a MIP bound within less than 1 of the incumbent proves optimality, which
        lets backends prove exact optima instead of stopping at a relative gap.
        """
        if self.Q is not None and self.Q.nnz > 0:
            return False
        if float(self.c0) != round(float(self.c0)):
            return False
        cont = ~self.integrality
        if np.any(self.c[cont] != 0):
            return False
        ci = self.c[self.integrality]
        return bool(np.all(ci == np.round(ci)))

    def block(self, name: str) -> VariableBlock:
        for blk in self.blocks:
            if blk.name == name:
                return blk
        raise KeyError(f"program {self.name!r} has no variable block {name!r}; "
                       f"it has {[b.name for b in self.blocks]}")

    def with_changes(self, **fields: object) -> "Program":
        """A copy with some fields replaced (the program itself stays unchanged)."""
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        data.update(fields)
        return Program(**data)  # type: ignore[arg-type]

    # ----------------------------------------------------------- evaluation
    def objective_value(self, x: np.ndarray) -> float:
        """``c0 + c @ x + 1/2 x' Q x`` at ``x``."""
        x = np.asarray(x, dtype=float)
        val = float(self.c0 + self.c @ x)
        if self.Q is not None:
            val += 0.5 * float(x @ (self.Q @ x))
        return val

    def violation(self, x: np.ndarray) -> float:
        """Largest violation of a row, a bound or integrality at ``x`` (0 if feasible)."""
        x = np.asarray(x, dtype=float)
        if x.shape != (self.n_cols,):
            raise ValueError(f"`x` must have shape ({self.n_cols},); got {x.shape}")
        ax = self.A @ x
        parts = [
            np.maximum(self.row_lo - ax, 0.0),
            np.maximum(ax - self.row_hi, 0.0),
            np.maximum(self.col_lo - x, 0.0),
            np.maximum(x - self.col_hi, 0.0),
            np.abs(x - np.round(x)) * self.integrality,
        ]
        return float(max((p.max() if p.size else 0.0) for p in parts))

    def is_feasible(self, x: np.ndarray, tol: float = 1e-6) -> bool:
        return self.violation(x) <= tol


def _flat(value: object, shape: tuple[int, ...], dtype: type, copy: bool = False) -> np.ndarray:
    """``value`` broadcast to ``shape`` and flattened (a fill for scalars, a view when possible)."""
    arr = np.asarray(value, dtype=dtype)
    if arr.ndim == 0:
        return np.full(int(np.prod(shape, dtype=np.int64)), arr, dtype=dtype)
    out = np.broadcast_to(arr, shape).ravel()
    return out.copy() if copy and np.shares_memory(out, arr) else out


@dataclass
class ProgramBuilder:
    """Collects variable blocks and row groups as arrays, then builds a :class:`Program`.

    Rows are added in COO form, a whole group per call, so that a model's compile step is
    a handful of numpy operations whatever its size.
    """

    sense: Sense = "min"
    name: str = "program"
    _lo: list[np.ndarray] = field(default_factory=list)
    _hi: list[np.ndarray] = field(default_factory=list)
    _cost: list[np.ndarray] = field(default_factory=list)
    _int: list[np.ndarray] = field(default_factory=list)
    _blocks: list[VariableBlock] = field(default_factory=list)
    # Per row group: global row numbers (COO), or None when the group is in CSR order
    # (rows non-decreasing, columns strictly increasing within a row); then ``_counts``
    # holds its entries per row and build() needs no sort and no duplicate sum.
    _rows: list[np.ndarray | None] = field(default_factory=list)
    _counts: list[np.ndarray | None] = field(default_factory=list)
    _cols: list[np.ndarray] = field(default_factory=list)
    _vals: list[np.ndarray] = field(default_factory=list)
    _row_lo: list[np.ndarray] = field(default_factory=list)
    _row_hi: list[np.ndarray] = field(default_factory=list)
    _groups: list[tuple[str, int, int]] = field(default_factory=list)
    _q: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    c0: float = 0.0
    n_cols: int = 0
    n_rows: int = 0

    def add_block(
        self,
        name: str,
        shape: Sequence[int] | int,
        *,
        lo: float | np.ndarray = 0.0,
        hi: float | np.ndarray = INF,
        integer: bool | np.ndarray = False,
        cost: float | np.ndarray = 0.0,
    ) -> np.ndarray:
        """Add a block of variables; returns their column indices in ``shape``."""
        shape = (int(shape),) if np.isscalar(shape) else tuple(int(s) for s in shape)
        size = int(np.prod(shape, dtype=np.int64))
        blk = VariableBlock(name, self.n_cols, shape)
        if any(b.name == name for b in self._blocks):
            raise ValueError(f"block {name!r} added twice")
        self._blocks.append(blk)
        self._lo.append(_flat(lo, shape, float))
        self._hi.append(_flat(hi, shape, float))
        self._cost.append(_flat(cost, shape, float))
        self._int.append(_flat(integer, shape, bool))
        self.n_cols += size
        return blk.indices()

    def add_rows(
        self,
        cols: np.ndarray,
        coef: float | np.ndarray = 1.0,
        *,
        lo: float | np.ndarray = -INF,
        hi: float | np.ndarray = INF,
        name: str = "",
        mask: np.ndarray | None = None,
    ) -> np.ndarray:
        """Add ``k`` rows ``lo[r] <= sum_t coef[r, t] * x[cols[r, t]] <= hi[r]``.

        ``cols`` has shape ``(k, t)``; ``coef`` broadcasts to it; ``mask`` (same shape)
        drops entries. Returns the new rows' indices.
        """
        cols = np.asarray(cols, dtype=np.int64)
        if cols.ndim != 2:
            raise ValueError("`cols` must have shape (n_rows, terms)")
        k, t = cols.shape
        coef_in = np.asarray(coef, dtype=float)
        coef = np.broadcast_to(coef_in, cols.shape)
        if mask is None:
            keep = None if (coef_in != 0).all() else coef != 0
        else:
            keep = np.asarray(mask, dtype=bool) & (coef != 0)
        # Columns strictly increasing along each row (within range): already in CSR order.
        ordered = cols.size == 0 or (
            (t < 2 or bool(np.all(cols[:, 1:] > cols[:, :-1])))
            and int(cols[:, 0].min()) >= 0 and int(cols[:, -1].max()) < self.n_cols)
        if keep is None or keep.all():
            flat_cols, flat_vals = np.ascontiguousarray(cols).ravel(), np.ascontiguousarray(coef).ravel()
            if ordered:
                return self._append_rows(None, np.full(k, t, dtype=np.int64), flat_cols, flat_vals, k, lo, hi, name)
            row = np.repeat(np.arange(k, dtype=np.int64), t)
            return self._append_rows(row, None, flat_cols, flat_vals, k, lo, hi, name)
        if ordered:
            return self._append_rows(None, keep.sum(axis=1, dtype=np.int64), cols[keep], coef[keep], k, lo, hi, name)
        rows = np.broadcast_to(np.arange(k, dtype=np.int64)[:, None], cols.shape)
        return self._append_rows(rows[keep], None, cols[keep], coef[keep], k, lo, hi, name)

    def add_rows_coo(
        self,
        row: np.ndarray,
        col: np.ndarray,
        val: np.ndarray,
        n_rows: int,
        *,
        lo: float | np.ndarray = -INF,
        hi: float | np.ndarray = INF,
        name: str = "",
    ) -> np.ndarray:
        """Add ``n_rows`` rows given as COO triplets with row numbers ``0..n_rows-1``.

        Entries may come in any order; repeated ``(row, col)`` entries are summed.
        """
        row = np.asarray(row, dtype=np.int64).ravel()
        col = np.asarray(col, dtype=np.int64).ravel()
        val = np.asarray(val, dtype=float).ravel()
        n_rows = int(n_rows)
        ordered = row.size == 0 or (
            int(row[0]) >= 0 and int(row[-1]) < n_rows
            and int(col.min()) >= 0 and int(col.max()) < self.n_cols)
        if ordered and row.size > 1:
            dr = np.diff(row)
            ordered = bool(np.all((dr > 0) | ((dr == 0) & (np.diff(col) > 0))))
        if ordered and row.shape == col.shape == val.shape:
            return self._append_rows(None, np.bincount(row, minlength=n_rows), col, val, n_rows, lo, hi, name)
        return self._append_rows(row, None, col, val, n_rows, lo, hi, name)

    def _append_rows(self, row: np.ndarray | None, counts: np.ndarray | None, col: np.ndarray, val: np.ndarray,
                     n_rows: int, lo: float | np.ndarray, hi: float | np.ndarray, name: str) -> np.ndarray:
        start = self.n_rows
        self._rows.append(None if row is None else row + start)
        self._counts.append(counts)
        self._cols.append(col)
        self._vals.append(val)
        self._row_lo.append(_flat(lo, (n_rows,), float, copy=True))
        self._row_hi.append(_flat(hi, (n_rows,), float, copy=True))
        self.n_rows += n_rows
        if name:
            self._groups.append((name, start, n_rows))
        return np.arange(start, start + n_rows)

    def add_quadratic(self, row: np.ndarray, col: np.ndarray, val: np.ndarray) -> None:
        """Add entries to ``Q`` (objective ``1/2 x'Qx``; duplicates are summed).

        Give both ``(i, j)`` and ``(j, i)`` for an off-diagonal term: ``Q`` must end up symmetric.
        """
        self._q.append((np.asarray(row, np.int64).ravel(), np.asarray(col, np.int64).ravel(),
                        np.asarray(val, float).ravel()))

    def _matrix(self) -> sp.csr_array:
        """The rows as a canonical CSR matrix (sorted indices, duplicates summed)."""
        n, m = self.n_cols, self.n_rows
        vals = np.concatenate(self._vals) if self._vals else np.zeros(0)
        small = max(n, m, vals.size) < np.iinfo(np.int32).max
        if small and all(r is None for r in self._rows):
            # Every group already in CSR order: count the entries per row, no sort.
            indptr = np.zeros(m + 1, dtype=np.int32)
            if m:
                np.cumsum(np.concatenate(self._counts), out=indptr[1:])
            cols = np.concatenate(self._cols).astype(np.int32) if self._cols else np.zeros(0, np.int32)
            A = sp.csr_array((vals, cols, indptr), shape=(m, n), copy=False)
            A.has_canonical_format = True
            return A
        starts = np.cumsum([0] + [len(lo) for lo in self._row_lo[:-1]])
        rows = [r if r is not None else np.repeat(np.arange(s, s + cnt.size, dtype=np.int64), cnt)
                for r, cnt, s in zip(self._rows, self._counts, starts)]
        A = sp.csr_array(sp.coo_array(
            (vals, (np.concatenate(rows) if rows else np.zeros(0, np.int64),
                    np.concatenate(self._cols) if self._cols else np.zeros(0, np.int64))), shape=(m, n)))
        A.sum_duplicates()
        return A

    def build(self) -> Program:
        n = self.n_cols

        def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            if len(parts) == 1 and parts[0].base is None and parts[0].dtype == dtype:
                return parts[0]  # the builder's own array (a fill or a copy): no second copy
            return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)

        A = self._matrix()
        Q = None
        if self._q:
            r = np.concatenate([q[0] for q in self._q])
            cc = np.concatenate([q[1] for q in self._q])
            v = np.concatenate([q[2] for q in self._q])
            Q = sp.csr_array(sp.coo_array((v, (r, cc)), shape=(n, n)))
            Q.sum_duplicates()
        return Program(
            c=cat(self._cost, float),
            A=A,
            row_lo=cat(self._row_lo, float),
            row_hi=cat(self._row_hi, float),
            col_lo=cat(self._lo, float),
            col_hi=cat(self._hi, float),
            integrality=cat(self._int, bool),
            sense=self.sense,
            c0=float(self.c0),
            Q=Q,
            blocks=tuple(self._blocks),
            row_groups=tuple(self._groups),
            name=self.name,
        )
