"""Rule conditions: comparisons and boolean logic over a sample's named fields.

Parsed with Python's `ast` and checked against a whitelist of node types, then turned into
closures once: nothing is ever passed to eval(), no attribute access, no calls, no subscripts.
Grammar: fields, numbers, strings, true/false/null, `+ - * / %`, `== != < <= > >=`, `and or not`,
parentheses. A missing field is null; an ordering comparison or arithmetic involving null is false
(a check that could not measure something must not trip a threshold on it).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from mapekd.errors import RuleError

_CONSTANTS: dict[str, Any] = {"true": True, "false": False, "null": None, "none": None}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_ARITH: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
}
_MAX_LENGTH = 500
Evaluator = Callable[[Mapping[str, Any]], Any]
Step = tuple[bool, Callable[[Any, Any], bool], Evaluator]
"""One comparison of a chain: (is == or !=, the operator, its right-hand side)."""


@dataclass(frozen=True)
class Expression:
    source: str
    tree: ast.expr
    fields: frozenset[str]
    run: Evaluator = field(repr=False, compare=False)

    def evaluate(self, values: Mapping[str, Any]) -> bool:
        return bool(self.run(values))


def compile_expression(source: str) -> Expression:
    if len(source) > _MAX_LENGTH:
        raise RuleError(f"expression longer than {_MAX_LENGTH} characters")
    try:
        tree = ast.parse(source.strip(), mode="eval").body
    except SyntaxError as exc:
        raise RuleError(f"cannot parse {source!r}: {exc.msg}") from exc
    names = _check(tree)
    return Expression(source, tree, frozenset(names - _CONSTANTS.keys()), _build(tree))


def _check(node: ast.AST) -> set[str]:
    """Validate the node types; return the field names used."""
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            names.add(sub.id)
        elif isinstance(sub, ast.Constant):
            if not isinstance(sub.value, int | float | str) or isinstance(sub.value, bool):
                raise RuleError(f"unsupported literal {sub.value!r}")
        elif not isinstance(sub, _ALLOWED):
            raise RuleError(f"unsupported syntax: {type(sub).__name__}")
        if isinstance(sub, ast.BinOp) and type(sub.op) not in _ARITH:
            raise RuleError(f"unsupported operator: {type(sub.op).__name__}")
        if isinstance(sub, ast.Compare) and any(type(op) not in _COMPARE for op in sub.ops):
            raise RuleError("unsupported comparison (use == != < <= > >=)")
    return names


_ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.Compare,
    ast.BinOp,
    ast.Load,
    ast.cmpop,
    ast.operator,
)


def _build(node: ast.expr) -> Evaluator:
    """The tree turned once into nested closures: a rule is evaluated on every sample of every
    cycle, and walking the tree each time cost three times as much."""
    if isinstance(node, ast.Constant):
        return partial(_constant, node.value)
    if isinstance(node, ast.Name):
        if node.id in _CONSTANTS:
            return partial(_constant, _CONSTANTS[node.id])
        return partial(_field, node.id)
    if isinstance(node, ast.BoolOp):
        parts = tuple(_build(v) for v in node.values)
        return partial(_all if isinstance(node.op, ast.And) else _any, parts)
    if isinstance(node, ast.UnaryOp):
        return partial(
            _unary, isinstance(node.op, ast.Not), isinstance(node.op, ast.USub), _build(node.operand)
        )
    if isinstance(node, ast.BinOp):
        return partial(_binary, _ARITH[type(node.op)], _build(node.left), _build(node.right))
    if isinstance(node, ast.Compare):
        steps = tuple(
            (isinstance(op, ast.Eq | ast.NotEq), _COMPARE[type(op)], _build(right))
            for op, right in zip(node.ops, node.comparators, strict=True)
        )
        return partial(_compare, _build(node.left), steps)
    raise RuleError(f"unsupported syntax: {type(node).__name__}")


def _constant(value: Any, values: Mapping[str, Any]) -> Any:
    return value


def _field(name: str, values: Mapping[str, Any]) -> Any:
    return values.get(name)


def _all(parts: tuple[Evaluator, ...], values: Mapping[str, Any]) -> bool:
    return all(part(values) for part in parts)


def _any(parts: tuple[Evaluator, ...], values: Mapping[str, Any]) -> bool:
    return any(part(values) for part in parts)


def _unary(negate: bool, minus: bool, operand: Evaluator, values: Mapping[str, Any]) -> Any:
    value = operand(values)
    if negate:
        return not value
    if value is None or isinstance(value, str):
        return None
    return -value if minus else value


def _binary(
    op: Callable[[Any, Any], Any], left: Evaluator, right: Evaluator, values: Mapping[str, Any]
) -> Any:
    a, b = left(values), right(values)
    if not _numeric(a) or not _numeric(b):
        return None
    try:
        return op(a, b)
    except ZeroDivisionError:
        return None


def _compare(left: Evaluator, steps: tuple[Step, ...], values: Mapping[str, Any]) -> bool:
    a = left(values)
    for equality, op, right in steps:
        b = right(values)
        if not _comparable(equality, a, b) or not op(a, b):
            return False
        a = b
    return True


def _comparable(equality: bool, left: Any, right: Any) -> bool:
    if equality:
        return True
    if left is None or right is None:
        return False
    return (_numeric(left) and _numeric(right)) or (isinstance(left, str) and isinstance(right, str))


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float)  # bool is an int: `alive + 0` is fine
