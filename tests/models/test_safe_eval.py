"""The whitelist evaluator: what it accepts computes like Python; everything else is refused."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allotment.models import InstanceError
from allotment.models.safe_eval import MAX_EXPRESSION_LENGTH, compile_expression


@pytest.mark.parametrize("text, env, expected", [
    ("10000 if v0 == v1 else 0", {"v0": 1, "v1": 1}, 10000.0),
    ("10000 if v0 == v1 else 0", {"v0": 1, "v1": 2}, 0.0),
    ("-0.1 if v1 == 'R' else 0.1", {"v1": "R"}, -0.1),
    ("0 if m1 == round(0.7 * l1 + 0.5 * l2 + 0.3 * l3) else 1000", {"m1": 2, "l1": 1, "l2": 1, "l3": 1}, 0.0),
    ("10 * (abs(m1 - 3) + abs(l2 - 3))", {"m1": 1, "l2": 4}, 30.0),
    ("min(a, b, 3) + max(a, b)", {"a": 5, "b": 1}, 6.0),
    ("a and b or c", {"a": 0, "b": 5, "c": 7}, 7.0),
    ("not a", {"a": 0}, 1.0),
    ("1 < a <= 3", {"a": 3}, 1.0),
    ("a // 2 + a % 2 + a ** 2 / 4", {"a": 3}, 1 + 1 + 2.25),
    ("a == 'R'", {"a": 2}, 0.0),
    ("a != 'R'", {"a": 2}, 1.0),
])
def test_values_match_python(text: str, env: dict, expected: float) -> None:
    assert compile_expression(text)(**env) == pytest.approx(expected)


@pytest.mark.parametrize("text, match", [
    ("__import__('os').system('true')", "call of .*__import__.* is not allowed"),
    ("__import__('os')", "call of '__import__' is not allowed"),
    ("__import__", "name '__import__' is not allowed"),
    ("x.__class__", "attribute access is not allowed"),
    ("().__class__.__bases__", "attribute access is not allowed"),
    ("open('f')", "call of 'open' is not allowed"),
    ("eval('1')", "call of 'eval' is not allowed"),
    ("x[0]", "a subscript is not allowed"),
    ("lambda: 1", "lambda is not allowed"),
    ("[i for i in x]", "a comprehension is not allowed"),
    ("(y := 1)", "assignment"),
    ("f'{x}'", "an f-string is not allowed"),
    ("abs(x, y)", "abs\\(\\) takes 1"),
    ("round(x, y)", "whole-number literal"),
    ("max(x)", "2 or more"),
    ("x = 1", "not a valid expression"),
    ("import os", "not a valid expression"),
    ("", "is empty"),
    ("1j", "is not a number or a string"),
    ("abs(x=1)", "keyword arguments"),
])
def test_refusals_name_the_problem(text: str, match: str) -> None:
    with pytest.raises(InstanceError, match=match):
        compile_expression(text)


def test_refusal_gives_text_and_position() -> None:
    with pytest.raises(InstanceError) as err:
        compile_expression("1 + x.y")
    assert "'1 + x.y'" in str(err.value) and "column 5" in str(err.value) and err.value.field == "expression"


def test_very_long_and_deep_inputs_are_refused() -> None:
    with pytest.raises(InstanceError, match=f"at most {MAX_EXPRESSION_LENGTH}"):
        compile_expression("1 + " * 600 + "1")
    with pytest.raises(InstanceError, match="nested"):
        compile_expression("abs(" * 100 + "1" + ")" * 100)
    with pytest.raises(InstanceError, match="string literal longer"):
        compile_expression("'" + "a" * 500 + "'")


def test_unknown_names_and_text_arithmetic() -> None:
    with pytest.raises(InstanceError, match="unknown name 'z'"):
        compile_expression("x + z", allowed_names=["x"])
    with pytest.raises(InstanceError, match="arithmetic on text"):
        compile_expression("x + 1")(x="R")
    with pytest.raises(InstanceError, match="needs a value for 'y'"):
        compile_expression("x + y")(x=1)


def test_table_over_domains() -> None:
    e = compile_expression("5 if a == b else c")
    t = e.table({"a": ["R", "G"], "b": ["R", "G"], "c": [1, 2, 3]}, ["a", "b", "c"])
    assert t.shape == (2, 2, 3)
    assert t[0, 0].tolist() == [5, 5, 5] and t[0, 1].tolist() == [1, 2, 3]


@settings(max_examples=30, deadline=None)
@given(a=st.integers(-20, 20), b=st.integers(-20, 20), c=st.integers(1, 9))
def test_arithmetic_agrees_with_python(a: int, b: int, c: int) -> None:
    text = "(a * b - c) // c + abs(a - b) % c + (a if a > b else b) - min(a, b, c) + max(a, c)"
    expected = (a * b - c) // c + abs(a - b) % c + (a if a > b else b) - min(a, b, c) + max(a, c)
    got = compile_expression(text)(a=a, b=b, c=c)
    assert got == expected
    grid = compile_expression(text).table({"a": [a, b], "b": [b], "c": [c]}, ["a", "b", "c"])
    assert np.isclose(grid[0, 0, 0], expected)
