"""Events that change a running allocation, and the JSON-lines traces that record them.

An event is a small frozen dataclass. What it changes depends on the model it is applied
to (:class:`~allotment.solvers.incremental.Reallocator` checks it against the current
model, see the table in its docstring):

==========================  ===================================================
``AgentDown(agent)``        the agent is gone (failure, shutdown)
``AgentUp(agent, data)``    an agent joins, with its row of data (``cost`` ...)
``TaskAdded(task, data)``   a task arrives, with its column of data
``TaskDone(task)``          a task is finished or withdrawn
``CostChanged(value, ...)`` one cost, an agent's row or a task's column
``CapacityChanged(...)``    an agent's capacity (or the total capacity)
``DemandChanged(...)``      what a task needs (GAP weights) or an agent's load
==========================  ===================================================

Vector values are a scalar (the same for all), a list in the current order of the other
side's ids, or an object ``{id: value}``. A trace is a JSON-lines file, one record per line,
``{"event": "agent_down", "agent": "a3", "time": 12.5}``; ``heartbeat`` records
(:class:`Heartbeat`) feed a :class:`~allotment.solvers.heartbeat.HeartbeatMonitor`.
Records are data: parsed with ``json``, never evaluated.

>>> ev = event_from_dict({"event": "cost_changed", "agent": "a1", "task": "t2", "value": 3.5})
>>> ev
CostChanged(value=3.5, agent='a1', task='t2', time=None)
>>> event_to_dict(ev)
{'event': 'cost_changed', 'value': 3.5, 'agent': 'a1', 'task': 't2'}
>>> event_from_dict({"event": "agent_dwn", "agent": "a1"})
Traceback (most recent call last):
...
allotment.models.errors.EventError: unknown event kind 'agent_dwn'; known kinds: agent_down, ...
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar, Union

from allotment.models.errors import EventError

__all__ = [
    "AgentDown", "AgentUp", "TaskAdded", "TaskDone", "CostChanged", "CapacityChanged", "DemandChanged",
    "Heartbeat", "Event", "Record", "EVENT_KINDS", "event_from_dict", "event_to_dict", "read_trace",
    "write_trace", "describe", "iter_events",
]


@dataclass(frozen=True)
class AgentDown:
    """Agent ``agent`` is gone; its tasks need other agents."""

    kind: ClassVar[str] = "agent_down"
    agent: str
    time: float | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class AgentUp:
    """Agent ``agent`` joins with ``data`` (its row: ``cost``, ``weight``, ``capacity`` ...)."""

    kind: ClassVar[str] = "agent_up"
    agent: str
    data: Mapping[str, Any]
    time: float | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class TaskAdded:
    """Task ``task`` arrives with ``data`` (its column: ``cost``, ``weight``, ``penalty`` ...)."""

    kind: ClassVar[str] = "task_added"
    task: str
    data: Mapping[str, Any]
    time: float | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class TaskDone:
    """Task ``task`` is finished or withdrawn."""

    kind: ClassVar[str] = "task_done"
    task: str
    time: float | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class CostChanged:
    """New cost ``value`` of the pair (``agent``, ``task``), of an agent's row or a task's column."""

    kind: ClassVar[str] = "cost_changed"
    value: Any
    agent: str | None = None
    task: str | None = None
    time: float | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class CapacityChanged:
    """New capacity ``value`` of ``agent`` (or of the whole resource when ``agent`` is None)."""

    kind: ClassVar[str] = "capacity_changed"
    value: Any
    agent: str | None = None
    time: float | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class DemandChanged:
    """New demand ``value`` of ``task`` (its weights) or of ``agent`` (its arrival rate)."""

    kind: ClassVar[str] = "demand_changed"
    value: Any
    task: str | None = None
    agent: str | None = None
    time: float | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class Heartbeat:
    """Agent ``agent`` is alive at ``time`` (not a model event: a monitor's input)."""

    kind: ClassVar[str] = "heartbeat"
    agent: str
    time: float


Event = Union[AgentDown, AgentUp, TaskAdded, TaskDone, CostChanged, CapacityChanged, DemandChanged]
Record = Union[Event, Heartbeat]

#: record kind -> class
EVENT_KINDS: dict[str, type] = {cls.kind: cls for cls in (
    AgentDown, AgentUp, TaskAdded, TaskDone, CostChanged, CapacityChanged, DemandChanged, Heartbeat)}


def _id(value: Any, name: str, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise EventError(f"{where}`{name}` must be an id (a string); got {value!r}")
    return str(value)


def _time(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise EventError(f"{where}`time` must be a finite number; got {value!r}")
    return float(value)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _value(value: Any, where: str, name: str = "value") -> Any:
    """A number, a list of numbers or an ``{id: number}`` object (booleans allowed for masks)."""
    ok = _is_number(value) or isinstance(value, bool)
    if isinstance(value, (list, tuple)):
        ok = all(_is_number(v) or isinstance(v, bool) for v in value)
        value = list(value)
    elif isinstance(value, Mapping):
        ok = all(isinstance(k, str) and (_is_number(v) or isinstance(v, bool)) for k, v in value.items())
        value = dict(value)
    if not ok:
        raise EventError(f"{where}`{name}` must be a number, a list of numbers or an object {{id: number}}; "
                         f"got {value!r}")
    return value


def event_from_dict(record: Any, *, where: str = "") -> Record:
    """Build an event (or a :class:`Heartbeat`) from one trace record; ``where`` prefixes errors."""
    if not isinstance(record, Mapping):
        raise EventError(f"{where}a record must be a JSON object; got {type(record).__name__}")
    kind = record.get("event")
    if kind not in EVENT_KINDS:
        raise EventError(f"{where}unknown event kind {kind!r}; known kinds: {', '.join(EVENT_KINDS)}")
    cls = EVENT_KINDS[kind]
    names = {f.name: f for f in fields(cls)}
    unknown = sorted(set(record) - set(names) - {"event"})
    if unknown:
        raise EventError(f"{where}{kind} has no field {unknown[0]!r}; its fields: {', '.join(names)}")
    args: dict[str, Any] = {}
    for name, f in names.items():
        if name not in record or record[name] is None:
            if f.default is MISSING:
                raise EventError(f"{where}{kind} needs the field `{name}`")
            continue
        value = record[name]
        if name in ("agent", "task"):
            args[name] = _id(value, name, where)
        elif name == "time":
            args[name] = _time(value, where)
        elif name == "data":
            if not isinstance(value, Mapping):
                raise EventError(f"{where}`data` must be an object; got {value!r}")
            args[name] = {str(k): _value(v, where, f"data.{k}") for k, v in value.items()}
        else:
            args[name] = _value(value, where)
    return cls(**args)


def event_to_dict(event: Record) -> dict[str, Any]:
    """The JSON record of ``event`` (fields that are None are left out)."""
    out: dict[str, Any] = {"event": event.kind}
    for f in fields(event):
        value = getattr(event, f.name)
        if value is not None:
            out[f.name] = dict(value) if isinstance(value, Mapping) else value
    return out


def describe(event: Record) -> str:
    """A short one-line text of ``event`` for tables and logs.

    >>> describe(AgentDown("a3")), describe(CostChanged([1, 2], agent="a1"))
    ('agent_down a3', 'cost_changed a1 (2 values)')
    """
    who = " ".join(str(getattr(event, k)) for k in ("agent", "task") if getattr(event, k, None) is not None)
    value = getattr(event, "value", None)
    if isinstance(value, (list, dict)):
        extra = f" ({len(value)} values)"
    elif value is not None:
        extra = f" = {value:g}" if _is_number(value) else f" = {value}"
    else:
        extra = ""
    return " ".join(part for part in (event.kind, who) if part) + extra


def read_trace(path: str | Path) -> list[Record]:
    """Every record of a JSON-lines trace (blank lines and ``#`` comments skipped).

    Errors name the file and the line: ``trace.jsonl:7: unknown event kind ...``.
    """
    path = Path(path)
    out: list[Record] = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            where = f"{path.name}:{number}: "
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                raise EventError(f"{where}not valid JSON ({exc.msg} at column {exc.colno})") from None
            out.append(event_from_dict(record, where=where))
    return out


def write_trace(records: Iterable[Record], path: str | Path) -> None:
    """Write ``records`` as a JSON-lines trace that :func:`read_trace` reads back."""
    with Path(path).open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(event_to_dict(record)) + "\n")


def iter_events(records: Iterable[Record]) -> Iterator[Event]:
    """The model events of ``records`` (heartbeats left out)."""
    return (r for r in records if not isinstance(r, Heartbeat))
