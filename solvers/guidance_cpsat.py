"""CP-SAT formulation of :class:`~allotment.models.AssignmentGuidance` with integer products.

    minimize    sum_ij C[i, j] x[i, j]  +  sum_jk W[k] s[j, k]
    subject to  sum_j x[i, j] <= 1                                  (AddAtMostOne per agent)
                r[j, k] + sum_i S[i, k] x[i, j] = D[j, k]          (>= and r >= 0 when one-sided)
                s[j, k] = r[j, k] * r[j, k]                         (AddMultiplicationEquality)
                t >= (2a + 1) r - a (a + 1)  for integer a in r's range   (redundant secants)

in whole units: ``S``, ``D`` are ``supply``, ``demand`` divided by their largest common
decimal unit (the model's :meth:`~allotment.models.AssignmentGuidance.integer_residuals`), and the objective
``alpha * dist`` and ``weight * unit**2`` is multiplied by the smallest power of ten that
makes every coefficient whole. The optimum is exact; data that no power of ten (up to
10^9) makes whole, such as Euclidean distances of integer points (sqrt 2), are refused
with a message saying so, never rounded. The secant rows are implied by the product (they
are exact at integers) and give CP-SAT's LP relaxation the convex hull of ``r**2``.

The returned vector holds ``x`` (the model's ``x`` block, which ``decode`` reads), then
``r`` (in units) and ``s``. Pairs the model rules out (``useful_pairs``) are fixed to 0.

>>> from allotment.models import AssignmentGuidance
>>> from allotment.solvers import solve
>>> g = AssignmentGuidance([[2, 0], [0, 1], [1, 1]], [[2, 1], [1, 1]],
...                        distance=[[0, 3], [1, 3], [3, 0]], alpha=0.5)
>>> r = solve(g, method="cpsat")
>>> r.status.value, r.objective, r.answer.assignment.tolist()
('optimal', 0.5, [0, 0, 1])
"""
from __future__ import annotations

import numpy as np

from allotment.models import AssignmentGuidance
from allotment.models.coalition import MAX_DECIMALS

from .cpsat import MAX_POWER, CpsatProgram, integer_scale_powers, register_cpsat_formulation

__all__ = ["build_guidance_cpsat", "guidance_cpsat_refusal"]

_OBJ_LIMIT = 2.0**62  # CP-SAT keeps the objective in int64


def _objective_terms(model: AssignmentGuidance) -> tuple[np.ndarray, np.ndarray, float] | str:
    """``(C, W, scale)`` with whole ``C = alpha dist * scale`` and ``W = weight unit**2 * scale``, or why not."""
    ints = model.integer_residuals()
    if ints is None:
        return (f"`supply` and `demand` must be decimals with at most {MAX_DECIMALS} places for "
                "whole residual units; use method='scip'")
    travel = model.alpha * model.distance
    values = np.concatenate([travel.ravel(), ints.weight])
    powers = integer_scale_powers(values)
    if (powers < 0).any():
        k = int(np.flatnonzero(powers < 0)[0])
        if k < travel.size:
            i, j = np.unravel_index(k, travel.shape)
            what = f"alpha * distance[{i}][{j}] = {float(travel[i, j])!r}"
            hint = (" (Euclidean distances of the positions are irrational in general: pass "
                    "`distance=` rounded to the precision you mean, or use method='highs' or 'scip')")
        else:
            what, hint = f"weight[{k - travel.size}] * unit**2 = {float(values[k])!r}", ""
        return f"{what} is not a decimal with at most {MAX_POWER} places{hint}"
    scale = 10.0 ** int(powers.max(initial=0))
    C = np.round(travel * scale)
    W = np.round(ints.weight * scale)
    span = np.maximum(ints.lo.astype(float) ** 2, ints.hi.astype(float) ** 2)
    if C.sum() + (W[None, :] * span).sum() >= _OBJ_LIMIT:
        return "the scaled objective could exceed 2**62; CP-SAT keeps it in 64-bit integers"
    return C.astype(np.int64), W.astype(np.int64), scale


def guidance_cpsat_refusal(model: AssignmentGuidance) -> str | None:
    """Why CP-SAT cannot solve ``model`` exactly (None when it can)."""
    terms = _objective_terms(model)
    return terms if isinstance(terms, str) else None


def build_guidance_cpsat(model: AssignmentGuidance, secants: bool = True) -> CpsatProgram:
    """The CP-SAT model of the module docstring (``secants=False`` drops the redundant rows)."""
    from ortools.sat.python import cp_model

    terms = _objective_terms(model)
    if isinstance(terms, str):
        raise ValueError(terms)
    C, W, scale = terms
    ints = model.integer_residuals()
    assert ints is not None
    m, n, k = model.n_agents, model.n_consumers, model.n_resources
    cp = cp_model.CpModel()
    x = [[cp.new_bool_var(f"x{i}_{j}") for j in range(n)] for i in range(m)]
    for i, j in np.argwhere(~model.useful_pairs()).tolist():
        cp.add(x[i][j] == 0)
    for i in range(m):
        cp.add_at_most_one(x[i])
    lo, hi = ints.lo.tolist(), ints.hi.tolist()
    r = [[cp.new_int_var(lo[j][c], hi[j][c], f"r{j}_{c}") for c in range(k)] for j in range(n)]
    weighted = np.broadcast_to(W > 0, (n, k))
    sq_hi = np.where(weighted, np.maximum(ints.lo**2, ints.hi**2), 0).tolist()
    sq_lo = np.where(weighted & ((ints.lo > 0) | (ints.hi < 0)), np.minimum(ints.lo**2, ints.hi**2), 0).tolist()
    s = [[cp.new_int_var(sq_lo[j][c], sq_hi[j][c], f"s{j}_{c}") for c in range(k)] for j in range(n)]
    weighted_sum = cp_model.LinearExpr.weighted_sum
    S, D = ints.supply, ints.demand
    objective = []
    for c in range(k):
        users = np.flatnonzero(S[:, c]).tolist()
        coef = S[users, c].tolist()
        for j in range(n):
            supplied = weighted_sum([x[i][j] for i in users], coef)
            if model.one_sided:
                cp.add(r[j][c] + supplied >= int(D[j, c]))
            else:
                cp.add(r[j][c] + supplied == int(D[j, c]))
            if W[c] > 0:
                cp.add_multiplication_equality(s[j][c], [r[j][c], r[j][c]])
                if secants:
                    for a in range(lo[j][c], hi[j][c]):
                        cp.add(s[j][c] >= (2 * a + 1) * r[j][c] - a * (a + 1))
                objective.append((s[j][c], int(W[c])))
    nz = np.argwhere(C != 0)
    flat_x = [v for row in x for v in row]
    obj = weighted_sum([x[i][j] for i, j in nz.tolist()], C[C != 0].tolist())
    if objective:
        obj = obj + weighted_sum([v for v, _ in objective], [w for _, w in objective])
    cp.minimize(obj)
    variables = flat_x + [v for row in r for v in row] + [v for row in s for v in row]
    return CpsatProgram(cp, variables, scale, model.to_program())


register_cpsat_formulation(AssignmentGuidance, build_guidance_cpsat, guidance_cpsat_refusal)
