"""Pydantic schemas of the JSON instance files, one per model kind.

Every file is one JSON object with ``"problem"`` (the kind), ``"version"`` (1) and the
model's fields. The schemas check structure and types; the model constructors then check
meaning (shapes, signs, NaN) and name the index. ``python -m allotment.models.schemas``
writes the JSON Schemas shipped in ``models/schemas/``.

>>> FILE_SCHEMAS["generalized_assignment"].model_validate(
...     {"problem": "generalized_assignment", "version": 1,
...      "cost": [[1]], "weight": [[1]], "capacity": [1]}).sense
'min'
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict

__all__ = ["FILE_SCHEMAS", "register_schema", "InstanceHeader", "write_json_schemas"]

FORMAT_VERSION = 1

#: kind -> pydantic model of a whole instance file of that kind
FILE_SCHEMAS: dict[str, type[BaseModel]] = {}


def register_schema(kind: str):
    """Class decorator registering the file schema of model ``kind``."""

    def deco(cls: type[BaseModel]) -> type[BaseModel]:
        FILE_SCHEMAS[kind] = cls
        return cls

    return deco


class InstanceHeader(BaseModel):
    """The part every instance file shares."""

    model_config = ConfigDict(extra="allow")
    problem: str
    version: int = FORMAT_VERSION


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: Literal[1] = 1
    name: Optional[str] = None
    sense: Literal["min", "max"] = "min"
    agent_ids: Optional[list[str]] = None
    task_ids: Optional[list[str]] = None


@register_schema("linear_assignment")
class LinearAssignmentFile(_File):
    """``cost[i][j]``: agent i doing task j; ``allowed[i][j]`` false forbids the pair."""

    problem: Literal["linear_assignment"]
    cost: list[list[float]]
    allowed: Optional[list[list[bool]]] = None


@register_schema("generalized_assignment")
class GeneralizedAssignmentFile(_File):
    """``cost``/``weight`` are n_agents x n_tasks, ``capacity`` has n_agents entries."""

    problem: Literal["generalized_assignment"]
    cost: list[list[float]]
    weight: list[list[float]]
    capacity: list[float]
    unassigned_penalty: Optional[float | list[float]] = None


def write_json_schemas(folder: Path) -> list[Path]:
    """Write ``<kind>.schema.json`` for every registered kind; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind, cls in sorted(FILE_SCHEMAS.items()):
        path = folder / f"{kind}.schema.json"
        path.write_text(json.dumps(cls.model_json_schema(), indent=2, sort_keys=True) + "\n")
        paths.append(path)
    return paths


if __name__ == "__main__":  # pragma: no cover - maintenance command
    # Run as __main__, this file is a second copy of the module: use the registered one.
    from allotment.models import schemas as registered  # importing the package registers every kind

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "schemas"
    for p in registered.write_json_schemas(out):
        print(p)
