"""allotment.solvers: how models are solved.

>>> from allotment.models import LinearAssignment
>>> from allotment.solvers import solve
>>> solve(LinearAssignment([[4, 1], [2, 3]])).answer.assignment.tolist()
[1, 0]
"""
from .allocators import cbba, contract_net, sequential_auction
from .api import methods_for, pick_method, solve
from .backend import Backend, SolveOptions, available_methods, get_backend, register_backend
from .batch import solve_many
from .compare import ComparisonTable, compare, register_allocator
from .events import (AgentDown, AgentUp, CapacityChanged, CostChanged, DemandChanged, Heartbeat, TaskAdded, TaskDone,
                     read_trace, write_trace)
from .heartbeat import HeartbeatMonitor
from .incremental import Reallocator
from .mechanisms import first_price, mcafee, vcg, vickrey
from .result import Result, Status, relative_gap

__all__ = [
    "cbba", "contract_net", "first_price", "mcafee", "sequential_auction", "vcg", "vickrey",
    "Backend", "Result", "SolveOptions", "Status", "available_methods", "get_backend", "methods_for",
    "pick_method", "register_backend", "relative_gap", "solve",
    "AgentDown", "AgentUp", "CapacityChanged", "CostChanged", "DemandChanged", "Heartbeat", "HeartbeatMonitor",
    "Reallocator", "TaskAdded", "TaskDone", "read_trace", "write_trace",
    "ComparisonTable", "compare", "register_allocator", "solve_many",
]
