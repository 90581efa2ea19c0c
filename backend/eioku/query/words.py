"""A query in words, for people: what a search box's chip says."""

from __future__ import annotations

from eioku.query.kinds import kind_named
from eioku.query.tree import And, Condition, Node, Not, Or


def describe(node: Node) -> str:
    """``person:Alice AND said:budget WITHIN 10s`` -> ``Person: Alice and Said: “budget” within 10 s``."""
    if isinstance(node, Condition):
        kind = kind_named(node.kind)
        if node.value is None:
            return f"{kind.label}: any"
        value = f"“{node.value}”" if kind.projection.is_text else node.value
        return f"{kind.label}: {value}"
    if isinstance(node, Not):
        return f"not {_group(node.item)}"
    if isinstance(node, Or):
        return f"{_group(node.left)} or {_group(node.right)}"
    op = "and" if isinstance(node, And) else node.op.value
    window = "" if node.within_ms is None else f" within {_seconds(node.within_ms)}"
    return f"{_group(node.left)} {op} {_group(node.right)}{window}"


def _group(node: Node) -> str:
    return describe(node) if isinstance(node, Condition | Not) else f"({describe(node)})"


def _seconds(ms: int) -> str:
    return f"{ms / 1000:g} s"
