"""Heuristics for assignment encodings: a genetic algorithm and a particle swarm.

Both search task -> agent vectors with Chu and Beasley's repair and improvement (shift and
swap moves), take ``time_limit``, ``seed`` and a ``warm_start`` answer, and report the LP
relaxation's bound so that every result carries a real gap.

>>> from allotment.models import GeneralizedAssignment
>>> from allotment.solvers.heuristics import genetic_algorithm
>>> gap = GeneralizedAssignment(cost=[[1, 5], [4, 2]], weight=[[3, 3], [3, 3]], capacity=[3, 3])
>>> genetic_algorithm(gap, seed=0, max_children=50).objective
3.0
"""
from .adapters import ADAPTERS, encode, has_adapter, register_adapter
from .encoding import Encoding, Population, evaluate, local_search
from .ga import GA_DEFAULTS, genetic_algorithm
from .pso import PSO_DEFAULTS, particle_swarm

__all__ = [
    "ADAPTERS", "Encoding", "GA_DEFAULTS", "PSO_DEFAULTS", "Population", "encode", "evaluate",
    "genetic_algorithm", "has_adapter", "local_search", "particle_swarm", "register_adapter",
]
