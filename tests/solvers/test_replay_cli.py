"""``allot replay``: per-event table, totals against cold, exit codes."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from allotment.models import GeneralizedAssignment, save
from allotment.solvers.events import AgentDown, CostChanged, Heartbeat, TaskDone, write_trace
from allotment.solvers.replay_cli import add_replay_parser, run_replay

INSTANCES = Path(__file__).resolve().parents[2] / "instances"


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="allot")
    add_replay_parser(parser.add_subparsers()).set_defaults(run=run_replay)
    args = parser.parse_args(["replay", *argv])
    return args.run(args)


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path]:
    model = tmp_path / "gap.json"
    save(GeneralizedAssignment([[1, 5, 3], [4, 2, 2], [3, 3, 1]], [[2, 2, 2]] * 3, [6, 6, 6]), model)
    trace = tmp_path / "trace.jsonl"
    write_trace([Heartbeat("agent0", 1.0), CostChanged(9.0, agent="agent0", task="task0", time=1.0),
                 Heartbeat("agent0", 2.0), AgentDown("agent2", time=2.0), Heartbeat("agent0", 2.9),
                 TaskDone("task1", time=3.0)], trace)
    return model, trace


def test_table_with_cold_comparison(files, capsys) -> None:
    assert run([str(files[0]), str(files[1]), "--compare-cold"]) == 0
    out = capsys.readouterr().out
    assert "start (cold)" in out and "agent_down agent2" in out and "cold ms" in out
    assert "3 events: warm" in out and "0 step(s) with a different optimum" in out
    assert "3 heartbeat record(s) skipped" in out


def test_json_output_and_migration_cost(files, capsys) -> None:
    assert run([str(files[0]), str(files[1]), "--json", "--migration-cost", "2", "--compare-cold"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["version"] == 1 and len(data["steps"]) == 4 and data["totals"]["mismatches"] == 0
    step = data["steps"][2]
    assert step["event"] == {"event": "agent_down", "agent": "agent2", "time": 2.0}
    assert step["status"] == "optimal" and step["n_changed"] >= 1
    assert step["penalized_objective"] <= step["objective"]


def test_heartbeat_timeout_declares_agents_down(files, capsys) -> None:
    assert run([str(files[0]), str(files[1]), "--heartbeat-timeout", "1.5", "--json"]) == 0
    events = [s["event"] for s in json.loads(capsys.readouterr().out)["steps"][1:]]
    # watched from the first record (t = 1); agent2 leaves explicitly at t = 2; agent1 never beats and
    # is declared down at t = 2.5, when the record at t = 2.9 arrives; agent0 beats in time
    assert events == [{"event": "cost_changed", "value": 9.0, "agent": "agent0", "task": "task0", "time": 1.0},
                      {"event": "agent_down", "agent": "agent2", "time": 2.0},
                      {"event": "agent_down", "agent": "agent1", "time": 2.5},
                      {"event": "task_done", "task": "task1", "time": 3.0}]


def test_event_that_does_not_fit_is_exit_2_with_its_place(files, tmp_path, capsys) -> None:
    from allotment.solvers.cli import main

    trace = tmp_path / "bad.jsonl"
    write_trace([AgentDown("nobody", time=4.0)], trace)
    assert main(["replay", str(files[0]), str(trace)]) == 2
    assert "event 1 at time 4: agent_down nobody: unknown agent 'nobody'" in capsys.readouterr().err


def test_shipped_example_trace(capsys) -> None:
    code = run([str(INSTANCES / "reallocation-gap.json"), str(INSTANCES / "reallocation-trace.jsonl"),
                "--heartbeat-timeout", "2.5", "--compare-cold"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "agent_down w3" in out and "0 step(s) with a different optimum" in out
