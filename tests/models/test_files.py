"""Instance files: JSON round trips, shipped schemas, shipped instances."""
from __future__ import annotations

import json

import numpy as np
import pytest

from allotment.models import MODEL_KINDS, GeneralizedAssignment, LinearAssignment, load, save
from allotment.models.schemas import FILE_SCHEMAS
from tests.conftest import REPO

SCHEMA_DIR = REPO / "models" / "schemas"


def test_every_kind_has_a_schema():
    assert set(MODEL_KINDS) <= set(FILE_SCHEMAS)


@pytest.mark.parametrize("kind", sorted(FILE_SCHEMAS))
def test_shipped_json_schema_is_current(kind):
    """`make schemas` regenerates models/schemas/; a stale file fails here."""
    shipped = json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text())
    assert shipped == FILE_SCHEMAS[kind].model_json_schema()


@pytest.mark.parametrize("model", [
    LinearAssignment([[1, 2.5], [3, 4]], sense="max", allowed=[[True, False], [True, True]], agent_ids=["a", "b"]),
    GeneralizedAssignment([[1, 2]], [[1, 1]], [2], unassigned_penalty=[3, 4], task_ids=["t", "u"]),
])
def test_json_round_trip(tmp_path, model):
    path = tmp_path / "m.json"
    save(model, path)
    back = load(path)
    assert type(back) is type(model) and back.to_data() == model.to_data()
    assert np.array_equal(back.to_program().A.toarray(), model.to_program().A.toarray())


def test_shipped_instances_load():
    files = sorted((REPO / "instances").glob("*.json"))
    assert files
    for path in files:
        load(path)
