"""Event-triggered reallocation: a live allocation that is re-solved warm after each event.

A :class:`Reallocator` holds the current model's data (in slot tables), the backend's live
solver object and the last answer. :meth:`Reallocator.apply` checks events and carries
them over to the live object as small deltas (costs, bounds, rows, columns);
:meth:`Reallocator.resolve` then starts from where the last solve ended:

==========================  ==============================  ===================================
model                       method (``auto`` first)         warm start
==========================  ==============================  ===================================
LinearAssignment            ``lsa`` (dynamic Hungarian)     duals: only freed rows re-matched
LinearAssignment            ``highs`` (its exact LP)        simplex basis
GeneralizedAssignment       ``highs`` (MILP)                previous answer, repaired, as MIP start
GeneralizedAssignment       ``highs`` with ``relax=True``   simplex basis of the LP relaxation
ShareAllocation             ``highs`` (``max_throughput``)  simplex basis
any of them                 ``cpsat``                       previous answer as a hint (rebuilt)
any of them                 any other method                none (rebuilt and solved cold)
==========================  ==============================  ===================================

With ``migration_cost = mu > 0`` the objective of each re-solve is

    cost(x) + mu * #{pairs (i, j) of the previous answer, i and j still present, that x breaks}

(``profit(x) - mu * ...`` when maximizing): a repair moves few agents. In a linear
assignment that is one ``mu`` per surviving agent whose task changes. ``Result.objective``
stays the model's own objective of the answer; the penalized one is in
``Result.info["penalized_objective"]`` and is what a cold solve of
:meth:`Reallocator.penalized_model` optimizes. Every result lists the assignments that
changed (``info["changed"]``: task, from, to).

An event, or a batch passed to one :meth:`~Reallocator.apply`, is applied whole or not at
all: a bad event raises :class:`~allotment.models.EventError` and leaves the Reallocator
unchanged.

>>> from allotment.models import LinearAssignment
>>> from allotment.solvers.events import AgentDown, CostChanged
>>> r = Reallocator(LinearAssignment([[4, 1, 3], [2, 0, 5], [3, 2, 2]]))
>>> r.resolve().answer.assignment.tolist()
[1, 0, 2]
>>> res = r.step(CostChanged(9, agent="agent2", task="task2"))
>>> res.objective, res.answer.assignment.tolist(), res.info["n_changed"]
(6.0, [2, 1, 0], 3)
>>> r.model.check(res.answer).objective == r.solve_cold().objective
True
>>> r.apply(AgentDown("agent9"))
Traceback (most recent call last):
...
allotment.models.errors.EventError: agent_down agent9: unknown agent 'agent9'; alive agents: agent0, agent1, agent2
"""
from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable
from typing import Any

import numpy as np

from allotment.models import Assignment, Model
from allotment.models.errors import EventError

from .api import _check_args, _resolve
from .backend import SolveOptions
from .event_tables import AssignmentTables, ShareTables, Tables, tables_for
from .events import (AgentDown, AgentUp, CapacityChanged, CostChanged, DemandChanged, Event, Heartbeat, TaskAdded,
                     TaskDone)
from .result import Result, Status
from .warm_engines import NEW, Engine, HighsAssignmentEngine, HighsShareEngine, HungarianEngine, Outcome, RebuildEngine

__all__ = ["Reallocator"]

log = logging.getLogger("allotment")

_EVENTS = (AgentDown, AgentUp, TaskAdded, TaskDone, CostChanged, CapacityChanged, DemandChanged)


class Reallocator:
    """A live allocation: apply events, re-solve warm (see the module docstring).

    Parameters
    ----------
    model : LinearAssignment, GeneralizedAssignment or ShareAllocation
        The allocation problem at the start.
    method : str
        ``auto`` (the first row of the table that fits), ``lsa``, ``highs``, ``cpsat`` or
        any installed method that takes the model (solved cold at each event).
    migration_cost : float
        Penalty per broken pair of the previous answer (assignment models); 0 = none.
    relax : bool
        Solve the LP relaxation (GeneralizedAssignment with ``highs``); the result then has
        ``x`` (the Program vector) and no integral answer.
    time_limit : float, optional
        Wall-clock seconds per re-solve.
    seed : int, optional
    options : dict, optional
        Method options, passed to the solver.
    """

    def __init__(
        self,
        model: Model,
        method: str = "auto",
        *,
        migration_cost: float = 0.0,
        relax: bool = False,
        time_limit: float | None = None,
        seed: int | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        _check_args(model, time_limit, seed)
        if isinstance(migration_cost, bool) or not isinstance(migration_cost, (int, float)) \
                or not math.isfinite(migration_cost) or migration_cost < 0:
            raise ValueError(f"`migration_cost` must be a finite non-negative number; got {migration_cost!r}")
        if not isinstance(method, str):
            raise ValueError(f"`method` must be a method name; got {method!r}")
        self._tables: Tables = tables_for(model)
        if migration_cost and not isinstance(self._tables, AssignmentTables):
            raise ValueError("`migration_cost` applies to assignment models (a pair kept or broken); "
                             f"{type(model).__name__} has none")
        self.method = method
        self.migration_cost = float(migration_cost)
        self.relax = bool(relax)
        self.opts = SolveOptions(time_limit=time_limit, seed=seed, options=options)
        self._make = self._factory(model)
        if isinstance(self._tables, AssignmentTables):
            self._tables.shift = -self.migration_cost if model.sense == "min" else self.migration_cost
        self._engine: Engine | None = None
        self._dirty = False
        self._assigned = np.full(self._tables.tasks.cap if self._tables.tasks else 0, NEW, np.int64)
        self._seen = np.zeros(self._tables.agents.cap, dtype=bool)
        self._shares = np.full(self._tables.agents.cap, np.nan)
        self._pending = 0
        self._apply_seconds = 0.0
        self._model: Model | None = model
        #: the result of the last :meth:`resolve` (None before the first)
        self.result: Result | None = None

    # ------------------------------------------------------------ set-up
    def _factory(self, model: Model) -> Any:
        t, name = self._tables, self.method
        if isinstance(t, AssignmentTables):
            if not t.gap and name in ("auto", "lsa", "dynamic-hungarian"):
                return lambda: HungarianEngine(t, self.opts, relax=self.relax)
            if name == "highs" or (t.gap and name == "auto"):
                return lambda: HighsAssignmentEngine(t, self.opts, relax=self.relax)
        elif isinstance(t, ShareTables) and model.objective == "max_throughput" and name in ("auto", "highs"):
            return lambda: HighsShareEngine(t, self.opts)
        if self.relax:
            raise ValueError("`relax` needs method 'highs' (a live LP); the method "
                             f"{name!r} solves the model as it is")
        if name == "auto":
            name = "closed_form"  # ShareAllocation rules: exact closed forms
        backend, _ = _resolve(model, name)  # a clear error for unknown or unfit methods
        return lambda: RebuildEngine(self._tables, self.opts, method=backend.name)

    # ------------------------------------------------------------ views
    @property
    def model(self) -> Model:
        """The current model (built from the live data when first asked after a change)."""
        if self._model is None:
            self._model = self._tables.materialize()
        return self._model

    def penalized_model(self) -> Model:
        """The current model with the migration penalty in its costs (what a re-solve optimizes)."""
        if isinstance(self._tables, AssignmentTables):
            return self._tables.materialize(penalized=True)
        return self._tables.materialize()

    @property
    def answer(self) -> Any:
        """The answer of the last re-solve, or None."""
        return None if self.result is None else self.result.answer

    # ------------------------------------------------------------ events
    def apply(self, events: Event | Iterable[Event]) -> int:
        """Check and apply ``events`` (one or a batch, all or none); returns how many were applied."""
        started = time.perf_counter()
        batch = [events] if isinstance(events, (*_EVENTS, Heartbeat)) else list(events)
        committed = []
        t = self._tables
        for k, event in enumerate(batch):
            try:
                if isinstance(event, Heartbeat):
                    raise EventError("a heartbeat is not a model event; feed it to a HeartbeatMonitor")
                if not isinstance(event, _EVENTS):
                    raise EventError(f"not an event: {event!r}")
                deltas = t.prepare(event)
            except EventError as exc:
                for delta in reversed(committed):
                    t.undo(delta)
                if len(batch) > 1:
                    raise EventError(f"event {k} of a batch of {len(batch)}: {exc}; none of them was applied") \
                        from None
                raise
            for delta in deltas:
                t.commit(delta)
                committed.append(delta)
        self._grow_state()
        for delta in committed:
            if delta.op == "add_task":
                self._assigned[delta.slot] = NEW
            elif delta.op == "add_agent":
                self._seen[delta.slot] = False
                self._shares[delta.slot] = np.nan
        if self._engine is not None and not self._dirty:
            try:
                for delta in committed:
                    self._engine.apply(delta)
            except Exception:  # noqa: BLE001 - the data are safe in the tables: rebuild the solver object
                log.warning("live solver object refused an update; it is rebuilt at the next resolve", exc_info=True)
                self._dirty = True
        self._model = None
        self._pending += len(batch)
        self._apply_seconds += time.perf_counter() - started
        return len(batch)

    def _grow_state(self) -> None:
        t = self._tables
        if t.tasks is not None and self._assigned.size < t.tasks.cap:
            self._assigned = np.concatenate([self._assigned, np.full(t.tasks.cap - self._assigned.size, NEW)])
        if self._seen.size < t.agents.cap:
            pad = t.agents.cap - self._seen.size
            self._seen = np.concatenate([self._seen, np.zeros(pad, dtype=bool)])
            self._shares = np.concatenate([self._shares, np.full(pad, np.nan)])

    # ------------------------------------------------------------ solving
    def resolve(self) -> Result:
        """Re-solve from the live state (the first call builds it and solves cold).

        ``Result.runtime`` counts the work since the last re-solve: carrying the events to
        the live object and solving. ``info``: ``warm`` (how it started: ``duals``,
        ``basis``, ``mip_start``, ``hint`` or empty for cold), ``events``, ``changed``,
        ``n_changed``, ``n_forced`` (tasks whose agent left), ``n_reassigned_agents``,
        ``penalized_objective`` and the solver's own figures.
        """
        started = time.perf_counter()
        # removed ids hold more than half of the slots: re-number them (and start the solver afresh)
        compact = self._engine is not None and self._tables.wasted() > 0.5 and self._tables.used() >= 64
        fresh = self._engine is None or self._dirty or self._engine.stale or compact
        if fresh:
            if compact:
                self._compact()
            self._engine = self._make()
            self._dirty = False
            out = self._engine.start(self._assigned)
        else:
            out = self._engine.resolve(self._assigned)
        result = self._result(out, fresh)
        solve_seconds = time.perf_counter() - started
        result.runtime = solve_seconds + self._apply_seconds
        result.info.update(apply_seconds=self._apply_seconds, solve_seconds=solve_seconds, events=self._pending)
        self._apply_seconds, self._pending = 0.0, 0
        self.result = result
        return result

    def step(self, events: Event | Iterable[Event]) -> Result:
        """:meth:`apply` then :meth:`resolve`."""
        self.apply(events)
        return self.resolve()

    def solve_cold(self) -> Result:
        """Solve the current (penalized) model from scratch with the same formulation.

        The reference for warm answers: a fresh model is compiled and solved, so the runtime
        includes the compile. Nothing of the live state changes. With a migration cost, call
        it between :meth:`apply` and :meth:`resolve`: a re-solve makes its answer the new
        "previous answer", which moves the penalty.
        """
        engine = self._engine if self._engine is not None else self._make()
        model = self.penalized_model()
        started = time.perf_counter()
        res = engine.cold(model)
        res.runtime = time.perf_counter() - started
        return res

    # ------------------------------------------------------------ results
    def _result(self, out: Outcome, fresh: bool) -> Result:
        assert self._engine is not None
        warm = "" if fresh else self._engine.warm
        info: dict[str, Any] = dict(out.info, warm=warm, changed=[], n_changed=0, n_forced=0, n_reassigned_agents=0)
        objective = answer = x = None
        penalized = out.objective
        t = self._tables
        ok = out.status in (Status.OPTIMAL, Status.FEASIBLE)
        if ok and isinstance(t, AssignmentTables) and out.agent_of_task is not None:
            T = t.tasks.alive()
            now = out.agent_of_task[T]
            pos = t.agents.positions()
            if out.integral:
                objective = t.objective(out.agent_of_task)
                kept = int(np.count_nonzero((now >= 0) & (t.bonus[T] == now)))
                penalized = objective + t.shift * kept
                answer = Assignment(np.where(now >= 0, pos[np.maximum(now, 0)], -1).astype(np.int64),
                                    tuple(t.agents.ids), tuple(t.tasks.ids))
            else:
                x = out.x
                objective = self._relaxed_objective(x)
                penalized = out.objective
            self._report_changes(T, now, pos, info)
            self._move_bonus(T, now)
        elif ok and isinstance(t, ShareTables):
            model = self.model
            if out.answer is not None:
                answer = out.answer
            elif out.x is not None:
                answer = model.answer(out.x[: len(t.agents)])
            if answer is not None:
                x = out.x
                objective = model.objective_value(answer.shares)
                penalized = objective
                A = t.agents.alive()
                before = self._shares[A]
                moved = ~np.isnan(before) & (np.abs(before - answer.shares) > 1e-9 * max(1.0, t.capacity))
                info["changed"] = [{"agent": t.agents.ids[i], "from": float(before[i]), "to": float(answer.shares[i])}
                                   for i in np.flatnonzero(moved)]
                info["n_changed"] = info["n_reassigned_agents"] = int(moved.sum())
                self._shares[A] = answer.shares
        elif ok and out.answer is not None:
            answer, objective = out.answer, out.objective
        shifted = isinstance(t, AssignmentTables) and bool(t.shift)
        if penalized is not None:
            info["penalized_objective"] = penalized
        bound = out.bound
        if shifted:
            info["penalized_bound"], bound = out.bound, None
        status = out.status if (objective is not None or not ok) else Status.ERROR
        message = out.message + ("" if objective is not None or not ok else "; no answer came back")
        if not out.integral:
            message += "; LP relaxation (no integral answer)"
        return Result(status, objective=objective, bound=bound, runtime=0.0, method=self._engine.name,
                      message=message, x=x, answer=answer, sense=t.sense, info=info)

    def _relaxed_objective(self, x: np.ndarray) -> float:
        t = self._tables
        assert isinstance(t, AssignmentTables)
        A, T = t.agents.alive(), t.tasks.alive()
        k = A.size * T.size
        value = float((t.cost[np.ix_(A, T)].ravel() * x[:k]).sum())
        if t.penalty is not None:
            pen = float((t.penalty[T] * x[k:]).sum())
            value += pen if t.sense == "min" else -pen
        return value

    def _report_changes(self, T: np.ndarray, now: np.ndarray, pos: np.ndarray, info: dict[str, Any]) -> None:
        t = self._tables
        prev = self._assigned[T]
        known = prev != NEW
        moved = known & (prev != now)
        names = t.agents.names

        def who(a: int) -> str | None:
            return None if a < 0 else names[a]

        idx = np.flatnonzero(moved)
        info["changed"] = [{"task": t.tasks.ids[j], "from": who(int(prev[j])), "to": who(int(now[j]))}
                           for j in idx.tolist()]
        info["n_changed"] = int(idx.size)
        gone = (prev >= 0) & (pos[np.maximum(prev, 0)] < 0)
        info["n_forced"] = int(np.count_nonzero(moved & gone))
        agents = np.concatenate([prev[moved], now[moved]])
        agents = agents[agents >= 0]
        agents = agents[(pos[agents] >= 0) & self._seen[agents]]
        info["n_reassigned_agents"] = int(np.unique(agents).size)
        self._assigned[T] = now
        self._seen[:] = False
        self._seen[t.agents.alive()] = True

    def _move_bonus(self, T: np.ndarray, now: np.ndarray) -> None:
        """The answer just found becomes the 'previous answer' of the next re-solve."""
        t = self._tables
        assert isinstance(t, AssignmentTables)
        if not t.shift:
            t.bonus[T] = now
            return
        old = t.bonus[T].copy()
        t.bonus[T] = now
        diff = old != now
        if diff.any() and self._engine is not None and not self._dirty:
            agents = np.concatenate([old[diff], now[diff]])
            tasks = np.concatenate([T[diff], T[diff]])
            live = (agents >= 0) & (t.agents.positions()[np.maximum(agents, 0)] >= 0)
            try:
                self._engine.retarget(agents[live], tasks[live])
            except Exception:  # noqa: BLE001
                log.warning("live solver object refused the migration costs; rebuilt at the next resolve",
                            exc_info=True)
                self._dirty = True

    def _compact(self) -> None:
        """Re-number the slots when removed ids fill more than half of them (the engine is rebuilt)."""
        old = self._tables
        new = tables_for(old.materialize())
        amap = np.full(old.agents.cap, -1, np.int64)
        amap[old.agents.alive()] = new.agents.alive()

        def remap(values: np.ndarray) -> np.ndarray:
            return np.where(values >= 0, amap[np.maximum(values, 0)], values)

        if isinstance(old, AssignmentTables) and isinstance(new, AssignmentTables):
            new.shift = old.shift
            To, Tn = old.tasks.alive(), new.tasks.alive()
            new.bonus[Tn] = remap(old.bonus[To])
            assigned = np.full(new.tasks.cap, NEW, np.int64)
            assigned[Tn] = remap(self._assigned[To])
            self._assigned = assigned
        seen = np.zeros(new.agents.cap, dtype=bool)
        seen[new.agents.alive()] = self._seen[old.agents.alive()]
        shares = np.full(new.agents.cap, np.nan)
        shares[new.agents.alive()] = self._shares[old.agents.alive()]
        self._seen, self._shares, self._tables = seen, shares, new
        self._make = self._factory(self.model)
