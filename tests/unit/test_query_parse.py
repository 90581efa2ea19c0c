"""The query language's text and JSON forms: good input, hostile input, and
round trips (no database)."""

from __future__ import annotations

import json
import re

import pytest
from eioku.domain.errors import ValidationFailedError
from eioku.query.json import from_json, to_json
from eioku.query.parse import QueryError, parse, to_text
from eioku.query.tree import (
    MAX_CONDITIONS,
    MAX_DEPTH,
    And,
    Condition,
    Not,
    Or,
    Sequence,
    Temporal,
    parts,
)
from hypothesis import given, settings
from hypothesis import strategies as st

A, B, C = Condition("person", "Alice"), Condition("said", "budget"), Condition("object", "dog")


@pytest.mark.parametrize(("text", "tree"), [
    ('person:Alice AND said:"budget" WITHIN 10s', And(A, B, 10_000)),
    ("person:Alice and said:budget within 10 seconds", And(A, B, 10_000)),
    ("face:Alice said:budget", And(A, B)),  # side by side is AND; face is person
    ('said:"welcome" AND NOT person:*', And(Condition("said", "welcome"), Not(Condition("person")))),
    ("person:Alice OR said:budget AND object:dog", Or(A, And(B, C))),  # AND binds tighter
    ("(person:Alice OR said:budget) AND object:dog", And(Or(A, B), C)),
    ("person:Alice BEFORE said:budget WITHIN 1.5 min", Sequence(Temporal.BEFORE, A, B, 90_000)),
    ("person:Alice AFTER said:budget WITHIN 500ms", Sequence(Temporal.AFTER, A, B, 500)),
    ("object:dog DURING said:*", Sequence(Temporal.DURING, C, Condition("said"))),
    ("NOT object:dog BEFORE said:budget", Sequence(Temporal.BEFORE, Not(C), B)),
    ("object:dog BEFORE said:budget AND person:Alice", And(Sequence(Temporal.BEFORE, C, B), A)),
    ('screen:"the end" OR ocr:exit', Or(Condition("screen", "the end"), Condition("screen", "exit"))),
    ('said:"a \\"quoted\\" word"', Condition("said", 'a "quoted" word')),
    ("said:and", Condition("said", "and")),  # a keyword as a value
    ("SPEAKER:Speaker_1", Condition("speaker", "Speaker_1")),
    ("scene:3", Condition("scene", "3")),
])
def test_good_queries_parse_to_their_tree(text, tree):
    assert parse(text) == tree
    assert parse(to_text(tree)) == tree
    assert from_json(json.loads(json.dumps(to_json(tree)))) == tree


@pytest.mark.parametrize(("text", "message", "position"), [
    ("person:Alice AND budget", "kind:value", 17),
    ("person:Alice AND", "ends too soon", 16),
    ("person:Alice OR said:x WITHIN 5s", "unexpected 'WITHIN'", 23),
    ("colour:red", "unknown kind 'colour'", 0),
    ("said:x AND (object:dog", "ends too soon", 22),
    ("said:x)", "unexpected ')'", 6),
    ("said:x DURING object:y WITHIN 3s", "WITHIN does not go with DURING", 7),
    ("said:x AND object:y WITHIN 2h", "at most 3600 s", 27),
    ('said:""', "empty", 5),
    ("said:x AND\x00", "NUL", 10),
    ("   ", "empty", None),
    ("said:\"unterminated", "unexpected", 5),
])
def test_bad_queries_say_what_and_where(text, message, position):
    with pytest.raises(QueryError, match=re.escape(message)) as info:
        parse(text)
    assert info.value.position == position
    assert isinstance(info.value, ValidationFailedError)  # a 422


def test_limits_on_length_depth_and_conditions():
    with pytest.raises(QueryError, match="at most 1000 characters"):
        parse("said:" + "x" * 1000)
    with pytest.raises(QueryError, match="nested more than"):
        parse("(" * 400 + "said:x" + ")" * 400)  # refused before parsing: no deep recursion
    with pytest.raises(QueryError, match="nested more than"):
        parse("NOT " * (MAX_DEPTH + 1) + "said:x")
    with pytest.raises(QueryError, match=f"at most {MAX_CONDITIONS} conditions"):
        parse(" OR ".join(["said:x"] * (MAX_CONDITIONS + 1)))
    with pytest.raises(QueryError, match="longer than 200"):
        parse("said:" + "y" * 201)


@pytest.mark.parametrize(("data", "message"), [
    ([], "expected an object"),
    ({"kind": "said", "value": 3}, "non-empty string"),
    ({"kind": "nope"}, "unknown kind"),
    ({"and": [{"kind": "said"}]}, "2 to"),
    ({"and": [{"kind": "said"}, {"kind": "said"}], "or": []}, "exactly one"),
    ({"before": [{"kind": "said"}] * 3}, "two items"),
    ({"or": [{"kind": "said"}] * 2, "within_s": 3}, "within_s goes with"),
    ({"and": [{"kind": "said"}] * 2, "within_s": float("nan")}, "seconds"),
    ({"and": [{"kind": "said"}] * 2, "within_s": 1e300}, "at most"),
    ({"and": [{"kind": "said"}] * 2, "within_s": True}, "seconds"),
    ({"kind": "said", "extra": 1}, "unexpected 'extra'"),
])
def test_bad_json_says_where(data, message):
    with pytest.raises(QueryError, match=message):
        from_json(data)


def test_deep_json_is_refused_not_recursed():
    data: dict = {"kind": "said"}
    for _ in range(10_000):
        data = {"not": data}
    with pytest.raises(QueryError, match="nested more than"):
        from_json(data)


def test_parts_are_the_top_level_conditions():
    assert parts(parse("person:Alice AND said:budget AND NOT object:dog")) == [A, B, Not(C)]
    assert parts(parse("person:Alice AND said:budget WITHIN 5s")) == [And(A, B, 5000)]


values = st.text(min_size=1, max_size=12).filter(lambda s: s.strip() and "\x00" not in s)
leaf = st.builds(Condition, st.sampled_from(["person", "said", "object", "screen", "speaker"]),
                 st.one_of(st.none(), values))
window = st.one_of(st.none(), st.integers(0, 3_600_000))
trees = st.recursive(leaf, lambda sub: st.one_of(
    st.builds(And, sub, sub, window), st.builds(Or, sub, sub), st.builds(Not, sub),
    st.builds(Sequence, st.sampled_from([Temporal.BEFORE, Temporal.AFTER]), sub, sub, window),
    st.builds(Sequence, st.just(Temporal.DURING), sub, sub)), max_leaves=6)


@settings(max_examples=300)
@given(tree=trees)
def test_text_and_json_forms_round_trip(tree):
    assert parse(to_text(tree)) == tree
    assert from_json(json.loads(json.dumps(to_json(tree)))) == tree


@settings(max_examples=300)
@given(text=st.text(max_size=80))
def test_any_text_parses_or_is_a_clear_422(text):
    try:
        tree = parse(text)
    except QueryError as exc:
        assert exc.position is None or 0 <= exc.position <= len(text)
    else:
        assert parse(to_text(tree)) == tree
