"""The exception classes of allotment: one place, one meaning each.

>>> from allotment.models import InstanceError
>>> err = InstanceError("must be non-negative; got -1.0", field="capacity", index=(2,))
>>> str(err)
'`capacity[2]` must be non-negative; got -1.0'
"""
from __future__ import annotations

from collections.abc import Sequence

__all__ = ["AllotmentError", "EventError", "InstanceError", "ModelNotSolvedError", "OptionError", "SolverUnavailableError"]


class AllotmentError(Exception):
    """Base class of every error allotment raises on purpose."""


def _where(field: str | None, index: int | Sequence[int] | None) -> str:
    if field is None:
        return ""
    if index is None:
        return f"`{field}`"
    if isinstance(index, (int,)) or not isinstance(index, Sequence):
        index = (int(index),)
    return f"`{field}[{']['.join(str(int(i)) for i in index)}]`"


class InstanceError(AllotmentError, ValueError):
    """Instance data that cannot describe a valid model.

    The message names the place: the file (``source``), the field and the index, and
    says what was expected and what was found.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        index: int | Sequence[int] | None = None,
        source: str | None = None,
    ) -> None:
        self.field = field
        self.index = index
        self.source = source
        self.reason = message
        where = _where(field, index)
        text = f"{where} {message}" if where else message
        if source:
            text = f"{source}: {text}"
        super().__init__(text)

    def with_source(self, source: str) -> "InstanceError":
        """The same error, prefixed with the file it came from."""
        if self.source:
            return self
        return InstanceError(self.reason, field=self.field, index=self.index, source=source)


class SolverUnavailableError(AllotmentError, RuntimeError):
    """A method was asked for by name but cannot run here (not installed, or wrong model)."""


class ModelNotSolvedError(AllotmentError, RuntimeError):
    """An answer was asked of a result that has none (infeasible, time limit, error)."""


class OptionError(AllotmentError, ValueError):
    """A method option that the method (or its library) does not take."""


class EventError(AllotmentError, ValueError):
    """An event that cannot apply to the current allocation (unknown id, inconsistent data).

    The message names the event (and its trace line when read from a file) and the field;
    the allocation the event was meant for stays unchanged.
    """
