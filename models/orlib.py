"""Readers for OR-Library text formats: generalized assignment (gap*) and assignment (assign*).

GAP files (Beasley's OR-Library, Chu and Beasley 1997): the number of problems P, then per
problem ``m n``, the m x n cost matrix, the m x n resource-use matrix and the m capacities.
Files holding one problem without the P line (Yagiura's C/D sets) are read too.

LAP files (``assign*.txt``): ``n`` then the n x n costs row by row ("dense"); or ``n`` then
triplets ``i j cost`` with 1-based indices, pairs not listed being forbidden ("sparse").

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "tiny.txt")
>>> _ = open(path, "w").write("1\\n2 2\\n1 2\\n3 4\\n5 5\\n5 5\\n5 5\\n")
>>> read_orlib_gap(path).capacity.tolist()
[5.0, 5.0]
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ._validate import Sense
from .assignment import LinearAssignment
from .errors import InstanceError
from .gap import GeneralizedAssignment

__all__ = ["read_orlib_gap", "read_orlib_lap", "count_orlib_gap_problems"]


def _numbers(path: str | Path) -> np.ndarray:
    text = Path(path).read_text()
    try:
        return np.array(text.split(), dtype=float)
    except ValueError:
        for k, tok in enumerate(text.split()):
            try:
                float(tok)
            except ValueError:
                raise InstanceError(f"token {k + 1} is {tok[:20]!r}, not a number", source=str(path)) from None
        raise


def _whole(value: float, what: str, source: str) -> int:
    if value != int(value) or value < 1:
        raise InstanceError(f"{what} must be a positive whole number; got {value:g}", source=source)
    return int(value)


def _gap_layout(nums: np.ndarray, source: str) -> tuple[int, int]:
    """(number of problems, offset of the first problem) for a GAP token stream."""
    if nums.size >= 2:
        m, n = nums[0], nums[1]
        if m == int(m) and n == int(n) and m >= 1 and n >= 1 and nums.size == 2 + 2 * int(m) * int(n) + int(m):
            return 1, 0  # a single problem without the count line (Yagiura's files)
    if nums.size == 0:
        raise InstanceError("file is empty; expected the number of problems", source=source)
    return _whole(nums[0], "the number of problems (first number)", source), 1


def count_orlib_gap_problems(path: str | Path) -> int:
    """How many problems an OR-Library GAP file holds."""
    return _gap_layout(_numbers(path), str(path))[0]


def read_orlib_gap(path: str | Path, problem: int = 1, *, sense: Sense | str = "min") -> GeneralizedAssignment:
    """Problem number ``problem`` (1-based) of an OR-Library GAP file.

    gap1..gap12 are published as maximisation problems; pass ``sense="max"`` for those
    optima (the same data are also used as minimisation problems).
    """
    source = str(path)
    nums = _numbers(path)
    count, pos = _gap_layout(nums, source)
    if not 1 <= problem <= count:
        raise InstanceError(f"has {count} problem(s); `problem` must be in 1..{count}, got {problem}", source=source)
    for k in range(1, problem + 1):
        if pos + 2 > nums.size:
            raise InstanceError(f"truncated: problem {k} of {count} has no `m n` header", source=source)
        m = _whole(nums[pos], f"problem {k}: the number of agents m", source)
        n = _whole(nums[pos + 1], f"problem {k}: the number of tasks n", source)
        need = 2 + 2 * m * n + m
        if pos + need > nums.size:
            raise InstanceError(
                f"truncated: problem {k} ({m} agents, {n} tasks) needs {need} numbers, "
                f"only {nums.size - pos} left", source=source)
        if k == problem:
            body = nums[pos + 2: pos + need]
            cost = body[: m * n].reshape(m, n)
            weight = body[m * n: 2 * m * n].reshape(m, n)
            capacity = body[2 * m * n:]
            stem = Path(path).stem
            name = stem if count == 1 else f"{stem}-{problem}"
            try:
                return GeneralizedAssignment(cost, weight, capacity, sense=sense, name=name)
            except InstanceError as exc:
                raise exc.with_source(f"{source} (problem {problem})") from None
        pos += need
    raise AssertionError("unreachable")


def read_orlib_lap(path: str | Path, *, sense: Sense | str = "min") -> LinearAssignment:
    """An OR-Library assignment file, dense (n then n*n costs) or sparse (n then i j cost triplets)."""
    source = str(path)
    nums = _numbers(path)
    if nums.size == 0:
        raise InstanceError("file is empty; expected n", source=source)
    n = _whole(nums[0], "n (first number)", source)
    rest = nums[1:]
    name = Path(path).stem
    if rest.size == n * n:
        return LinearAssignment(rest.reshape(n, n), sense=sense, name=name)
    if rest.size % 3 == 0 and rest.size > 0 and rest.size != n * n:
        trip = rest.reshape(-1, 3)
        i, j = trip[:, 0], trip[:, 1]
        if np.all(i == np.round(i)) and np.all(j == np.round(j)) and i.min() >= 1 and j.min() >= 1 \
                and i.max() <= n and j.max() <= n:
            ii, jj = i.astype(int) - 1, j.astype(int) - 1
            cost = np.zeros((n, n))
            allowed = np.zeros((n, n), dtype=bool)
            if np.any(allowed[ii, jj]) or len(set(zip(ii.tolist(), jj.tolist()))) != len(ii):
                raise InstanceError("sparse format lists a pair twice", source=source)
            cost[ii, jj] = trip[:, 2]
            allowed[ii, jj] = True
            return LinearAssignment(cost, sense=sense, allowed=allowed, name=name)
    raise InstanceError(
        f"truncated or malformed: n = {n} needs {n * n} dense costs or (i, j, cost) triplets; "
        f"found {rest.size} numbers", source=source)
