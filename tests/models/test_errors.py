"""Bad input gets a clear error naming the file, field and index: one test per message."""
from __future__ import annotations

import json

import numpy as np
import pytest

from allotment.models import GeneralizedAssignment, InstanceError, LinearAssignment, load, read_orlib_gap, read_orlib_lap


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD_GAP = {"problem": "generalized_assignment", "version": 1, "cost": [[1, 2], [3, 4]],
            "weight": [[1, 1], [1, 1]], "capacity": [2, 2]}


@pytest.mark.parametrize("change, match", [
    ({"cost": [[1, 2], [3, float("nan")]]}, r"gap\.json: `cost\[1\]\[1\]` must not be NaN"),
    ({"cost": [[1, 2], [3, float("inf")]]}, r"`cost\[1\]\[1\]` must be finite; got inf"),
    ({"capacity": [2, -1]}, r"`capacity\[1\]` must be non-negative; got -1.0"),
    ({"weight": [[1, 1], [1, -0.5]]}, r"`weight\[1\]\[1\]` must be non-negative"),
    ({"weight": [[1, 1, 1], [1, 1, 1]]}, r"`weight` must have shape \(n_agents, n_tasks\) = \(2, 2\); got \(2, 3\)"),
    ({"capacity": [2, 2, 2]}, r"`capacity` must have shape \(n_agents,\) = \(2,\); got \(3,\)"),
    ({"cost": [[1, 2], [3]]}, r"`cost` must be an array of numbers"),
    ({"cost": [[1, "x"], [3, 4]]}, r"gap\.json: `cost\[0\]\[1\]` Input should be a valid number"),
    ({"problem": "knapsack"}, r"`problem` unknown problem kind 'knapsack'"),
    ({"version": 7}, r"`version` version 7 is not supported"),
    ({"sense": "up"}, r"`sense` Input should be 'min' or 'max'"),
    ({"agent_ids": ["a", "a"]}, r"`agent_ids\[1\]` duplicate id 'a'"),
    ({"agent_ids": ["a"]}, r"`agent_ids` must have 2 entries; got 1"),
    ({"extra_field": 1}, r"`extra_field` Extra inputs are not permitted"),
])
def test_json_instance_errors(tmp_path, change, match):
    data = {**GOOD_GAP, **change}
    path = _write(tmp_path, "gap.json", json.dumps(data))
    with pytest.raises(InstanceError, match=match):
        load(path)


def test_missing_problem_kind(tmp_path):
    path = _write(tmp_path, "x.json", json.dumps({"cost": [[1]]}))
    with pytest.raises(InstanceError, match=r"x\.json: missing the `problem` field"):
        load(path)


def test_malformed_json(tmp_path):
    path = _write(tmp_path, "broken.json", '{"problem": "linear_assignment", "cost": [[1, 2]')
    with pytest.raises(InstanceError, match=r"broken\.json: malformed JSON at line 1, column \d+"):
        load(path)


def test_json_not_an_object(tmp_path):
    with pytest.raises(InstanceError, match=r"must hold a JSON object; got list"):
        load(_write(tmp_path, "list.json", "[1, 2]"))


def test_missing_file(tmp_path):
    with pytest.raises(InstanceError, match=r"nothere\.json: no such file"):
        load(tmp_path / "nothere.json")


def test_unknown_format(tmp_path):
    path = _write(tmp_path, "data.txt", "hello world")
    with pytest.raises(InstanceError, match=r"cannot tell the file's format"):
        load(path)
    with pytest.raises(InstanceError, match=r"unknown format 'xml'"):
        load(path, format="xml")


def test_truncated_orlib_gap(tmp_path):
    path = _write(tmp_path, "gapx.txt", "2\n2 3\n1 2 3 4 5 6\n1 1 1 1 1 1\n5 5\n2 3\n1 2 3\n")
    assert read_orlib_gap(path, 1).n_tasks == 3
    with pytest.raises(InstanceError, match=r"gapx\.txt: truncated: problem 2 \(2 agents, 3 tasks\) needs 16 numbers, only 5 left"):
        read_orlib_gap(path, 2)
    with pytest.raises(InstanceError, match=r"has 2 problem\(s\); `problem` must be in 1\.\.2, got 3"):
        read_orlib_gap(path, 3)


def test_orlib_gap_bad_token_and_header(tmp_path):
    with pytest.raises(InstanceError, match=r"token 3 is 'abc', not a number"):
        read_orlib_gap(_write(tmp_path, "g1.txt", "1 2 abc"))
    with pytest.raises(InstanceError, match=r"the number of problems \(first number\) must be a positive whole number; got 1.5"):
        read_orlib_gap(_write(tmp_path, "g2.txt", "1.5 2 2"))
    with pytest.raises(InstanceError, match=r"file is empty"):
        read_orlib_gap(_write(tmp_path, "g3.txt", ""))
    with pytest.raises(InstanceError, match=r"g4\.txt \(problem 1\): `capacity\[0\]` must be non-negative"):
        read_orlib_gap(_write(tmp_path, "g4.txt", "1\n1 1\n3\n1\n-4\n"))


def test_truncated_orlib_lap(tmp_path):
    with pytest.raises(InstanceError, match=r"assign3\.txt: truncated or malformed: n = 3 needs 9 dense costs"):
        read_orlib_lap(_write(tmp_path, "assign3.txt", "3\n1 2 3\n4 5 6\n7 8\n"))


def test_sparse_lap_reads_and_forbids(tmp_path):
    lap = read_orlib_lap(_write(tmp_path, "assign2s.txt", "2\n1 1 5\n1 2 3\n2 1 4\n"))
    assert lap.allowed.tolist() == [[True, True], [True, False]]
    assert lap.cost[0, 0] == 5 and lap.cost[1, 0] == 4


def test_constructor_errors():
    with pytest.raises(InstanceError, match=r"`cost` must have 2 dimension\(s\) with shape \(n_agents, n_tasks\); got shape \(3,\)"):
        LinearAssignment([1, 2, 3])
    with pytest.raises(InstanceError, match=r"`cost` must have at least one agent and one task"):
        LinearAssignment(np.zeros((0, 3)))
    with pytest.raises(InstanceError, match=r"`sense` must be 'min' or 'max'; got 'sideways'"):
        LinearAssignment([[1]], sense="sideways")
    with pytest.raises(InstanceError, match=r"`allowed` must have shape \(n_agents, n_tasks\) = \(1, 2\)"):
        LinearAssignment([[1, 2]], allowed=[[True]])
    with pytest.raises(InstanceError, match=r"`unassigned_penalty\[1\]` must be non-negative"):
        GeneralizedAssignment([[1, 2]], [[1, 1]], [2], unassigned_penalty=[1, -1])


def test_models_do_not_alter_input():
    cost = np.array([[1.0, 2.0]])
    gap = GeneralizedAssignment(cost, [[1, 1]], [2])
    with pytest.raises(ValueError):
        gap.cost[0, 0] = 5.0  # read-only: nobody changes a validated model behind its back
    assert cost[0, 0] == 1.0


def test_lap_copy_false_keeps_a_read_only_view():
    cost = np.arange(9.0).reshape(3, 3)
    kept = LinearAssignment(cost, copy=False)
    assert np.shares_memory(kept.cost, cost) and not kept.cost.flags.writeable
    assert cost.flags.writeable  # the caller's own array is left as it was
    assert not np.shares_memory(LinearAssignment(cost).cost, cost)
    with pytest.raises(InstanceError, match=r"`cost\[0\]\[1\]` must not be NaN"):
        LinearAssignment(np.array([[1.0, np.nan]]), copy=False)
