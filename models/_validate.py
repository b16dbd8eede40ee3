"""Argument normalisation shared by the models: every check names the field and index."""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Literal

import numpy as np

from .errors import InstanceError

Sense = Literal["min", "max"]


def as_sense(value: object, field: str = "sense") -> Sense:
    """Normalise ``"min"``/``"minimize"``/``"max"``/``"maximize"`` to ``"min"`` or ``"max"``."""
    text = str(value).lower()
    if text in ("min", "minimize", "minimise"):
        return "min"
    if text in ("max", "maximize", "maximise"):
        return "max"
    raise InstanceError(f"must be 'min' or 'max'; got {value!r}", field=field)


def _first_bad(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(mask)[0])


def _finite_sum(arr: np.ndarray) -> bool:
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(arr.sum()))


def as_array(
    value: object,
    field: str,
    *,
    ndim: int | None = None,
    shape: Sequence[int | None] | None = None,
    shape_text: str | None = None,
    finite: bool = True,
    nonnegative: bool = False,
    positive: bool = False,
    dtype: type = float,
    copy: bool = True,
) -> np.ndarray:
    """``value`` as a read-only numpy array, checked for shape, NaN/inf and sign.

    With ``copy=False`` an array already of ``dtype`` is not copied: the result is a read-only
    view of the caller's array, who promises not to change it afterwards.

    >>> as_array([1, 2], "capacity", shape=(2,)).tolist()
    [1.0, 2.0]
    >>> as_array([1, -2], "capacity", nonnegative=True)
    Traceback (most recent call last):
    ...
    allotment.models.errors.InstanceError: `capacity[1]` must be non-negative; got -2.0
    """
    try:
        arr = np.array(value, dtype=dtype, copy=True if copy else None)
    except (TypeError, ValueError) as exc:
        raise InstanceError(f"must be an array of numbers; {exc}", field=field) from None
    want = shape_text or (str(tuple(shape)) if shape is not None else None)
    if ndim is not None and arr.ndim != ndim:
        raise InstanceError(
            f"must have {ndim} dimension(s){' with shape ' + want if want else ''}; got shape {arr.shape}",
            field=field,
        )
    if shape is not None:
        if arr.ndim != len(shape) or any(w is not None and w != g for w, g in zip(shape, arr.shape)):
            raise InstanceError(f"must have shape {want}; got {arr.shape}", field=field)
    # Clean data cost one pass and no temporary: a sum of finite numbers is finite (short of
    # overflow, which only sends us to the exact element-wise checks below).
    if arr.dtype.kind == "f" and not (arr.size == 0 or _finite_sum(arr)) and not np.isfinite(arr).all():
        bad = np.isnan(arr)
        if bad.any():
            raise InstanceError("must not be NaN", field=field, index=_first_bad(bad))
        if finite:
            bad = ~np.isfinite(arr)
            if bad.any():
                idx = _first_bad(bad)
                raise InstanceError(f"must be finite; got {arr[idx]}", field=field, index=idx)
    if nonnegative and arr.size and arr.min() < 0:
        bad = arr < 0
        if bad.any():
            idx = _first_bad(bad)
            raise InstanceError(f"must be non-negative; got {arr[idx]}", field=field, index=idx)
    if positive and arr.size and arr.min() <= 0:
        bad = arr <= 0
        if bad.any():
            idx = _first_bad(bad)
            raise InstanceError(f"must be positive; got {arr[idx]}", field=field, index=idx)
    # A read-only view of a private copy (or, with copy=False, of the caller's array): nobody
    # writes through it, and its ``base`` (the writable owner) can go to a library that would
    # copy read-only input (scipy's linear_sum_assignment does) without that copy.
    view = arr.view()
    view.setflags(write=False)
    return view


@lru_cache(maxsize=32)
def _default_ids(prefix: str, count: int) -> tuple[str, ...]:
    return tuple([f"{prefix}{i}" for i in range(count)])


def as_ids(value: Sequence[object] | None, count: int, field: str, prefix: str) -> tuple[str, ...]:
    """Names for ``count`` items: given (checked for length and uniqueness) or ``prefix0..``."""
    if value is None:
        return _default_ids(prefix, count)
    ids = tuple(str(v) for v in value)
    if len(ids) != count:
        raise InstanceError(f"must have {count} entries; got {len(ids)}", field=field)
    if len(set(ids)) != count:
        seen: set[str] = set()
        for i, name in enumerate(ids):
            if name in seen:
                raise InstanceError(f"duplicate id {name!r}", field=field, index=i)
            seen.add(name)
    return ids
