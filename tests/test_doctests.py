"""Every docstring example in allotment runs and prints what it shows."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import allotment.models
import allotment.solvers


def _modules() -> list[str]:
    names = []
    for pkg in (allotment.models, allotment.solvers):
        names.append(pkg.__name__)
        for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert failures == 0, f"{failures} doctest failure(s) in {name}"
