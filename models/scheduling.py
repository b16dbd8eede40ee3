"""Scheduling on unrelated resources: R | r_j | sum w_j C_j.

Every task ``j`` runs once, without interruption, on one resource ``i`` where it takes
``processing_time[i, j]`` (``inf``, or ``allowed[i, j] = False``, means it cannot run there),
not before its release date ``r_j``; a resource runs one task at a time (a task of length 0
occupies no time). Minimize the total
weighted completion time

    minimize  sum_j w_j C_j,     C_j = S_j + p[i(j), j],   S_j >= r_j.

Exact methods:

- ``highs``: the time-indexed MILP (Sousa and Wolsey 1992, for unrelated machines as in
  van den Akker, Hurkens and Savelsbergh 2000), ``x[i, j, t] = 1`` if ``j`` starts on ``i``
  at time ``t``:  ``sum_{i,t} x[i,j,t] = 1`` per task, ``sum_j sum_{s=t-p_ij+1..t} x[i,j,s] <= 1``
  per resource and period, cost ``w_j (t + p_ij)``. Times must be decimals (scaled to
  integers exactly); the horizon of resource ``i`` is ``max_j r_j + sum_j p_ij``, which
  bounds every left-shifted schedule, and some optimal schedule is left-shifted.
- ``cpsat``: one optional interval per allowed (resource, task) pair, exactly one per task,
  no-overlap per resource (built in :mod:`allotment.solvers.scheduling`).

Baselines (no proof): :func:`fifo_schedule` (release order, each task to the resource where
it can start first) and :func:`wspt_schedule` (list scheduling by weighted shortest
processing time, Smith's ratio ``w_j / p_ij``), registered as methods ``fifo`` and ``wspt``.

References: W. E. Smith, "Various optimizers for single-stage production", Naval Research
Logistics Quarterly 3 (1956) (WSPT); J. K. Lenstra, A. H. G. Rinnooy Kan and P. Brucker,
"Complexity of machine scheduling problems", Annals of Discrete Mathematics 1 (1977)
(R||sum w_j C_j is strongly NP-hard); J. P. Sousa and L. A. Wolsey, "A time indexed
formulation of non-preemptive single machine scheduling problems", Mathematical
Programming 54 (1992); M. Skutella, "Convex quadratic and semidefinite programming
relaxations in scheduling", Journal of the ACM 48 (2001).

>>> from allotment.models import UnrelatedScheduling
>>> m = UnrelatedScheduling([[3, 1, 2], [1, 4, 2]], weight=[1, 2, 1])
>>> s = wspt_schedule(m)
>>> s.sequences(), m.check(s).objective
([[1, 2], [0]], 6.0)
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Optional

import numpy as np
from pydantic import BaseModel, ConfigDict

from ._validate import as_array, as_ids
from .base import CheckReport, Model, cached_program, register_kind
from .errors import InstanceError
from .program import Program, ProgramBuilder
from .schemas import register_schema

__all__ = ["UnrelatedScheduling", "Schedule", "fifo_schedule", "wspt_schedule", "MAX_TIME_INDEXED_COLUMNS"]

#: the time-indexed MILP refuses to grow beyond this many start-time variables
MAX_TIME_INDEXED_COLUMNS = 3_000_000
_MAX_TIME_POWER = 6


def _decimal_power(values: np.ndarray) -> int | None:
    """Smallest k <= 6 with every value * 10**k whole (None if there is none)."""
    values = np.asarray(values, dtype=float)
    for k in range(_MAX_TIME_POWER + 1):
        scaled = values * 10.0**k
        if np.all(np.abs(scaled - np.round(scaled)) <= np.maximum(1e-6, 4e-16 * np.abs(scaled))):
            return k
    return None


@dataclass(frozen=True, eq=False)
class Schedule:
    """Where and when each task runs: ``resource[j]``, ``start[j]``, ``end[j]``.

    ``sequences()[i]`` lists the tasks of resource ``i`` in start order.
    """

    resource: np.ndarray
    start: np.ndarray
    end: np.ndarray
    resource_ids: tuple[str, ...] = ()
    task_ids: tuple[str, ...] = ()

    def sequences(self) -> list[list[int]]:
        """Task indices per resource, in order of start time."""
        n_res = len(self.resource_ids) if self.resource_ids else int(self.resource.max(initial=-1)) + 1
        order = np.lexsort((self.end, self.start, self.resource))
        return [[int(j) for j in order if self.resource[j] == i] for i in range(n_res)]

    def to_dict(self) -> dict[str, object]:
        seqs = self.sequences()
        rid = self.resource_ids or tuple(str(i) for i in range(len(seqs)))
        tid = self.task_ids or tuple(str(j) for j in range(self.resource.size))
        return {
            "resource": self.resource.tolist(), "start": self.start.tolist(), "end": self.end.tolist(),
            "sequences": {rid[i]: [{"task": tid[j], "start": float(self.start[j]), "end": float(self.end[j])}
                                   for j in seq] for i, seq in enumerate(seqs)},
        }


@register_kind
class UnrelatedScheduling(Model):
    """Tasks on unrelated resources, minimizing total weighted completion time (module docstring).

    Parameters
    ----------
    processing_time : array (n_resources, n_tasks)
        Time of task ``j`` on resource ``i``; non-negative; ``inf`` = cannot run there.
    weight : array (n_tasks,), optional
        Non-negative weights ``w_j`` (default 1).
    release : array (n_tasks,), optional
        Non-negative release dates ``r_j`` (default 0).
    allowed : bool array (n_resources, n_tasks), optional
        ``False`` forbids a pair (as does an infinite time).
    resource_ids, task_ids : names, optional
    """

    kind = "unrelated_scheduling"
    tags = frozenset({"SCHEDULING"})
    sense = "min"

    def __init__(
        self,
        processing_time: Any,
        *,
        weight: Any | None = None,
        release: Any | None = None,
        allowed: Any | None = None,
        resource_ids: Sequence[object] | None = None,
        task_ids: Sequence[object] | None = None,
        name: str = "unrelated_scheduling",
    ) -> None:
        p = as_array(processing_time, "processing_time", ndim=2, shape_text="(n_resources, n_tasks)",
                     finite=False, nonnegative=True)
        m, n = p.shape
        if m == 0 or n == 0:
            raise InstanceError(f"must have at least one resource and one task; got shape {(m, n)}",
                                field="processing_time")
        text = f"(n_tasks,) = ({n},)"
        self.weight = as_array(np.ones(n) if weight is None else weight, "weight", shape=(n,), shape_text=text,
                               nonnegative=True)
        self.release = as_array(np.zeros(n) if release is None else release, "release", shape=(n,),
                                shape_text=text, nonnegative=True)
        mask = np.isfinite(p)
        if allowed is not None:
            mask = mask & as_array(allowed, "allowed", shape=(m, n), dtype=bool,
                                   shape_text=f"(n_resources, n_tasks) = {(m, n)}")
        mask.setflags(write=False)
        self.allowed = mask
        self.processing_time = p
        self.resource_ids = as_ids(resource_ids, m, "resource_ids", "resource")
        self.task_ids = as_ids(task_ids, n, "task_ids", "task")
        self.name = name

    def __repr__(self) -> str:
        if self.processing_time.size > 60:
            return f"UnrelatedScheduling({self.n_resources} resources, {self.n_tasks} tasks, name={self.name!r})"
        return (f"UnrelatedScheduling({self.processing_time.tolist()}, weight={self.weight.tolist()}, "
                f"release={self.release.tolist()}, allowed={self.allowed.tolist()})")

    # ------------------------------------------------------------------ data
    @property
    def n_resources(self) -> int:
        return int(self.processing_time.shape[0])

    @property
    def n_tasks(self) -> int:
        return int(self.processing_time.shape[1])

    @property
    def problem_class(self) -> str:
        return "MILP"

    def infeasibility_reason(self) -> str | None:
        """Names a task that no resource can run, or None."""
        stuck = np.flatnonzero(~self.allowed.any(axis=0))
        if stuck.size:
            j = int(stuck[0])
            return (f"task {self.task_ids[j]!r} (index {j}) cannot run on any resource "
                    f"({stuck.size} such task(s))")
        return None

    def integer_times(self) -> tuple[float, np.ndarray, np.ndarray]:
        """``(scale, p, r)``: times on the coarsest integer grid, ``p = processing_time * scale``.

        The scale is the smallest power of ten that makes every time whole, divided by the
        greatest common divisor of the scaled times.
        Forbidden pairs get ``p = -1``. Raises ``ValueError`` when no power up to 10^6 does.
        """
        p = self.processing_time
        values = np.concatenate([p[self.allowed], self.release])
        k = _decimal_power(values)
        if k is None:
            raise ValueError("the exact methods need processing times and release dates that are decimals with "
                             f"at most {_MAX_TIME_POWER} places (they are scaled to whole time units); "
                             "round the data to a time unit first")
        pi = np.where(self.allowed, np.round(np.where(self.allowed, p, 0.0) * 10**k), -1).astype(np.int64)
        ri = np.round(self.release * 10**k).astype(np.int64)
        g = int(np.gcd.reduce(np.concatenate([pi[self.allowed], ri, [0]])))
        if g > 1:  # a coarser grid: times that are all multiples of g units need g times fewer periods
            pi, ri = np.where(self.allowed, pi // g, -1), ri // g
        return 10**k / max(g, 1), pi, ri

    def horizons(self) -> np.ndarray:
        """Per resource, a time (scaled units) by which some optimal schedule has finished there.

        Always ``r_max + sum_j p_ij``: a left-shifted schedule idles only before ``r_max``.
        When every pair is allowed and every weight is positive, also
        ``max(r_max + p_max, (P + m r_max + (m - 1) p_max) / m)`` with ``P = sum_j max_i p_ij``:
        in an optimal schedule the last task to finish, moved to the end of any other
        resource, would not finish earlier, so every other resource is busy until at least
        ``C_max - p_max`` (less idle time ``r_max``), and the total work is at most ``P``.
        """
        _, p, r = self.integer_times()
        rmax = int(r.max())
        T = rmax + np.where(self.allowed, p, 0).sum(axis=1)
        if self.allowed.all() and np.all(self.weight > 0):
            m, pmax = self.n_resources, int(p.max())
            total = int(p.max(axis=0).sum())
            T = np.minimum(T, max(rmax + pmax, (total + m * rmax + (m - 1) * pmax) // m))
        return T

    # ----------------------------------------------------------------- program
    def time_index(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(resource, task, start)`` of every start-time column of the time-indexed MILP."""
        cached = self.__dict__.get("_time_index")
        if cached is not None:
            return cached
        _, p, r = self.integer_times()
        T = self.horizons()
        ii, jj = np.nonzero(self.allowed)
        count = T[ii] - p[ii, jj] - r[jj] + 1
        total = int(count.sum())
        if total > MAX_TIME_INDEXED_COLUMNS:
            raise ValueError(f"the time-indexed MILP would need {total} start-time variables (more than "
                             f"{MAX_TIME_INDEXED_COLUMNS}); use method='cpsat' or coarser time units")
        col_i, col_j = np.repeat(ii, count), np.repeat(jj, count)
        first = np.repeat(np.cumsum(count) - count, count)
        col_t = np.arange(total) - first + np.repeat(r[jj], count)
        out = (col_i, col_j, col_t)
        self.__dict__["_time_index"] = out
        return out

    @cached_program
    def to_program(self) -> Program:
        """The time-indexed MILP (module docstring), built from arrays in one go."""
        scale, p, _ = self.integer_times()
        T = self.horizons()
        ci, cj, ct = self.time_index()
        pc = p[ci, cj]
        cost = self.weight[cj] * (ct + pc) / scale
        b = ProgramBuilder("min", name=self.name)
        x = b.add_block("x", (ci.size,), lo=0.0, hi=1.0, integer=True, cost=cost)
        # one start per task (a task with no column gives an empty row 1 <= 0: infeasible)
        b.add_rows_coo(cj, x, np.ones(ci.size), self.n_tasks, lo=1.0, hi=1.0, name="task")
        # resource i busy in period s: every column (i, j, t) with t <= s < t + p covers row (i, s)
        offset = np.concatenate([[0], np.cumsum(T)[:-1]])
        cover = np.repeat(np.arange(ci.size), pc)
        shift = np.arange(cover.size) - np.repeat(np.cumsum(pc) - pc, pc)
        rows = offset[ci[cover]] + ct[cover] + shift
        b.add_rows_coo(rows, x[cover], np.ones(cover.size), int(T.sum()), hi=1.0, name="resource_period")
        return b.build()

    def decode(self, x: np.ndarray) -> "Schedule":
        scale, p, _ = self.integer_times()
        ci, cj, ct = self.time_index()
        on = np.asarray(x, dtype=float)[: ci.size] > 0.5
        resource = np.full(self.n_tasks, -1, dtype=np.int64)
        start = np.full(self.n_tasks, np.nan)
        resource[cj[on]] = ci[on]
        start[cj[on]] = ct[on] / scale
        return self.schedule(resource, start)

    def default_start(self, program: Program) -> np.ndarray | None:
        """The WSPT schedule as a MIP start of the time-indexed program (halved HiGHS's time to
        the proven optimum on 4 x 40 instances: 2.5-2.8 s -> 1.05-1.2 s)."""
        if program is not self.to_program():
            return None
        schedule = wspt_schedule(self)
        if schedule is None:
            return None
        try:
            return self.to_vector(schedule)
        except ValueError:  # off the time grid or beyond a horizon: no start rather than a wrong one
            return None

    def to_vector(self, schedule: "Schedule") -> np.ndarray:
        """The time-indexed Program vector of ``schedule`` (a MIP start: ``options={"warm_start": ...}``).

        Starts must be on the time grid and within the horizons; raises ``ValueError`` otherwise.
        """
        scale, _, _ = self.integer_times()
        ci, cj, ct = self.time_index()
        key = (ci * self.n_tasks + cj) * (int(ct.max(initial=0)) + 1) + ct
        st = np.round(np.asarray(schedule.start, float) * scale).astype(np.int64)
        want = (np.asarray(schedule.resource, np.int64) * self.n_tasks + np.arange(self.n_tasks)) \
            * (int(ct.max(initial=0)) + 1) + st
        pos = np.searchsorted(key, want)  # columns are generated in (resource, task, start) order
        found = (pos < key.size) & (key[np.minimum(pos, key.size - 1)] == want)
        if not found.all():
            j = int(np.flatnonzero(~found)[0])
            raise ValueError(f"task {self.task_ids[j]!r} (index {j}) starts off the time grid or past the horizon")
        x = np.zeros(ci.size)
        x[pos] = 1.0
        return x

    def schedule(self, resource: Any, start: Any) -> "Schedule":
        """A :class:`Schedule` from resource indices and start times (ends computed)."""
        resource = np.asarray(resource, dtype=np.int64)
        start = np.asarray(start, dtype=float)
        ok = (resource >= 0) & (resource < self.n_resources)
        end = np.full(self.n_tasks, np.nan)
        end[ok] = start[ok] + self.processing_time[resource[ok], np.flatnonzero(ok)]
        return Schedule(resource, start, end, self.resource_ids, self.task_ids)

    # ------------------------------------------------------------------ check
    def check(self, answer: Any, tol: float = 1e-6) -> CheckReport:
        n = self.n_tasks
        if isinstance(answer, Schedule):
            resource, start, end = answer.resource, answer.start, answer.end
        else:
            try:
                resource, start = answer
            except (TypeError, ValueError):
                return CheckReport(False, float("nan"), ("answer must be a Schedule or (resource, start)",))
            end = None
        resource, start = np.asarray(resource), np.asarray(start, dtype=float)
        if resource.shape != (n,) or start.shape != (n,):
            return CheckReport(False, float("nan"), (f"resource and start must have shape ({n},)",))
        if resource.dtype.kind not in "iu":
            if not np.all(np.isfinite(resource.astype(float))) or np.any(resource != np.round(resource)):
                return CheckReport(False, float("nan"), ("resource must hold whole resource indices",))
        resource = resource.astype(np.int64)
        bad = np.flatnonzero((resource < 0) | (resource >= self.n_resources))
        if bad.size:
            j = int(bad[0])
            return CheckReport(False, float("nan"), (f"task {self.task_ids[j]!r} (index {j}) has no resource "
                                                     f"(resource[{j}] = {resource[j]})",))
        if not np.all(np.isfinite(start)):
            j = int(np.flatnonzero(~np.isfinite(start))[0])
            return CheckReport(False, float("nan"), (f"start[{j}] is not a finite time",))
        problems: list[str] = []
        cols = np.arange(n)
        for j in np.flatnonzero(~self.allowed[resource, cols])[:5]:
            problems.append(f"task {self.task_ids[j]!r} (index {j}) cannot run on resource "
                            f"{self.resource_ids[resource[j]]!r}")
        p = np.where(self.allowed[resource, cols], self.processing_time[resource, cols], 0.0)
        finish = start + p
        scale = max(1.0, float(np.abs(finish).max(initial=0.0)))
        for j in np.flatnonzero(start < self.release - tol * scale)[:5]:
            problems.append(f"task {self.task_ids[j]!r} (index {j}) starts at {start[j]:g}, before its release "
                            f"{self.release[j]:g}")
        if end is not None:
            end = np.asarray(end, dtype=float)
            wrong = np.flatnonzero(~(np.abs(end - finish) <= tol * scale))
            for j in wrong[:5]:
                problems.append(f"task {self.task_ids[j]!r} (index {j}) ends at {end[j]:g}; start + processing "
                                f"time is {finish[j]:g}")
        busy = np.flatnonzero(p > 0)  # a zero-length task occupies no time on its resource
        order = busy[np.lexsort((finish[busy], start[busy], resource[busy]))]
        same = resource[order][1:] == resource[order][:-1]
        clash = np.flatnonzero(same & (start[order][1:] < finish[order][:-1] - tol * scale))
        for q in clash[:5]:
            a, b = int(order[q]), int(order[q + 1])
            problems.append(f"tasks {self.task_ids[a]!r} and {self.task_ids[b]!r} overlap on resource "
                            f"{self.resource_ids[resource[a]]!r} ({start[a]:g}-{finish[a]:g} and "
                            f"{start[b]:g}-{finish[b]:g})")
        objective = float(self.weight @ finish)
        return CheckReport(not problems, objective, tuple(problems), {"completion": finish})

    # ------------------------------------------------------------------ files
    def to_data(self) -> dict[str, Any]:
        p = self.processing_time
        return {
            "name": self.name,
            "processing_time": [[None if not np.isfinite(v) else float(v) for v in row] for row in p],
            "weight": self.weight.tolist(),
            "release": self.release.tolist(),
            "allowed": self.allowed.tolist(),
            "resource_ids": list(self.resource_ids),
            "task_ids": list(self.task_ids),
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "UnrelatedScheduling":
        p = [[np.inf if v is None else v for v in row] for row in data["processing_time"]]
        return cls(p, weight=data.get("weight"), release=data.get("release"), allowed=data.get("allowed"),
                   resource_ids=data.get("resource_ids"), task_ids=data.get("task_ids"),
                   name=data.get("name") or "unrelated_scheduling")

    def size_summary(self) -> dict[str, int]:
        return {"resources": self.n_resources, "tasks": self.n_tasks, "allowed_pairs": int(self.allowed.sum())}


# ---------------------------------------------------------------- baselines
def _list_schedule(model: UnrelatedScheduling, pick: Any) -> Schedule | None:
    """Generic list scheduling: repeatedly take the earliest possible start over all
    (resource, task) pairs, and among the pairs that can start then let ``pick`` choose."""
    m, n = model.n_resources, model.n_tasks
    if model.infeasibility_reason():
        return None
    free = np.zeros(m)
    resource = np.full(n, -1, dtype=np.int64)
    start = np.full(n, np.nan)
    left = np.ones(n, dtype=bool)
    p = np.where(model.allowed, model.processing_time, np.inf)
    for _ in range(n):
        st = np.maximum(free[:, None], model.release[None, :])
        st = np.where(model.allowed & left[None, :], st, np.inf)
        t = st.min()
        cand_i, cand_j = np.nonzero(st <= t)
        i, j = pick(cand_i, cand_j, p)
        resource[j], start[j] = i, t
        free[i] = t + p[i, j]
        left[j] = False
    return model.schedule(resource, start)


def fifo_schedule(model: UnrelatedScheduling) -> Schedule | None:
    """FIFO: tasks in release order (ties by index), each to the allowed resource where it
    can start first (ties: shorter processing time, then lower index). None if infeasible.

    >>> m = UnrelatedScheduling([[3, 1, 2], [1, 4, 2]], weight=[1, 2, 1])
    >>> fifo_schedule(m).sequences()
    [[1, 2], [0]]
    """
    if model.infeasibility_reason():
        return None
    order = np.lexsort((np.arange(model.n_tasks), model.release))
    free = np.zeros(model.n_resources)
    resource = np.full(model.n_tasks, -1, dtype=np.int64)
    start = np.full(model.n_tasks, np.nan)
    p = np.where(model.allowed, model.processing_time, np.inf)
    for j in order:
        st = np.where(model.allowed[:, j], np.maximum(free, model.release[j]), np.inf)
        i = int(np.lexsort((np.arange(model.n_resources), p[:, j], st))[0])
        resource[j], start[j] = i, st[i]
        free[i] = st[i] + p[i, j]
    return model.schedule(resource, start)


def wspt_schedule(model: UnrelatedScheduling) -> Schedule | None:
    """WSPT list scheduling: whenever a resource can start a released task, it starts the
    one with the largest Smith ratio ``w_j / p_ij`` (ties: lower index). None if infeasible.

    >>> m = UnrelatedScheduling([[3, 1, 2], [1, 4, 2]], weight=[1, 2, 1])
    >>> wspt_schedule(m).sequences()
    [[1, 2], [0]]
    """

    def pick(ci: np.ndarray, cj: np.ndarray, p: np.ndarray) -> tuple[int, int]:
        with np.errstate(divide="ignore"):
            ratio = np.where(p[ci, cj] > 0, model.weight[cj] / np.where(p[ci, cj] > 0, p[ci, cj], 1.0), np.inf)
        q = int(np.lexsort((ci, cj, -ratio))[0])
        return int(ci[q]), int(cj[q])

    return _list_schedule(model, pick)


@register_schema("unrelated_scheduling")
class UnrelatedSchedulingFile(BaseModel):
    """``processing_time`` is n_resources x n_tasks (null = cannot run there)."""

    model_config = ConfigDict(extra="forbid")
    problem: Literal["unrelated_scheduling"]
    version: Literal[1] = 1
    name: Optional[str] = None
    processing_time: list[list[Optional[float]]]
    weight: Optional[list[float]] = None
    release: Optional[list[float]] = None
    allowed: Optional[list[list[bool]]] = None
    resource_ids: Optional[list[str]] = None
    task_ids: Optional[list[str]] = None
