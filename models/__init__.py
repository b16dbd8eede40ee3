"""allotment.models: what the user states. No solver is imported here.

>>> from allotment.models import GeneralizedAssignment
>>> GeneralizedAssignment([[1, 2]], [[1, 1]], [2]).n_tasks
2
"""
from .answers import Assignment
from .assignment import LinearAssignment
from .auction import AuctionAllocation, CombinatorialAuction
from .base import MODEL_KINDS, CheckReport, Model, register_kind
from .cats import read_cats
from .coalition import CoalitionAllocation, Dispatch
from .dcop import DCOP, DCOPAssignment, Factor
from .dcop_io import read_pydcop_yaml, read_xcsp, write_pydcop_yaml, write_xcsp
from .errors import (
    AllotmentError,
    EventError,
    InstanceError,
    ModelNotSolvedError,
    OptionError,
    SolverUnavailableError,
)
from .files import (
    READERS,
    detect_format,
    load,
    load_all,
    model_from_dict,
    register_reader,
    save,
)
from .gap import GeneralizedAssignment
from .guidance import AssignmentGuidance
from .multiresource import MultiResourceAssignment
from .orlib import count_orlib_gap_problems, read_orlib_gap, read_orlib_lap
from .program import Program, ProgramBuilder, VariableBlock
from .scheduling import Schedule, UnrelatedScheduling
from .shares import ShareAllocation, ShareAnswer

__all__ = [
    "AuctionAllocation", "CombinatorialAuction", "read_cats",
    "Schedule", "ShareAllocation", "ShareAnswer", "UnrelatedScheduling",
    "AssignmentGuidance", "CoalitionAllocation", "Dispatch", "MultiResourceAssignment",
    "DCOP", "DCOPAssignment", "Factor", "read_pydcop_yaml", "read_xcsp", "write_pydcop_yaml", "write_xcsp",
    "AllotmentError", "EventError", "Assignment", "CheckReport", "GeneralizedAssignment", "InstanceError",
    "LinearAssignment", "MODEL_KINDS", "Model", "ModelNotSolvedError", "OptionError", "Program", "ProgramBuilder",
    "READERS", "SolverUnavailableError", "VariableBlock", "count_orlib_gap_problems", "detect_format",
    "load", "load_all", "model_from_dict", "read_orlib_gap", "read_orlib_lap", "register_kind", "register_reader", "save",
]
