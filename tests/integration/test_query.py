"""The combined query language over real projections (PostgreSQL): worked
examples, and a property test against an independent interval oracle."""

from __future__ import annotations

import re
import uuid

import pytest
from eioku.db.steps import run
from eioku.domain.errors import ValidationFailedError, VideoNotFoundError
from eioku.query.json import from_json, to_json
from eioku.query.parse import parse, to_text
from eioku.query.plan import Order, query_steps
from eioku.query.tree import And, Condition, Node, Not, Or, Sequence, Temporal
from eioku.store.uow import UnitOfWork
from hypothesis import event, given, settings
from hypothesis import strategies as st

from tests.factories import add_video, payload_for, store_run
from tests.oracles import merge_appearances

GAP_MS = 2000  # the default appearance gap (config.appearance_gap_ms)


def moments(session, q, video_id=None, **kw):
    tree = parse(q) if isinstance(q, str) else q
    result = run(session, query_steps(tree, video_id=video_id, limit=1000, **kw))
    return [(m.start_ms, m.end_ms) for m in result.moments]


@pytest.fixture
def uow(session_factory):
    with UnitOfWork(session_factory) as uow:
        yield uow


def _speech(uow, video_id, lines):
    store_run(uow, video_id, "transcript.segment", [(s, e) for s, e, _ in lines],
              payloads=[payload_for("transcript.segment", text=t) for _, _, t in lines])


def _objects(uow, video_id, dets):
    store_run(uow, video_id, "object.detection", [(s, e) for s, e, _ in dets],
              payloads=[payload_for("object.detection", i, label=label)
                        for i, (_, _, label) in enumerate(dets)])


def test_and_intersects_within_joins_and_not_subtracts(uow):
    v = add_video(uow, duration_ms=60_000).video_id
    _speech(uow, v, [(10_000, 12_000, "the budget is due"), (40_000, 41_000, "welcome everyone")])
    _objects(uow, v, [(11_000, 11_500, "dog"), (20_000, 20_500, "dog"), (40_500, 40_600, "cat")])
    s = uow.session
    assert moments(s, 'object:dog AND said:"budget"', v) == [(11_000, 11_500)]
    # WITHIN: the pair joined, from the first start to the last end
    assert moments(s, "said:budget AND object:dog WITHIN 10s", v, order=Order.TIME) == [(10_000, 20_500)]
    assert moments(s, "said:budget AND object:dog WITHIN 5s", v) == [(10_000, 12_000)]
    assert moments(s, 'said:"welcome" AND NOT object:*', v, order=Order.TIME) == [
        (40_000, 40_500), (40_600, 41_000)]
    assert moments(s, "said:welcome AND NOT object:dog", v) == [(40_000, 41_000)]
    assert moments(s, "NOT said:*", v, order=Order.TIME) == [(0, 10_000), (12_000, 40_000), (41_000, 60_000)]
    # rank: the longest moment first
    assert moments(s, "said:* OR object:dog", v) == [(10_000, 12_000), (40_000, 41_000), (20_000, 20_500)]


def test_before_after_during(uow):
    v = add_video(uow, duration_ms=60_000).video_id
    _speech(uow, v, [(10_000, 12_000, "budget"), (30_000, 31_000, "thanks")])
    _objects(uow, v, [(5_000, 6_000, "dog"), (10_500, 11_000, "cat"), (35_000, 36_000, "dog")])
    s = uow.session
    assert moments(s, "object:dog BEFORE said:budget", v) == [(5_000, 12_000)]
    assert moments(s, "said:thanks BEFORE object:dog WITHIN 3s", v) == []
    assert moments(s, "said:thanks BEFORE object:dog WITHIN 4s", v) == [(30_000, 36_000)]
    assert moments(s, "object:dog AFTER said:thanks", v) == [(30_000, 36_000)]
    assert moments(s, "object:* DURING said:*", v) == [(10_500, 11_000)]
    assert moments(s, "said:* DURING object:*", v) == []


def test_library_scope_person_by_name_and_unknown_video(uow):
    a, b = add_video(uow).video_id, add_video(uow).video_id
    alice = next(iter(uow.faces.assign(f"test-{uuid.uuid4()}", {"c": [[1.0] + [0.0] * 127]}, 0.5).values()))
    uow.people.rename(alice, "Alice")
    for v in (a, b):
        store_run(uow, v, "face.detection", [(1000, 2000)],
                  payloads=[payload_for("face.detection", cluster_id=alice)])
    _speech(uow, b, [(1500, 1800, "budget talk")])
    result = run(uow.session, query_steps(parse('person:alice AND said:"budget"')))
    assert [(m.video_id, m.start_ms, m.end_ms) for m in result.moments] == [(b, 1500, 1800)]
    assert result.total == 1
    assert len(moments(uow.session, "person:Alice")) == 2
    with pytest.raises(VideoNotFoundError):
        moments(uow.session, "person:Alice", uuid.uuid4())
    with pytest.raises(ValidationFailedError, match="nothing to search"):
        moments(uow.session, 'said:"!!!" OR object:nothing', a)


def test_hostile_values_are_bound_parameters(uow):
    v = add_video(uow).video_id
    _objects(uow, v, [(0, 1000, "dog'); DROP TABLE videos; --")])
    assert moments(uow.session, "object:\"dog'); DROP TABLE videos; --\"", v) == [(0, 1000)]
    assert moments(uow.session, 'said:"\' OR 1=1 --"', v) == []
    assert moments(uow.session, "chapter:\"%'_\\\\\"") == []


# ---- the property: random queries on random spans against an oracle -------------

WORDS = ["invoice", "dog", "budget", "river", "coffee"]
SPEAKERS = ["Speaker 1", "Speaker 2"]
LABELS = ["dog", "cat"]


def _norm(spans):
    """Sorted, disjoint, not touching; a span of no length counts as 1 ms."""
    out: list[list[int]] = []
    for s, e in sorted((s, max(e, s + 1)) for s, e in spans):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [tuple(x) for x in out]


def oracle(node: Node, base: dict[Condition, list], duration: int):
    """The moments of ``node``, written the obvious way over lists of spans."""
    if isinstance(node, Condition):
        return _norm(base[node])
    if isinstance(node, Not):
        inner, out, at = oracle(node.item, base, duration), [], 0
        for s, e in inner:
            if s > at:
                out.append((at, min(s, duration)))
            at = max(at, e)
        if at < duration:
            out.append((at, duration))
        return _norm([x for x in out if x[0] < x[1]])
    a, b = oracle(node.left, base, duration), oracle(node.right, base, duration)
    if isinstance(node, Or):
        return _norm(a + b)
    w = node.within_ms
    pairs = [(x, y) for x in a for y in b]
    if isinstance(node, And) and w is None:
        return _norm([(max(x[0], y[0]), min(x[1], y[1])) for x, y in pairs
                      if max(x[0], y[0]) < min(x[1], y[1])])
    if isinstance(node, And):
        return _norm([(min(x[0], y[0]), max(x[1], y[1])) for x, y in pairs
                      if max(x[0], y[0]) - min(x[1], y[1]) <= w])
    if node.op is Temporal.DURING:
        return _norm([x for x in a if any(y[0] <= x[0] and x[1] <= y[1] for y in b)])
    if node.op is Temporal.BEFORE:
        return _norm([(x[0], y[1]) for x, y in pairs if x[1] <= y[0] and (w is None or y[0] - x[1] <= w)])
    return _norm([(y[0], x[1]) for x, y in pairs if y[1] <= x[0] and (w is None or x[0] - y[1] <= w)])


leaf = st.one_of(
    st.builds(Condition, st.just("said"), st.sampled_from([*WORDS, None])),
    st.builds(Condition, st.just("screen"), st.sampled_from(WORDS[:3])),
    st.builds(Condition, st.just("speaker"), st.sampled_from([*SPEAKERS, None])),
    st.builds(Condition, st.just("object"), st.sampled_from([*LABELS, None])),
)
window = st.one_of(st.none(), st.integers(0, 20_000).map(lambda ms: ms // 500 * 500))
queries = st.recursive(leaf, lambda sub: st.one_of(
    st.builds(And, sub, sub, window), st.builds(Or, sub, sub), st.builds(Not, sub),
    st.builds(Sequence, st.sampled_from([Temporal.BEFORE, Temporal.AFTER]), sub, sub, window),
    st.builds(Sequence, st.just(Temporal.DURING), sub, sub)), max_leaves=5)
span = st.integers(0, 60_000).flatmap(lambda s: st.tuples(st.just(s), st.integers(s, s + 8_000)))
video_data = st.fixed_dictionaries({
    "duration": st.integers(30_000, 70_000),
    "said": st.lists(st.tuples(span, st.lists(st.sampled_from(WORDS), min_size=1, max_size=3)), max_size=6),
    "screen": st.lists(st.tuples(span, st.sampled_from(WORDS[:3])), max_size=4),
    "speaker": st.lists(st.tuples(span, st.sampled_from(SPEAKERS)), max_size=5),
    "object": st.lists(st.tuples(span, st.sampled_from(LABELS)), max_size=6),
})


def _store_video(uow, data) -> tuple[uuid.UUID, dict[Condition, list]]:
    v = add_video(uow, duration_ms=data["duration"]).video_id
    base: dict[Condition, list] = {}
    said = [(s, e, " ".join(words)) for (s, e), words in data["said"]]
    _speech(uow, v, said)
    store_run(uow, v, "ocr.text", [sp for sp, _ in data["screen"]],
              payloads=[payload_for("ocr.text", text=w.upper()) for _, w in data["screen"]])
    store_run(uow, v, "speaker.turn", [sp for sp, _ in data["speaker"]],
              payloads=[payload_for("speaker.turn", speaker=who) for _, who in data["speaker"]])
    _objects(uow, v, [(s, e, label) for (s, e), label in data["object"]])
    base[Condition("said", None)] = [(s, e) for s, e, _ in said]
    for w in WORDS:
        base[Condition("said", w)] = [(s, e) for s, e, t in said if w in re.findall(r"\w+", t)]
        base[Condition("screen", w)] = [sp for sp, t in data["screen"] if t == w]
    base[Condition("speaker", None)] = [sp for sp, _ in data["speaker"]]
    for who in SPEAKERS:
        base[Condition("speaker", who)] = [sp for sp, t in data["speaker"] if t == who]
    apps = merge_appearances([(label, s, e, 0.8, uuid.uuid4()) for (s, e), label in data["object"]], GAP_MS)
    base[Condition("object", None)] = [(a.start, a.end) for a in apps]
    for label in LABELS:
        base[Condition("object", label)] = [(a.start, a.end) for a in apps if a.key == label]
    return v, base


@settings(max_examples=80, deadline=None)
@given(videos=st.lists(video_data, min_size=1, max_size=2), query=queries)
def test_random_queries_match_the_oracle(session_factory, videos, query):
    with UnitOfWork(session_factory) as uow:  # rolled back: each example starts from an empty library
        stored = [(_store_video(uow, data), data["duration"]) for data in videos]
        expected_all = []
        for (v, base), duration in stored:
            expected = oracle(query, base, duration)
            assert moments(uow.session, query, v, order=Order.TIME) == expected, to_text(query)
            expected_all += [(v, s, e) for s, e in expected]
        # the library: every video's moments, and the text and JSON forms give the same tree
        assert parse(to_text(query)) == query == from_json(to_json(query))
        result = run(uow.session, query_steps(query, limit=1000))
        got = sorted((m.video_id, m.start_ms, m.end_ms) for m in result.moments)
        assert got == sorted(expected_all) and result.total == len(expected_all)
        event("moments found" if expected_all else "no moment")
        # ranked: the longest first
        lengths = [m.end_ms - m.start_ms for m in result.moments]
        assert lengths == sorted(lengths, reverse=True)


def test_a_selection_override_reads_that_profiles_run(uow):
    from eioku.domain.enums import ModelProfile
    from eioku.domain.models import SelectionOverride

    v = add_video(uow).video_id
    for profile, span in (("fast", (0, 1000)), ("balanced", (5000, 6000))):
        store_run(uow, v, "object.detection", [span], profile=profile,
                  payloads=[payload_for("object.detection", label="dog")])
    for profile, expected in ((ModelProfile.FAST, [(0, 1000)]), (ModelProfile.BALANCED, [(5000, 6000)])):
        selection = SelectionOverride(profile=profile)
        assert moments(uow.session, "object:dog", v, selection=selection) == expected
        library = run(uow.session, query_steps(parse("object:dog"), selection=selection))
        assert [(m.start_ms, m.end_ms) for m in library.moments if m.video_id == v] == expected


def test_every_kind_is_a_condition_whose_sql_runs(uow):
    """Kinds come from the projections: each one (those added later too) takes
    * and a value, alone and combined, without a database error."""
    from eioku.query.kinds import kinds

    v = add_video(uow, duration_ms=10_000).video_id
    for kind in kinds().values():
        value = "1" if kind.takes.startswith("a number") else '"budget"'
        for q in (f"{kind.name}:*", f"{kind.name}:{value}",
                  f"{kind.name}:{value} AND NOT said:* OR {kind.name}:* BEFORE said:x WITHIN 2s"):
            assert moments(uow.session, parse(q), v) == []  # nothing of it stored in this video
        assert moments(uow.session, parse(f"NOT {kind.name}:*"), v) == [(0, 10_000)]
