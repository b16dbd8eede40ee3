"""The Program: vectorized building, evaluation, blocks, export."""
from __future__ import annotations

import numpy as np
import pytest

from allotment.models import GeneralizedAssignment, InstanceError, LinearAssignment, Program, ProgramBuilder
from allotment.solvers.highs import write_program


def test_gap_program_layout():
    gap = GeneralizedAssignment(cost=[[1, 2, 3], [4, 5, 6]], weight=[[1, 2, 4], [1, 1, 9]], capacity=[3, 9])
    p = gap.to_program()
    assert p is gap.to_program()  # compiled once
    assert (p.n_cols, p.n_rows, p.problem_class) == (6, 5, "MILP")
    assert p.block("x").shape == (2, 3)
    assert dict((name, (start, count)) for name, start, count in p.row_groups) == {"task": (0, 3), "capacity": (3, 2)}
    # a pair heavier than its agent's capacity is fixed to 0 up front
    assert p.col_hi.reshape(2, 3).tolist() == [[1, 1, 0], [1, 1, 1]]
    x = np.zeros(6)
    x[[0, 1, 5]] = 1  # tasks 0, 1 -> agent 0 (load 3), task 2 -> agent 1 (load 9)
    assert p.is_feasible(x) and p.objective_value(x) == 1 + 2 + 6
    x[5], x[2] = 0, 1
    assert not p.is_feasible(x) and p.violation(x) == 4.0  # agent 0 load 7 > 3 (and x[2] above its bound 0)


def test_unassigned_penalty_block_and_sense():
    gap = GeneralizedAssignment([[5.0, 1.0]], [[1, 1]], [1], sense="max", unassigned_penalty=2.0)
    p = gap.to_program()
    assert [b.name for b in p.blocks] == ["x", "u"]
    assert p.c[p.block("u").slice].tolist() == [-2.0, -2.0]  # a penalty lowers a profit
    assert gap.check([0, -1]).objective == 5.0 - 2.0


def test_rectangular_lap_rows():
    p = LinearAssignment(np.ones((2, 3))).to_program()
    assert p.row_lo.tolist() == [1, 1, 0, 0, 0] and p.row_hi.tolist() == [1] * 5


def test_integral_objective_detection():
    assert GeneralizedAssignment([[1, 2]], [[1, 1]], [2]).to_program().has_integral_objective
    assert not GeneralizedAssignment([[1.5, 2]], [[1, 1]], [2]).to_program().has_integral_objective


def test_quadratic_terms_and_classes():
    b = ProgramBuilder()
    x = b.add_block("x", 2, lo=0, hi=1, integer=[True, False], cost=[1, 1])
    b.add_quadratic([x[0], x[1]], [x[1], x[0]], [1.0, 1.0])
    p = b.build()
    assert p.problem_class == "MIQP"
    assert p.objective_value(np.array([1.0, 1.0])) == 3.0  # 1 + 1 + 1/2 * (1 + 1)


def test_program_validates_shapes():
    b = ProgramBuilder()
    b.add_block("x", 2)
    p = b.build()
    with pytest.raises(InstanceError, match=r"`col_lo` must have shape \(2,\); got \(3,\)"):
        p.with_changes(col_lo=np.zeros(3))
    with pytest.raises(InstanceError, match=r"`col_lo` must not contain NaN"):
        p.with_changes(col_lo=np.array([0.0, np.nan]))
    with pytest.raises(KeyError, match="no variable block 'y'"):
        p.block("y")


@pytest.mark.parametrize("suffix", [".mps", ".lp"])
def test_export_through_highs(tmp_path, suffix):
    path = tmp_path / f"gap{suffix}"
    write_program(GeneralizedAssignment([[1, 2]], [[1, 1]], [2]).to_program(), path)
    assert path.stat().st_size > 0
    with pytest.raises(ValueError, match=r"`path` must end in .mps or .lp"):
        write_program(Program(c=np.zeros(0), A=ProgramBuilder().build().A, row_lo=np.zeros(0), row_hi=np.zeros(0),
                              col_lo=np.zeros(0), col_hi=np.zeros(0), integrality=np.zeros(0, bool)),
                      tmp_path / "x.txt")
