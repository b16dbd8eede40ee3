"""Live solver objects behind the :class:`~allotment.solvers.incremental.Reallocator`.

An engine keeps its solver's state between events and turns each
:class:`~allotment.solvers.event_tables.Delta` into a small change of that state:

- :class:`HungarianEngine` (LinearAssignment): a
  :class:`~allotment.solvers.dynamic_lap.DynamicAssignment`; the duals are the warm start,
  only the rows and columns an event frees are matched again;
- :class:`HighsAssignmentEngine` (LinearAssignment as its LP, exact because the assignment
  matrix is totally unimodular; GeneralizedAssignment as MILP or LP relaxation): one
  ``highspy.Highs`` object edited in place (``changeColsCost``, ``changeColsBounds``,
  ``changeRowsBounds``, ``changeCoeff``, ``addRow``, ``addCols``); HiGHS keeps the simplex
  basis, and a MILP starts from the previous answer repaired to feasibility (``setSolution``);
- :class:`HighsShareEngine` (ShareAllocation ``max_throughput``): the same for the share LP;
- :class:`RebuildEngine` (any other method): compiles the current model each time; CP-SAT
  gets the previous answer as a hint (``clear_hints`` first, in :func:`run_cpsat`).

Removed agents and tasks are switched off in the live object (bounds 0, free rows) rather
than deleted, so column numbers stay put; when switched-off columns outnumber live ones
the engine is rebuilt. Each engine can also solve the current model cold (:meth:`Engine.cold`),
the reference its warm answers are compared with.

>>> from allotment.models import LinearAssignment
>>> from allotment.solvers.event_tables import tables_for
>>> eng = HungarianEngine(tables_for(LinearAssignment([[4, 1], [2, 3]])))
>>> out = eng.start(None)
>>> out.status.value, out.agent_of_task[:2].tolist()
('optimal', [1, 0])
"""
from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from allotment.models import Model

from .backend import SolveOptions
from .event_tables import AssignmentTables, Delta, ShareTables, Tables
from .result import Result, Status

__all__ = ["Outcome", "Engine", "HungarianEngine", "HighsAssignmentEngine", "HighsShareEngine", "RebuildEngine"]

NEW = -2  # a task that has no previous answer yet


@dataclass
class Outcome:
    """What an engine's solve gives back, in slot terms.

    ``agent_of_task[t]``: agent slot of task slot ``t`` (-1: unassigned) for an integral
    answer (or the majority agent of a relaxation); ``x``: the vector in the current
    model's Program layout (relaxations, shares); ``objective``/``bound``: in the engine's
    (penalized) terms; ``answer``: a typed answer when the engine made one.
    """

    status: Status
    agent_of_task: np.ndarray | None = None
    x: np.ndarray | None = None
    objective: float | None = None
    bound: float | None = None
    answer: Any = None
    message: str = ""
    integral: bool = True
    info: dict[str, Any] = field(default_factory=dict)


def _grow_to(arr: np.ndarray, size: int, fill: Any) -> np.ndarray:
    if arr.shape[0] >= size:
        return arr
    out = np.full((size,) + arr.shape[1:], fill, dtype=arr.dtype)
    out[: arr.shape[0]] = arr
    return out


class Engine(ABC):
    """A live solver object for one model's :class:`Tables` (see the module docstring)."""

    name = "engine"
    #: how the engine starts warm ("" for none)
    warm = ""

    def __init__(self, tables: Tables, opts: SolveOptions | None = None, *, relax: bool = False) -> None:
        self.tables = tables
        self.opts = opts or SolveOptions()
        self.relax = relax

    @abstractmethod
    def start(self, hint: np.ndarray | None) -> Outcome:
        """Build the live object from the tables and solve (cold)."""

    @abstractmethod
    def apply(self, delta: Delta) -> None:
        """Carry a committed delta over to the live object (the tables hold the new data)."""

    def retarget(self, agents: np.ndarray, tasks: np.ndarray) -> None:
        """The effective costs of these pairs changed (the migration bonus moved)."""

    @abstractmethod
    def resolve(self, hint: np.ndarray | None) -> Outcome:
        """Solve again from the live state."""

    @property
    def stale(self) -> bool:
        """True when a rebuild would pay off (many switched-off columns)."""
        return False

    @abstractmethod
    def cold(self, model: Model) -> Result:
        """Solve ``model`` from scratch with the same formulation (the reference)."""

    def _deadline(self) -> float | None:
        return None if self.opts.time_limit is None else time.perf_counter() + self.opts.time_limit


# --------------------------------------------------------------------------- LAP
class HungarianEngine(Engine):
    """LinearAssignment kept optimal by :class:`~allotment.solvers.dynamic_lap.DynamicAssignment`."""

    name = "dynamic-hungarian"
    warm = "duals"

    def start(self, hint: np.ndarray | None) -> Outcome:
        from .dynamic_lap import DynamicAssignment

        t = self.tables
        assert isinstance(t, AssignmentTables)
        A, T = t.agents.alive(), t.tasks.alive()
        cost = t.effective_cost(A[:, None], T[None, :])
        allowed = None if t.allowed is None else t.allowed[np.ix_(A, T)]
        self.lap = DynamicAssignment(cost, allowed=allowed, maximize=t.sense == "max")
        self.row_of = np.full(t.agents.cap, -1, np.int64)
        self.col_of = np.full(t.tasks.cap, -1, np.int64)
        self.row_of[A] = np.arange(A.size)
        self.col_of[T] = np.arange(T.size)
        self.agent_of_row = np.full(A.size, -1, np.int64)
        self.task_of_col = np.full(T.size, -1, np.int64)
        self.agent_of_row[:] = A
        self.task_of_col[:] = T
        return self._outcome(self.lap.solve(self._deadline()))

    def _fit(self) -> None:
        t = self.tables
        self.row_of = _grow_to(self.row_of, t.agents.cap, -1)
        self.col_of = _grow_to(self.col_of, t.tasks.cap, -1)

    def _link_row(self, h: int, agent: int) -> None:
        self.agent_of_row = _grow_to(self.agent_of_row, h + 1, -1)
        self.agent_of_row[h] = agent
        self.row_of[agent] = h

    def _link_col(self, h: int, task: int) -> None:
        self.task_of_col = _grow_to(self.task_of_col, h + 1, -1)
        self.task_of_col[h] = task
        self.col_of[task] = h

    def apply(self, delta: Delta) -> None:
        t = self.tables
        assert isinstance(t, AssignmentTables)
        self._fit()
        s = delta.slot
        if delta.op == "drop_agent" and self.row_of[s] >= 0:
            self.lap.remove_row(int(self.row_of[s]))
            self.agent_of_row[self.row_of[s]] = -1
            self.row_of[s] = -1
        elif delta.op == "drop_task" and self.col_of[s] >= 0:
            self.lap.remove_col(int(self.col_of[s]))
            self.task_of_col[self.col_of[s]] = -1
            self.col_of[s] = -1
        elif delta.op == "add_agent" and t.agents.positions()[s] >= 0 and self.row_of[s] < 0:
            T = np.flatnonzero(self.col_of >= 0)  # every column the assignment has (some may go later)
            allowed = None if t.allowed is None else t.allowed[s, T]
            self._link_row(self.lap.add_row(self.col_of[T], t.effective_cost(np.full(T.size, s), T), allowed), s)
        elif delta.op == "add_task" and t.tasks.positions()[s] >= 0 and self.col_of[s] < 0:
            A = np.flatnonzero(self.row_of >= 0)
            allowed = None if t.allowed is None else t.allowed[A, s]
            self._link_col(self.lap.add_col(self.row_of[A], t.effective_cost(A, np.full(A.size, s)), allowed), s)
        elif delta.op == "set":
            self.retarget(delta.agents, delta.tasks)

    def retarget(self, agents: np.ndarray, tasks: np.ndarray) -> None:
        t = self.tables
        assert isinstance(t, AssignmentTables)
        rows, cols = self.row_of[agents], self.col_of[tasks]
        ok = (rows >= 0) & (cols >= 0)
        if ok.any():
            a, k = agents[ok], tasks[ok]
            allowed = None if t.allowed is None else t.allowed[a, k]
            self.lap.set_entries(rows[ok], cols[ok], t.effective_cost(a, k), allowed)

    def resolve(self, hint: np.ndarray | None) -> Outcome:
        return self._outcome(self.lap.solve(self._deadline()))

    def _outcome(self, status: str) -> Outcome:
        lap = self.lap
        info = {"augmentations": lap.augmentations, "scanned_columns": lap.scanned}
        if status != "optimal":
            st = Status.INFEASIBLE if status == "infeasible" else Status.TIME_LIMIT
            msg = "no full matching over the allowed pairs" if st is Status.INFEASIBLE else "time limit during repair"
            return Outcome(st, message=msg, info=info)
        rows = lap.rows()
        cols = lap.col_of(rows)
        ok = cols >= 0
        out = np.full(self.tables.tasks.cap, -1, np.int64)  # type: ignore[union-attr]
        out[self.task_of_col[cols[ok]]] = self.agent_of_row[rows[ok]]
        obj = lap.objective()
        return Outcome(Status.OPTIMAL, agent_of_task=out, objective=obj, bound=obj, info=info,
                       message="dynamic Hungarian: optimal (dual certificate kept)")

    def cold(self, model: Model) -> Result:
        from .api import solve

        return solve(model, "lsa", time_limit=self.opts.time_limit)


# ------------------------------------------------------------------------- HiGHS
@dataclass(frozen=True)
class _Facts:
    """What ``run_highs`` reads from a Program, for the live object."""

    is_mip: bool
    has_integral_objective: bool
    sense: str


class _HighsBase(Engine):
    name = "highs"

    def _build(self, program: Any) -> None:
        from .highs import build_highs

        self.h = build_highs(program, self.opts)
        self.mip = bool(program.is_mip)
        self.integral = bool(program.has_integral_objective)
        self.n_rows = program.n_rows
        self.n_dead = 0

    @property
    def stale(self) -> bool:
        live = self.h.getNumCol() - self.n_dead
        return self.n_dead > max(1000, live)

    def _check(self, status: Any, what: str) -> None:
        import highspy

        if status == highspy.HighsStatus.kError:
            raise RuntimeError(f"HiGHS refused {what}")

    def _costs_changed(self, values: np.ndarray) -> None:
        """Keep HiGHS's exact-integer stopping rule honest when a cost stops being whole."""
        if self.mip and self.integral and np.any(values != np.round(values)):
            from .highs import apply_options

            self.integral = False
            apply_options(self.h, {"mip_abs_gap": 1e-6})

    def _off_cols(self, cols: np.ndarray) -> None:
        cols = cols[cols >= 0].astype(np.int32)
        if cols.size:
            z = np.zeros(cols.size)
            self._check(self.h.changeColsBounds(cols.size, cols, z, z), "switching columns off")
            self.n_dead += cols.size

    def _free_rows(self, rows: np.ndarray) -> None:
        rows = rows[rows >= 0].astype(np.int32)
        if rows.size:
            self._check(self.h.changeRowsBounds(rows.size, rows, np.full(rows.size, -np.inf),
                                                np.full(rows.size, np.inf)), "freeing rows")

    def _add_row(self, lo: float, hi: float) -> int:
        self._check(self.h.addRow(float(lo), float(hi), 0, np.zeros(0, np.int32), np.zeros(0)), "a new row")
        self.n_rows += 1
        return self.n_rows - 1

    def _add_cols(self, cost: np.ndarray, lo: np.ndarray, hi: np.ndarray, rows: list[np.ndarray],
                  vals: list[np.ndarray], integer: bool) -> np.ndarray:
        """Add ``k`` columns, column ``c`` with entries ``rows[r][c]``, ``vals[r][c]`` for each r."""
        k = cost.size
        first = self.h.getNumCol()
        per = len(rows)
        idx = np.stack(rows, axis=1).astype(np.int32).ravel() if per else np.zeros(0, np.int32)
        val = np.stack(vals, axis=1).astype(float).ravel() if per else np.zeros(0)
        starts = np.arange(0, per * k, per, dtype=np.int32) if per else np.zeros(k, np.int32)
        self._check(self.h.addCols(k, cost.astype(float), lo.astype(float), hi.astype(float), idx.size, starts,
                                   idx, val), "new columns")
        new = np.arange(first, first + k, dtype=np.int64)
        if integer and k:
            self._check(self.h.changeColsIntegrality(k, new.astype(np.int32), np.ones(k, np.uint8)), "integrality")
        self._costs_changed(cost)
        return new

    def _run(self, program_sense: str) -> Result:
        from .highs import run_highs

        return run_highs(self.h, _Facts(self.mip, self.integral, program_sense), time.perf_counter())


class HighsAssignmentEngine(_HighsBase):
    """LinearAssignment (as its LP) or GeneralizedAssignment (MILP or relaxation) on a live HiGHS object."""

    def __init__(self, tables: Tables, opts: SolveOptions | None = None, *, relax: bool = False) -> None:
        super().__init__(tables, opts, relax=relax)
        assert isinstance(tables, AssignmentTables)
        #: solved as an LP: a relaxation, or a linear assignment (exact: totally unimodular)
        self.lp = relax or not tables.gap

    def start(self, hint: np.ndarray | None) -> Outcome:
        t = self.tables
        assert isinstance(t, AssignmentTables)
        program = t.materialize(penalized=True).to_program()
        if self.lp:
            program = program.with_changes(integrality=np.zeros(program.n_cols, dtype=bool))
        self._build(program)
        self.warm = "basis" if self.lp else "mip_start"
        A, T = t.agents.alive(), t.tasks.alive()
        m, n = A.size, T.size
        self.col_of = np.full((t.agents.cap, t.tasks.cap), -1, np.int64)
        self.col_of[np.ix_(A, T)] = program.block("x").indices()
        groups = {name: (start, count) for name, start, count in program.row_groups}
        self.arow = np.full(t.agents.cap, -1, np.int64)
        self.trow = np.full(t.tasks.cap, -1, np.int64)
        self.ucol = np.full(t.tasks.cap, -1, np.int64)
        self.arow[A] = groups["capacity" if t.gap else "agent"][0] + np.arange(m)
        self.trow[T] = groups["task"][0] + np.arange(n)
        if t.gap and t.penalty is not None:
            self.ucol[T] = program.block("u").indices()
        self.col_agent = np.concatenate([np.repeat(A, n), np.full(program.n_cols - m * n, -1)])
        self.col_task = np.concatenate([np.tile(T, m), T if program.n_cols > m * n else np.zeros(0, np.int64)])
        self.shape = (m <= n, n <= m)
        return self.resolve(hint)

    # ------------------------------------------------------------ layout
    def _fit(self) -> None:
        t = self.tables
        a, k = t.agents.cap, t.tasks.cap  # type: ignore[union-attr]
        if self.col_of.shape != (a, k):
            grown = np.full((a, k), -1, np.int64)
            grown[: self.col_of.shape[0], : self.col_of.shape[1]] = self.col_of
            self.col_of = grown
        self.arow = _grow_to(self.arow, a, -1)
        self.trow = _grow_to(self.trow, k, -1)
        self.ucol = _grow_to(self.ucol, k, -1)

    def _agent_bounds(self, a: int) -> tuple[float, float]:
        t = self.tables
        if t.gap:  # type: ignore[union-attr]
            return -np.inf, float(t.capacity[a])  # type: ignore[union-attr]
        return (1.0 if self.shape[0] else 0.0), 1.0

    def _task_bounds(self) -> tuple[float, float]:
        if self.tables.gap:  # type: ignore[union-attr]
            return 1.0, 1.0
        return (1.0 if self.shape[1] else 0.0), 1.0

    def _reshape(self) -> None:
        """LinearAssignment: the smaller side is matched completely; move the row bounds when that flips."""
        t = self.tables
        if t.gap:  # type: ignore[union-attr]
            return
        m, n = len(t.agents), len(t.tasks)  # type: ignore[arg-type]
        shape = (m <= n, n <= m)
        if shape == self.shape:
            return
        self.shape = shape
        for rows, (lo, hi) in ((self.arow[t.agents.alive()], self._agent_bounds(0)),
                               (self.trow[t.tasks.alive()], self._task_bounds())):  # type: ignore[union-attr]
            rows = rows[rows >= 0].astype(np.int32)
            self._check(self.h.changeRowsBounds(rows.size, rows, np.full(rows.size, lo), np.full(rows.size, hi)),
                        "row bounds")

    def _coef(self, agents: np.ndarray, tasks: np.ndarray) -> np.ndarray:
        t = self.tables
        return t.weight[agents, tasks] if t.gap else np.ones(agents.size)  # type: ignore[union-attr]

    def _new_cols(self, agents: np.ndarray, tasks: np.ndarray) -> None:
        t = self.tables
        assert isinstance(t, AssignmentTables)
        cols = self._add_cols(t.effective_cost(agents, tasks), np.zeros(agents.size), t.fits(agents, tasks),
                              [self.trow[tasks], self.arow[agents]], [np.ones(agents.size), self._coef(agents, tasks)],
                              self.mip)
        self.col_of[agents, tasks] = cols
        self.col_agent = np.concatenate([self.col_agent, agents])
        self.col_task = np.concatenate([self.col_task, tasks])

    def apply(self, delta: Delta) -> None:
        t = self.tables
        assert isinstance(t, AssignmentTables)
        self._fit()
        s = delta.slot
        if delta.op == "drop_agent":
            self._off_cols(self.col_of[s])
            self.col_of[s] = -1
            self._free_rows(self.arow[s: s + 1])
            self.arow[s] = -1
        elif delta.op == "drop_task":
            self._off_cols(np.append(self.col_of[:, s], self.ucol[s]))
            self.col_of[:, s] = -1
            self.ucol[s] = -1
            self._free_rows(self.trow[s: s + 1])
            self.trow[s] = -1
        elif delta.op == "add_agent" and t.agents.positions()[s] >= 0 and self.arow[s] < 0:
            self._reshape_counts()
            self.arow[s] = self._add_row(*self._agent_bounds(s))
            T = t.tasks.alive()
            T = T[self.trow[T] >= 0]
            self._new_cols(np.full(T.size, s), T)
        elif delta.op == "add_task" and t.tasks.positions()[s] >= 0 and self.trow[s] < 0:
            self._reshape_counts()
            self.trow[s] = self._add_row(*self._task_bounds())
            A = t.agents.alive()
            A = A[self.arow[A] >= 0]
            self._new_cols(A, np.full(A.size, s))
            if t.penalty is not None:
                sign = 1.0 if t.sense == "min" else -1.0
                u = self._add_cols(np.array([sign * t.penalty[s]]), np.zeros(1), np.ones(1), [self.trow[[s]]],
                                   [np.ones(1)], self.mip)
                self.ucol[s] = u[0]
                self.col_agent = np.append(self.col_agent, -1)
                self.col_task = np.append(self.col_task, s)
        elif delta.op == "set" and delta.field == "cost":
            self.retarget(delta.agents, delta.tasks)
        elif delta.op == "set" and delta.field in ("weight", "capacity"):
            agents = delta.agents
            tasks = delta.tasks if delta.field == "weight" else None
            if tasks is None:  # a capacity: its row bound and which of its pairs fit
                a = int(agents[0])
                if self.arow[a] >= 0:
                    lo, hi = self._agent_bounds(a)
                    row = np.array([self.arow[a]], np.int32)
                    self._check(self.h.changeRowsBounds(1, row, np.array([lo]), np.array([hi])), "a capacity")
                T = t.tasks.alive()
                agents, tasks = np.full(T.size, a), T
            cols = self.col_of[agents, tasks]
            ok = cols >= 0
            agents, tasks, cols = agents[ok], tasks[ok], cols[ok]
            if delta.field == "weight":
                for a, c, w in zip(self.arow[agents].tolist(), cols.tolist(), t.weight[agents, tasks].tolist()):
                    self._check(self.h.changeCoeff(a, c, w), "a weight")
            hi = t.fits(agents, tasks)
            self._check(self.h.changeColsBounds(cols.size, cols.astype(np.int32), np.zeros(cols.size), hi), "bounds")
        self._reshape()

    def _reshape_counts(self) -> None:
        """Row bounds of LinearAssignment new rows follow the final shape: settle it first."""
        t = self.tables
        if not t.gap:  # type: ignore[union-attr]
            self._reshape()

    def retarget(self, agents: np.ndarray, tasks: np.ndarray) -> None:
        t = self.tables
        assert isinstance(t, AssignmentTables)
        cols = self.col_of[agents, tasks]
        ok = cols >= 0
        if ok.any():
            cost = t.effective_cost(agents[ok], tasks[ok])
            self._check(self.h.changeColsCost(int(ok.sum()), cols[ok].astype(np.int32), cost), "costs")
            self._costs_changed(cost)

    # ------------------------------------------------------------ solve
    def _mip_start(self, hint: np.ndarray | None) -> str:
        """Give HiGHS the previous answer, repaired to feasibility, as its incumbent."""
        import highspy

        t = self.tables
        assert isinstance(t, AssignmentTables)
        if hint is None:
            return "none"
        T = t.tasks.alive()
        prev = hint[T] if hint.size >= t.tasks.next else np.full(T.size, -1)
        pos = t.agents.positions()
        keep = (prev >= 0) & (pos[np.maximum(prev, 0)] >= 0)
        keep[keep] &= self.col_of[prev[keep], T[keep]] >= 0
        keep[keep] &= t.fits(prev[keep], T[keep]) > 0
        agent = np.where(keep, prev, -1)
        A = t.agents.alive()
        load = np.zeros(t.agents.cap)
        np.add.at(load, agent[keep], t.weight[agent[keep], T[keep]])
        for a in np.flatnonzero(load > t.capacity + 1e-9):  # over capacity now: drop its heaviest tasks
            mine = np.flatnonzero(agent == a)
            for j in mine[np.argsort(-t.weight[a, T[mine]])]:
                if load[a] <= t.capacity[a] + 1e-9:
                    break
                load[a] -= t.weight[a, T[j]]
                agent[j] = -1
        sign = 1.0 if t.sense == "min" else -1.0
        for j in np.flatnonzero(agent < 0):  # orphans: cheapest agent with room
            task = T[j]
            room = (t.weight[A, task] <= t.capacity[A] - load[A] + 1e-9) & (self.col_of[A, task] >= 0)
            if room.any():
                cand = A[room]
                a = int(cand[np.argmin(sign * t.effective_cost(cand, np.full(cand.size, task)))])
                agent[j] = a
                load[a] += t.weight[a, task]
            elif self.ucol[task] < 0:
                return "none (the previous answer could not be repaired)"
        x = np.zeros(self.h.getNumCol())
        done = agent >= 0
        x[self.col_of[agent[done], T[done]]] = 1.0
        x[self.ucol[T[~done]]] = 1.0
        sol = highspy.HighsSolution()
        sol.col_value = x
        sol.value_valid = True
        self._check(self.h.setSolution(sol), "the MIP start")
        return "previous answer" + (f" ({int((~keep).sum())} task(s) re-placed)" if (~keep).any() else "")

    def resolve(self, hint: np.ndarray | None) -> Outcome:
        t = self.tables
        assert isinstance(t, AssignmentTables)
        info: dict[str, Any] = {}
        if not self.lp:
            info["mip_start"] = self._mip_start(hint)
        res = self._run(t.sense)
        info.update(res.info)
        out = Outcome(res.status, objective=res.objective, bound=res.bound, message=res.message, info=info,
                      integral=not (self.relax and t.gap))
        if res.x is None:
            return out
        x = res.x
        xcols = np.flatnonzero(self.col_agent >= 0)
        if self.lp and not t.gap:  # the LP of an assignment: a vertex is integral
            frac = np.abs(x[xcols] - np.round(x[xcols])).max(initial=0.0)
            if frac > 1e-6:
                out.status, out.message = Status.ERROR, f"LP vertex not integral (max fraction {frac:.2g})"
                return out
        on = xcols[x[xcols] > 0.5]
        agent_of = np.full(t.tasks.cap, -1, np.int64)
        agent_of[self.col_task[on]] = self.col_agent[on]
        out.agent_of_task = agent_of
        if not out.integral:
            A, T = t.agents.alive(), t.tasks.alive()
            parts = [x[self.col_of[np.ix_(A, T)]].ravel()]
            if t.penalty is not None:
                parts.append(x[self.ucol[T]])
            out.x = np.concatenate(parts)
        return out

    def cold(self, model: Model) -> Result:
        from .api import solve
        from .highs import build_highs, run_highs

        if not self.lp:
            return solve(model, "highs", time_limit=self.opts.time_limit, seed=self.opts.seed,
                         options=self.opts.options)
        started = time.perf_counter()
        program = model.to_program()
        program = program.with_changes(integrality=np.zeros(program.n_cols, dtype=bool))
        res = run_highs(build_highs(program, self.opts), program, started)
        if res.x is not None and not self.tables.gap and res.ok:  # type: ignore[union-attr]
            res.answer = model.decode(res.x)
        res.runtime = time.perf_counter() - started
        return res


class HighsShareEngine(_HighsBase):
    """ShareAllocation ``max_throughput`` (an LP) on a live HiGHS object; the basis is the warm start.

    HiGHS's presolve takes seconds on this LP family (measured: 31 s at 1000 agents against
    0.02 s without it), and a warm re-solve skips presolve anyway, so it is off here (for the
    cold reference too) unless ``options`` set ``presolve``.
    """

    warm = "basis"

    def __init__(self, tables: Tables, opts: SolveOptions | None = None, *, relax: bool = False) -> None:
        opts = opts or SolveOptions()
        if "presolve" not in (opts.options or {}):
            opts = replace(opts, options={**(opts.options or {}), "presolve": "off"})
        super().__init__(tables, opts, relax=relax)

    def start(self, hint: np.ndarray | None) -> Outcome:
        t = self.tables
        assert isinstance(t, ShareTables)
        program = t.materialize().to_program()
        self._build(program)
        A = t.agents.alive()
        groups = {name: (start, count) for name, start, count in program.row_groups}
        self.gcol = np.full(t.agents.cap, -1, np.int64)
        self.scol = np.full(t.agents.cap, -1, np.int64)
        self.srow = np.full(t.agents.cap, -1, np.int64)
        self.gcol[A] = program.block("g").indices()
        self.scol[A] = program.block("served").indices()
        self.srow[A] = groups["service"][0] + np.arange(A.size)
        self.caprow = groups["capacity"][0]
        return self.resolve(hint)

    def apply(self, delta: Delta) -> None:
        t = self.tables
        assert isinstance(t, ShareTables)
        cap = t.agents.cap
        self.gcol, self.scol, self.srow = (_grow_to(a, cap, -1) for a in (self.gcol, self.scol, self.srow))
        s = delta.slot
        if delta.op == "drop_agent":
            self._off_cols(np.array([self.gcol[s], self.scol[s]]))
            self._free_rows(self.srow[s: s + 1])
            self.gcol[s] = self.scol[s] = self.srow[s] = -1
        elif delta.op == "add_agent" and t.agents.positions()[s] >= 0 and self.gcol[s] < 0:
            one = np.ones(1)
            self.gcol[s] = self._add_cols(np.zeros(1), t.min_share[[s]], t.max_share[[s]], [np.array([self.caprow])],
                                          [one], False)[0]
            self.scol[s] = self._add_cols(t.priority[[s]], np.zeros(1), t.arrival_rate[[s]], [], [], False)[0]
            self.srow[s] = self._add_row(-np.inf, 0.0)
            self._check(self.h.changeCoeff(int(self.srow[s]), int(self.scol[s]), 1.0), "a service row")
            self._check(self.h.changeCoeff(int(self.srow[s]), int(self.gcol[s]), -float(t.service_rate[s])),
                        "a service row")
        elif delta.op == "set":
            self._set(delta.field, delta.agents)

    def _set(self, name: str, agents: np.ndarray | None) -> None:
        t = self.tables
        assert isinstance(t, ShareTables)
        if name == "capacity":
            row = np.array([self.caprow], np.int32)
            self._check(self.h.changeRowsBounds(1, row, np.array([-np.inf]), np.array([t.capacity])), "capacity")
            return
        a = agents[self.gcol[agents] >= 0]
        if not a.size:
            return
        if name == "priority":
            self._check(self.h.changeColsCost(a.size, self.scol[a].astype(np.int32), t.priority[a]), "priority")
        elif name == "arrival_rate":
            self._check(self.h.changeColsBounds(a.size, self.scol[a].astype(np.int32), np.zeros(a.size),
                                                t.arrival_rate[a]), "arrival rate")
        elif name in ("max_share", "min_share"):
            self._check(self.h.changeColsBounds(a.size, self.gcol[a].astype(np.int32), t.min_share[a],
                                                t.max_share[a]), "share bounds")

    def resolve(self, hint: np.ndarray | None) -> Outcome:
        t = self.tables
        res = self._run(t.sense)
        out = Outcome(res.status, objective=res.objective, bound=res.bound, message=res.message, info=dict(res.info))
        if res.x is not None:
            A = t.agents.alive()
            out.x = np.concatenate([res.x[self.gcol[A]], res.x[self.scol[A]]])
        return out

    def cold(self, model: Model) -> Result:
        from .api import solve

        return solve(model, "highs", time_limit=self.opts.time_limit, seed=self.opts.seed, options=self.opts.options)


# ------------------------------------------------------------------------ rebuild
class RebuildEngine(Engine):
    """Any method: the current model is compiled and solved again; CP-SAT gets a hint."""

    def __init__(self, tables: Tables, opts: SolveOptions | None = None, *, method: str, relax: bool = False) -> None:
        super().__init__(tables, opts, relax=relax)
        self.method = method
        self.name = method
        self.warm = "hint" if method == "cpsat" else ""

    def start(self, hint: np.ndarray | None) -> Outcome:
        return self.resolve(hint)

    def apply(self, delta: Delta) -> None:
        pass  # the next solve reads the tables

    def _hint(self, model: Model, hint: np.ndarray | None) -> np.ndarray | None:
        t = self.tables
        if not self.warm or hint is None or not isinstance(t, AssignmentTables):
            return None
        A, T = t.agents.alive(), t.tasks.alive()
        prev = hint[T]
        pos = t.agents.positions()
        ok = (prev >= 0) & (pos[np.maximum(prev, 0)] >= 0)
        x = np.zeros((A.size, T.size))
        x[pos[prev[ok]], np.flatnonzero(ok)] = 1.0
        parts = [x.ravel()]
        if t.penalty is not None:
            parts.append((~ok).astype(float))
        return np.concatenate(parts)

    def resolve(self, hint: np.ndarray | None) -> Outcome:
        from .api import solve

        t = self.tables
        model = t.materialize(penalized=True)
        start = self._hint(model, hint)
        options = dict(self.opts.options or {})
        if start is not None:
            options["warm_start"] = start
        res = solve(model, self.method, time_limit=self.opts.time_limit, seed=self.opts.seed,
                    options=options or None)
        out = Outcome(res.status, objective=res.objective, bound=res.bound, message=res.message, info=dict(res.info),
                      answer=res.answer, x=res.x)
        if isinstance(t, AssignmentTables) and res.answer is not None:
            A, T = t.agents.alive(), t.tasks.alive()
            vec = np.asarray(res.answer.assignment)
            agent_of = np.full(t.tasks.cap, -1, np.int64)
            agent_of[T] = np.where(vec >= 0, A[np.maximum(vec, 0)], -1)
            out.agent_of_task = agent_of
        return out

    def cold(self, model: Model) -> Result:
        from .api import solve

        return solve(model, self.method, time_limit=self.opts.time_limit, seed=self.opts.seed,
                     options=self.opts.options)
