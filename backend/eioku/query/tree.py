"""The typed tree of a combined query, and its limits.

A query is conditions ("person:Alice", "said:budget") combined by AND, OR,
NOT and the temporal operators. Every node stands for a set of moments of a
video: time ranges, merged where they touch. The text form
(:mod:`eioku.query.parse`), the JSON form (:mod:`eioku.query.json`) and the
SQL (:mod:`eioku.query.plan`) are all made from or into this tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

MAX_TEXT_CHARS = 1000  # a query's text
MAX_CONDITIONS = 12
MAX_DEPTH = 8  # operators nested inside one another
MAX_WINDOW_MS = 3_600_000  # WITHIN at most an hour
MAX_VALUE_CHARS = 200


class Temporal(StrEnum):
    BEFORE = "before"
    AFTER = "after"
    DURING = "during"


@dataclass(frozen=True)
class Condition:
    """Moments where something of ``kind`` holds: a label, a person or a
    speaker, words said or shown; ``value`` None is anything of that kind."""

    kind: str  # a canonical kind name (query/kinds.py)
    value: str | None = None


@dataclass(frozen=True)
class Not:
    """The video's time outside the moments of ``item``."""

    item: Node


@dataclass(frozen=True)
class And:
    """Without a window: the time where both hold (intersection). With
    ``within_ms``: each pair of moments, one from each side, at most that far
    apart, joined into one moment from the first start to the last end."""

    left: Node
    right: Node
    within_ms: int | None = None


@dataclass(frozen=True)
class Or:
    """The moments of either side."""

    left: Node
    right: Node


@dataclass(frozen=True)
class Sequence:
    """``left BEFORE right``: a moment of left ending before a moment of right
    starts (within ``within_ms`` of it, if given), joined into one moment.
    ``AFTER`` is the mirror. ``left DURING right``: the moments of left that
    lie wholly inside moments of right (no window)."""

    op: Temporal
    left: Node
    right: Node
    within_ms: int | None = None


Node = Condition | Not | And | Or | Sequence


def conditions(node: Node) -> list[Condition]:
    """The tree's conditions, left to right."""
    if isinstance(node, Condition):
        return [node]
    if isinstance(node, Not):
        return conditions(node.item)
    return conditions(node.left) + conditions(node.right)


def depth(node: Node) -> int:
    """Operators nested: a condition is 0, ``a AND b`` 1."""
    if isinstance(node, Condition):
        return 0
    if isinstance(node, Not):
        return 1 + depth(node.item)
    return 1 + max(depth(node.left), depth(node.right))


def parts(node: Node) -> list[Node]:
    """The operands of the top-level plain AND (no window), flattened: what the
    search box shows as removable chips. Any other tree is one part."""
    if isinstance(node, And) and node.within_ms is None:
        return parts(node.left) + parts(node.right)
    return [node]
