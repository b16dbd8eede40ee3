"""A model's data kept in growable slot buffers that events edit in place.

Models are immutable, so a running allocation keeps its data here: each agent (and task)
owns a *slot* (a row or column of the buffers) for as long as it is alive, and events turn
into :class:`Delta` s that write whole rows, columns or entries. Building the current model
(:meth:`Tables.materialize`) copies the live slots out; nothing else copies the data, so an
event costs what it changes.

Every event is checked first (:meth:`Tables.prepare`, which changes nothing and raises
:class:`~allotment.models.EventError` naming the event, the field and the id), then
written (:meth:`Tables.commit`); :meth:`Tables.undo` takes a committed delta back.

Which event changes what:

=================  ===========================  ==============================  ==============================
event              LinearAssignment             GeneralizedAssignment           ShareAllocation
=================  ===========================  ==============================  ==============================
AgentUp data       ``cost`` (+ ``allowed``)     ``cost``, ``weight``,           ``arrival_rate``,
                                                ``capacity``                    ``service_rate`` (+ ``priority``,
                                                                                ``min_share``, ``max_share``)
TaskAdded data     ``cost`` (+ ``allowed``)     ``cost``, ``weight``            (no tasks)
                                                (+ ``penalty``)
CostChanged        ``cost`` entry/row/column    ``cost`` entry/row/column       ``priority`` of ``agent``
CapacityChanged    (none)                       ``capacity`` of ``agent``       ``capacity`` (no agent) or
                                                                                ``max_share`` of ``agent``
DemandChanged      (none)                       ``weight`` column of ``task``   ``arrival_rate`` of ``agent``
=================  ===========================  ==============================  ==============================

>>> from allotment.models import GeneralizedAssignment
>>> from allotment.solvers.events import AgentDown, CapacityChanged
>>> t = tables_for(GeneralizedAssignment([[1, 2], [3, 1]], [[1, 1], [1, 1]], [2, 2]))
>>> for d in t.prepare(CapacityChanged(1.0, agent="agent1")): t.commit(d)
>>> t.materialize().capacity.tolist()
[2.0, 1.0]
>>> t.prepare(AgentDown("agent7"))
Traceback (most recent call last):
...
allotment.models.errors.EventError: agent_down agent7: unknown agent 'agent7'; alive agents: agent0, agent1
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from allotment.models import GeneralizedAssignment, LinearAssignment, Model, ShareAllocation
from allotment.models.errors import EventError

from .events import (AgentDown, AgentUp, CapacityChanged, CostChanged, DemandChanged, Event, TaskAdded, TaskDone,
                     describe)

__all__ = ["Slots", "Delta", "Tables", "AssignmentTables", "ShareTables", "tables_for"]


class Slots:
    """The live ids of one side (agents or tasks), in order, each with a buffer slot."""

    def __init__(self, ids: tuple[str, ...], noun: str, headroom: int) -> None:
        self.noun = noun
        #: id of every slot ever used (removed ids keep their slot's name)
        self.names: list[str] = list(ids)
        self.ids: list[str] = list(ids)
        self.slot_of: dict[str, int] = {name: k for k, name in enumerate(ids)}
        self.next = len(ids)
        self.cap = len(ids) + headroom
        self._alive: np.ndarray | None = None
        self._pos: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def alive(self) -> np.ndarray:
        """Slots of the live ids, in id order."""
        if self._alive is None:
            self._alive = np.fromiter((self.slot_of[i] for i in self.ids), dtype=np.int64, count=len(self.ids))
        return self._alive

    def positions(self) -> np.ndarray:
        """``pos[slot]``: index of the slot's id in :attr:`ids`, -1 for a dead slot."""
        if self._pos is None:
            pos = np.full(self.cap, -1, np.int64)
            pos[self.alive()] = np.arange(len(self.ids))
            self._pos = pos
        return self._pos

    def _changed(self) -> None:
        self._alive = self._pos = None

    def lookup(self, name: str, where: str) -> int:
        slot = self.slot_of.get(name)
        if slot is None:
            shown = ", ".join(self.ids[:8]) + (", ..." if len(self.ids) > 8 else "")
            raise EventError(f"{where}unknown {self.noun} {name!r}; alive {self.noun}s: {shown}")
        return slot

    def add(self, name: str) -> int:
        slot = self.next
        self.next += 1
        self.names.append(name)
        self.ids.append(name)
        self.slot_of[name] = slot
        self._changed()
        return slot

    def remove(self, name: str) -> tuple[int, int]:
        pos = self.ids.index(name)
        del self.ids[pos]
        slot = self.slot_of.pop(name)
        self._changed()
        return slot, pos

    def restore(self, name: str, slot: int, pos: int) -> None:
        self.ids.insert(pos, name)
        self.slot_of[name] = slot
        self._changed()

    def unadd(self, name: str) -> None:
        self.ids.remove(name)
        del self.slot_of[name]
        self.names.pop()
        self.next -= 1
        self._changed()


@dataclass
class Delta:
    """One validated change: ``op`` is ``add_agent``, ``drop_agent``, ``add_task``, ``drop_task`` or ``set``.

    For ``set``: ``field`` names the buffer, ``agents``/``tasks`` hold the slots of the
    entries (matrix fields use both), ``values`` the new and ``old`` the previous values.
    For ``add_*``: ``values`` maps each field to the new row/column over the other side's
    live slots (in order).
    """

    op: str
    slot: int = -1
    name: str = ""
    position: int = -1
    field: str = ""
    agents: np.ndarray | None = None
    tasks: np.ndarray | None = None
    values: Any = None
    old: Any = None


def _check(values: np.ndarray, rule: str, where: str, name: str, labels: list[str]) -> np.ndarray:
    if rule == "bool":
        return values.astype(bool)
    bad = ~np.isfinite(values)
    what = "finite"
    if rule == "nonnegative":
        bad |= values < 0
        what = "finite and non-negative"
    elif rule == "positive":
        bad |= values <= 0
        what = "finite and positive"
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise EventError(f"{where}`{name}` must be {what}; got {float(values[k])!r} for {labels[k]!r}")
    return values


def vector(value: Any, side: Slots, *, name: str, where: str, rule: str, partial: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(slots, values)`` of a per-id value: a scalar, a list in id order, or ``{id: value}``.

    With ``partial`` an object may name only some ids; otherwise it must name all.
    """
    dtype = bool if rule == "bool" else float
    if isinstance(value, Mapping):
        unknown = [k for k in value if k not in side.slot_of]
        if unknown:
            raise EventError(f"{where}`{name}` names unknown {side.noun} {unknown[0]!r}")
        if not partial and len(value) != len(side):
            missing = next(i for i in side.ids if i not in value)
            raise EventError(f"{where}`{name}` must give every {side.noun}; it misses {missing!r}")
        labels = list(value)
        slots = np.array([side.slot_of[k] for k in labels], dtype=np.int64)
        values = np.array([value[k] for k in labels], dtype=dtype)
    elif isinstance(value, (list, tuple)):
        if len(value) != len(side):
            raise EventError(f"{where}`{name}` must have one entry per {side.noun} ({len(side)}, in the order "
                             f"{side.ids[:3]}...); got {len(value)}")
        labels, slots = side.ids, side.alive()
        values = np.array(value, dtype=dtype)
    else:
        labels, slots = side.ids, side.alive()
        values = np.full(len(side), value, dtype=dtype)
    return slots, _check(values, rule, where, name, labels)


def scalar(value: Any, *, name: str, where: str, rule: str) -> float:
    if isinstance(value, (list, tuple, Mapping)) or isinstance(value, bool):
        raise EventError(f"{where}`{name}` must be a single number; got {value!r}")
    return float(_check(np.array([value], dtype=float), rule, where, name, [name])[0])


def _grow(arr: np.ndarray, shape: tuple[int, ...], fill: Any) -> np.ndarray:
    out = np.full(shape, fill, dtype=arr.dtype)
    out[tuple(slice(0, s) for s in arr.shape)] = arr
    return out


class Tables(ABC):
    """Slot buffers of one model kind (see the module docstring)."""

    agents: Slots
    tasks: Slots | None
    sense: str
    name: str
    #: the model class name, for messages
    kind_name = "model"
    #: matrix buffers (agents x tasks) and vector buffers (agents / tasks) by field name
    matrices: tuple[str, ...] = ()
    agent_vectors: tuple[str, ...] = ()
    task_vectors: tuple[str, ...] = ()

    def where(self, event: Event) -> str:
        return f"{describe(event)}: "

    # ------------------------------------------------------------ capacity
    def _ensure_capacity(self) -> None:
        """Grow the buffers by half when a side has no free slot left."""
        for side, axis in ((self.agents, 0), (self.tasks, 1)):
            if side is None or side.next < side.cap:
                continue
            side.cap = side.cap + max(8, side.cap // 2)
            side._changed()
            for f in self.matrices:
                arr = getattr(self, f)
                if arr is not None:
                    shape = (self.agents.cap, self.tasks.cap if self.tasks is not None else 0)
                    setattr(self, f, _grow(arr, shape, 0))
            vecs = self.agent_vectors if axis == 0 else self.task_vectors
            for f in vecs:
                arr = getattr(self, f, None)
                if isinstance(arr, np.ndarray):
                    setattr(self, f, _grow(arr, (side.cap,), 0))

    # --------------------------------------------------------------- events
    @abstractmethod
    def prepare(self, event: Event) -> list[Delta]:
        """Validate ``event`` against the current data; the deltas that carry it out."""

    def commit(self, delta: Delta) -> None:
        """Write a prepared delta into the buffers."""
        if delta.op in ("add_agent", "add_task"):
            side = self.agents if delta.op == "add_agent" else self.tasks
            self._ensure_capacity()
            delta.slot = side.add(delta.name)
            self._write_new(delta)
        elif delta.op in ("drop_agent", "drop_task"):
            side = self.agents if delta.op == "drop_agent" else self.tasks
            delta.slot, delta.position = side.remove(delta.name)
        else:
            self._write(delta.field, delta.agents, delta.tasks, delta.values)

    def undo(self, delta: Delta) -> None:
        """Take a committed delta back (in reverse order of commits)."""
        if delta.op in ("add_agent", "add_task"):
            (self.agents if delta.op == "add_agent" else self.tasks).unadd(delta.name)
        elif delta.op in ("drop_agent", "drop_task"):
            side = self.agents if delta.op == "drop_agent" else self.tasks
            side.restore(delta.name, delta.slot, delta.position)
        else:
            self._write(delta.field, delta.agents, delta.tasks, delta.old)

    def _read(self, name: str, agents: np.ndarray | None, tasks: np.ndarray | None) -> Any:
        arr = getattr(self, name)
        if name in self.matrices:
            return arr[agents, tasks].copy()
        if agents is None and tasks is None:
            return arr
        return arr[agents if agents is not None else tasks].copy()

    def _write(self, name: str, agents: np.ndarray | None, tasks: np.ndarray | None, values: Any) -> None:
        arr = getattr(self, name)
        if name in self.matrices:
            arr[agents, tasks] = values
        elif agents is None and tasks is None:
            setattr(self, name, values)
        else:
            arr[agents if agents is not None else tasks] = values

    def _set(self, name: str, agents: np.ndarray | None, tasks: np.ndarray | None, values: Any) -> Delta:
        return Delta("set", field=name, agents=agents, tasks=tasks, values=values,
                     old=self._read(name, agents, tasks))

    @abstractmethod
    def _write_new(self, delta: Delta) -> None:
        """Write the row/column of a new agent/task (its slot is ``delta.slot``)."""

    @abstractmethod
    def materialize(self) -> Model:
        """The current model (a fresh, validated object)."""

    def used(self) -> int:
        """Slots handed out so far (live and removed ids)."""
        return self.agents.next + (self.tasks.next if self.tasks is not None else 0)

    def wasted(self) -> float:
        """Fraction of used slots that belong to removed ids (compaction is due above 1/2)."""
        live = len(self.agents) + (len(self.tasks) if self.tasks is not None else 0)
        return 1.0 - live / max(self.used(), 1)


class AssignmentTables(Tables):
    """LinearAssignment / GeneralizedAssignment: ``cost`` (and ``weight``, ``allowed``) per pair."""

    matrices = ("cost", "weight", "allowed")
    agent_vectors = ("capacity",)
    task_vectors = ("penalty", "bonus")

    def __init__(self, model: LinearAssignment | GeneralizedAssignment, headroom: float = 0.125) -> None:
        self.gap = isinstance(model, GeneralizedAssignment)
        self.kind_name = type(model).__name__
        m, n = model.cost.shape
        self.agents = Slots(model.agent_ids, "agent", max(8, int(headroom * m)))
        self.tasks = Slots(model.task_ids, "task", max(8, int(headroom * n)))
        shape = (self.agents.cap, self.tasks.cap)
        self.cost = _grow(np.asarray(model.cost, dtype=float), shape, 0.0)
        self.sense = model.sense
        self.name = model.name
        if self.gap:
            self.weight = _grow(np.asarray(model.weight, dtype=float), shape, 0.0)
            self.capacity = _grow(np.asarray(model.capacity, dtype=float), (self.agents.cap,), 0.0)
            pen = model.unassigned_penalty
            self.penalty = None if pen is None else _grow(np.asarray(pen, dtype=float), (self.tasks.cap,), 0.0)
            self.allowed = None
        else:
            self.weight = self.capacity = self.penalty = None
            self.allowed = None if model.allowed is None else _grow(np.asarray(model.allowed), shape, True)
        #: previous agent slot of each task slot, for the migration bonus (-1: none)
        self.bonus = np.full(self.tasks.cap, -1, np.int64)
        #: cost added to the pairs of the previous answer (negative for min: a bonus)
        self.shift = 0.0

    def _ensure_capacity(self) -> None:
        old = len(self.bonus)
        super()._ensure_capacity()
        self.bonus[old:] = -1  # grown slots have no previous agent

    # ------------------------------------------------------------ events
    def prepare(self, event: Event) -> list[Delta]:
        where = self.where(event)
        A, T = self.agents, self.tasks
        if isinstance(event, AgentDown):
            A.lookup(event.agent, where)
            if len(A) == 1:
                raise EventError(f"{where}cannot remove the last agent; a model needs at least one")
            return [Delta("drop_agent", name=event.agent)]
        if isinstance(event, TaskDone):
            T.lookup(event.task, where)
            if len(T) == 1:
                raise EventError(f"{where}cannot remove the last task; a model needs at least one")
            return [Delta("drop_task", name=event.task)]
        if isinstance(event, AgentUp):
            if event.agent in A.slot_of:
                raise EventError(f"{where}agent {event.agent!r} is already alive")
            need = {"cost": "finite"} | ({"weight": "nonnegative"} if self.gap else {})
            opt = {"allowed": "bool"} if not self.gap else {}
            values = self._data(event.data, T, need, opt, where, extra=("capacity",) if self.gap else ())
            if self.gap:
                if "capacity" not in event.data:
                    raise EventError(f"{where}`data` needs `capacity`")
                values["capacity"] = scalar(event.data["capacity"], name="data.capacity", where=where,
                                            rule="nonnegative")
            return [Delta("add_agent", name=event.agent, values=values)]
        if isinstance(event, TaskAdded):
            if event.task in T.slot_of:
                raise EventError(f"{where}task {event.task!r} already exists")
            need = {"cost": "finite"} | ({"weight": "nonnegative"} if self.gap else {})
            opt = {"allowed": "bool"} if not self.gap else {}
            values = self._data(event.data, A, need, opt, where, extra=("penalty",) if self.gap else ())
            if self.gap:
                if self.penalty is not None:
                    if "penalty" not in event.data:
                        raise EventError(f"{where}`data` needs `penalty` (this model has unassigned penalties)")
                    values["penalty"] = scalar(event.data["penalty"], name="data.penalty", where=where,
                                               rule="nonnegative")
                elif "penalty" in event.data:
                    raise EventError(f"{where}`data.penalty` given, but this model has no unassigned penalties")
            return [Delta("add_task", name=event.task, values=values)]
        if isinstance(event, CostChanged):
            return [self._matrix_change("cost", event, where, "finite")]
        if isinstance(event, CapacityChanged):
            if not self.gap:
                raise EventError(f"{where}LinearAssignment has no capacities")
            if event.agent is None:
                raise EventError(f"{where}GeneralizedAssignment capacities belong to agents: give `agent`")
            a = A.lookup(event.agent, where)
            value = scalar(event.value, name="value", where=where, rule="nonnegative")
            return [self._set("capacity", np.array([a]), None, np.array([value]))]
        if isinstance(event, DemandChanged):
            if not self.gap:
                raise EventError(f"{where}LinearAssignment has no demands")
            if event.task is None or event.agent is not None:
                raise EventError(f"{where}a GeneralizedAssignment demand is a task's weight: give `task` only")
            t = T.lookup(event.task, where)
            slots, values = vector(event.value, A, name="value", where=where, rule="nonnegative", partial=True)
            return [self._set("weight", slots, np.full(slots.size, t), values)]
        raise EventError(f"{where}not an event this model takes")

    def _data(self, data: Mapping[str, Any], side: Slots, need: dict[str, str], opt: dict[str, str], where: str,
              extra: tuple[str, ...] = ()) -> dict[str, Any]:
        allowed_keys = set(need) | set(opt) | set(extra)
        unknown = sorted(set(data) - allowed_keys)
        if unknown:
            raise EventError(f"{where}`data` has no field {unknown[0]!r}; {self.kind_name} takes "
                             f"{', '.join(sorted(allowed_keys))}")
        out: dict[str, Any] = {}
        for key, rule in (need | opt).items():
            if key not in data:
                if key in need:
                    raise EventError(f"{where}`data` needs `{key}`")
                continue
            _, out[key] = vector(data[key], side, name=f"data.{key}", where=where, rule=rule, partial=False)
        return out

    def _matrix_change(self, name: str, event: CostChanged, where: str, rule: str) -> Delta:
        A, T = self.agents, self.tasks
        if event.agent is not None and event.task is not None:
            a, t = A.lookup(event.agent, where), T.lookup(event.task, where)
            value = scalar(event.value, name="value", where=where, rule=rule)
            return self._set(name, np.array([a]), np.array([t]), np.array([value]))
        if event.agent is not None:
            a = A.lookup(event.agent, where)
            slots, values = vector(event.value, T, name="value", where=where, rule=rule, partial=True)
            return self._set(name, np.full(slots.size, a), slots, values)
        if event.task is not None:
            t = T.lookup(event.task, where)
            slots, values = vector(event.value, A, name="value", where=where, rule=rule, partial=True)
            return self._set(name, slots, np.full(slots.size, t), values)
        raise EventError(f"{where}give `agent`, `task` or both")

    def _write_new(self, delta: Delta) -> None:
        s, v = delta.slot, delta.values
        if delta.op == "add_agent":
            others = self.tasks.alive()
            self.cost[s, others] = v["cost"]
            if self.gap:
                self.weight[s, others] = v["weight"]
                self.capacity[s] = v["capacity"]
            elif "allowed" in v or self.allowed is not None:
                self._ensure_allowed()
                self.allowed[s, others] = v.get("allowed", True)
        else:
            others = self.agents.alive()
            self.cost[others, s] = v["cost"]
            self.bonus[s] = -1
            if self.gap:
                self.weight[others, s] = v["weight"]
                if self.penalty is not None:
                    self.penalty[s] = v["penalty"]
            elif "allowed" in v or self.allowed is not None:
                self._ensure_allowed()
                self.allowed[others, s] = v.get("allowed", True)

    def _ensure_allowed(self) -> None:
        if self.allowed is None:
            self.allowed = np.ones((self.agents.cap, self.tasks.cap), dtype=bool)

    # ------------------------------------------------------------ views
    def effective_cost(self, agents: np.ndarray, tasks: np.ndarray) -> np.ndarray:
        """Cost of pairs with the migration shift on the previous answer's pairs."""
        c = self.cost[agents, tasks]
        if self.shift:
            c = c + self.shift * (self.bonus[tasks] == agents)
        return c

    def fits(self, agents: np.ndarray, tasks: np.ndarray) -> np.ndarray:
        """Upper bound of each pair's variable: 0 where the pair is forbidden or cannot fit."""
        if self.gap:
            return (self.weight[agents, tasks] <= self.capacity[agents]).astype(float)
        if self.allowed is None:
            return np.ones(np.broadcast(agents, tasks).shape)
        return self.allowed[agents, tasks].astype(float)

    def materialize(self, *, penalized: bool = False) -> LinearAssignment | GeneralizedAssignment:
        """The current model; with ``penalized`` its costs carry the migration shift."""
        A, T = self.agents.alive(), self.tasks.alive()
        cost = self.cost[np.ix_(A, T)]
        if penalized and self.shift:
            cost = cost + self.shift * (self.bonus[T][None, :] == A[:, None])
        ids = dict(agent_ids=tuple(self.agents.ids), task_ids=tuple(self.tasks.ids), name=self.name)
        if self.gap:
            pen = None if self.penalty is None else self.penalty[T]
            return GeneralizedAssignment(cost, self.weight[np.ix_(A, T)], self.capacity[A], sense=self.sense,
                                         unassigned_penalty=pen, **ids)
        allowed = None if self.allowed is None else self.allowed[np.ix_(A, T)]
        return LinearAssignment(cost, sense=self.sense, allowed=allowed, **ids)

    def objective(self, agent_of_task: np.ndarray) -> float:
        """The model's objective of an answer given as agent slot per task slot (-1: none)."""
        T = self.tasks.alive()
        a = agent_of_task[T]
        done = a >= 0
        value = float(self.cost[a[done], T[done]].sum())
        if self.penalty is not None and (~done).any():
            pen = float(self.penalty[T[~done]].sum())
            value += pen if self.sense == "min" else -pen
        return value


class ShareTables(Tables):
    """ShareAllocation: per-agent ``arrival_rate``, ``service_rate``, ``priority``, share bounds; ``capacity``."""

    agent_vectors = ("arrival_rate", "service_rate", "priority", "min_share", "max_share")
    kind_name = "ShareAllocation"

    def __init__(self, model: ShareAllocation, headroom: float = 0.125) -> None:
        n = model.n_agents
        self.agents = Slots(model.agent_ids, "agent", max(8, int(headroom * n)))
        self.tasks = None
        cap = (self.agents.cap,)
        for f in self.agent_vectors:
            setattr(self, f, _grow(np.asarray(getattr(model, f), dtype=float), cap, 0.0))
        self.capacity = float(model.capacity)
        self.objective_name = model.objective
        self.sense = model.sense
        self.name = model.name

    def prepare(self, event: Event) -> list[Delta]:
        where = self.where(event)
        A = self.agents
        if isinstance(event, AgentDown):
            A.lookup(event.agent, where)
            if len(A) == 1:
                raise EventError(f"{where}cannot remove the last agent; a model needs at least one")
            return [Delta("drop_agent", name=event.agent)]
        if isinstance(event, AgentUp):
            if event.agent in A.slot_of:
                raise EventError(f"{where}agent {event.agent!r} is already alive")
            rules = {"arrival_rate": "nonnegative", "service_rate": "positive", "priority": "nonnegative",
                     "min_share": "nonnegative", "max_share": "nonnegative"}
            unknown = sorted(set(event.data) - set(rules))
            if unknown:
                raise EventError(f"{where}`data` has no field {unknown[0]!r}; ShareAllocation takes "
                                 f"{', '.join(rules)}")
            values = {"priority": 1.0, "min_share": 0.0, "max_share": np.inf}
            for key, rule in rules.items():
                if key in event.data:
                    values[key] = scalar(event.data[key], name=f"data.{key}", where=where, rule=rule)
                elif key in ("arrival_rate", "service_rate"):
                    raise EventError(f"{where}`data` needs `{key}`")
            if values["max_share"] < values["min_share"]:
                raise EventError(f"{where}`data.max_share` must be at least `data.min_share`")
            return [Delta("add_agent", name=event.agent, values=values)]
        if isinstance(event, (TaskAdded, TaskDone)):
            raise EventError(f"{where}ShareAllocation has no tasks")
        if isinstance(event, CostChanged):
            if event.task is not None or event.agent is None:
                raise EventError(f"{where}a ShareAllocation cost is an agent's priority: give `agent` only")
            return [self._agent_value("priority", event, where, "nonnegative")]
        if isinstance(event, CapacityChanged):
            if event.agent is None:
                value = scalar(event.value, name="value", where=where, rule="positive")
                return [Delta("set", field="capacity", values=value, old=self.capacity)]
            a = A.lookup(event.agent, where)
            value = scalar(event.value, name="value", where=where, rule="nonnegative")
            if value < self.min_share[a]:
                raise EventError(f"{where}`value` must be at least the agent's minimum share {self.min_share[a]:g}")
            return [self._set("max_share", np.array([a]), None, np.array([value]))]
        if isinstance(event, DemandChanged):
            if event.task is not None or event.agent is None:
                raise EventError(f"{where}a ShareAllocation demand is an agent's arrival rate: give `agent` only")
            return [self._agent_value("arrival_rate", event, where, "nonnegative")]
        raise EventError(f"{where}not an event this model takes")

    def _agent_value(self, name: str, event: Event, where: str, rule: str) -> Delta:
        a = self.agents.lookup(event.agent, where)  # type: ignore[union-attr]
        value = scalar(event.value, name="value", where=where, rule=rule)  # type: ignore[union-attr]
        return self._set(name, np.array([a]), None, np.array([value]))

    def _write(self, name: str, agents: np.ndarray | None, tasks: np.ndarray | None, values: Any) -> None:
        if name == "capacity":
            self.capacity = float(values)
        else:
            super()._write(name, agents, tasks, values)

    def _write_new(self, delta: Delta) -> None:
        for key, value in delta.values.items():
            getattr(self, key)[delta.slot] = value

    def materialize(self, *, penalized: bool = False) -> ShareAllocation:
        A = self.agents.alive()
        return ShareAllocation(self.arrival_rate[A], self.service_rate[A], priority=self.priority[A],
                               min_share=self.min_share[A], max_share=self.max_share[A], capacity=self.capacity,
                               objective=self.objective_name, agent_ids=tuple(self.agents.ids), name=self.name)


def tables_for(model: Model) -> Tables:
    """Slot tables for ``model``; a clear error for a model kind without event support."""
    if isinstance(model, (LinearAssignment, GeneralizedAssignment)):
        return AssignmentTables(model)
    if isinstance(model, ShareAllocation):
        return ShareTables(model)
    raise TypeError(f"`model` must be a LinearAssignment, GeneralizedAssignment or ShareAllocation for "
                    f"event-triggered reallocation; got {type(model).__name__}")
