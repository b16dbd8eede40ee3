"""allotment.solvers: how models are solved.

>>> from allotment.models import LinearAssignment
>>> from allotment.solvers import solve
>>> solve(LinearAssignment([[4, 1], [2, 3]])).answer.assignment.tolist()
[1, 0]
"""
from .api import methods_for, pick_method, solve
from .backend import Backend, SolveOptions, available_methods, get_backend, register_backend
from .result import Result, Status, relative_gap

__all__ = [
    "Backend", "Result", "SolveOptions", "Status", "available_methods", "get_backend", "methods_for",
    "pick_method", "register_backend", "relative_gap", "solve",
]
