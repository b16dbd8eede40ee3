"""Failure detection: missing heartbeats become :class:`~allotment.solvers.events.AgentDown` events.

An agent is declared down when it has sent no heartbeat for more than ``timeout``
seconds (a fixed-timeout failure detector): with last heartbeat at ``t_last`` the
``AgentDown`` is due at ``t_last + timeout`` and is reported once, by the first
:meth:`HeartbeatMonitor.poll` at or after that time. A heartbeat from an agent that was
declared down tells the caller it is back (``beat`` returns True), so a control loop can
send an ``AgentUp``:

    heartbeats and task events -> HeartbeatMonitor -> Reallocator -> new allocation

:meth:`HeartbeatMonitor.feed` runs that loop's first stage over a recorded trace.

>>> mon = HeartbeatMonitor(5.0, agents=["a", "b"], now=0.0)
>>> mon.beat("a", 4.0)
False
>>> mon.poll(6.0)
[AgentDown(agent='b', time=5.0)]
>>> mon.poll(7.0)
[]
>>> mon.beat("b", 8.0)
True

References: T. D. Chandra and S. Toueg, "Unreliable failure detectors for reliable
distributed systems", Journal of the ACM 43 (1996).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator

from .events import AgentDown, AgentUp, Event, Heartbeat, Record

__all__ = ["HeartbeatMonitor"]


class HeartbeatMonitor:
    """Fixed-timeout failure detector (see the module docstring).

    Parameters
    ----------
    timeout : float
        Seconds of silence after which an agent is declared down; positive.
    agents : ids watched from ``now`` on (as if each had just sent a heartbeat)
    now : float
        The time the watch starts.
    """

    def __init__(self, timeout: float, agents: Iterable[str] = (), *, now: float = 0.0) -> None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not math.isfinite(timeout) \
                or timeout <= 0:
            raise ValueError(f"`timeout` must be a positive number of seconds; got {timeout!r}")
        self.timeout = float(timeout)
        self._last: dict[str, float] = {str(a): float(now) for a in agents}
        self._down: set[str] = set()
        self._now = float(now)

    @property
    def alive(self) -> list[str]:
        """Watched agents not declared down."""
        return sorted(a for a in self._last if a not in self._down)

    @property
    def down(self) -> list[str]:
        """Agents declared down (and not back since)."""
        return sorted(self._down)

    def watch(self, agent: str, time: float) -> None:
        """Start watching ``agent`` as alive at ``time`` (after it joined)."""
        self._last[str(agent)] = float(time)
        self._down.discard(str(agent))

    def forget(self, agent: str) -> None:
        """Stop watching ``agent`` (it left for good)."""
        self._last.pop(str(agent), None)
        self._down.discard(str(agent))

    def beat(self, agent: str, time: float) -> bool:
        """Record a heartbeat; True when ``agent`` had been declared down (it is back).

        An agent the monitor did not know is watched from now on. Late heartbeats (older
        than one already seen) are harmless: the latest time counts.
        """
        agent = str(agent)
        back = agent in self._down
        self._down.discard(agent)
        self._last[agent] = max(float(time), self._last.get(agent, -math.inf))
        return back

    def poll(self, now: float) -> list[AgentDown]:
        """``AgentDown`` for every agent silent for more than ``timeout`` at ``now`` (each once).

        Each event's ``time`` is when the silence passed the timeout. ``now`` must not go
        back in time.
        """
        if now < self._now:
            raise ValueError(f"`now` must not go back in time: {now!r} after {self._now!r}")
        self._now = float(now)
        due = sorted((last + self.timeout, agent) for agent, last in self._last.items()
                     if agent not in self._down and now - last > self.timeout)
        self._down.update(agent for _, agent in due)
        return [AgentDown(agent, time=when) for when, agent in due]

    def feed(self, records: Iterable[Record],
             on_return: Callable[[str, float], Event | None] | None = None) -> Iterator[Event]:
        """The model events of a trace, with heartbeats turned into ``AgentDown`` events.

        Records are taken in order; before each one the monitor is polled at its time. A
        model event passes through (``AgentUp`` starts a watch, ``AgentDown`` ends one, and
        is dropped when the timeout already reported that agent). A
        heartbeat from an agent declared down calls ``on_return(agent, time)``, whose event
        (an ``AgentUp`` with the agent's data, say) passes through if not None.
        """
        for record in records:
            now = record.time if record.time is not None else self._now
            yield from self.poll(max(now, self._now))
            if isinstance(record, Heartbeat):
                if self.beat(record.agent, record.time) and on_return is not None:
                    event = on_return(record.agent, record.time)
                    if event is not None:
                        yield event
                continue
            if isinstance(record, AgentUp):
                self.watch(record.agent, now)
            elif isinstance(record, AgentDown):
                already = record.agent in self._down
                self.forget(record.agent)
                if already:  # the timeout reported it first
                    continue
            yield record
