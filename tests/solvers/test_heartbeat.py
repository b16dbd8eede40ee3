"""HeartbeatMonitor: silence longer than the timeout becomes one AgentDown; feed() runs a trace."""
from __future__ import annotations

import pytest

from allotment.solvers.events import AgentDown, AgentUp, CostChanged, Heartbeat
from allotment.solvers.heartbeat import HeartbeatMonitor


def test_down_once_at_the_deadline_and_back() -> None:
    mon = HeartbeatMonitor(2.0, ["a", "b", "c"], now=0.0)
    for t in (1.0, 2.0, 3.0):
        mon.beat("a", t)
        mon.beat("b", t)
    assert mon.poll(2.0) == []          # c silent exactly 2 s: not more than the timeout
    assert mon.poll(2.5) == [AgentDown("c", time=2.0)]
    assert mon.poll(6.0) == [AgentDown("a", time=5.0), AgentDown("b", time=5.0)]
    assert mon.poll(9.0) == [] and mon.down == ["a", "b", "c"]
    assert mon.beat("c", 9.5) is True and mon.beat("c", 9.6) is False
    assert mon.alive == ["c"]


def test_late_heartbeats_and_unknown_agents() -> None:
    mon = HeartbeatMonitor(1.0)
    assert mon.beat("x", 5.0) is False   # an unknown agent is watched from its first beat
    mon.beat("x", 4.0)                   # late: the latest time counts
    assert mon.poll(5.9) == [] and mon.poll(6.5) == [AgentDown("x", time=6.0)]
    mon.forget("x")
    assert mon.down == [] and mon.alive == []


def test_feed_turns_a_trace_into_model_events() -> None:
    records = [Heartbeat("a", 1.0), Heartbeat("b", 1.0), CostChanged(3.0, agent="a", time=1.5),
               Heartbeat("a", 2.0), Heartbeat("a", 3.0), Heartbeat("a", 4.0),
               AgentDown("b", time=4.5),                 # reported by the timeout first: dropped
               AgentUp("c", {"cost": [1.0]}, time=4.6), Heartbeat("a", 5.0), Heartbeat("b", 5.5)]
    mon = HeartbeatMonitor(2.5, ["a", "b"], now=0.0)
    back = []
    events = list(mon.feed(records, on_return=lambda agent, t: back.append((agent, t)) or None))
    assert events == [CostChanged(3.0, agent="a", time=1.5), AgentDown("b", time=3.5),
                      AgentUp("c", {"cost": [1.0]}, time=4.6)]
    assert back == [] and mon.alive == ["a", "b", "c"]  # b was forgotten, then came back as a new watch


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="`timeout` must be a positive number"):
        HeartbeatMonitor(0)
    mon = HeartbeatMonitor(1.0, now=5.0)
    with pytest.raises(ValueError, match="`now` must not go back in time"):
        mon.poll(4.0)
