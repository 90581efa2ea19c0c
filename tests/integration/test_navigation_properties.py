"""SPEC §10 properties 8-12: search, selection, jump and find against oracles."""

from __future__ import annotations

import re

import pytest
from eioku.domain.enums import (
    Direction,
    FindSource,
    Granularity,
    JumpKind,
    ModelProfile,
    RunStatus,
    SelectionMode,
)
from eioku.domain.errors import NoMatchError
from eioku.domain.models import SelectionOverride, SelectionPolicy
from eioku.services import navigation
from eioku.services.navigation import JumpQuery
from eioku.store.uow import UnitOfWork
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import add_run, add_video, payload_for
from tests.oracles import Appearance, merge_appearances
from tests.strategies import WORDS, sentence, spans

PROFILE_RANK = {"high_quality": 0, "balanced": 1, "fast": 2}


@pytest.fixture
def uow_factory(shared_session_factory):
    return lambda: UnitOfWork(shared_session_factory)


def _store(uow, video_id, artifact_type, items, profile="fast", complete=True):
    run = add_run(uow, video_id, artifact_type, profile=profile)
    uow.artifacts.batch_create(run, [
        {"span_start_ms": s, "span_end_ms": e, "payload": p} for (s, e), p in items])
    return uow.runs.complete(run.run_id) if complete else run


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


# 8. FTS correctness --------------------------------------------------------------
@given(segments=st.lists(st.tuples(spans(), sentence), max_size=10),
       word=st.sampled_from(WORDS), source=st.sampled_from([FindSource.TRANSCRIPT, FindSource.OCR]))
def test_every_hit_contains_the_term_and_the_snippet_marks_it(uow_factory, segments, word, source):
    artifact_type = "transcript.segment" if source is FindSource.TRANSCRIPT else "ocr.text"
    with uow_factory() as uow:
        video = add_video(uow)
        items = [((s, e), payload_for(artifact_type, text=t)) for (s, e), t in segments]
        _store(uow, video.video_id, artifact_type, items)
        hits = navigation.find(uow.session, video.video_id, word, source=source, limit=100)
        expected = sorted(s for (s, _), t in segments if word.lower() in _words(t))
        assert [h.start_ms for h in hits] == expected  # complete, and nothing else
        for hit in hits:
            assert re.search(rf"<mark>{re.escape(word)}</mark>", hit.snippet, re.IGNORECASE)
            assert hit.source == source.value


# 9. Selection policies -------------------------------------------------------------
run_spec = st.tuples(st.sampled_from(list(ModelProfile)),
                     st.sampled_from([RunStatus.COMPLETED, RunStatus.COMPLETED, RunStatus.FAILED,
                                      RunStatus.RUNNING]))


@given(runs=st.lists(run_spec, min_size=1, max_size=6), mode=st.sampled_from(list(SelectionMode)),
       profile=st.sampled_from(list(ModelProfile)), data=st.data(), override=st.booleans())
def test_every_read_path_follows_the_selection_policy(uow_factory, runs, mode, profile, data,
                                                      override):
    with uow_factory() as uow:
        video = add_video(uow)
        stored = []  # (run, status) in completion order
        for i, (run_profile, status) in enumerate(runs):
            word = f"run{i}"
            run = _store(uow, video.video_id, "transcript.segment",
                         [((i * 10, i * 10 + 5), payload_for("transcript.segment", text=word))],
                         profile=run_profile.value, complete=False)
            if status is RunStatus.COMPLETED:
                run = uow.runs.complete(run.run_id)
            elif status is RunStatus.FAILED:
                run = uow.runs.fail(run.run_id, "broken")
            stored.append((run, word))
        completed = [(r, w) for r, w in stored if r.status is RunStatus.COMPLETED]
        pinned = data.draw(st.sampled_from(completed)) if completed and mode is SelectionMode.PINNED else None
        if mode is SelectionMode.PINNED and pinned is None:
            return
        policy = SelectionPolicy(mode, profile if mode is SelectionMode.PROFILE else None,
                                 pinned[0].run_id if pinned else None)
        sel = SelectionOverride()
        if override and mode in (SelectionMode.PROFILE, SelectionMode.LATEST,
                                 SelectionMode.BEST_QUALITY):
            sel = SelectionOverride(mode, policy.preferred_profile)
        else:
            uow.selections.set_policy(video.video_id, "transcript.segment", policy)

        # the brute-force oracle
        candidates = completed
        if mode is SelectionMode.PINNED:
            candidates = [pinned]
        elif mode is SelectionMode.PROFILE:
            candidates = [c for c in completed if c[0].model_profile == profile.value]
        newest_first = sorted(candidates, key=lambda c: (c[0].finished_at, c[0].run_id), reverse=True)
        if mode is SelectionMode.BEST_QUALITY:
            newest_first.sort(key=lambda c: PROFILE_RANK[c[0].model_profile])
        expected = newest_first[0] if newest_first else None

        arts = uow.artifacts.get_by_asset(video.video_id, "transcript.segment", selection=sel)
        assert {a.run_id for a in arts} == ({expected[0].run_id} if expected else set())
        for _, word in stored:  # find and jump agree with the artifact query
            hits = navigation.find(uow.session, video.video_id, word, selection=sel)
            assert bool(hits) == (expected is not None and expected[1] == word)
        jumped = _jump_or_none(uow, video.video_id, JumpQuery(JumpKind.TRANSCRIPT, selection=sel))
        assert (jumped.artifact_ids if jumped else []) == [a.artifact_id for a in arts]


def _jump_or_none(uow, video_id, query):
    try:
        return navigation.jump(uow.session, video_id, query)
    except NoMatchError:
        return None


# 10. Jump determinism ----------------------------------------------------------------
@given(items=st.lists(st.tuples(spans(max_start=20_000, max_len=1_500),
                                st.sampled_from(["dog", "cat"]), st.floats(0, 1)), max_size=15),
       from_ms=st.none() | st.integers(-1, 22_000), direction=st.sampled_from(list(Direction)),
       label=st.none() | st.sampled_from(["dog", "cat", "DOG"]),
       min_conf=st.none() | st.floats(0, 1), granularity=st.sampled_from(list(Granularity)))
def test_jump_equals_brute_force_oracle(uow_factory, items, from_ms, direction, label, min_conf,
                                        granularity):
    """Objects jump between appearances (a label's detections merged in time),
    or, with granularity=detection, between single detections."""
    with uow_factory() as uow:
        video = add_video(uow)
        run = _store(uow, video.video_id, "object.detection", [
            (span, payload_for("object.detection", label=lab, confidence=c)) for span, lab, c in items])
        stored = uow.artifacts.get_by_asset(video.video_id, "object.detection", run_id=run.run_id)
        query = JumpQuery(JumpKind.OBJECT, direction, from_ms, label=label, min_confidence=min_conf,
                          granularity=granularity)
        got = _jump_or_none(uow, video.video_id, query)

        detections = [(a.payload["label"], a.span_start_ms, a.span_end_ms, a.payload["confidence"],
                       a.artifact_id) for a in stored]
        if granularity is Granularity.APPEARANCE:
            hits = merge_appearances(detections, uow.projections.gap_ms)
        else:  # each detection is its own "appearance"
            hits = [Appearance(k, s, e, c, 1, [i]) for k, s, e, c, i in detections]
        appearances = [ap for ap in hits
                       if (label is None or ap.key == label.lower())
                       and (min_conf is None or ap.confidence >= min_conf)]
        if direction is Direction.NEXT:
            pos = -1 if from_ms is None else from_ms
            target = min((ap.start for ap in appearances if ap.start > pos), default=None)
        else:
            pos = 10**12 if from_ms is None else from_ms
            target = max((ap.start for ap in appearances if ap.start < pos), default=None)
        if target is None:
            assert got is None
            return
        tied = [ap for ap in appearances if ap.start == target]
        assert got is not None
        assert got.start_ms == target
        assert got.end_ms == max(ap.end for ap in tied)
        assert got.artifact_ids == sorted(i for ap in tied for i in ap.opening_ids)
        if from_ms is not None:
            assert got.start_ms != from_ms  # never the hit we are standing on
        assert _jump_or_none(uow, video.video_id, query) == got  # deterministic


# 11. Find ordering & 12. multi-source find ----------------------------------------------------
@given(transcript=st.lists(st.tuples(spans(), sentence), max_size=8),
       ocr=st.lists(st.tuples(spans(), sentence), max_size=8), word=st.sampled_from(WORDS),
       direction=st.sampled_from(list(Direction)), from_ms=st.none() | st.integers(0, 60_000),
       limit=st.integers(1, 30))
def test_find_order_and_all_sources(uow_factory, transcript, ocr, word, direction, from_ms, limit):
    with uow_factory() as uow:
        video = add_video(uow)
        for artifact_type, segs in (("transcript.segment", transcript), ("ocr.text", ocr)):
            _store(uow, video.video_id, artifact_type,
                   [(span, payload_for(artifact_type, text=t)) for span, t in segs])

        def run(source):
            return navigation.find(uow.session, video.video_id, word, source=source,
                                   direction=direction, from_ms=from_ms, limit=limit)

        by_source = {s: run(s) for s in FindSource}
        for hits in by_source.values():
            starts = [h.start_ms for h in hits]
            assert starts == sorted(starts, reverse=direction is Direction.PREV)  # property 11
            if from_ms is not None:
                assert all((s > from_ms) if direction is Direction.NEXT else (s < from_ms)
                           for s in starts)
        # property 12: all = the time-ordered union of both sources, tagged
        union = by_source[FindSource.TRANSCRIPT] + by_source[FindSource.OCR]
        union.sort(key=lambda h: (h.start_ms, h.source, h.artifact_id),
                   reverse=direction is Direction.PREV)
        assert by_source[FindSource.ALL] == union[:limit]
        assert {h.source for h in by_source[FindSource.TRANSCRIPT]} <= {"transcript"}
        assert {h.source for h in by_source[FindSource.OCR]} <= {"ocr"}
        expected_t = sum(1 for (s, _), t in transcript if word.lower() in _words(t)
                         and _in_direction(s, direction, from_ms))
        assert len(by_source[FindSource.TRANSCRIPT]) == min(limit, expected_t)


def _in_direction(start, direction, from_ms):
    if from_ms is None:
        return True
    return start > from_ms if direction is Direction.NEXT else start < from_ms


# 10b. Global jump (library order) -------------------------------------------------------
@given(videos=st.lists(st.tuples(
           st.none() | st.sampled_from(["2024-01-01T00:00:00Z", "2024-06-01T00:00:00Z"]),
           st.lists(st.tuples(spans(max_start=20_000, max_len=1_500), st.sampled_from(["dog", "cat"]),
                              st.floats(0, 1)), max_size=6)), min_size=1, max_size=4),
       label=st.none() | st.sampled_from(["dog", "cat"]), direction=st.sampled_from(list(Direction)),
       start=st.data())
def test_global_jump_walks_appearances_in_library_order(session_factory, videos, label, direction,
                                                        start):
    with UnitOfWork(session_factory) as uow:  # a fresh database: the library is exactly this
        hits = []  # (recorded-or-created time, video id, start, key, end)
        for recorded, items in videos:
            video = add_video(uow)
            if recorded:
                uow.videos.update(video.video_id, recorded_at=recorded)
            t = uow.videos.get(video.video_id)
            t = t.recorded_at or t.created_at
            run = _store(uow, video.video_id, "object.detection", [
                (span, payload_for("object.detection", label=lab, confidence=c))
                for span, lab, c in items])
            stored = uow.artifacts.get_by_asset(video.video_id, "object.detection", run_id=run.run_id)
            for ap in merge_appearances([(a.payload["label"], a.span_start_ms, a.span_end_ms,
                                          a.payload["confidence"], a.artifact_id) for a in stored],
                                        uow.projections.gap_ms):
                if label is None or ap.key == label:
                    hits.append((t, video.video_id, ap.start, ap.key, ap.end))
        hits.sort(reverse=direction is Direction.PREV)
        position = start.draw(st.none() | st.sampled_from(hits)) if hits else None
        kwargs = {} if position is None else {"from_video": position[1], "from_ms": position[2]}
        if position is None:
            expected = hits[0] if hits else None
        else:
            later = [h for h in hits if (h[:3] > position[:3]) == (direction is Direction.NEXT)
                     and h[:3] != position[:3]]
            expected = later[0] if later else None
        try:
            got = navigation.jump_global(uow.session, kind=JumpKind.OBJECT, direction=direction,
                                         label=label, **kwargs)
        except NoMatchError:
            got = None
        if expected is None:
            assert got is None
        else:  # every hit at the chosen (video, start) comes back, like the per-video jump
            tied = [h for h in hits if h[:3] == expected[:3]]
            assert got is not None
            assert (got.video_id, got.start_ms, got.end_ms, got.labels) == (
                expected[1], expected[2], max(h[4] for h in tied), sorted({h[3] for h in tied}))


def test_global_jump_returns_every_hit_sharing_the_start(session_factory):
    with UnitOfWork(session_factory) as uow:
        first, second = add_video(uow), add_video(uow)
        uow.videos.update(first.video_id, recorded_at="2024-01-01T00:00:00Z")
        uow.videos.update(second.video_id, recorded_at="2024-02-01T00:00:00Z")
        for video in (first, second):
            _store(uow, video.video_id, "object.detection", [
                ((1000, 1400), payload_for("object.detection", label="dog")),
                ((1000, 1900), payload_for("object.detection", label="cat")),
                ((5000, 5400), payload_for("object.detection", label="dog"))])
        got = navigation.jump_global(uow.session, kind=JumpKind.OBJECT)
        assert (got.video_id, got.start_ms, got.end_ms, got.labels) == (first.video_id, 1000, 1900,
                                                                        ["cat", "dog"])
        assert len(got.artifact_ids) == 2
        after = navigation.jump_global(uow.session, kind=JumpKind.OBJECT, from_video=first.video_id,
                                       from_ms=1000)
        assert (after.video_id, after.start_ms, after.labels) == (first.video_id, 5000, ["dog"])
        nxt = navigation.jump_global(uow.session, kind=JumpKind.OBJECT, from_video=first.video_id,
                                     from_ms=5000)
        assert (nxt.video_id, nxt.start_ms, nxt.labels) == (second.video_id, 1000, ["cat", "dog"])


# 10c. Appearance timeline --------------------------------------------------------------
@given(items=st.lists(st.tuples(spans(max_start=20_000, max_len=1_500),
                                st.sampled_from(["dog", "cat", "bird"]), st.floats(0, 1)),
                      max_size=15),
       label=st.none() | st.sampled_from(["dog", "CAT"]), min_conf=st.none() | st.floats(0, 1),
       limit=st.integers(1, 4))
def test_appearance_timeline_pages_through_the_merge_exactly_once(uow_factory, items, label,
                                                                  min_conf, limit):
    with uow_factory() as uow:
        video = add_video(uow)
        run = _store(uow, video.video_id, "object.detection", [
            (span, payload_for("object.detection", label=lab, confidence=c)) for span, lab, c in items])
        stored = uow.artifacts.get_by_asset(video.video_id, "object.detection", run_id=run.run_id)
        expected = [(ap.key, ap.start, ap.end, ap.detections) for ap in merge_appearances(
            [(a.payload["label"], a.span_start_ms, a.span_end_ms, a.payload["confidence"],
              a.artifact_id) for a in stored], uow.projections.gap_ms)
            if (label is None or ap.key == label.lower())
            and (min_conf is None or ap.confidence >= min_conf)]
        walked, from_ms = [], 0
        while page := navigation.appearances(uow.session, video.video_id, JumpKind.OBJECT,
                                             label=label, min_confidence=min_conf,
                                             from_ms=from_ms, limit=limit):
            assert len({r.start_ms for r in page}) <= limit  # ties are never split
            walked += [(r.label, r.start_ms, r.end_ms, r.detections) for r in page]
            from_ms = page[-1].start_ms + 1
        assert walked == expected
