"""Adapters: how each assignment-style model becomes an :class:`~.encoding.Encoding`.

An adapter is a function ``model -> Encoding`` registered for a model class with
:func:`register_adapter`. Adapters here: LinearAssignment, GeneralizedAssignment,
MultiResourceAssignment (capacities per resource type), CoalitionAllocation and
AssignmentGuidance (agents -> consumers or idle; shortfall or squared mismatch as the soft
load term of the encoding). It states the model in task -> agent vector terms (costs in
minimisation form, resource use, capacities, allowed pairs, an optional quadratic term)
and how vectors and the model's answers convert into each other. The GA, the PSO and the
``method="auto"`` fallback take every model that has one.

>>> from allotment.models import GeneralizedAssignment
>>> gap = GeneralizedAssignment(cost=[[1, 5], [4, 2]], weight=[[3, 3], [3, 3]], capacity=[3, 3],
...                             sense="max", unassigned_penalty=1.0)
>>> enc = encode(gap)
>>> enc.n_agents, enc.n_tasks, enc.cost.tolist()    # a dummy agent for "unassigned"
(3, 2, [[-1.0, -5.0], [-4.0, -2.0], [1.0, 1.0]])
>>> enc.to_answer(np.array([2, 0])).assignment.tolist()
[-1, 0]
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from allotment.models import (
    AssignmentGuidance, CoalitionAllocation, GeneralizedAssignment, LinearAssignment, Model,
    MultiResourceAssignment, OptionError,
)
from allotment.models.answers import Assignment
from allotment.models.coalition import agent_vector

from .encoding import Encoding

__all__ = ["ADAPTERS", "register_adapter", "encode", "has_adapter", "assignment_vector", "x_block_scores"]

#: model class -> adapter
ADAPTERS: dict[type, Callable[[Any], Encoding]] = {}


def register_adapter(model_cls: type) -> Callable[[Callable[[Any], Encoding]], Callable[[Any], Encoding]]:
    """Decorator: ``fn(model) -> Encoding`` becomes the adapter of ``model_cls`` (and subclasses)."""

    def wrap(fn: Callable[[Any], Encoding]) -> Callable[[Any], Encoding]:
        ADAPTERS[model_cls] = fn
        return fn

    return wrap


def _adapter(model: Model) -> Callable[[Any], Encoding] | None:
    for cls in type(model).__mro__:
        if cls in ADAPTERS:
            return ADAPTERS[cls]
    return None


def has_adapter(model: Model) -> bool:
    """True when the GA and the PSO can take ``model``."""
    return _adapter(model) is not None


def encode(model: Model) -> Encoding:
    """The encoding of ``model`` (cached on the model: models are immutable)."""
    cached = model.__dict__.get("_heuristic_encoding")
    if cached is not None:
        return cached
    fn = _adapter(model)
    if fn is None:
        raise TypeError(f"no task -> agent encoding for {type(model).__name__}; "
                        f"encodings exist for {sorted(c.__name__ for c in ADAPTERS)}")
    enc = fn(model)
    model.__dict__["_heuristic_encoding"] = enc
    return enc


def assignment_vector(answer: Any, n_tasks: int) -> np.ndarray:
    """An answer given as an :class:`Assignment`, a Result or a plain vector -> int vector.

    Raises :class:`OptionError` (a ``ValueError``) naming `warm_start` when it is not an
    ``(n_tasks,)`` vector of indices.
    """
    if hasattr(answer, "answer") and hasattr(answer, "status"):  # a Result
        answer = answer.answer
    vec = answer.assignment if isinstance(answer, Assignment) else answer
    arr = np.asarray(vec)
    if arr.shape != (n_tasks,) or arr.dtype.kind not in "iuf" or \
            (arr.dtype.kind == "f" and not np.all(np.isfinite(arr) & (arr == np.round(arr)))):
        raise OptionError(f"`warm_start` must be an answer of this model or an ({n_tasks},) vector of agent "
                         f"indices; got shape {arr.shape}, dtype {arr.dtype}")
    return arr.astype(np.int64)


def x_block_scores(x: np.ndarray, shape: tuple[int, int], extra_row: np.ndarray | None = None) -> np.ndarray:
    """LP values of the program's first block ``x`` (offset 0) as ``(agents, tasks)`` scores."""
    scores = np.asarray(x[: shape[0] * shape[1]], dtype=float).reshape(shape)
    return scores if extra_row is None else np.vstack([scores, extra_row[None, :]])


def _fill_missing(vec: np.ndarray, cost: np.ndarray, allowed: np.ndarray, n_agents: int) -> np.ndarray:
    """Replace out-of-range entries by the cheapest allowed agent (the repair fixes the rest)."""
    vec = vec.copy()
    bad = (vec < 0) | (vec >= n_agents)
    if bad.any():
        cheapest = np.argmin(np.where(allowed, cost, np.inf), axis=0)
        vec[bad] = cheapest[bad]
    return vec


def _capacitated(model: Any, weight: np.ndarray, capacity: np.ndarray) -> Encoding:
    """Tasks to agents with resource use ``weight (R, m, n)`` within ``capacity (R, m)``."""
    m, n = model.cost.shape
    sign = 1.0 if model.sense == "min" else -1.0
    cost = sign * model.cost
    dummy = model.unassigned_penalty is not None
    if dummy:
        # Leaving a task out costs its penalty in either sense (subtracted from a profit).
        cost = np.vstack([cost, model.unassigned_penalty[None, :]])
        weight = np.concatenate([weight, np.zeros((weight.shape[0], 1, n))], axis=1)
        capacity = np.hstack([capacity, np.full((capacity.shape[0], 1), np.inf)])
    M = cost.shape[0]
    allowed = np.ones((M, n), bool)
    integral = bool(np.all(cost == np.round(cost)))

    def to_answer(vec: np.ndarray) -> Assignment:
        return model.answer(np.where(vec >= m, -1, vec))

    def from_answer(answer: Any) -> np.ndarray:
        vec = assignment_vector(answer, n)
        if dummy:
            vec = np.where(vec < 0, m, vec)
        return _fill_missing(vec, cost, allowed, M)

    def lp_scores(x: np.ndarray) -> np.ndarray:
        return x_block_scores(x, (m, n), x[m * n: m * n + n] if dummy else None)

    return Encoding(cost, weight, capacity, allowed, sign=sign, integral=integral,
                    to_answer=to_answer, from_answer=from_answer, info={"lp_scores": lp_scores})


@register_adapter(GeneralizedAssignment)
def _gap_encoding(model: GeneralizedAssignment) -> Encoding:
    return _capacitated(model, model.weight[None], model.capacity[None])


@register_adapter(MultiResourceAssignment)
def _multiresource_encoding(model: MultiResourceAssignment) -> Encoding:
    return _capacitated(model, model.demand.transpose(2, 0, 1), model.capacity.T)


def _fleet(model: Any, travel: np.ndarray, price: np.ndarray, kind: str) -> Encoding:
    """Agents (the encoding's tasks) to consumers or idle (the encoding's agents, idle last),
    priced by ``travel (n_agents, n_consumers)`` and a soft term on each consumer's supply."""
    m, n, R = model.n_agents, model.n_consumers, model.n_resources
    cost = np.vstack([travel.T, np.zeros((1, m))])
    weight = np.zeros((R, n + 1, m))
    weight[:, :n, :] = model.supply.T[:, None, :]
    target = np.hstack([model.demand.T, np.zeros((R, 1))])
    prices = np.hstack([np.repeat(price[:, None], n, axis=1), np.zeros((R, 1))])
    data = np.concatenate([cost.ravel(), model.supply.ravel(), model.demand.ravel(), price])
    integral = bool(np.all(data == np.round(data)))

    def to_answer(vec: np.ndarray) -> Any:
        return model.dispatch(np.where(vec >= n, -1, vec))

    def from_answer(answer: Any) -> np.ndarray:
        if hasattr(answer, "answer") and hasattr(answer, "status"):  # a Result
            answer = answer.answer
        vec, problems = agent_vector(answer, m, n)
        if vec is None:
            raise OptionError(f"`warm_start` must be an answer of this model or an ({m},) vector of consumer "
                              f"indices (-1 = idle): {problems[0]}")
        return np.where(vec < 0, n, vec)

    def lp_scores(x: np.ndarray) -> np.ndarray:
        xm = np.asarray(x[: m * n], dtype=float).reshape(m, n)
        return np.vstack([xm.T, np.clip(1.0 - xm.sum(axis=1), 0.0, None)[None, :]])

    return Encoding(cost, weight, np.full((R, n + 1), np.inf), soft_target=target, soft_price=prices,
                    soft_kind=kind, integral=integral, to_answer=to_answer, from_answer=from_answer,
                    info={"lp_scores": lp_scores})


@register_adapter(CoalitionAllocation)
def _coalition_encoding(model: CoalitionAllocation) -> Encoding:
    return _fleet(model, model.travel_cost, model.penalty, "shortfall")


@register_adapter(AssignmentGuidance)
def _guidance_encoding(model: AssignmentGuidance) -> Encoding:
    return _fleet(model, model.alpha * model.distance, model.weight,
                  "shortfall_square" if model.one_sided else "square")


@register_adapter(LinearAssignment)
def _lap_encoding(model: LinearAssignment) -> Encoding:
    m, n = model.cost.shape
    sign = 1.0 if model.sense == "min" else -1.0
    allowed = np.ones((m, n), bool) if model.allowed is None else model.allowed
    transposed = n > m  # then every agent is matched: encode agent -> task instead
    cost = sign * (model.cost.T if transposed else model.cost)
    ok = allowed.T if transposed else allowed
    rows, tasks = cost.shape
    integral = bool(np.all(cost == np.round(cost)))

    def to_answer(vec: np.ndarray) -> Assignment:
        if not transposed:
            return model.answer(vec)
        out = np.full(n, -1, dtype=np.int64)
        out[vec] = np.arange(m)
        return model.answer(out)

    def from_answer(answer: Any) -> np.ndarray:
        vec = assignment_vector(answer, n)
        if transposed:
            agent_task = np.full(m, -1, dtype=np.int64)
            done = np.flatnonzero((vec >= 0) & (vec < m))
            agent_task[vec[done]] = done
            vec = agent_task
        return _fill_missing(vec, cost, ok, rows)

    def lp_scores(x: np.ndarray) -> np.ndarray:
        s = x_block_scores(x, (m, n))
        return s.T if transposed else s

    return Encoding(cost, np.ones((1, rows, tasks)), np.ones((1, rows)), ok, sign=sign, integral=integral,
                    to_answer=to_answer, from_answer=from_answer, info={"lp_scores": lp_scores})
