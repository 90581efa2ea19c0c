"""The text form of a query: parsed by the grammar (grammar.lark) into the
typed tree, and written back (``to_text``, the canonical spelling)."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from eioku.domain.errors import ValidationFailedError
from eioku.query import kinds
from eioku.query.tree import (
    MAX_CONDITIONS,
    MAX_DEPTH,
    MAX_TEXT_CHARS,
    MAX_VALUE_CHARS,
    MAX_WINDOW_MS,
    And,
    Condition,
    Node,
    Not,
    Or,
    Sequence,
    Temporal,
    conditions,
    depth,
)


class QueryError(ValidationFailedError):
    """A query that cannot be read: what is wrong, and where (``position``, a
    character offset from 0, when it is one place in the text)."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message if position is None else f"{message} (at position {position})",
                         field="q")
        self.position = position


@lru_cache(maxsize=1)
def parser() -> Lark:
    grammar = files("eioku.query").joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", maybe_placeholders=False)


_UNIT_MS = {"ms": 1, "mi": 1, "s": 1000, "se": 1000, "m": 60_000, "h": 3_600_000}


def window_ms(number: str, unit: str | None, position: int | None = None) -> int:
    unit = (unit or "s").lower()
    scale = 1 if unit.startswith("ms") or unit.startswith("milli") else _UNIT_MS[unit[:1]]
    ms = round(float(number) * scale)
    if ms > MAX_WINDOW_MS:
        raise QueryError(f"WITHIN is at most {MAX_WINDOW_MS // 1000} s", position)
    return ms


@v_args(inline=True)
class _ToTree(Transformer[Token, Node]):
    def condition(self, kind: Token, value: Token) -> Condition:
        found = _kind(str(kind), kind.start_pos)
        if value.type == "ANY":
            return Condition(found, None)
        text = _unquote(str(value)) if value.type == "STRING" else str(value)
        if len(text) > MAX_VALUE_CHARS:
            raise QueryError(f"a value is longer than {MAX_VALUE_CHARS} characters", value.start_pos)
        if not text.strip():
            raise QueryError(f"{found}: the value is empty (use * for any)", value.start_pos)
        return Condition(found, text)

    def window(self, number: Token, unit: Token | None = None) -> int:
        return window_ms(str(number), str(unit) if unit else None, number.start_pos)

    def and_(self, left: Node, right: Node, within: int | None = None) -> And:
        return And(left, right, within)

    def or_(self, left: Node, right: Node) -> Or:
        return Or(left, right)

    def not_(self, item: Node) -> Not:
        return Not(item)

    def seq(self, left: Node, op: Token, right: Node, within: int | None = None) -> Sequence:
        temporal = Temporal(str(op).lower())
        if temporal is Temporal.DURING and within is not None:
            raise QueryError("WITHIN does not go with DURING (a moment inside another has no gap)",
                             op.start_pos)
        return Sequence(temporal, left, right, within)


def _kind(name: str, position: int | None) -> str:
    try:
        return kinds.kind_named(name).name
    except ValidationFailedError as exc:
        raise QueryError(exc.message, position) from None


def _unquote(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s[1:-1])


_EXPECTED = {"KIND": "a condition (kind:value)", "_NOT": "NOT", "LPAR": "(", "RPAR": ")",
             "_AND": "AND", "_OR": "OR", "TEMPORAL": "BEFORE/AFTER/DURING", "_WITHIN": "WITHIN",
             "NUMBER": "a number", "UNIT": "a unit (s, ms, min)", "STRING": "a \"quoted value\"",
             "WORD": "a value", "ANY": "*", "COLON": ":", "$END": "the end"}


def _expected(names: set[str]) -> str:
    words = sorted({_EXPECTED.get(n, n) for n in names if not n.startswith("__")})
    return ", ".join(words)


def parse(text: str) -> Node:
    """The tree of ``text``; a :class:`QueryError` (a 422) saying where it
    went wrong otherwise. Checked before parsing: length and nesting."""
    if "\x00" in text:
        raise QueryError("a query must not contain NUL characters", text.index("\x00"))
    if len(text) > MAX_TEXT_CHARS:
        raise QueryError(f"a query is at most {MAX_TEXT_CHARS} characters")
    if not text.strip():
        raise QueryError("the query is empty: write conditions such as person:Alice AND said:budget")
    _check_nesting(text)
    try:
        tree = _ToTree().transform(parser().parse(text))
    except VisitError as exc:  # raised inside the transformer
        if isinstance(exc.orig_exc, ValidationFailedError):
            raise exc.orig_exc from None
        raise
    except UnexpectedEOF as exc:
        raise QueryError(f"the query ends too soon: expected {_expected(set(exc.expected))}",
                         len(text)) from None
    except UnexpectedToken as exc:
        if exc.token.type == "$END":
            raise QueryError(f"the query ends too soon: expected {_expected(exc.accepts or exc.expected)}",
                             len(text)) from None
        found = repr(str(exc.token))
        expected = ("a condition is kind:value, e.g. said:budget" if exc.token.type == "WORD"
                    else f"expected {_expected(exc.accepts or exc.expected)}")
        raise QueryError(f"unexpected {found}: {expected}", _position(exc, text)) from None
    except UnexpectedCharacters as exc:
        rest = text[exc.pos_in_stream:exc.pos_in_stream + 12].split()
        what = rest[0] if rest else ""
        expected = ("a condition is kind:value, e.g. said:budget" if re.match(r"\w", what)
                    else f"expected {_expected(set(exc.allowed or ()))}")
        raise QueryError(f"unexpected {what!r}: {expected}", exc.pos_in_stream) from None
    except UnexpectedInput as exc:  # pragma: no cover - the two above are lark's LALR errors
        raise QueryError(f"cannot read the query: {exc}", _position(exc, text)) from None
    return check(tree)


def _position(exc: UnexpectedInput, text: str) -> int:
    pos = getattr(exc, "pos_in_stream", None)
    token = getattr(exc, "token", None)
    if token is not None and getattr(token, "start_pos", None) is not None:
        pos = token.start_pos
    return len(text) if pos is None or pos < 0 else int(pos)


def _check_nesting(text: str) -> None:
    """Parentheses nested deeper than the operators may be: refused before
    the parser builds a tree of them."""
    level, quoted, escaped = 0, False, False
    for i, ch in enumerate(text):
        if quoted:
            quoted, escaped = (quoted, False) if escaped else (ch != '"', ch == "\\")
        elif ch == '"':
            quoted = True
        elif ch == "(":
            level += 1
            if level > MAX_DEPTH:
                raise QueryError(f"parentheses are nested more than {MAX_DEPTH} deep", i)
        elif ch == ")":
            level -= 1


def check(tree: Node) -> Node:
    """The limits every query keeps, however it was written."""
    count = len(conditions(tree))
    if count > MAX_CONDITIONS:
        raise QueryError(f"a query has at most {MAX_CONDITIONS} conditions, not {count}")
    if depth(tree) > MAX_DEPTH:
        raise QueryError(f"operators are nested more than {MAX_DEPTH} deep")
    return tree


_BARE = re.compile(r"[^\s()\":*][^\s()\"]*")
_KEYWORDS = {"and", "or", "not", "within", "before", "after", "during"}


def to_text(node: Node) -> str:
    """The canonical text of a tree; parsing it gives the same tree."""
    return _text(node, 0)


# how tightly each node binds: OR 1, AND 2, BEFORE/AFTER/DURING 3, NOT 4, a condition 5
def _strength(node: Node) -> int:
    return {Or: 1, And: 2, Sequence: 3, Not: 4, Condition: 5}[type(node)]


def _text(node: Node, outer: int) -> str:
    s = _strength(node)
    if isinstance(node, Condition):
        out = f"{node.kind}:{_value(node.value)}"
    elif isinstance(node, Not):
        out = f"NOT {_text(node.item, s)}"
    elif isinstance(node, Or):
        out = f"{_child(node.left, s)} OR {_child(node.right, s + 1)}"
    else:
        op = "AND" if isinstance(node, And) else node.op.value.upper()
        window = f" WITHIN {_seconds(node.within_ms)}" if node.within_ms is not None else ""
        # a right operand that could take the WITHIN itself is bracketed
        right = (f"({_text(node.right, 0)})" if window and isinstance(node.right, And | Sequence)
                 else _child(node.right, s + 1))
        out = f"{_child(node.left, s)} {op} {right}{window}"
    return f"({out})" if s < outer else out


def _child(node: Node, outer: int) -> str:
    """An operand; one with a window in brackets, whatever its place (which
    operator a WITHIN belongs to is then never in doubt)."""
    windowed = isinstance(node, And | Sequence) and node.within_ms is not None
    return f"({_text(node, 0)})" if windowed else _text(node, outer)


def _value(value: str | None) -> str:
    if value is None:
        return "*"
    if _BARE.fullmatch(value) and value.lower() not in _KEYWORDS:
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _seconds(ms: int | None) -> str:
    assert ms is not None
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"
