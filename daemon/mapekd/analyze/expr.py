"""Rule conditions: comparisons and boolean logic over a sample's named fields.

Parsed with Python's `ast` and checked against a whitelist of node types, then interpreted by
walking the tree: nothing is ever passed to eval(), no attribute access, no calls, no subscripts.
Grammar: fields, numbers, strings, true/false/null, `+ - * / %`, `== != < <= > >=`, `and or not`,
parentheses. A missing field is null; an ordering comparison or arithmetic involving null is false
(a check that could not measure something must not trip a threshold on it).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Expression:
    source: str
    tree: ast.expr
    fields: frozenset[str]

    def evaluate(self, values: Mapping[str, Any]) -> bool:
        return bool(_eval(self.tree, values))


def compile_expression(source: str) -> Expression:
    if len(source) > _MAX_LENGTH:
        raise RuleError(f"expression longer than {_MAX_LENGTH} characters")
    try:
        tree = ast.parse(source.strip(), mode="eval").body
    except SyntaxError as exc:
        raise RuleError(f"cannot parse {source!r}: {exc.msg}") from exc
    names = _check(tree)
    return Expression(source=source, tree=tree, fields=frozenset(names - _CONSTANTS.keys()))


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


def _eval(node: ast.expr, values: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return _CONSTANTS[node.id] if node.id in _CONSTANTS else values.get(node.id)
    if isinstance(node, ast.BoolOp):
        results = (bool(_eval(v, values)) for v in node.values)
        return all(results) if isinstance(node.op, ast.And) else any(results)
    if isinstance(node, ast.UnaryOp):
        return _unary(node, _eval(node.operand, values))
    if isinstance(node, ast.BinOp):
        return _binary(node, _eval(node.left, values), _eval(node.right, values))
    if isinstance(node, ast.Compare):
        return _compare(node, values)
    raise RuleError(f"unsupported syntax: {type(node).__name__}")


def _unary(node: ast.UnaryOp, value: Any) -> Any:
    if isinstance(node.op, ast.Not):
        return not value
    if value is None or isinstance(value, str):
        return None
    return -value if isinstance(node.op, ast.USub) else value


def _binary(node: ast.BinOp, left: Any, right: Any) -> Any:
    if not _numeric(left) or not _numeric(right):
        return None
    try:
        return _ARITH[type(node.op)](left, right)
    except ZeroDivisionError:
        return None


def _compare(node: ast.Compare, values: Mapping[str, Any]) -> bool:
    left = _eval(node.left, values)
    for op, right_node in zip(node.ops, node.comparators, strict=True):
        right = _eval(right_node, values)
        if not _comparable(op, left, right) or not _COMPARE[type(op)](left, right):
            return False
        left = right
    return True


def _comparable(op: ast.cmpop, left: Any, right: Any) -> bool:
    if isinstance(op, ast.Eq | ast.NotEq):
        return True
    if left is None or right is None:
        return False
    return (_numeric(left) and _numeric(right)) or (isinstance(left, str) and isinstance(right, str))


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float)  # bool is an int: `alive + 0` is fine
