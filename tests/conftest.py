"""Shared test fixtures: where the shared benchmark instances are, and answer checking."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ALLOTMENT_SHARED", REPO.parent / "shared"))
SHARED_INSTANCES = SHARED / "instances"


@pytest.fixture(scope="session")
def shared_instances() -> Path:
    """``../shared/instances`` (CI clones the repo with shared/ beside it)."""
    if not SHARED_INSTANCES.is_dir():
        pytest.fail(f"shared instances not found at {SHARED_INSTANCES}; set ALLOTMENT_SHARED")
    return SHARED_INSTANCES


def assert_verified(model, result, *, expected=None, rel=1e-6):
    """The result has an answer that passes ``model.check`` and whose objective agrees."""
    assert result.ok, f"{result!r}: {result.message}"
    report = model.check(result.answer)
    assert report.feasible, report.violations
    assert abs(report.objective - result.objective) <= rel * max(1.0, abs(report.objective)), \
        (report.objective, result.objective)
    if expected is not None:
        assert abs(report.objective - expected) <= rel * max(1.0, abs(expected)), (report.objective, expected)
    return report
