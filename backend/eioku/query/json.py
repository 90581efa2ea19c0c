"""The JSON form of a query (``POST /v1/query``'s ``query``): the same tree.

    {"kind": "person", "value": "Alice"}           a condition ("*" or no value: any)
    {"and": [a, b, ...], "within_s": 10}          AND (the window optional)
    {"or": [a, b, ...]}                           OR
    {"not": a}                                    NOT
    {"before": [a, b], "within_s": 10}            also "after"; {"during": [a, b]}

Read by hand, not by a recursive model: depth and size are checked as it goes.
"""

from __future__ import annotations

import math
from typing import Any

from eioku.query import kinds
from eioku.query.parse import QueryError, check, window_ms
from eioku.query.tree import (
    MAX_CONDITIONS,
    MAX_DEPTH,
    MAX_VALUE_CHARS,
    And,
    Condition,
    Node,
    Not,
    Or,
    Sequence,
    Temporal,
)

_OPERATORS = ("and", "or", "not", "before", "after", "during")


def from_json(data: Any) -> Node:
    return check(_node(data, 0, "query"))


def _node(data: Any, level: int, where: str) -> Node:
    if level > MAX_DEPTH:
        raise QueryError(f"{where}: operators are nested more than {MAX_DEPTH} deep")
    if not isinstance(data, dict):
        raise QueryError(f"{where}: expected an object, a condition or an operator")
    if "kind" in data:
        return _condition(data, where)
    ops = [k for k in _OPERATORS if k in data]
    if len(ops) != 1:
        raise QueryError(f"{where}: expected exactly one of kind, {', '.join(_OPERATORS)}")
    op = ops[0]
    _only(data, {op, "within_s"}, where)
    if op == "not":
        return Not(_node(data["not"], level + 1, f"{where}.not"))
    items = data[op]
    if not isinstance(items, list) or len(items) < 2 or len(items) > MAX_CONDITIONS:
        raise QueryError(f"{where}.{op}: expected a list of 2 to {MAX_CONDITIONS} items")
    if op not in ("and", "or") and len(items) != 2:
        raise QueryError(f"{where}.{op}: expected two items, [first, second]")
    within = _within(data.get("within_s"), f"{where}.within_s")
    if within is not None and op in ("or", "during"):
        raise QueryError(f"{where}: within_s goes with and, before and after, not {op}")
    nodes = [_node(item, level + 1, f"{where}.{op}[{i}]") for i, item in enumerate(items)]
    tree = nodes[0]
    for right in nodes[1:]:  # left to right, as the text reads
        tree = (And(tree, right, within) if op == "and" else Or(tree, right) if op == "or"
                else Sequence(Temporal(op), tree, right, within))
    return tree


def _only(data: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        raise QueryError(f"{where}: unexpected {', '.join(map(repr, extra))}")


def _condition(data: dict[str, Any], where: str) -> Condition:
    _only(data, {"kind", "value"}, where)
    kind, value = data["kind"], data.get("value")
    if not isinstance(kind, str) or not kind or len(kind) > 50:
        raise QueryError(f"{where}.kind: expected a kind's name")
    name = _kind(kind, where)
    if value is None or value == "*":
        return Condition(name, None)
    if not isinstance(value, str) or not value.strip():
        raise QueryError(f"{where}.value: expected a non-empty string (or \"*\" for any)")
    if len(value) > MAX_VALUE_CHARS or "\x00" in value:
        raise QueryError(f"{where}.value: at most {MAX_VALUE_CHARS} characters, no NUL")
    return Condition(name, value)


def _kind(kind: str, where: str) -> str:
    try:
        return kinds.kind_named(kind).name
    except QueryError:
        raise
    except Exception as exc:  # ValidationFailedError: unknown kind
        raise QueryError(f"{where}.kind: {exc}") from None


def _within(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise QueryError(f"{where}: expected a number of seconds >= 0")
    return window_ms(str(float(value)) if value < 1e7 else "1e9", "s")


def to_json(node: Node) -> dict[str, Any]:
    if isinstance(node, Condition):
        return {"kind": node.kind, "value": node.value if node.value is not None else "*"}
    if isinstance(node, Not):
        return {"not": to_json(node.item)}
    if isinstance(node, Or):
        return {"or": [to_json(node.left), to_json(node.right)]}
    out: dict[str, Any] = ({"and": [to_json(node.left), to_json(node.right)]} if isinstance(node, And)
                           else {node.op.value: [to_json(node.left), to_json(node.right)]})
    if node.within_ms is not None:
        out["within_s"] = node.within_ms / 1000
    return out
