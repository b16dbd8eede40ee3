"""The `allot` command: output, stable JSON, exit codes."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from allotment.solvers.cli import EXIT_BAD_INPUT, EXIT_METHOD, EXIT_NO_ANSWER, EXIT_OK, main
from tests.conftest import REPO, SHARED_INSTANCES

GAP1 = SHARED_INSTANCES / "gap" / "orlib" / "gap1.txt"


def test_solve_table_multi_problem_file(capsys):
    assert main(["solve", str(GAP1), "--sense", "max"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "gap1.txt#5" in out and "optimal" in out and "336" in out


def test_solve_json_is_stable(capsys, tmp_path):
    out_file = tmp_path / "runs.json"
    code = main(["solve", str(REPO / "instances" / "gap1-1-min.json"), "--json", "--out", str(out_file)])
    assert code == EXIT_OK
    doc = json.loads(capsys.readouterr().out)
    assert doc["version"] == 1
    run = doc["runs"][0]
    assert set(run) == {"file", "label", "problem", "result", "check"}
    assert set(run["result"]) == {"status", "objective", "bound", "gap", "runtime", "method", "message", "stages",
                                  "answer"}
    assert run["result"]["status"] == "optimal" and run["result"]["objective"] == 261
    assert run["check"]["feasible"] is True
    assert len(run["result"]["answer"]["assignment"]) == 15
    assert json.loads(out_file.read_text()) == doc


def test_infeasible_exits_1(tmp_path, capsys):
    path = tmp_path / "inf.json"
    path.write_text(json.dumps({"problem": "generalized_assignment", "cost": [[1, 2]], "weight": [[1, 1]],
                                "capacity": [1]}))
    assert main(["solve", str(path)]) == EXIT_NO_ANSWER
    assert "infeasible" in capsys.readouterr().out


@pytest.mark.parametrize("text, message", [
    ('{"problem": "generalized_assignment", "cost": [[1]]', "malformed JSON"),
    ('{"problem": "generalized_assignment", "cost": [[NaN]], "weight": [[1]], "capacity": [1]}',
     "`cost[0][0]` must not be NaN"),
    ('{"problem": "generalized_assignment", "cost": [[1]], "weight": [[1]], "capacity": [-1]}',
     "`capacity[0]` must be non-negative"),
    ('{"problem": "teleport"}', "unknown problem kind 'teleport'"),
])
def test_bad_input_exits_2_and_names_the_place(tmp_path, capsys, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    assert main(["solve", str(path)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "bad.json" in err and message in err


def test_truncated_orlib_exits_2(tmp_path, capsys):
    path = tmp_path / "gapt.txt"
    path.write_text("1\n2 3\n1 2 3\n")
    assert main(["solve", str(path)]) == EXIT_BAD_INPUT
    assert "truncated" in capsys.readouterr().err


def test_method_errors_exit_3(capsys):
    gap = str(REPO / "instances" / "gap1-1-min.json")
    assert main(["solve", gap, "--method", "nosuch"]) == EXIT_METHOD
    assert main(["solve", gap, "--method", "lsa"]) == EXIT_METHOD
    assert "does not solve GeneralizedAssignment" in capsys.readouterr().err


def test_info_and_methods(capsys):
    assert main(["info", str(REPO / "instances" / "assign100.json")]) == EXIT_OK
    out = capsys.readouterr().out
    assert "linear_assignment" in out and "agents: 100" in out and "lsa" in out
    assert main(["methods"]) == EXIT_OK
    out = capsys.readouterr().out
    for name in ("highs", "cpsat", "lsa", "pyomo"):
        assert name in out


@pytest.mark.parametrize("to", ["json", "mps", "lp"])
def test_convert(tmp_path, capsys, to):
    out = tmp_path / f"gap1-2.{to}"
    assert main(["convert", str(GAP1), "--problem", "2", "--to", to, "--out", str(out)]) == EXIT_OK
    text = out.read_text()
    assert text
    if to == "json":
        assert main(["solve", str(out), "--json"]) == EXIT_OK
        assert '"objective": 269' in capsys.readouterr().out


def test_convert_needs_problem_for_multi_problem_files(capsys):
    assert main(["convert", str(GAP1), "--to", "json"]) == EXIT_BAD_INPUT
    assert "pick one with --problem" in capsys.readouterr().err


def test_console_script_installed():
    proc = subprocess.run([sys.executable, "-m", "allotment.solvers.cli", "methods"], capture_output=True, text=True)
    assert proc.returncode == 0 and "highs" in proc.stdout


def test_make_demo_showcase_matches_known_optima(capsys):
    from allotment.solvers.demo import run_demo

    assert run_demo(REPO / "instances", time_limit=60) == 0
    out = capsys.readouterr().out
    assert "FAILED" not in out and "gap12-1-max.json" in out
