"""Instance files: ``load`` any supported file into a model, ``save`` a model as JSON.

Supported formats (``format=`` or detected from the file):

- ``json``: our own format, ``{"problem": kind, "version": 1, ...}`` validated by the
  pydantic schemas in :mod:`allotment.models.schemas` (JSON Schemas in ``models/schemas/``);
- ``orlib-gap``: OR-Library generalized assignment (``problem=k`` picks one of several);
- ``orlib-lap``: OR-Library linear assignment, dense or sparse;
- further formats registered with :func:`register_reader` by the modules that read them.

Files are data: they are parsed, never evaluated or unpickled.

>>> import tempfile, os
>>> from allotment.models import LinearAssignment, load, save
>>> path = os.path.join(tempfile.mkdtemp(), "lap.json")
>>> save(LinearAssignment([[1, 2], [3, 1]]), path)
>>> load(path).cost.tolist()
[[1.0, 2.0], [3.0, 1.0]]
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .base import MODEL_KINDS, Model
from .errors import InstanceError
from .orlib import count_orlib_gap_problems, read_orlib_gap, read_orlib_lap
from .schemas import FILE_SCHEMAS, FORMAT_VERSION

__all__ = ["load", "load_all", "save", "register_reader", "READERS", "detect_format"]

Reader = Callable[..., Model]

#: format name -> reader(path, **options) -> Model
READERS: dict[str, Reader] = {}
#: format name -> sniff(path, head_text) -> bool, tried in registration order
_SNIFFERS: list[tuple[str, Callable[[Path, str], bool]]] = []


def register_reader(name: str, reader: Reader, sniff: Callable[[Path, str], bool] | None = None) -> None:
    """Make ``load(path, format=name)`` use ``reader``; ``sniff`` lets ``load`` detect it."""
    READERS[name] = reader
    if sniff is not None:
        _SNIFFERS.append((name, sniff))


def _pydantic_place(err: dict[str, Any]) -> str:
    out = ""
    for part in err.get("loc", ()):
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def model_from_dict(data: Any, source: str = "<data>") -> Model:
    """Validate an instance-file dict and build its model (errors name ``source`` and the field)."""
    if not isinstance(data, dict):
        raise InstanceError(f"must hold a JSON object; got {type(data).__name__}", source=source)
    kind = data.get("problem")
    if kind is None:
        raise InstanceError("missing the `problem` field (the model kind)", source=source)
    if kind not in MODEL_KINDS or kind not in FILE_SCHEMAS:
        raise InstanceError(f"unknown problem kind {kind!r}; known kinds: {sorted(MODEL_KINDS)}",
                            field="problem", source=source)
    version = data.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise InstanceError(f"version {version!r} is not supported; this allotment reads version {FORMAT_VERSION}",
                            field="version", source=source)
    try:
        valid = FILE_SCHEMAS[kind].model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        raise InstanceError(f"{first['msg']}{more}", field=_pydantic_place(first) or None, source=source) from None
    fields = valid.model_dump(exclude={"problem", "version"})
    try:
        return MODEL_KINDS[kind].from_data(fields)
    except InstanceError as exc:
        raise exc.with_source(source) from None


def _read_json(path: Path, **options: Any) -> Model:
    if options:
        raise TypeError(f"JSON instance files take no options; got {sorted(options)}")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InstanceError(f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                            source=str(path)) from None
    return model_from_dict(data, str(path))


def _sniff_orlib(path: Path, head: str) -> str | None:
    toks = head.split()
    if not toks or not all(t.replace(".", "", 1).replace("-", "", 1).isdigit() for t in toks[:3]):
        return None
    if path.name.lower().startswith("assign"):
        return "orlib-lap"
    return "orlib-gap"


register_reader("json", _read_json)
register_reader("orlib-gap", read_orlib_gap)
register_reader("orlib-lap", read_orlib_lap)


def detect_format(path: str | Path) -> str:
    """The format name ``load`` would use for ``path``."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        return "json"
    with open(path, errors="replace") as fh:
        head = fh.read(4096)
    if head.lstrip().startswith("{"):
        return "json"
    for name, sniff in _SNIFFERS:
        if sniff(path, head):
            return name
    orlib = _sniff_orlib(path, head)
    if orlib:
        return orlib
    raise InstanceError(f"cannot tell the file's format; pass format= one of {sorted(READERS)}", source=str(path))


def load(path: str | Path, *, format: str | None = None, **options: Any) -> Model:
    """Read an instance file into a model.

    Parameters
    ----------
    path : the file
    format : one of ``READERS`` (default: detected from the name and content)
    **options : passed to the reader, e.g. ``problem=3, sense="max"`` for OR-Library GAP
    """
    path = Path(path)
    if not path.is_file():
        raise InstanceError("no such file", source=str(path))
    fmt = format or detect_format(path)
    if fmt not in READERS:
        raise InstanceError(f"unknown format {fmt!r}; known: {sorted(READERS)}", source=str(path))
    return READERS[fmt](path, **options)


def load_all(path: str | Path, *, format: str | None = None, **options: Any) -> list[tuple[str, Model]]:
    """Every model in a file as ``(label, model)``: one for most files, each problem of a
    multi-problem OR-Library GAP file unless ``problem=`` picks one."""
    path = Path(path)
    fmt = format or (detect_format(path) if path.is_file() else None)
    if fmt == "orlib-gap" and "problem" not in options:
        count = count_orlib_gap_problems(path)
        if count > 1:
            return [(f"{path.name}#{k}", load(path, format=fmt, problem=k, **options)) for k in range(1, count + 1)]
    label = path.name if "problem" not in options else f"{path.name}#{options['problem']}"
    return [(label, load(path, format=fmt, **options))]


def save(model: Model, path: str | Path) -> None:
    """Write ``model`` as a JSON instance file that :func:`load` reads back unchanged."""
    data = {"problem": model.kind, "version": FORMAT_VERSION, **model.to_data()}
    Path(path).write_text(json.dumps(data, separators=(",", ":")) + "\n")
