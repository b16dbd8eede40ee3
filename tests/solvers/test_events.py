"""Events: dataclasses, JSON-lines traces, errors that name the line and the field."""
from __future__ import annotations

import pytest

from allotment.models.errors import EventError
from allotment.solvers.events import (EVENT_KINDS, AgentDown, AgentUp, CapacityChanged, CostChanged, DemandChanged,
                                      Heartbeat, TaskAdded, TaskDone, describe, event_from_dict, event_to_dict,
                                      iter_events, read_trace, write_trace)

EXAMPLES = [
    AgentDown("a1", time=3.0),
    AgentUp("a9", {"cost": [1.0, 2.0], "capacity": 4.0}),
    TaskAdded("t9", {"cost": {"a1": 2.5, "a2": 1.0}, "weight": 3}),
    TaskDone("t1"),
    CostChanged(2.5, agent="a1", task="t2"),
    CostChanged([1, 2, 3], agent="a1"),
    CapacityChanged(7.0, agent="a2"),
    CapacityChanged(2.0),
    DemandChanged({"a1": 3.0}, task="t4", time=1.5),
    Heartbeat("a1", 2.0),
]


@pytest.mark.parametrize("event", EXAMPLES, ids=[e.kind for e in EXAMPLES])
def test_round_trip_through_dict_and_file(event, tmp_path) -> None:
    assert event_from_dict(event_to_dict(event)) == event
    path = tmp_path / "trace.jsonl"
    write_trace([event, event], path)
    assert read_trace(path) == [event, event]


def test_every_kind_is_known_and_described() -> None:
    assert set(EVENT_KINDS) == {e.kind for e in EXAMPLES}
    assert describe(CapacityChanged(2.0)) == "capacity_changed = 2"
    assert list(iter_events(EXAMPLES)) == EXAMPLES[:-1]


def test_trace_skips_blank_lines_and_comments(tmp_path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('# a comment\n\n{"event": "task_done", "task": "t1"}\n')
    assert read_trace(path) == [TaskDone("t1")]


@pytest.mark.parametrize("line, match", [
    ('{"event": "agent_dwn", "agent": "a"}', r"t.jsonl:1: unknown event kind 'agent_dwn'; known kinds: agent_down"),
    ('{"event": "agent_down"}', r"t.jsonl:1: agent_down needs the field `agent`"),
    ('{"event": "agent_down", "agent": "a", "colour": 1}', r"agent_down has no field 'colour'"),
    ('{"event": "agent_down", "agent": ["a"]}', r"`agent` must be an id"),
    ('{"event": "agent_down", "agent": "a", "time": "soon"}', r"`time` must be a finite number"),
    ('{"event": "cost_changed", "agent": "a", "value": "high"}', r"`value` must be a number, a list of numbers"),
    ('{"event": "agent_up", "agent": "a", "data": [1]}', r"`data` must be an object"),
    ('{"event": "agent_up", "agent": "a", "data": {"cost": "x"}}', r"`data.cost` must be a number"),
    ('[1, 2]', r"a record must be a JSON object"),
    ('{"event": "task_done", "task": "t1"', r"t.jsonl:1: not valid JSON"),
])
def test_bad_records_name_line_and_field(tmp_path, line: str, match: str) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(EventError, match=match):
        read_trace(path)


def test_records_are_data_not_code(tmp_path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"event": "task_done", "task": "__import__(\'os\').system(\'false\')"}\n')
    assert read_trace(path)[0].task == "__import__('os').system('false')"
