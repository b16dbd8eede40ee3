"""A safe evaluator for cost expressions: a whitelist of Python syntax, never ``eval``.

An expression such as ``10000 if v1 == v2 else 0`` (pyDCOP's intention constraints) is
parsed with :func:`ast.parse` and every node is checked against a whitelist:

    numbers, strings, True/False, variable names,
    + - * / // % ** (unary - + not), == != < <= > >= (chained too),
    and / or, ``a if c else b``, calls of abs, min, max, round

Anything else (attribute access, subscripts, lambdas, comprehensions, calls of any other
name, ``__import__``, statements, over-long text) is rejected with an
:class:`~allotment.models.InstanceError` that quotes the text and gives the position.
The accepted tree is evaluated with numpy over arrays, so a whole cost table over the
Cartesian product of the domains is one pass (:meth:`Expression.table`).

>>> e = compile_expression("10 if v1 == v2 else abs(v1 - v2)")
>>> e.names
('v1', 'v2')
>>> e(v1=3, v2=1)
2.0
>>> e.table({"v1": [0, 1], "v2": [0, 1, 2]}).tolist()
[[10.0, 1.0, 2.0], [1.0, 10.0, 1.0]]
>>> compile_expression("().__class__")
Traceback (most recent call last):
...
allotment.models.errors.InstanceError: `expression` '().__class__': attribute access is not allowed (at column 1)
"""
from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InstanceError

__all__ = ["Expression", "compile_expression", "MAX_EXPRESSION_LENGTH", "ALLOWED_FUNCTIONS"]

#: longer texts are refused before parsing (a cost expression is a line, not a program)
MAX_EXPRESSION_LENGTH = 2000
#: deepest nesting of the syntax tree that is accepted
MAX_DEPTH = 60
#: longest string literal accepted (domain labels)
MAX_STRING = 200
ALLOWED_FUNCTIONS = ("abs", "min", "max", "round")

_BINOPS: dict[type, Any] = {
    ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.true_divide,
    ast.FloorDiv: np.floor_divide, ast.Mod: np.mod, ast.Pow: np.power,
}
_CMPOPS: dict[type, Any] = {
    ast.Eq: np.equal, ast.NotEq: np.not_equal, ast.Lt: np.less, ast.LtE: np.less_equal,
    ast.Gt: np.greater, ast.GtE: np.greater_equal,
}
_NAMES = {
    ast.Attribute: "attribute access", ast.Subscript: "a subscript", ast.Lambda: "lambda",
    ast.ListComp: "a comprehension", ast.SetComp: "a comprehension", ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension", ast.Starred: "a starred argument", ast.NamedExpr: "assignment (:=)",
    ast.JoinedStr: "an f-string", ast.List: "a list", ast.Tuple: "a tuple", ast.Dict: "a dict", ast.Set: "a set",
    ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield",
}


def _refuse(text: str, what: str, node: ast.AST | None = None) -> InstanceError:
    where = f" (at column {node.col_offset + 1})" if node is not None and hasattr(node, "col_offset") else ""
    shown = text if len(text) <= 80 else text[:77] + "..."
    return InstanceError(f"{shown!r}: {what}{where}", field="expression")


@dataclass(frozen=True)
class Expression:
    """A checked cost expression; call it with scalars or arrays (see the module docstring)."""

    text: str
    tree: ast.expr
    names: tuple[str, ...]

    def __call__(self, **values: Any) -> Any:
        """The value for one assignment (scalars) or element-wise for broadcastable arrays."""
        missing = [n for n in self.names if n not in values]
        if missing:
            raise InstanceError(f"{self.text!r} needs a value for {missing[0]!r}", field="expression")
        env = {k: _as_operand(v) for k, v in values.items()}
        with np.errstate(all="ignore"):
            out = _Evaluator(self.text, env).visit(self.tree)
        out = np.asarray(out)
        if out.dtype.kind in "US":
            raise InstanceError(f"{self.text!r} evaluates to text, not a number", field="expression")
        out = out.astype(float)
        return float(out) if out.ndim == 0 else out

    def table(self, domains: Mapping[str, Sequence[Any]], order: Sequence[str] | None = None) -> np.ndarray:
        """The value over the Cartesian product of ``domains``, axes in ``order`` (default: ``names``).

        Names the expression does not use may appear in ``order`` (the table is constant
        along them); every name it uses must have a domain.
        """
        order = tuple(self.names if order is None else order)
        missing = [n for n in self.names if n not in order or n not in domains]
        if missing:
            raise InstanceError(f"{self.text!r} uses {missing[0]!r}, which has no domain here", field="expression")
        shape = tuple(len(domains[n]) for n in order)
        grids = {}
        for axis, n in enumerate(order):
            vals = _as_operand(list(domains[n]))
            view = [1] * len(order)
            view[axis] = len(domains[n])
            grids[n] = vals.reshape(view)
        out = self(**grids)
        return np.broadcast_to(np.asarray(out, dtype=float), shape).copy()


def _as_operand(value: Any) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind in "biuf":
        return arr.astype(float)
    if arr.dtype.kind in "US":
        return arr.astype(str)
    if arr.dtype.kind == "O":  # mixed labels: numbers stay numbers only if all are
        try:
            return arr.astype(float)
        except (TypeError, ValueError):
            return arr.astype(str)
    raise InstanceError(f"values of dtype {arr.dtype} cannot be used in an expression", field="expression")


def _is_text(a: Any) -> bool:
    return np.asarray(a).dtype.kind in "US"


def _truthy(a: Any) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype.kind in "US":
        return arr != ""
    return arr != 0


class _Checker(ast.NodeVisitor):
    """Walks the tree once and refuses any node outside the whitelist."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.names: list[str] = []
        self.depth = 0

    def generic_visit(self, node: ast.AST) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _refuse(self.text, f"nested deeper than {MAX_DEPTH} levels", node)
        if isinstance(node, ast.Expression):
            self.visit(node.body)
        elif isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, str):
                if len(v) > MAX_STRING:
                    raise _refuse(self.text, f"string literal longer than {MAX_STRING} characters", node)
            elif not isinstance(v, (bool, int, float)) or isinstance(v, complex):
                raise _refuse(self.text, f"literal {v!r} is not a number or a string", node)
        elif isinstance(node, ast.Name):
            if node.id.startswith("__"):
                raise _refuse(self.text, f"name {node.id!r} is not allowed", node)
            if node.id not in self.names:
                self.names.append(node.id)
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINOPS:
                raise _refuse(self.text, f"operator {type(node.op).__name__} is not allowed", node)
            self.visit(node.left)
            self.visit(node.right)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
                raise _refuse(self.text, f"operator {type(node.op).__name__} is not allowed", node)
            self.visit(node.operand)
        elif isinstance(node, ast.Compare):
            for op in node.ops:
                if type(op) not in _CMPOPS:
                    raise _refuse(self.text, f"comparison {type(op).__name__} is not allowed", node)
            self.visit(node.left)
            for c in node.comparators:
                self.visit(c)
        elif isinstance(node, ast.BoolOp):
            for v in node.values:
                self.visit(v)
        elif isinstance(node, ast.IfExp):
            self.visit(node.test)
            self.visit(node.body)
            self.visit(node.orelse)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in ALLOWED_FUNCTIONS:
                what = ast.unparse(node.func) if isinstance(node.func, ast.AST) else "?"
                raise _refuse(self.text, f"call of {what!r} is not allowed (only {', '.join(ALLOWED_FUNCTIONS)})",
                              node)
            if node.keywords:
                raise _refuse(self.text, "keyword arguments are not allowed", node)
            n = len(node.args)
            name = node.func.id
            if (name == "abs" and n != 1) or (name in ("min", "max") and n < 2) or (name == "round" and n not in (1, 2)):
                raise _refuse(self.text, f"{name}() takes {'1' if name == 'abs' else '1 or 2' if name == 'round' else '2 or more'}"
                              f" arguments here; got {n}", node)
            if name == "round" and n == 2 and not (isinstance(node.args[1], ast.Constant)
                                                   and type(node.args[1].value) is int):
                raise _refuse(self.text, "round(x, n) needs a whole-number literal n", node)
            for a in node.args:
                self.visit(a)
        else:
            what = _NAMES.get(type(node), f"{type(node).__name__} syntax")
            raise _refuse(self.text, f"{what} is not allowed", node)
        self.depth -= 1

    visit = generic_visit  # every node goes through the whitelist above


class _Evaluator:
    """Evaluates a checked tree with numpy (element-wise, Python semantics for and/or)."""

    def __init__(self, text: str, env: Mapping[str, np.ndarray]) -> None:
        self.text = text
        self.env = env

    def visit(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            v = node.value
            return np.asarray(v) if isinstance(v, str) else np.float64(v)
        if isinstance(node, ast.Name):
            return self.env[node.id]
        if isinstance(node, ast.BinOp):
            a, b = self.visit(node.left), self.visit(node.right)
            if _is_text(a) or _is_text(b):
                raise InstanceError(f"{self.text!r}: arithmetic on text (at column {node.col_offset + 1})",
                                    field="expression")
            return _BINOPS[type(node.op)](a, b)
        if isinstance(node, ast.UnaryOp):
            a = self.visit(node.operand)
            if isinstance(node.op, ast.Not):
                return ~_truthy(a)
            if _is_text(a):
                raise InstanceError(f"{self.text!r}: arithmetic on text (at column {node.col_offset + 1})",
                                    field="expression")
            return -a if isinstance(node.op, ast.USub) else +a
        if isinstance(node, ast.Compare):
            left = self.visit(node.left)
            result: Any = True
            for op, comp in zip(node.ops, node.comparators):
                right = self.visit(comp)
                result = np.logical_and(result, self._compare(op, left, right, node))
                left = right
            return result
        if isinstance(node, ast.BoolOp):
            out = self.visit(node.values[0])
            for v in node.values[1:]:
                nxt = self.visit(v)
                keep_first = _truthy(out) if isinstance(node.op, ast.Or) else ~_truthy(out)
                out = np.where(keep_first, out, nxt)
            return out
        if isinstance(node, ast.IfExp):
            return np.where(_truthy(self.visit(node.test)), self.visit(node.body), self.visit(node.orelse))
        if isinstance(node, ast.Call):
            args = [self.visit(a) for a in node.args]
            if any(_is_text(a) for a in args):
                raise InstanceError(f"{self.text!r}: {node.func.id}() of text (at column {node.col_offset + 1})",
                                    field="expression")
            name = node.func.id  # type: ignore[attr-defined]
            if name == "abs":
                return np.abs(args[0])
            if name == "round":
                return np.round(args[0], int(node.args[1].value) if len(args) == 2 else 0)  # type: ignore[attr-defined]
            out = args[0]
            for a in args[1:]:
                out = np.minimum(out, a) if name == "min" else np.maximum(out, a)
            return out
        raise AssertionError(f"unchecked node {type(node).__name__}")  # pragma: no cover

    def _compare(self, op: ast.cmpop, a: Any, b: Any, node: ast.AST) -> Any:
        ta, tb = _is_text(a), _is_text(b)
        if ta != tb:  # text against a number: never equal, not ordered (as in Python)
            if isinstance(op, (ast.Eq, ast.NotEq)):
                shape = np.broadcast_shapes(np.shape(a), np.shape(b))
                return np.full(shape, isinstance(op, ast.NotEq))
            raise InstanceError(f"{self.text!r}: cannot order text against a number "
                                f"(at column {node.col_offset + 1})", field="expression")
        return _CMPOPS[type(op)](a, b)


def compile_expression(text: str, *, allowed_names: Sequence[str] | None = None) -> Expression:
    """Parse and check ``text``; ``allowed_names`` (optional) limits the variable names.

    Raises :class:`~allotment.models.InstanceError` naming the text and the position of the
    first construct outside the whitelist (see the module docstring).
    """
    if not isinstance(text, str):
        raise InstanceError(f"must be a string; got {type(text).__name__}", field="expression")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise InstanceError(f"is {len(text)} characters long; at most {MAX_EXPRESSION_LENGTH} are accepted",
                            field="expression")
    source = text.strip()
    if not source:
        raise InstanceError("is empty", field="expression")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        col = f" (at column {exc.offset})" if exc.offset else ""
        hint = "; only a single expression is accepted (no statements)" if "\n" in source else ""
        raise InstanceError(f"{source!r} is not a valid expression: {exc.msg}{col}{hint}",
                            field="expression") from None
    except (RecursionError, MemoryError):
        raise InstanceError(f"{source[:40]!r}... is nested too deeply", field="expression") from None
    checker = _Checker(source)
    try:
        checker.visit(tree)
    except RecursionError:
        raise InstanceError(f"{source[:40]!r}... is nested too deeply", field="expression") from None
    names = tuple(checker.names)
    if allowed_names is not None:
        allowed = set(allowed_names)
        for n in names:
            if n not in allowed:
                raise InstanceError(f"{source!r}: unknown name {n!r} (not a variable here)", field="expression")
    return Expression(source, tree.body, names)
